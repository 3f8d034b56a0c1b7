//! Tokens and the refresh state machine.
//!
//! [`TokenManager`] holds the current [`Tokens`] and decides, for every call that needs
//! a bearer token, whether to use the stored one, to refresh it first, or to wait for a
//! refresh another call already started. Exactly one refresh runs at a time
//! (single-flight); callers that meet it wait and then use its result. A failed refresh
//! is reported to the calls that waited for it and is never cached: the next call that
//! needs a token tries again.

use std::time::{Duration, Instant};

use http::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, StoreError};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// The credentials of a signed-in user.
///
/// This is also the JSON record of the file token store: `access_token`,
/// `refresh_token`, `expires_at` (RFC 3339) and `token_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The bearer token sent as `Authorization: Bearer ...`.
    pub access_token: Secret,
    /// The token that buys a new access token.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// When the access token expires, when known.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// The token type; always `Bearer` in practice.
    #[serde(default)]
    pub token_type: Option<String>,
}

impl Tokens {
    /// Tokens with only an access token.
    pub fn new(access_token: impl Into<Secret>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: None,
            expires_at: None,
            token_type: Some("Bearer".to_owned()),
        }
    }

    /// Adds a refresh token.
    pub fn with_refresh_token(mut self, refresh_token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(refresh_token.into());
        self
    }

    /// Sets the expiry.
    pub fn with_expires_at(mut self, expires_at: Timestamp) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Sets the expiry to `lifetime` after `now` (an `expires_in` from a token
    /// response), saturating at the end of the calendar. A zero lifetime means the
    /// access token is already due: it is refreshed before its next use when there is
    /// a refresh token, and used as it is when there is none.
    pub fn with_expires_in(self, lifetime: Duration, now: Timestamp) -> Self {
        self.with_expires_at(now.saturating_add(lifetime))
    }

    /// An access token and a refresh token, the access token expiring `lifetime` after
    /// `now` (the reference's `set_tokens(access, refresh, expires_in=..)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use spaps_proto::{Timestamp, Tokens};
    /// let now = Timestamp::from_unix_seconds(1_736_942_400).unwrap();
    /// let tokens = Tokens::expiring_in("at", "rt", Duration::from_secs(3600), now);
    /// assert_eq!(tokens.expires_at.unwrap().unix_seconds(), 1_736_946_000);
    /// ```
    pub fn expiring_in(
        access_token: impl Into<Secret>,
        refresh_token: impl Into<Secret>,
        lifetime: Duration,
        now: Timestamp,
    ) -> Self {
        Self::new(access_token)
            .with_refresh_token(refresh_token)
            .with_expires_in(lifetime, now)
    }

    /// True when the access token expires within `skew` of `now` (or already has).
    pub fn expires_within(&self, now: Timestamp, skew: Duration) -> bool {
        match self.expires_at {
            Some(at) => now.saturating_add(skew) >= at,
            None => false,
        }
    }
}

/// Tokens as an endpoint returns them, before an expiry time is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<Secret>,
    /// Lifetime in seconds from now.
    pub expires_in: Option<u64>,
    /// The token type.
    pub token_type: Option<String>,
}

impl IssuedTokens {
    /// Fixes the expiry relative to `now`.
    ///
    /// `expires_in: 0` gives no expiry: a server that says a token lives for no time at
    /// all is taken at its token, which is used now and refreshed after a 401, never in
    /// a loop. A lifetime too large for the calendar saturates.
    pub fn at(self, now: Timestamp) -> Tokens {
        Tokens {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_at: match self.expires_in {
                None | Some(0) => None,
                Some(s) => Some(now.saturating_add(Duration::from_secs(s))),
            },
            token_type: Some(self.token_type.unwrap_or_else(|| "Bearer".to_owned())),
        }
    }
}

/// What a successful call does to the stored tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenUpdate {
    /// Nothing.
    Keep,
    /// Store these tokens (sign-in, refresh, registration with auto-login, ...).
    Store(IssuedTokens),
    /// Forget the tokens (logout).
    Clear,
}

/// What a call should do for its bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// Use this token; `generation` identifies it for a later 401.
    Use {
        /// The access token.
        token: Secret,
        /// Its `Authorization` header value (`Bearer ..`, marked sensitive), built once
        /// per token; `None` when the token holds characters a header cannot carry.
        header: Option<HeaderValue>,
        /// The token generation it belongs to.
        generation: u64,
    },
    /// This call must refresh first, with this refresh token; it owns refresh `epoch`,
    /// started from token `generation`.
    Refresh {
        /// The refresh token to send.
        refresh_token: Secret,
        /// The refresh attempt this call owns.
        epoch: u64,
        /// The token generation the refresh replaces; its result is dropped when the
        /// tokens changed meanwhile.
        generation: u64,
    },
    /// Another call is refreshing; wait for refresh `epoch` to settle, or until its
    /// lease ends at `until`, whichever comes first.
    Wait {
        /// The refresh attempt to wait for.
        epoch: u64,
        /// The end of the refresh's lease: past it, a waiter takes the refresh over.
        until: Option<Instant>,
    },
    /// No token is stored (or, after a 401, nothing more can be done).
    Missing,
}

/// How a refresh a call waited for ended.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    /// Still running; its lease ends at this instant.
    InFlight(Option<Instant>),
    /// It succeeded, was superseded, was abandoned or its lease ran out: acquire again.
    Settled,
    /// It failed with this error.
    Failed(Error),
}

/// What a reload of a coordinating store under its refresh lock decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The refresh is no longer this call's (tokens were set, or it was taken over).
    Gone,
    /// The store held newer tokens, usable now: they are in use and no refresh is sent.
    Adopted,
    /// Send the refresh, with this refresh token, as token `generation`'s successor.
    Proceed {
        /// The refresh token to send (the store's, when it held newer tokens).
        refresh_token: Secret,
        /// The generation the refresh now replaces.
        generation: u64,
    },
}

/// What a token store held when re-read under its refresh lock
/// ([`crate::Output::ReloadStore`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSnapshot {
    /// The tokens in the store.
    pub tokens: Option<Tokens>,
    /// The newest token generation this client had written to the store when it was
    /// read (the generation loaded at start-up counts as written).
    pub written: u64,
}

/// A refresh in flight, owned by one call (or by whoever takes it over past its lease).
#[derive(Debug, Clone, Copy)]
struct InFlight {
    epoch: u64,
    /// When the owner is presumed gone. `None`: never (a lease past the clock's end).
    lease_until: Option<Instant>,
}

/// The lease of a refresh when none is configured.
pub const DEFAULT_REFRESH_LEASE: Duration = Duration::from_secs(30);

/// The token state shared by every call of one client. Pure: no clock, no IO, no lock.
///
/// The rules it keeps (see the crate's README, "Tokens"):
/// - **Generations.** Every change of tokens bumps [`TokenManager::generation`]. A
///   refresh remembers the generation it started from; a result that arrives after the
///   tokens changed (a sign-in, `set`, `clear`, another refresh) is dropped, never
///   stored.
/// - **Single flight with a lease.** One refresh runs at a time; other calls wait for
///   it. A refresh whose owner vanished is abandoned by the driver
///   ([`TokenManager::abandon`]); as a backstop every refresh holds a lease, and a
///   waiter that finds it past its lease takes the refresh over.
/// - **Bounded.** The refresh is due `skew` before expiry, but never earlier than half
///   way through the token's remaining lifetime, so a short-lived token is refreshed
///   about half way, never in a loop. A caller that already refreshed passes
///   `may_refresh: false` and gets the token as it is.
#[derive(Debug, Clone)]
pub struct TokenManager {
    tokens: Option<Tokens>,
    /// The access token's `Authorization` value, built when the tokens are set.
    header: Option<HeaderValue>,
    generation: u64,
    /// When the current tokens are due for refresh; fixed at the first look after
    /// they were set (so that the skew is clamped to their remaining lifetime then).
    refresh_at: Option<Timestamp>,
    /// The newest refresh attempt.
    epoch: u64,
    in_flight: Option<InFlight>,
    /// The epoch of the last failed refresh, with its error.
    last_failure: Option<(u64, Error)>,
    skew: Duration,
    lease: Duration,
}

impl Default for TokenManager {
    fn default() -> Self {
        Self::new(Duration::ZERO)
    }
}

impl TokenManager {
    /// A manager that refreshes `skew` before expiry (clamped as the type docs say).
    pub fn new(skew: Duration) -> Self {
        Self {
            tokens: None,
            header: None,
            generation: 0,
            refresh_at: None,
            epoch: 0,
            in_flight: None,
            last_failure: None,
            skew,
            lease: DEFAULT_REFRESH_LEASE,
        }
    }

    /// Sets how long a refresh may run before a waiting call takes it over.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The current tokens.
    pub fn tokens(&self) -> Option<&Tokens> {
        self.tokens.as_ref()
    }

    /// The token generation: it changes every time the tokens do.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// True while a refresh is running.
    pub fn refreshing(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Replaces the tokens (sign-in, logout, loading a store) and cancels a refresh in
    /// flight: its result, when it comes, is dropped. Returns true when a refresh was
    /// cancelled (its waiters must be woken).
    pub fn set(&mut self, tokens: Option<Tokens>) -> bool {
        self.header = tokens
            .as_ref()
            .and_then(|tokens| bearer_header(&tokens.access_token));
        self.tokens = tokens;
        self.generation += 1;
        self.refresh_at = None;
        self.last_failure = None;
        self.in_flight.take().is_some()
    }

    /// The current token's `Authorization` value and generation, when
    /// [`TokenManager::acquire`] at `wall` would answer [`Acquire::Use`] without
    /// changing anything: there are tokens, no refresh is running, and none is due (or
    /// `may_refresh` is false). `None` means: ask `acquire`. It takes `&self`, so a
    /// driver may answer the common case under a shared lock.
    pub fn peek(&self, wall: Timestamp, may_refresh: bool) -> Option<(&Option<HeaderValue>, u64)> {
        if self.in_flight.is_some() {
            return None;
        }
        let tokens = self.tokens.as_ref()?;
        if may_refresh && tokens.expires_at.is_some() {
            // Not yet fixed: the first look fixes it (a write), so it is acquire's.
            let at = self.refresh_at?;
            if wall >= at {
                return None;
            }
        }
        Some((&self.header, self.generation))
    }

    /// Decides what a call that needs a bearer token does at wall time `wall` and
    /// monotonic time `instant`. A call that already refreshed once passes
    /// `may_refresh: false`: it gets the current token as it is (or `Missing`).
    pub fn acquire(&mut self, wall: Timestamp, instant: Instant, may_refresh: bool) -> Acquire {
        if let Some(wait) = self.wait_for_flight(instant, may_refresh) {
            return wait;
        }
        let due = may_refresh && self.refresh_due(wall);
        let Some(tokens) = &self.tokens else {
            return Acquire::Missing;
        };
        if due {
            if let Some(refresh) = tokens.refresh_token.clone() {
                return self.begin(refresh, instant);
            }
        }
        Acquire::Use {
            token: tokens.access_token.clone(),
            header: self.header.clone(),
            generation: self.generation,
        }
    }

    /// Decides what a call does after a 401 for the token of `generation`: use a newer
    /// token if one arrived meanwhile, else refresh (or wait for the running refresh).
    /// `Missing` when there is nothing (more) to do: no refresh token, or the call may
    /// not refresh again.
    pub fn on_unauthorized(
        &mut self,
        generation: u64,
        instant: Instant,
        may_refresh: bool,
    ) -> Acquire {
        if let Some(wait) = self.wait_for_flight(instant, true) {
            return if may_refresh { wait } else { Acquire::Missing };
        }
        let Some(tokens) = &self.tokens else {
            return Acquire::Missing;
        };
        if self.generation != generation {
            return Acquire::Use {
                token: tokens.access_token.clone(),
                header: self.header.clone(),
                generation: self.generation,
            };
        }
        match tokens.refresh_token.clone() {
            Some(refresh) if may_refresh => self.begin(refresh, instant),
            _ => Acquire::Missing,
        }
    }

    /// Ends refresh `epoch`, started from `generation`. New tokens are stored only when
    /// the tokens did not change since the refresh started; returns true when they were.
    /// A failure is recorded for the calls that waited (never cached beyond them).
    pub fn finish(&mut self, epoch: u64, generation: u64, result: Result<Tokens, Error>) -> bool {
        let current = self.in_flight.is_some_and(|f| f.epoch == epoch);
        if current {
            self.in_flight = None;
        }
        match result {
            Ok(tokens) if self.generation == generation => {
                // Also supersedes a refresh that took this one over past its lease.
                self.set(Some(tokens));
                true
            }
            Ok(_) => false,
            Err(e) => {
                if current {
                    self.last_failure = Some((epoch, e));
                }
                false
            }
        }
    }

    /// The owner of refresh `epoch` went away before it settled (a dropped call). The
    /// refresh is no longer in flight; its waiters acquire again and one of them
    /// refreshes. Returns true when `epoch` was the refresh in flight.
    pub fn abandon(&mut self, epoch: u64) -> bool {
        if self.in_flight.is_some_and(|f| f.epoch == epoch) {
            self.in_flight = None;
            true
        } else {
            false
        }
    }

    /// Called by the owner of refresh `epoch` as it sends the refresh: true when the
    /// refresh is still its own (not cancelled by a set, not taken over past its lease),
    /// and then its lease starts again from `instant`.
    pub fn confirm(&mut self, epoch: u64, instant: Instant) -> bool {
        match self.in_flight.as_mut() {
            Some(f) if f.epoch == epoch => {
                f.lease_until = instant.checked_add(self.lease);
                true
            }
            _ => false,
        }
    }

    /// How refresh `epoch` ended, for a call that waited for it, at `instant`.
    pub fn outcome(&self, epoch: u64, instant: Instant) -> RefreshOutcome {
        if let Some(f) = self.in_flight.filter(|f| f.epoch == epoch) {
            if f.lease_until.is_none_or(|until| instant < until) {
                return RefreshOutcome::InFlight(f.lease_until);
            }
        }
        match &self.last_failure {
            Some((failed, e)) if *failed == epoch => RefreshOutcome::Failed(e.clone()),
            _ => RefreshOutcome::Settled,
        }
    }

    /// Decides, for the owner of refresh `epoch` (started from `generation`), what the
    /// tokens re-read from a coordinating store under its refresh lock change.
    /// `written` is the newest generation this client had written to the store when it
    /// read it: when it is older than the current generation, a local change is still
    /// on its way to the store and the store's content is not newer than memory.
    ///
    /// Tokens in the store that differ from memory came from another client: they are
    /// adopted (bumping the generation). When they are usable now, no refresh is sent.
    pub fn reload(
        &mut self,
        epoch: u64,
        generation: u64,
        stored: Option<Tokens>,
        written: u64,
        wall: Timestamp,
        instant: Instant,
    ) -> Reload {
        if self.in_flight.is_none_or(|f| f.epoch != epoch) || self.generation != generation {
            return Reload::Gone;
        }
        let newer =
            stored.filter(|s| written == self.generation && Some(s) != self.tokens.as_ref());
        if let Some(stored) = newer {
            self.set(Some(stored));
            if !self.refresh_due(wall) {
                return Reload::Adopted;
            }
            // The store's tokens are due too: refresh them, with the store's (newest)
            // refresh token, as the owner of a fresh flight.
            self.begin_with_epoch(epoch, instant);
        } else if let Some(f) = self.in_flight.as_mut() {
            // Waiting for the lock does not count against the lease.
            f.lease_until = instant.checked_add(self.lease);
        }
        match self.tokens.as_ref().and_then(|t| t.refresh_token.clone()) {
            Some(refresh_token) => Reload::Proceed {
                refresh_token,
                generation: self.generation,
            },
            None => {
                self.in_flight = None;
                Reload::Gone
            }
        }
    }

    /// Returns the wait for a refresh in flight; takes over one past its lease.
    fn wait_for_flight(&mut self, instant: Instant, may_wait: bool) -> Option<Acquire> {
        let flight = self.in_flight?;
        if flight.lease_until.is_some_and(|until| instant >= until) {
            // The owner went quiet past its lease: the refresh is up for grabs.
            self.in_flight = None;
            return None;
        }
        (may_wait || self.tokens.is_none()).then_some(Acquire::Wait {
            epoch: flight.epoch,
            until: flight.lease_until,
        })
    }

    /// True when the current tokens are due for refresh at `wall`.
    fn refresh_due(&mut self, wall: Timestamp) -> bool {
        let Some(expires_at) = self.tokens.as_ref().and_then(|t| t.expires_at) else {
            return false;
        };
        let skew = self.skew;
        let at = *self.refresh_at.get_or_insert_with(|| {
            // Never more than half the lifetime left at the first look.
            let remaining = expires_at.duration_since(wall);
            expires_at.saturating_sub(skew.min(remaining / 2))
        });
        wall >= at
    }

    fn begin(&mut self, refresh_token: Secret, instant: Instant) -> Acquire {
        self.epoch += 1;
        self.begin_with_epoch(self.epoch, instant);
        Acquire::Refresh {
            refresh_token,
            epoch: self.epoch,
            generation: self.generation,
        }
    }

    fn begin_with_epoch(&mut self, epoch: u64, instant: Instant) {
        self.in_flight = Some(InFlight {
            epoch,
            lease_until: instant.checked_add(self.lease),
        });
    }
}

/// Where a client keeps its tokens between calls and, for a persistent store, between
/// runs. Implementations must be cheap to call and safe to share between threads.
///
/// Both clients offer [`MemoryTokenStore`] (the default) and a `FileTokenStore`.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The stored tokens, if any.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store exists but cannot be read (a corrupt file).
    fn load(&self) -> Result<Option<Tokens>, Error>;

    /// Replaces the stored tokens.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when they cannot be written.
    fn save(&self, tokens: &Tokens) -> Result<(), Error>;

    /// Forgets the stored tokens.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when they cannot be removed.
    fn clear(&self) -> Result<(), Error>;

    /// True when other clients (other processes, other machines) share this store, so
    /// a refresh must be coordinated with them through [`TokenStore::lock_refresh`].
    /// The default, for stores private to one client, is `false`.
    fn coordinates_refresh(&self) -> bool {
        false
    }

    /// Takes the store-wide refresh lock, waiting until it is free.
    ///
    /// A client that must refresh, on a store that [coordinates
    /// refreshes](TokenStore::coordinates_refresh), holds this lock across three steps:
    /// it re-reads the store with [`TokenStore::load`]; if it finds tokens newer than its
    /// own it uses them and sends no refresh; otherwise it sends the refresh and saves
    /// the result. Then it drops the [`RefreshLock`]. So however many clients share the
    /// store, one refresh serves them all and a rotating refresh token is never sent
    /// twice.
    ///
    /// The contract for implementations (a file lock, a database row lock, a Redis lock
    /// with an expiry all fit):
    /// - at most one holder at a time among all clients sharing the store;
    /// - the lock is released when the returned guard is dropped, and also when its
    ///   holder dies (a process killed mid-refresh must not lock the others out for
    ///   good; a lock with an expiry is enough);
    /// - waiting is bounded: past a limit of the store's choosing, return
    ///   [`Error::TokenStore`] instead of blocking forever.
    ///
    /// The default does nothing and returns at once.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the lock cannot be taken.
    fn lock_refresh(&self) -> Result<RefreshLock, Error> {
        Ok(RefreshLock::none())
    }
}

/// A held [`TokenStore`] refresh lock: dropping it releases the lock.
pub struct RefreshLock {
    _guard: Option<Box<dyn Send>>,
}

impl RefreshLock {
    /// Wraps whatever releases the lock when dropped (a locked file, a connection).
    pub fn new(guard: impl Send + 'static) -> Self {
        Self {
            _guard: Some(Box::new(guard)),
        }
    }

    /// A lock that holds nothing, for stores that need no coordination.
    pub fn none() -> Self {
        Self { _guard: None }
    }
}

impl std::fmt::Debug for RefreshLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshLock")
            .field("held", &self._guard.is_some())
            .finish()
    }
}

/// Tokens kept in memory for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<Option<Tokens>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `tokens`.
    pub fn with_tokens(tokens: Tokens) -> Self {
        Self {
            tokens: std::sync::Mutex::new(Some(tokens)),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Tokens>> {
        // A panic while holding this lock cannot leave the Option half-written.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<Tokens>, Error> {
        Ok(self.slot().clone())
    }

    fn save(&self, tokens: &Tokens) -> Result<(), Error> {
        *self.slot() = Some(tokens.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), Error> {
        *self.slot() = None;
        Ok(())
    }
}

/// Encodes tokens as the file token store's JSON record (pretty-printed, four keys).
pub fn encode_token_file(tokens: &Tokens) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(tokens).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Decodes the file token store's JSON record.
///
/// # Errors
/// [`Error::TokenStore`] naming what is wrong (never the token values).
pub fn decode_token_file(bytes: &[u8]) -> Result<Tokens, Error> {
    crate::envelope::decode_str::<Tokens>(
        "token_store",
        ".",
        std::str::from_utf8(bytes)
            .map_err(|e| StoreError::with_source("the token file is not UTF-8", e))?,
    )
    .map_err(|e| StoreError::with_source(format!("the token file is corrupt: {e}"), e).into())
}

/// The `Authorization` header value for `token` (`Bearer ..`, marked sensitive so that
/// HTTP libraries leave it out of their logs); `None` when the token holds characters a
/// header cannot carry.
pub fn bearer_header(token: &Secret) -> Option<HeaderValue> {
    // The formatted string becomes the header's bytes, without a second copy.
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose())).ok()?;
    value.set_sensitive(true);
    Some(value)
}
