//! [`Blocking`]: the blocking runtime of the SPAPS client, and its drive loop.
//! [`Client`] and [`ClientBuilder`] are the driver's generic client on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use spaps_driver::tls::NetOptions;
use spaps_driver::{CallGuard, Effects, Runtime};
use spaps_proto::{Config, Error, Machine, Now, Output, RefreshLock, Tokens};

use crate::transport::Transport;

/// A blocking SPAPS client: [`spaps_driver::Client`] on [`Blocking`]. Cheap to clone;
/// clones share tokens and connections. Every call blocks the calling thread.
///
/// ```no_run
/// let client = spaps_blocking::Client::builder()
///     .base_url("https://api.sweetpotato.dev")
///     .api_key("spaps_live_...")
///     .build()?;
/// let pair = client.auth().sign_in_with_password("ada@example.com", "secret").send()?;
/// let session = client.sessions().get_current_session().send()?;
/// # Ok::<(), spaps_blocking::Error>(())
/// ```
pub type Client = spaps_driver::Client<Blocking>;

/// Builds a [`Client`]: [`spaps_driver::ClientBuilder`] on [`Blocking`]. Its
/// [`http_client`](spaps_driver::ClientBuilder::http_client) takes a [`ureq::Agent`];
/// its [`sleeper`](spaps_driver::ClientBuilder::sleeper) an `Arc<dyn Sleeper>`.
pub type ClientBuilder = spaps_driver::ClientBuilder<Blocking>;

/// How the client waits between retries. Replace it in tests to avoid real sleeps.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Blocks for `duration`.
    fn sleep(&self, duration: Duration);
}

/// Sleeps the current thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The blocking runtime of a [`Client`]: a ureq transport, a sleeper, and the condition
/// variable that wakes calls waiting for a token refresh. Calls block their thread.
#[derive(Debug)]
pub struct Blocking {
    transport: Transport,
    /// Counts settled refreshes ([`Runtime::settled_count`]); changed only under
    /// `settles`, so that a waiter that compared it under the lock gets the signal.
    count: AtomicU64,
    /// Waiting calls sleep on `settled` until `count` moves.
    settles: Mutex<()>,
    settled: Condvar,
    sleeper: Arc<dyn Sleeper>,
}

impl Runtime for Blocking {
    type Http = ureq::Agent;
    type Sleeper = dyn Sleeper;
    type Outcome<'a, T: Send + 'static> = Result<T, Error>;

    fn new(
        config: &Config,
        net: &NetOptions,
        http: Option<ureq::Agent>,
        sleeper: Option<Arc<dyn Sleeper>>,
    ) -> Result<Self, Error> {
        let transport = match http {
            Some(agent) => Transport::with_agent(agent, config, net)?,
            None => Transport::new(config, net)?,
        };
        Ok(Self {
            transport,
            count: AtomicU64::new(0),
            settles: Mutex::new(()),
            settled: Condvar::new(),
            sleeper: sleeper.unwrap_or_else(|| Arc::new(ThreadSleeper)),
        })
    }

    fn run<M, F>(client: &Client, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static,
    {
        drive(client, start)
    }

    fn replace_tokens(client: &Client, tokens: Option<Tokens>) -> Result<(), Error> {
        let effects = client.shared().set_tokens(tokens);
        apply(client, effects)
    }

    fn wake_waiters(&self) {
        let settles = self.settles();
        self.count.fetch_add(1, Ordering::SeqCst);
        drop(settles);
        self.settled.notify_all();
    }

    fn settled_count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
}

impl Blocking {
    fn settles(&self) -> MutexGuard<'_, ()> {
        self.settles.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until a refresh settles after `seen`, or until `until` by `now`'s clock.
    fn await_settle(&self, seen: u64, until: Option<Instant>, now: impl Fn() -> Instant) {
        let mut settles = self.settles();
        while self.settled_count() == seen {
            settles = match until {
                None => self
                    .settled
                    .wait(settles)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(until) => {
                    let now = now();
                    if now >= until {
                        return;
                    }
                    let (settles, timeout) = self
                        .settled
                        .wait_timeout(settles, until - now)
                        .unwrap_or_else(PoisonError::into_inner);
                    if timeout.timed_out() {
                        return;
                    }
                    settles
                }
            };
        }
    }
}

/// Runs one call. If it unwinds before it is done (a panic in a store or a callback),
/// the guard hands a refresh the call owned back, so it does not strand other calls.
fn drive<M, F>(client: &Client, start: F) -> Result<M::Output, Error>
where
    M: Machine,
    F: FnOnce(&Config, Now) -> M,
{
    let shared = client.shared();
    let runtime = client.runtime();
    let mut guard = CallGuard::start(client, start);
    let span = crate::trace::call_span(guard.machine());
    let _entered = span.enter();
    // Held from a store reload until the refresh it guards is persisted.
    let mut store_lock: Option<RefreshLock> = None;
    loop {
        let (output, effects) = guard.poll();
        apply(client, effects)?;
        match output {
            Output::Send(request) => {
                crate::trace::sending(&span, guard.machine());
                // Interceptors run around the exchange, outside the lock.
                let (request, sending) = guard.before_send(request)?;
                let result = runtime.transport.send(request, sending.time_left());
                crate::trace::received(&span, &result);
                let (effects, hooked) = guard.after_send(sending, result);
                apply(client, effects)?;
                hooked?;
            }
            Output::ReloadStore => {
                let (snapshot, lock) = shared.writer().reload();
                store_lock = lock;
                let effects = shared.feed_reload(guard.machine_mut(), snapshot);
                apply(client, effects)?;
            }
            Output::Sleep(until) => {
                let now = shared.instant();
                if until > now {
                    runtime.sleeper.sleep(until - now);
                }
            }
            Output::AwaitRefresh(until) => {
                runtime.await_settle(guard.seen(), until, || shared.instant());
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

/// Wakes waiting calls and persists token changes, in that order.
fn apply(client: &Client, effects: Effects) -> Result<(), Error> {
    if effects.refresh_settled {
        client.runtime().wake_waiters();
    }
    client.shared().writer().persist(effects.persist)
}
