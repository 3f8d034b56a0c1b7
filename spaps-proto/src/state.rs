//! [`ClientState`]: what every call of one client shares, and [`Event`]s for the driver.

use std::collections::VecDeque;

use crate::config::Config;
use crate::retry::RetryBudget;
use crate::timestamp::Timestamp;
use crate::tokens::{Reload, TokenManager, TokenUpdate, Tokens};

/// Something the driver must act on after feeding a call.
///
/// Like [`Output`](crate::Output), it has exactly the variants a driver acts on, so a
/// driver matches it exhaustively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The tokens changed: persist them (`None`: clear the store). Generations only
    /// grow: a driver that persists from several threads writes an event only when its
    /// generation is newer than the last one written, so the store never goes back.
    TokensChanged {
        /// The token generation these tokens are.
        generation: u64,
        /// The tokens, `None` when they were cleared.
        tokens: Option<Tokens>,
    },
    /// A refresh ended, successfully or not: wake the calls that wait for it
    /// ([`crate::Output::AwaitRefresh`]).
    RefreshSettled,
}

/// The state one client shares between its calls: configuration, tokens, the retry
/// budget and the jitter source. Pure: a driver keeps it behind a lock and passes it
/// to [`Call::poll`](crate::Call::poll) and the `handle_*` methods.
#[derive(Debug)]
pub struct ClientState {
    config: Config,
    pub(crate) tokens: TokenManager,
    pub(crate) budget: RetryBudget,
    rng: u64,
    events: VecDeque<Event>,
    coordinated: bool,
}

impl ClientState {
    /// State for `config`. `seed` seeds the backoff jitter (draw it from a random
    /// source in production, fix it in tests).
    pub fn new(config: Config, seed: u64) -> Self {
        Self {
            tokens: TokenManager::new(config.refresh_skew())
                .with_lease(refresh_lease(config.timeout())),
            budget: RetryBudget::new(config.retry_budget()),
            config,
            rng: seed,
            events: VecDeque::new(),
            coordinated: false,
        }
    }

    /// Says whether the token store is shared with other clients, so that a call about
    /// to refresh first asks the driver to take the store's refresh lock and re-read it
    /// ([`crate::Output::ReloadStore`]). Drivers set it from
    /// [`TokenStore::coordinates_refresh`](crate::TokenStore::coordinates_refresh).
    pub fn coordinate_refreshes(&mut self, coordinated: bool) {
        self.coordinated = coordinated;
    }

    /// True when refreshes are coordinated through the token store.
    pub fn coordinates_refreshes(&self) -> bool {
        self.coordinated
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current tokens.
    pub fn tokens(&self) -> Option<&Tokens> {
        self.tokens.tokens()
    }

    /// The token manager (read-only).
    pub fn token_manager(&self) -> &TokenManager {
        &self.tokens
    }

    /// Tokens loaded from a store at start-up: set without an [`Event`].
    pub fn load_tokens(&mut self, tokens: Option<Tokens>) {
        self.tokens.set(tokens);
    }

    /// Replaces the tokens and emits [`Event::TokensChanged`] so the driver persists them.
    ///
    /// A refresh in flight is cancelled: its result will be dropped, and the calls that
    /// waited for it are woken ([`Event::RefreshSettled`]).
    pub fn set_tokens(&mut self, tokens: Option<Tokens>) {
        let cancelled = self.tokens.set(tokens.clone());
        self.changed(tokens);
        if cancelled {
            self.events.push_back(Event::RefreshSettled);
        }
    }

    /// The retry budget.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub(crate) fn apply(&mut self, update: TokenUpdate, now: Timestamp) {
        match update {
            TokenUpdate::Keep => {}
            TokenUpdate::Store(issued) => self.set_tokens(Some(issued.at(now))),
            TokenUpdate::Clear => self.set_tokens(None),
        }
    }

    pub(crate) fn refresh_done(
        &mut self,
        epoch: u64,
        generation: u64,
        result: Result<Tokens, crate::Error>,
    ) {
        let stored = result.as_ref().ok().cloned();
        if self.tokens.finish(epoch, generation, result) {
            self.changed(stored);
        }
        self.events.push_back(Event::RefreshSettled);
    }

    pub(crate) fn refresh_abandoned(&mut self, epoch: u64) {
        if self.tokens.abandon(epoch) {
            self.events.push_back(Event::RefreshSettled);
        }
    }

    pub(crate) fn reload(
        &mut self,
        epoch: u64,
        generation: u64,
        stored: Option<Tokens>,
        written: u64,
        now: crate::driver::Now,
    ) -> Reload {
        let before = self.tokens.generation();
        let reload = self
            .tokens
            .reload(epoch, generation, stored, written, now.wall, now.instant);
        if self.tokens.generation() != before {
            // Written back, so that the store's writer stays in step with generations.
            self.changed(self.tokens.tokens().cloned());
        }
        if !matches!(reload, Reload::Proceed { .. }) {
            self.events.push_back(Event::RefreshSettled);
        }
        reload
    }

    fn changed(&mut self, tokens: Option<Tokens>) {
        self.events.push_back(Event::TokensChanged {
            generation: self.tokens.generation(),
            tokens,
        });
    }

    /// A uniform sample in `[0, 1)` (splitmix64).
    pub(crate) fn jitter(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How long a refresh may run before a waiting call takes it over: two request
/// timeouts, at least a second and at most an hour.
fn refresh_lease(timeout: std::time::Duration) -> std::time::Duration {
    use std::time::Duration;
    timeout
        .saturating_mul(2)
        .clamp(Duration::from_secs(1), Duration::from_secs(3600))
}
