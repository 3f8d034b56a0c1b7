//! `tracing` spans for drivers: one span per call, fields filled as it goes.
//!
//! A `tracing` target must be known at compile time, so a driver does not call
//! functions here: it expands [`driver_trace!`](crate::driver_trace) with its own crate
//! name, which writes a private `trace` module whose spans and events carry that target
//! (`RUST_LOG=spaps_tokio=debug` then shows the async client's calls):
//!
//! ```ignore
//! spaps_driver::driver_trace!("spaps_tokio");
//! // later: let span = crate::trace::call_span(&machine);
//! ```
//!
//! The span `spaps.call` carries `operation` and, named after the OpenTelemetry HTTP
//! client conventions, `http.request.method`, `url.template` (the path template, e.g.
//! `/api/sessions/{session_id}`, never the filled path), `server.address` (recorded by
//! the transport), `http.response.status_code`; and `attempt` and `request_id`. No
//! header, body, full URL or token is ever recorded.

#[doc(hidden)]
pub use tracing as __tracing;

/// Writes, in the calling crate, a module `trace` with `call_span`, `sending`,
/// `received` and `record_server`, whose spans and events carry `$target`.
#[macro_export]
macro_rules! driver_trace {
    ($target:tt) => {
        /// `tracing` spans and events of this client, with this crate's target.
        #[allow(dead_code, unreachable_pub)]
        pub(crate) mod trace {
            use $crate::trace::__tracing as tracing;
            use $crate::spaps_proto::Machine;

            /// The span of one call. Enter it (or instrument the future with it) while
            /// driving.
            pub(crate) fn call_span<M: Machine>(machine: &M) -> tracing::Span {
                let (method, template) = machine
                    .describe()
                    .map(|(m, t)| (m.as_str(), t))
                    .unwrap_or(("", ""));
                tracing::debug_span!(
                    target: $target,
                    "spaps.call",
                    operation = machine.name(),
                    http.request.method = method,
                    url.template = template,
                    server.address = tracing::field::Empty,
                    attempt = tracing::field::Empty,
                    http.response.status_code = tracing::field::Empty,
                    request_id = tracing::field::Empty,
                )
            }

            /// Records that a request is about to be sent.
            pub(crate) fn sending<M: Machine>(span: &tracing::Span, machine: &M) {
                span.record("attempt", machine.attempt());
                if machine.refreshing() {
                    tracing::debug!(target: $target, parent: span, "refreshing the access token");
                } else if let Some((method, template)) = machine.describe() {
                    let method = method.as_str();
                    tracing::debug!(
                        target: $target,
                        parent: span,
                        { attempt = machine.attempt(), http.request.method = method, url.template = template },
                        "sending"
                    );
                }
            }

            /// Records the host a request goes to (`server.address`) on the current span.
            pub(crate) fn record_server(uri: &$crate::__http::Uri) {
                if let Some(host) = uri.host() {
                    let span = tracing::Span::current();
                    if !span.is_disabled() {
                        span.record("server.address", host);
                    }
                }
            }

            /// Records how an exchange ended.
            pub(crate) fn received(
                span: &tracing::Span,
                result: &::std::result::Result<
                    $crate::__http::Response<$crate::__bytes::Bytes>,
                    $crate::spaps_proto::SendError,
                >,
            ) {
                match result {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // Nothing to record into a span no subscriber wants (the
                        // request id would be copied for nothing).
                        if !span.is_disabled() {
                            span.record("http.response.status_code", status);
                            if let Some(id) = $crate::spaps_proto::response::request_id(response.headers()) {
                                span.record("request_id", id.as_str());
                            }
                        }
                        tracing::debug!(
                            target: $target,
                            parent: span,
                            { http.response.status_code = status },
                            "response"
                        );
                    }
                    Err(e) => {
                        tracing::warn!(target: $target, parent: span, error = %e, "exchange failed")
                    }
                }
            }
        }
    };
}
