//! Tokens and the refresh state machine.
//!
//! [`TokenManager`] holds the current [`Tokens`] and decides, for every call that needs
//! a bearer token, whether to use the stored one, to refresh it first, or to wait for a
//! refresh another call already started. Exactly one refresh runs at a time
//! (single-flight); callers that meet it wait and then use its result. A failed refresh
//! is reported to the calls that waited for it and is never cached: the next call that
//! needs a token tries again.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;
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
    pub fn at(self, now: Timestamp) -> Tokens {
        Tokens {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_at: self
                .expires_in
                .map(|s| now.saturating_add(Duration::from_secs(s))),
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
        /// The token generation it belongs to.
        generation: u64,
    },
    /// This call must refresh first, with this refresh token; it owns refresh `epoch`.
    Refresh {
        /// The refresh token to send.
        refresh_token: Secret,
        /// The refresh attempt this call owns.
        epoch: u64,
    },
    /// Another call is refreshing; wait for refresh `epoch` to settle.
    Wait {
        /// The refresh attempt to wait for.
        epoch: u64,
    },
    /// No token is stored.
    Missing,
}

/// How a refresh a call waited for ended.
#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    /// Still running.
    InFlight,
    /// It succeeded (or was superseded); acquire again.
    Settled,
    /// It failed with this error.
    Failed(Error),
}

/// The token state shared by every call of one client. Pure: no clock, no IO.
#[derive(Debug, Clone, Default)]
pub struct TokenManager {
    tokens: Option<Tokens>,
    generation: u64,
    /// The newest refresh attempt; `in_flight` says whether it is still running.
    epoch: u64,
    in_flight: bool,
    /// The epoch of the last failed refresh, with its error.
    last_failure: Option<(u64, Error)>,
    skew: Duration,
}

impl TokenManager {
    /// A manager that refreshes `skew` before expiry.
    pub fn new(skew: Duration) -> Self {
        Self {
            skew,
            ..Self::default()
        }
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
        self.in_flight
    }

    /// Replaces the tokens (sign-in, logout, loading a store).
    pub fn set(&mut self, tokens: Option<Tokens>) {
        self.tokens = tokens;
        self.generation += 1;
    }

    /// Decides what a call that needs a bearer token does at wall time `now`.
    pub fn acquire(&mut self, now: Timestamp) -> Acquire {
        if self.in_flight {
            return Acquire::Wait { epoch: self.epoch };
        }
        let Some(tokens) = &self.tokens else {
            return Acquire::Missing;
        };
        if tokens.expires_within(now, self.skew) {
            if let Some(refresh) = tokens.refresh_token.clone() {
                return self.begin(refresh);
            }
        }
        Acquire::Use {
            token: tokens.access_token.clone(),
            generation: self.generation,
        }
    }

    /// Decides what a call does after a 401 for the token of `generation`: use a newer
    /// token if one arrived meanwhile, else refresh (or wait for the running refresh).
    /// `Missing` when there is nothing to refresh with.
    pub fn on_unauthorized(&mut self, generation: u64) -> Acquire {
        if self.in_flight {
            return Acquire::Wait { epoch: self.epoch };
        }
        let Some(tokens) = &self.tokens else {
            return Acquire::Missing;
        };
        if self.generation != generation {
            return Acquire::Use {
                token: tokens.access_token.clone(),
                generation: self.generation,
            };
        }
        match tokens.refresh_token.clone() {
            Some(refresh) => self.begin(refresh),
            None => Acquire::Missing,
        }
    }

    /// Ends refresh `epoch`: stores the new tokens, or records the failure for the
    /// calls that waited. A stale epoch is ignored.
    pub fn finish(&mut self, epoch: u64, result: Result<Tokens, Error>) {
        if !self.in_flight || epoch != self.epoch {
            return;
        }
        self.in_flight = false;
        match result {
            Ok(tokens) => {
                self.last_failure = None;
                self.set(Some(tokens));
            }
            Err(e) => self.last_failure = Some((epoch, e)),
        }
    }

    /// How refresh `epoch` ended, for a call that waited for it.
    pub fn outcome(&self, epoch: u64) -> RefreshOutcome {
        if self.in_flight && epoch == self.epoch {
            return RefreshOutcome::InFlight;
        }
        match &self.last_failure {
            Some((failed, e)) if *failed == epoch => RefreshOutcome::Failed(e.clone()),
            _ => RefreshOutcome::Settled,
        }
    }

    fn begin(&mut self, refresh_token: Secret) -> Acquire {
        self.epoch += 1;
        self.in_flight = true;
        Acquire::Refresh {
            refresh_token,
            epoch: self.epoch,
        }
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
            .map_err(|_| Error::TokenStore("the token file is not UTF-8".to_owned()))?,
    )
    .map_err(|e| Error::TokenStore(format!("the token file is corrupt: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_seconds(s).unwrap()
    }

    fn expired() -> Tokens {
        Tokens::new("at_old")
            .with_refresh_token("rt_old")
            .with_expires_at(t(100))
    }

    #[test]
    fn fresh_tokens_are_used() {
        let mut m = TokenManager::new(Duration::from_secs(30));
        m.set(Some(Tokens::new("at").with_expires_at(t(1000))));
        assert!(matches!(m.acquire(t(100)), Acquire::Use { .. }));
    }

    #[test]
    fn expired_tokens_refresh_once_and_others_wait() {
        let mut m = TokenManager::new(Duration::from_secs(30));
        m.set(Some(expired()));
        let Acquire::Refresh { epoch, .. } = m.acquire(t(200)) else {
            panic!()
        };
        assert_eq!(m.acquire(t(200)), Acquire::Wait { epoch });
        assert!(matches!(m.outcome(epoch), RefreshOutcome::InFlight));
        m.finish(epoch, Ok(Tokens::new("at_new").with_expires_at(t(5000))));
        assert!(matches!(m.outcome(epoch), RefreshOutcome::Settled));
        match m.acquire(t(200)) {
            Acquire::Use { token, .. } => assert_eq!(token.expose(), "at_new"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refresh_within_skew_and_not_before() {
        let mut m = TokenManager::new(Duration::from_secs(30));
        m.set(Some(
            Tokens::new("a")
                .with_refresh_token("r")
                .with_expires_at(t(1000)),
        ));
        assert!(matches!(m.acquire(t(969)), Acquire::Use { .. }));
        assert!(matches!(m.acquire(t(970)), Acquire::Refresh { .. }));
    }

    #[test]
    fn a_failed_refresh_is_reported_to_waiters_and_not_cached() {
        let mut m = TokenManager::new(Duration::ZERO);
        m.set(Some(expired()));
        let Acquire::Refresh { epoch, .. } = m.acquire(t(200)) else {
            panic!()
        };
        m.finish(epoch, Err(Error::Misuse("boom")));
        assert!(matches!(m.outcome(epoch), RefreshOutcome::Failed(_)));
        // The next call tries again.
        assert!(matches!(m.acquire(t(200)), Acquire::Refresh { epoch: e, .. } if e == epoch + 1));
    }

    #[test]
    fn unauthorized_uses_a_newer_token_without_refreshing() {
        let mut m = TokenManager::new(Duration::ZERO);
        m.set(Some(Tokens::new("a").with_refresh_token("r")));
        let Acquire::Use { generation, .. } = m.acquire(t(0)) else {
            panic!()
        };
        m.set(Some(Tokens::new("b").with_refresh_token("r2")));
        assert!(
            matches!(m.on_unauthorized(generation), Acquire::Use { token, .. } if token.expose() == "b")
        );
        let g = m.generation();
        assert!(
            matches!(m.on_unauthorized(g), Acquire::Refresh { refresh_token, .. } if refresh_token.expose() == "r2")
        );
    }

    #[test]
    fn no_refresh_token_means_the_old_token_is_sent() {
        let mut m = TokenManager::new(Duration::ZERO);
        m.set(Some(Tokens::new("a").with_expires_at(t(1))));
        assert!(matches!(m.acquire(t(100)), Acquire::Use { .. }));
        let g = m.generation();
        assert_eq!(m.on_unauthorized(g), Acquire::Missing);
    }

    #[test]
    fn token_file_round_trips_and_rejects_garbage() {
        let t = expired();
        let bytes = encode_token_file(&t);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"access_token\"") && text.contains("\"expires_at\""));
        assert_eq!(decode_token_file(&bytes).unwrap(), t);
        for bad in [&b""[..], b"{", b"[]", b"{\"refresh_token\":\"x\"}", b"\xff"] {
            let e = decode_token_file(bad).unwrap_err();
            assert!(matches!(e, Error::TokenStore(_)));
        }
    }

    #[test]
    fn memory_store() {
        let s = MemoryTokenStore::new();
        assert_eq!(s.load().unwrap(), None);
        s.save(&expired()).unwrap();
        assert!(s.load().unwrap().is_some());
        s.clear().unwrap();
        assert_eq!(s.load().unwrap(), None);
    }

    #[test]
    fn debug_never_shows_tokens() {
        let s = format!("{:?}", expired());
        assert!(!s.contains("at_old") && !s.contains("rt_old"));
    }
}
