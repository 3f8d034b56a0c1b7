//! Keeps ureq's wire dumps out of the logs.
//!
//! `ureq-proto` (the HTTP/1.1 layer under ureq) logs every byte it writes and reads,
//! as hex and ASCII, through the `log` crate at TRACE, under targets starting with
//! `ureq_proto`: the API key and bearer token in the request headers, passwords and
//! refresh tokens in request bodies, new tokens in response bodies. ureq offers no
//! switch for it. While ureq runs an exchange, the thread's `tracing` dispatcher is
//! wrapped in one that drops those records and forwards everything else unchanged;
//! `log` records reach `tracing` through its log bridge (`tracing-log`'s `LogTracer`,
//! installed by `tracing_subscriber`'s `init()`), which asks that dispatcher.
//!
//! A `log` logger that does not go through `tracing` (env_logger, say) is outside the
//! client's reach: give it a filter such as `RUST_LOG=trace,ureq_proto=off`.
//!
//! The wrapper is installed only when the `log` crate would let TRACE records through
//! at all, so a process that does not log at TRACE pays nothing.

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// The target prefix of the records that carry raw bytes.
const WIRE_TARGET: &str = "ureq_proto";

/// Runs `f` with ureq's wire dumps filtered out of the current `tracing` dispatcher.
pub(crate) fn without_wire_dumps<T>(f: impl FnOnce() -> T) -> T {
    if log::max_level() < log::LevelFilter::Trace {
        return f();
    }
    let inner = tracing::dispatcher::get_default(Dispatch::clone);
    let quiet = Dispatch::new(Quiet { inner });
    tracing::dispatcher::with_default(&quiet, f)
}

fn is_wire(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with(WIRE_TARGET)
}

/// Forwards everything to `inner` except records of [`WIRE_TARGET`].
struct Quiet {
    inner: Dispatch,
}

impl Subscriber for Quiet {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_wire(metadata) {
            // Not `never`: interest is cached per callsite for every dispatcher.
            return Interest::sometimes();
        }
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !is_wire(metadata) && self.inner.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        if !is_wire(event.metadata()) {
            self.inner.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        self.inner.current_span()
    }
}
