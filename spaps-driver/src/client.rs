//! [`Client`] and [`ClientBuilder`]: the one SPAPS client, written once over a
//! [`Runtime`] (what an adapter provides: its transport, its way of waiting, its drive
//! loop). `spaps_tokio::Client` and `spaps_blocking::Client` are this type with their
//! runtime. The two are one module because each names the other.

use std::collections::hash_map::RandomState;
use std::fmt::Debug;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use spaps_proto::intercept::Interceptor;
use spaps_proto::{
    api, Clock, Config, Error, Execute, Machine, Now, RetryPolicy, Secret, TokenStore, Tokens,
};

use crate::clock::SystemClock;
use crate::shared::{ClientOptions, Shared};
use crate::tls::{NetOptions, TlsBackend};

/// A way to run SPAPS calls: an async runtime (`spaps_tokio::Tokio`) or plain threads
/// (`spaps_blocking::Blocking`). [`Client<R>`](Client) and
/// [`ClientBuilder<R>`](crate::ClientBuilder) are written once over it; an adapter
/// crate implements it and names the client with a type alias.
///
/// A value of the runtime is the per-client part only the adapter knows: its HTTP
/// transport, its sleeper and the signal that wakes calls waiting for a refresh.
pub trait Runtime: Debug + Send + Sync + Sized + 'static {
    /// The HTTP client a caller may pass instead of the one the SDK builds
    /// ([`ClientBuilder::http_client`](crate::ClientBuilder::http_client)).
    type Http: Debug + Send + Sync + 'static;

    /// How calls wait for retry backoffs (a trait object of the adapter's sleeper
    /// trait), replaceable in tests
    /// ([`ClientBuilder::sleeper`](crate::ClientBuilder::sleeper)).
    type Sleeper: ?Sized + Debug + Send + Sync + 'static;

    /// What a call gives back: a future of the result, or the result.
    type Outcome<'a, T: Send + 'static>;

    /// Builds the runtime's part of a client for `config` and `net`, with the caller's
    /// HTTP client and sleeper when given.
    ///
    /// # Errors
    /// A bad TLS, proxy or HTTP-client setting.
    fn new(
        config: &Config,
        net: &NetOptions,
        http: Option<Self::Http>,
        sleeper: Option<Arc<Self::Sleeper>>,
    ) -> Result<Self, Error>;

    /// Runs the machine `start` builds on `client` to completion.
    fn run<M, F>(client: &Client<Self>, start: F) -> Self::Outcome<'_, M::Output>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static;

    /// Replaces the client's tokens (`None` clears them) and persists the change.
    fn replace_tokens(client: &Client<Self>, tokens: Option<Tokens>) -> Self::Outcome<'_, ()>;

    /// Wakes the calls waiting for a token refresh to settle.
    fn wake_waiters(&self);

    /// How many times [`Runtime::wake_waiters`] has run. A call reads it before each
    /// poll ([`CallGuard::seen`](crate::CallGuard::seen)) and, told to await a refresh,
    /// waits until it moves past that reading: a refresh that settles between the poll
    /// and the wait is not missed. Read on every step of every call, so it should be a
    /// plain atomic load.
    fn settled_count(&self) -> u64;
}

/// A SPAPS client on runtime `R`. Cheap to clone; clones share tokens and connections.
///
/// Use it through its adapter's alias: `spaps_tokio::Client` (every call is a future:
/// `.await` it) or `spaps_blocking::Client` (every call blocks: `.send()` it). Every
/// operation is reached through a group accessor ([`Client::auth`],
/// [`Client::sessions`], ...) and returns the endpoint's own type bound to the client
/// ([`Bound`](spaps_proto::Bound)), whose methods set its optional arguments.
pub struct Client<R: Runtime> {
    inner: Arc<Inner<R>>,
}

#[derive(Debug)]
struct Inner<R> {
    shared: Shared,
    runtime: R,
}

impl<R: Runtime> Clone for Client<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("shared", &self.inner.shared)
            .field("runtime", &self.inner.runtime)
            .finish()
    }
}

impl<R: Runtime> Client<R> {
    /// A builder, starting from the defaults (`http://localhost:3301`, no API key).
    pub fn builder() -> ClientBuilder<R> {
        ClientBuilder::new()
    }

    /// A client configured from `SPAPS_API_URL`, `SPAPS_API_KEY` and
    /// `SPAPS_REQUEST_TIMEOUT`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unusable value.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// A client for `config` with the default token store.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(config: Config) -> Result<Self, Error> {
        ClientBuilder::new().config(config).build()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.shared.config()
    }

    /// The tokens in use, if any.
    pub fn tokens(&self) -> Option<Tokens> {
        self.inner.shared.tokens()
    }

    /// Uses and stores `tokens` (e.g. obtained elsewhere). A refresh in flight is
    /// cancelled: its result will not overwrite these tokens. (The async client writes
    /// the store on a blocking thread.)
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub fn set_tokens(&self, tokens: Tokens) -> R::Outcome<'_, ()> {
        R::replace_tokens(self, Some(tokens))
    }

    /// Uses and stores `tokens` with their access token expiring `expires_in` from now
    /// (the client's clock): the reference's `set_tokens(.., expires_in=..)`, without
    /// computing a timestamp by hand.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot save them.
    pub fn set_tokens_expiring_in(
        &self,
        tokens: Tokens,
        expires_in: Duration,
    ) -> R::Outcome<'_, ()> {
        let now = self.inner.shared.now().wall;
        self.set_tokens(tokens.with_expires_in(expires_in, now))
    }

    /// Forgets the tokens, in memory and in the store. A refresh in flight is
    /// cancelled: its result will not sign the client back in.
    ///
    /// # Errors
    /// [`Error::TokenStore`] when the store cannot clear them.
    pub fn clear_tokens(&self) -> R::Outcome<'_, ()> {
        R::replace_tokens(self, None)
    }

    /// Sign-in, registration, password reset, the current user and logout.
    pub fn auth(&self) -> api::auth::AuthApi<'_, Self> {
        api::auth::AuthApi::new(self)
    }

    /// The signed-in user's sessions.
    pub fn sessions(&self) -> api::sessions::SessionsApi<'_, Self> {
        api::sessions::SessionsApi::new(self)
    }

    /// Device-code login (RFC 8628) for CLIs.
    pub fn device_flow(&self) -> api::device_flow::DeviceFlowApi<'_, Self> {
        api::device_flow::DeviceFlowApi::new(self)
    }

    /// Payments and Stripe checkout: checkout sessions, payment intents, subscriptions, guest checkout, history, the product catalog.
    pub fn payments(&self) -> api::payments::PaymentsApi<'_, Self> {
        api::payments::PaymentsApi::new(self)
    }

    /// Crypto invoices and reconciliation.
    pub fn crypto(&self) -> api::crypto::CryptoApi<'_, Self> {
        api::crypto::CryptoApi::new(self)
    }

    /// Usage metering: features, recording, history.
    pub fn usage(&self) -> api::usage::UsageApi<'_, Self> {
        api::usage::UsageApi::new(self)
    }

    /// The application's whitelist.
    pub fn whitelist(&self) -> api::whitelist::WhitelistApi<'_, Self> {
        api::whitelist::WhitelistApi::new(self)
    }

    /// Secure messages between patients and practitioners.
    pub fn secure_messages(&self) -> api::secure_messages::SecureMessagesApi<'_, Self> {
        api::secure_messages::SecureMessagesApi::new(self)
    }

    /// Issue reports.
    pub fn issue_reporting(&self) -> api::issue_reporting::IssueReportingApi<'_, Self> {
        api::issue_reporting::IssueReportingApi::new(self)
    }

    /// Metrics, health and readiness (no credentials).
    pub fn metrics(&self) -> api::metrics::MetricsApi<'_, Self> {
        api::metrics::MetricsApi::new(self)
    }

    /// Support telemetry: events and cases.
    pub fn support_telemetry(&self) -> api::support_telemetry::SupportTelemetryApi<'_, Self> {
        api::support_telemetry::SupportTelemetryApi::new(self)
    }

    /// Entitlements: checks, history, claims, grants, revocation.
    pub fn entitlements(&self) -> api::entitlements::EntitlementsApi<'_, Self> {
        api::entitlements::EntitlementsApi::new(self)
    }

    /// Email sending, templates, overrides and logs.
    pub fn email(&self) -> api::email::EmailApi<'_, Self> {
        api::email::EmailApi::new(self)
    }

    /// Batch user lookups.
    pub fn users(&self) -> api::users::UsersApi<'_, Self> {
        api::users::UsersApi::new(self)
    }

    /// Day-rate bookings.
    pub fn dayrate(&self) -> api::dayrate::DayrateApi<'_, Self> {
        api::dayrate::DayrateApi::new(self)
    }

    /// The state the client's calls share: for the runtime's drive loop.
    pub fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// The runtime's part of the client: for its drive loop.
    pub fn runtime(&self) -> &R {
        &self.inner.runtime
    }
}

impl<R: Runtime> Execute for Client<R> {
    type Outcome<'a, T: Send + 'static>
        = R::Outcome<'a, T>
    where
        Self: 'a;

    fn run<M, F>(&self, start: F) -> R::Outcome<'_, M::Output>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static,
    {
        R::run(self, start)
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder<R: Runtime> {
    options: ClientOptions,
    sleeper: Option<Arc<R::Sleeper>>,
    http: Option<R::Http>,
}

impl<R: Runtime> std::fmt::Debug for ClientBuilder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("options", &self.options)
            .field("sleeper", &self.sleeper)
            .field("http", &self.http)
            .finish()
    }
}

impl<R: Runtime> Default for ClientBuilder<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Runtime> ClientBuilder<R> {
    /// The defaults: `http://localhost:3301`, no API key, in-memory tokens.
    pub fn new() -> Self {
        Self {
            options: ClientOptions::default(),
            sleeper: None,
            http: None,
        }
    }

    /// Starts from `SPAPS_API_URL`, `SPAPS_API_KEY` and `SPAPS_REQUEST_TIMEOUT`; an
    /// unusable value fails [`Self::build`].
    pub fn from_env() -> Self {
        Self {
            options: ClientOptions::from_env_with(|k| std::env::var(k).ok()),
            ..Self::new()
        }
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: Config) -> Self {
        self.options.set_config(config);
        self
    }

    /// The SPAPS base URL (a path prefix is kept). An invalid URL fails the build.
    pub fn base_url(mut self, url: &str) -> Self {
        self.options.map_config(|c| c.with_base_url(url));
        self
    }

    /// The API key (`X-API-Key`).
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.options.map_config(|c| Ok(c.with_api_key(key)));
        self
    }

    /// The time allowed for one attempt (more than zero, at most
    /// [`MAX_TIMEOUT`](spaps_proto::MAX_TIMEOUT), one hour).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.map_config(|c| Ok(c.with_timeout(timeout)));
        self
    }

    /// The retry policy ([`RetryPolicy::disabled`](RetryPolicy::disabled)
    /// turns retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.options.map_config(|c| Ok(c.with_retry(policy)));
        self
    }

    /// The largest response body accepted (16 MiB by default).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.options
            .map_config(|c| Ok(c.with_max_response_bytes(bytes)));
        self
    }

    /// Where tokens are kept (default: in memory). Tokens already in the store are
    /// loaded by the build. Store calls are quick and synchronous.
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.options.set_store(Arc::new(store));
        self
    }

    /// A token store shared with other clients or code.
    pub fn shared_token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.options.set_store(store);
        self
    }

    /// The clock (default: the system clocks).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.options.set_clock(clock);
        self
    }

    /// The seed of the backoff jitter (default: random).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.options.set_seed(seed);
        self
    }

    /// Trusts the certificates in `pem` (one or more `CERTIFICATE` blocks) as roots,
    /// in addition to the platform's (see the README's "TLS and proxies"). A PEM with
    /// no certificate fails the build.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.options.net_mut().add_roots(pem.as_ref());
        self
    }

    /// A client certificate chain and its private key (PEM), presented to servers
    /// that ask for one (mutual TLS).
    pub fn identity_pem(mut self, chain_pem: impl AsRef<[u8]>, key_pem: impl AsRef<[u8]>) -> Self {
        self.options
            .net_mut()
            .set_identity(chain_pem.as_ref(), key_pem.as_ref());
        self
    }

    /// The TLS library (default: rustls when its feature is on).
    pub fn tls_backend(mut self, backend: TlsBackend) -> Self {
        self.options.net_mut().set_backend(backend);
        self
    }

    /// Sends every request through this proxy (`http://[user:password@]host:port`),
    /// instead of the one `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` name (`NO_PROXY`
    /// and loopback hosts excepted), which is the default.
    pub fn proxy(mut self, url: &str) -> Self {
        self.options
            .net_mut()
            .set_proxy(spaps_proto::net::ProxyChoice::Url(url.to_owned()));
        self
    }

    /// Uses no proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.options
            .net_mut()
            .set_proxy(spaps_proto::net::ProxyChoice::None);
        self
    }

    /// Allows credentials over plain `http://` to a host (or through a proxy) that is
    /// not this machine
    /// ([`Config::with_insecure_http`](Config::with_insecure_http)).
    /// Off by default: such a call fails with
    /// [`Error::InsecureTransport`](spaps_proto::Error::InsecureTransport)
    /// before anything is sent.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.options.map_config(|c| Ok(c.with_insecure_http(allow)));
        self
    }

    /// Adds an [`Interceptor`](Interceptor), run around every
    /// exchange (each attempt, and token refreshes) after those added before. See
    /// [`spaps_proto::intercept`](spaps_proto::intercept).
    pub fn interceptor(mut self, interceptor: Arc<dyn Interceptor>) -> Self {
        self.options.add_interceptor(interceptor);
        self
    }

    /// How retry backoffs wait (default: the runtime's timer, or the thread sleeps).
    /// Replace it in tests to avoid real sleeps.
    pub fn sleeper(mut self, sleeper: Arc<R::Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// An HTTP client of your own (a `reqwest::Client` for the async client, a
    /// `ureq::Agent` for the blocking one). It keeps its own timeout and `User-Agent`
    /// unless the SDK's are set too (`.timeout(..)`, `Config::with_user_agent_suffix`):
    /// then the SDK's win. Whatever it is configured to do, credentials never follow a
    /// redirect to another host (a reqwest client that may follow redirects is refused
    /// at build; a ureq agent is told per request not to), and the call's overall
    /// deadline and the response size limit apply. The TLS and proxy options configure
    /// the client the SDK builds, and cannot be combined with this.
    pub fn http_client(mut self, http: R::Http) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client and loads any stored tokens (a quick synchronous read).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad setting (an unreadable certificate, a
    /// proxy URL, a client of your own that follows redirects);
    /// [`Error::InsecureTransport`] for an `http://` base URL through a proxy on
    /// another machine; [`Error::TokenStore`] when the store holds tokens it cannot
    /// read; [`Error::Transport`] when no HTTP client can be built.
    pub fn build(self) -> Result<Client<R>, Error> {
        let config = self.options.config()?;
        let runtime = R::new(config, self.options.net(), self.http, self.sleeper)?;
        let shared = self.options.build(
            || Arc::new(SystemClock),
            || RandomState::new().hash_one(std::process::id()),
        )?;
        Ok(Client {
            inner: Arc::new(Inner { shared, runtime }),
        })
    }
}
