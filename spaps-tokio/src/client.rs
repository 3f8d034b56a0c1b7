//! [`Tokio`]: the async runtime of the SPAPS client, and its drive loop. [`Client`] and
//! [`ClientBuilder`] are the driver's generic client on it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spaps_driver::tls::NetOptions;
use spaps_driver::{CallGuard, Effects, Runtime};
use spaps_proto::{
    Config, Error, Machine, Now, Output, RefreshLock, StoreError, StoreSnapshot, Tokens,
};
use tokio::sync::watch;
use tracing::Instrument;

use crate::transport::Transport;

/// A boxed, `Send` future, as returned by every operation.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An async SPAPS client: [`spaps_driver::Client`] on [`Tokio`]. Cheap to clone; clones
/// share tokens and connections. Every call is a future.
///
/// ```no_run
/// # async fn run() -> Result<(), spaps_tokio::Error> {
/// let client = spaps_tokio::Client::builder()
///     .base_url("https://api.sweetpotato.dev")
///     .api_key("spaps_live_...")
///     .build()?;
/// client.auth().sign_in_with_password("ada@example.com", "secret").await?;
/// let session = client.sessions().get_current_session().await?;
/// # Ok(()) }
/// ```
pub type Client = spaps_driver::Client<Tokio>;

/// Builds a [`Client`]: [`spaps_driver::ClientBuilder`] on [`Tokio`]. Its
/// [`http_client`](spaps_driver::ClientBuilder::http_client) takes a
/// [`reqwest::Client`]; its [`sleeper`](spaps_driver::ClientBuilder::sleeper) an
/// `Arc<dyn Sleeper>`.
pub type ClientBuilder = spaps_driver::ClientBuilder<Tokio>;

/// How the client waits between retries. Replace it in tests to avoid real sleeps.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Sleeps on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The tokio runtime of a [`Client`]: a reqwest transport, a sleeper, and the signal
/// that wakes calls waiting for a token refresh. Calls are futures; the token store is
/// written and re-read on blocking threads.
#[derive(Debug)]
pub struct Tokio {
    transport: Transport,
    /// Counts settled refreshes ([`Runtime::settled_count`]).
    settles: AtomicU64,
    /// Signalled every time a token refresh settles; waiting calls watch it.
    settled: watch::Sender<()>,
    sleeper: Arc<dyn Sleeper>,
}

impl Runtime for Tokio {
    type Http = reqwest::Client;
    type Sleeper = dyn Sleeper;
    type Outcome<'a, T: Send + 'static> = BoxFuture<'a, Result<T, Error>>;

    fn new(
        config: &Config,
        net: &NetOptions,
        http: Option<reqwest::Client>,
        sleeper: Option<Arc<dyn Sleeper>>,
    ) -> Result<Self, Error> {
        let transport = match http {
            Some(http) => Transport::with_client(http, config, net)?,
            None => Transport::new(config, net)?,
        };
        Ok(Self {
            transport,
            settles: AtomicU64::new(0),
            settled: watch::Sender::new(()),
            sleeper: sleeper.unwrap_or_else(|| Arc::new(TokioSleeper)),
        })
    }

    fn run<M, F>(client: &Client, start: F) -> BoxFuture<'_, Result<M::Output, Error>>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static,
    {
        Box::pin(drive(client, start))
    }

    fn replace_tokens(client: &Client, tokens: Option<Tokens>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let effects = client.shared().set_tokens(tokens);
            apply(client, effects).await
        })
    }

    fn wake_waiters(&self) {
        // Counted before the signal: a waiter subscribes, then compares the count, so
        // it either sees the new count or gets the signal.
        self.settles.fetch_add(1, Ordering::SeqCst);
        self.settled.send_replace(());
    }

    fn settled_count(&self) -> u64 {
        self.settles.load(Ordering::SeqCst)
    }
}

/// Runs one call. Dropping this future at any await point drops the guard, which hands
/// a refresh the call owned back to the client.
async fn drive<M, F>(client: &Client, start: F) -> Result<M::Output, Error>
where
    M: Machine,
    F: FnOnce(&Config, Now) -> M,
{
    let shared = client.shared();
    let runtime = client.runtime();
    let mut guard = CallGuard::start(client, start);
    let span = crate::trace::call_span(guard.machine());
    // The call's own span, for its events (cheaper than looking up the current one).
    let call_span = span.clone();
    async {
        // Held from a store reload until the refresh it guards is persisted.
        let mut store_lock: Option<RefreshLock> = None;
        loop {
            let (output, effects) = guard.poll();
            apply(client, effects).await?;
            match output {
                Output::Send(request) => {
                    crate::trace::sending(&call_span, guard.machine());
                    // Interceptors run around the exchange, outside the lock.
                    let (request, sending) = guard.before_send(request)?;
                    let result = runtime.transport.send(request, sending.time_left()).await;
                    crate::trace::received(&call_span, &result);
                    let (effects, hooked) = guard.after_send(sending, result);
                    apply(client, effects).await?;
                    hooked?;
                }
                Output::ReloadStore => {
                    let (snapshot, lock) = reload(client).await;
                    store_lock = lock;
                    let effects = shared.feed_reload(guard.machine_mut(), snapshot);
                    apply(client, effects).await?;
                }
                Output::Sleep(until) => {
                    let now = shared.instant();
                    if until > now {
                        runtime.sleeper.sleep(until - now).await;
                    }
                }
                Output::AwaitRefresh(until) => {
                    await_settle(client, guard.seen(), until).await;
                }
                Output::Done(result) => {
                    guard.disarm();
                    return result;
                }
            }
            if !guard.machine().refreshing() {
                // The refresh the lock guarded is persisted (or was never sent).
                drop(store_lock.take());
            }
        }
    }
    .instrument(span)
    .await
}

/// Wakes waiting calls, then persists token changes on a blocking thread. A write that
/// started finishes even if this future is dropped.
///
/// The waking and the spawning happen before the future is first polled, so the future
/// holds only the write's handle: it is part of every call's future, awaited after each
/// step, and most steps have nothing to write.
fn apply(client: &Client, effects: Effects) -> impl Future<Output = Result<(), Error>> + Send {
    if effects.refresh_settled {
        client.runtime().wake_waiters();
    }
    let write = effects.persist.is_some().then(|| {
        let writer = client.shared().writer().clone();
        tokio::task::spawn_blocking(move || writer.persist(effects.persist))
    });
    async move {
        match write {
            None => Ok(()),
            Some(write) => write.await.unwrap_or_else(|e| Err(store_panicked(e))),
        }
    }
}

/// Takes the store's refresh lock and re-reads it, on a blocking thread.
async fn reload(client: &Client) -> (Result<StoreSnapshot, Error>, Option<RefreshLock>) {
    let writer = client.shared().writer().clone();
    tokio::task::spawn_blocking(move || writer.reload())
        .await
        .unwrap_or_else(|e| (Err(store_panicked(e)), None))
}

/// Waits until a refresh settles after `seen`, or until `until`.
async fn await_settle(client: &Client, seen: u64, until: Option<Instant>) {
    let runtime = client.runtime();
    let mut settled = runtime.settled.subscribe();
    if runtime.settled_count() != seen {
        return;
    }
    let wait = until.map(|until| until.saturating_duration_since(client.shared().instant()));
    match wait {
        // The sender lives as long as the client; a closed channel just means: poll
        // again.
        None => {
            let _ = settled.changed().await;
        }
        Some(wait) => {
            tokio::select! {
                _ = settled.changed() => {}
                () = runtime.sleeper.sleep(wait) => {}
            }
        }
    }
}

/// The error of a store call that panicked on its blocking thread.
fn store_panicked(panic: tokio::task::JoinError) -> Error {
    StoreError::with_source("the token store panicked", panic).into()
}
