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
        // The machine is built here rather than on the first poll, so that the future
        // keeps no space for `start` (it holds the endpoint's arguments) once it runs.
        Box::pin(drive(client, CallGuard::start_ahead(client, start)))
    }

    fn replace_tokens(client: &Client, tokens: Option<Tokens>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let effects = client.shared().set_tokens(tokens);
            match start_apply(client, effects) {
                None => Ok(()),
                Some(started) => finish_apply(started).await,
            }
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
///
/// Every call's future is boxed, so its size is what each call allocates; it is kept
/// under the 1,032 bytes glibc serves from a per-thread cache (the machine is boxed
/// apart, in the guard; `each_allocation_of_a_call_fits_a_small_block` checks both).
/// Two rules of how `async` code is laid out shape the loop: a local keeps its space
/// for the rest of its scope once it was borrowed or anything was moved out of it (a
/// `match` taking the request out of the poll's output), and a local that lives across
/// two awaits gets a slot of its own in every state of the future. So the output is
/// matched in a block with no await, and what a poll leaves to wait for (a token write,
/// a sleep, a store reload, a refresh) is kept small and waited for at the top of the
/// next turn.
async fn drive<M: Machine>(
    client: &Client,
    mut guard: CallGuard<'_, Tokio, M>,
) -> Result<M::Output, Error> {
    let runtime = client.runtime();
    let span = crate::trace::call_span(guard.machine());
    // The call's own span, for its events (cheaper than looking up the current one).
    let call_span = span.clone();
    async {
        // Held from a store reload until the refresh it guards is persisted.
        let mut store_lock: Option<RefreshLock> = None;
        // A token write the last poll started, and that poll's output (boxed), to act
        // on once the write is done (rare: most polls write nothing).
        let mut pending: Option<(Write, Box<Output<M::Output>>)> = None;
        // What the last output said to wait for.
        let mut pause: Option<Pause> = None;
        loop {
            if let Some(until) = pause.take() {
                wait(client, &mut guard, &mut store_lock, until).await?;
                continue;
            }
            let held = match pending.take() {
                Some((started, output)) => {
                    finish_apply(started).await?;
                    Some(output)
                }
                None => None,
            };
            let request = {
                let output = match held {
                    Some(output) => *output,
                    None => {
                        let (output, effects) = guard.poll();
                        if let Some(started) = start_apply(client, effects) {
                            pending = Some((started, Box::new(output)));
                            continue;
                        }
                        output
                    }
                };
                match output {
                    Output::Send(request) => request,
                    Output::Done(result) => {
                        guard.disarm();
                        return result;
                    }
                    Output::ReloadStore => {
                        pause = Some(Pause::Reload);
                        continue;
                    }
                    Output::Sleep(until) => {
                        pause = Some(Pause::Sleep(until));
                        continue;
                    }
                    Output::AwaitRefresh(until) => {
                        pause = Some(Pause::Refresh(until));
                        continue;
                    }
                }
            };
            // In a block: `sending` and `result` are borrowed, and a borrowed local
            // keeps its space to the end of its scope, moved or not.
            let (effects, hooked) = {
                crate::trace::sending(&call_span, guard.machine());
                // Interceptors run around the exchange, outside the lock.
                let (request, sending) = guard.before_send(request)?;
                let exchange = runtime.transport.send(request, sending.time_left());
                let result = exchange.await;
                crate::trace::received(&call_span, &result);
                guard.after_send(sending, result)
            };
            if let Some(started) = start_apply(client, effects) {
                finish_apply(started).await?;
            }
            hooked?;
            release_if_settled(&guard, &mut store_lock);
        }
    }
    .instrument(span)
    .await
}

/// What an output other than an exchange or a result says to wait for.
#[derive(Debug, Clone, Copy)]
enum Pause {
    /// Re-read the token store ([`Output::ReloadStore`]).
    Reload,
    /// Sleep until then ([`Output::Sleep`]).
    Sleep(Instant),
    /// Wait for a refresh to settle, at most until then ([`Output::AwaitRefresh`]).
    Refresh(Option<Instant>),
}

/// Waits as `pause` says, then drops the store's refresh lock if the refresh it guarded
/// is over.
async fn wait<M: Machine>(
    client: &Client,
    guard: &mut CallGuard<'_, Tokio, M>,
    store_lock: &mut Option<RefreshLock>,
    pause: Pause,
) -> Result<(), Error> {
    let shared = client.shared();
    match pause {
        Pause::Reload => {
            let (snapshot, lock) = reload(client).await;
            *store_lock = lock;
            let effects = shared.feed_reload(guard.machine_mut(), snapshot);
            if let Some(started) = start_apply(client, effects) {
                finish_apply(started).await?;
            }
        }
        Pause::Sleep(until) => {
            let now = shared.instant();
            if until > now {
                client.runtime().sleeper.sleep(until - now).await;
            }
        }
        Pause::Refresh(until) => await_settle(client, guard.seen(), until).await,
    }
    release_if_settled(guard, store_lock);
    Ok(())
}

/// Drops the store's refresh lock once the refresh it guarded is persisted (or was
/// never sent).
fn release_if_settled<M: Machine>(guard: &CallGuard<'_, Tokio, M>, lock: &mut Option<RefreshLock>) {
    if !guard.machine().refreshing() {
        drop(lock.take());
    }
}

/// A token write on a blocking thread.
type Write = tokio::task::JoinHandle<Result<(), Error>>;

/// Wakes waiting calls, and starts persisting token changes on a blocking thread when
/// there are any (most steps have none). A write that started finishes even if the
/// call's future is dropped; [`finish_apply`] waits for it.
fn start_apply(client: &Client, effects: Effects) -> Option<Write> {
    if effects.refresh_settled {
        client.runtime().wake_waiters();
    }
    effects.persist.is_some().then(|| {
        let writer = client.shared().writer().clone();
        tokio::task::spawn_blocking(move || writer.persist(effects.persist))
    })
}

/// Waits for a write [`start_apply`] started.
async fn finish_apply(write: Write) -> Result<(), Error> {
    write.await.unwrap_or_else(|e| Err(store_panicked(e)))
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

#[cfg(test)]
mod tests {
    use std::future::IntoFuture;
    use std::mem::{size_of, size_of_val};

    use spaps_proto::api::auth::SignInWithPassword;
    use spaps_proto::api::payments::CreateCheckoutSession;
    use spaps_proto::api::sessions::{GetCurrentSession, ListSessions};
    use spaps_proto::{Call, Endpoint};

    use super::{BoxFuture, Client};

    /// The largest block glibc's allocator serves from its per-thread cache (64 bins of
    /// 16 bytes). Larger blocks come from arenas whose lock two worker threads contend
    /// for when calls move between them: one such block per call cost about 10% at 256
    /// calls in flight (BENCHMARKS.md, "Fourth round").
    const SMALL_BLOCK: usize = 1032;

    fn check<T>(what: &str, call: BoxFuture<'_, T>, machine: usize) {
        let drive = size_of_val(&*call);
        assert!(
            drive <= SMALL_BLOCK,
            "the future of {what} is {drive} bytes, over {SMALL_BLOCK}"
        );
        assert!(
            machine <= SMALL_BLOCK,
            "the boxed machine of {what} is {machine} bytes, over {SMALL_BLOCK}"
        );
    }

    fn machine<E: Endpoint>() -> usize {
        size_of::<Call<E>>()
    }

    #[test]
    fn each_allocation_of_a_call_fits_a_small_block() {
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        check(
            "a plain read",
            client.sessions().get_current_session().into_future(),
            machine::<GetCurrentSession>(),
        );
        check(
            "a page of a list",
            client.sessions().list_sessions().limit(5).into_future(),
            machine::<ListSessions>(),
        );
        check(
            "a sign-in (new tokens)",
            client
                .auth()
                .sign_in_with_password("ada@example.com", "secret")
                .into_future(),
            machine::<SignInWithPassword>(),
        );
        check(
            "a write with a body and an idempotency key",
            client
                .payments()
                .create_checkout_session("price_1", "payment", "https://a.b/ok", "https://a.b/no")
                .idempotency_key("k-1")
                .into_future(),
            machine::<CreateCheckoutSession>(),
        );
    }
}
