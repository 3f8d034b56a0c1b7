//! [`Config`]: where the client talks to and how.

use std::time::Duration;

use http::HeaderValue;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// The base URL used when none is given: a SPAPS server on this machine.
pub const DEFAULT_BASE_URL: &str = "http://localhost:3301";

/// The default time allowed for one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default overall deadline of one call: every attempt, retry backoff, and waiting
/// for (or running) a token refresh together. Six default request timeouts: room for
/// a refresh and the default three attempts with their backoff, and a bound on a call
/// that the default per-attempt timeout alone does not give.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest per-attempt timeout accepted: one hour. A longer one is refused with
/// [`Error::InvalidArgument`] (by [`Config::validate`], so by the client builders and
/// [`Config::from_env_with`]): no SPAPS call needs it, and a huge value such as
/// [`Duration::MAX`] overflows the deadline arithmetic of HTTP clients.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The `User-Agent` every request carries: `spaps-rs/<version>`.
pub const USER_AGENT: &str = concat!("spaps-rs/", env!("CARGO_PKG_VERSION"));

/// Client configuration. `Debug` never shows the API key.
///
/// ```
/// use std::time::Duration;
/// use spaps_proto::{Config, RetryPolicy};
/// let config = Config::new("https://api.example.com/spaps/")?
///     .with_api_key("spaps_live_123")
///     .with_timeout(Duration::from_secs(5))
///     .with_retry(RetryPolicy::disabled());
/// assert_eq!(config.base_url(), "https://api.example.com/spaps");
/// assert!(!format!("{config:?}").contains("spaps_live_123"));
/// # Ok::<(), spaps_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    api_key: Option<Secret>,
    /// The key as a (sensitive) header value, built once; `None` when the key holds
    /// characters a header cannot carry (each call then reports it).
    api_key_header: Option<HeaderValue>,
    timeout: Duration,
    retry: RetryPolicy,
    retry_budget: u32,
    user_agent: HeaderValue,
    max_response_bytes: usize,
    refresh_skew: Duration,
    call_timeout: Duration,
    /// The per-attempt timeout was set (by a setter or `SPAPS_REQUEST_TIMEOUT`), not
    /// left at its default: a caller-supplied HTTP client then gets it too.
    timeout_set: bool,
    /// Credentials may go over plain `http://` to a host that is not loopback.
    allow_insecure_http: bool,
}

impl Config {
    /// A configuration for `base_url` (an `http` or `https` URL; a path prefix such as
    /// `https://host/spaps` is kept, a trailing `/` dropped).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the URL does not parse, is not http(s), or
    /// carries a query, fragment or credentials.
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Ok(Self {
            base_url: normalize_base_url(base_url)?,
            api_key: None,
            api_key_header: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            retry_budget: 500,
            user_agent: HeaderValue::from_static(USER_AGENT),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            refresh_skew: Duration::from_secs(30),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            timeout_set: false,
            allow_insecure_http: false,
        })
    }

    /// Reads `SPAPS_API_URL`, `SPAPS_API_KEY` and `SPAPS_REQUEST_TIMEOUT` (seconds, may be
    /// fractional) through `var`, so the core itself reads no environment.
    /// An unset or empty variable keeps the default.
    ///
    /// ```
    /// use spaps_proto::Config;
    /// let env = |k: &str| match k {
    ///     "SPAPS_API_URL" => Some("https://api.example.com".to_owned()),
    ///     "SPAPS_REQUEST_TIMEOUT" => Some("2.5".to_owned()),
    ///     _ => None,
    /// };
    /// let config = Config::from_env_with(env)?;
    /// assert_eq!(config.timeout().as_millis(), 2500);
    /// # Ok::<(), spaps_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unusable URL or timeout.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let mut config = Config::new(get("SPAPS_API_URL").as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        if let Some(key) = get("SPAPS_API_KEY") {
            config = config.with_api_key(key);
        }
        if let Some(t) = get("SPAPS_REQUEST_TIMEOUT") {
            let secs: f64 = t
                .trim()
                .parse()
                .map_err(|_| Error::invalid("SPAPS_REQUEST_TIMEOUT", "not a number of seconds"))?;
            let timeout = Duration::try_from_secs_f64(secs).map_err(|_| {
                Error::invalid(
                    "SPAPS_REQUEST_TIMEOUT",
                    "must be a positive number of seconds",
                )
            })?;
            check_timeout("SPAPS_REQUEST_TIMEOUT", timeout)?;
            config = config.with_timeout(timeout);
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the settings that the setters take as given: the timeout must be more
    /// than zero and at most [`MAX_TIMEOUT`]. The client builders call it when they
    /// build; call it yourself when you drive the core with a `Config` of your own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use spaps_proto::{Config, Error};
    /// let config = Config::new("https://api.example.com")?;
    /// assert!(config.clone().with_timeout(Duration::from_secs(30)).validate().is_ok());
    /// for bad in [Duration::ZERO, Duration::MAX] {
    ///     let e = config.clone().with_timeout(bad).validate().unwrap_err();
    ///     assert!(matches!(e, Error::InvalidArgument { name: "timeout", .. }));
    /// }
    /// # Ok::<(), spaps_proto::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the setting.
    pub fn validate(&self) -> Result<(), Error> {
        check_timeout("timeout", self.timeout)
    }

    /// The same configuration for another base URL.
    ///
    /// # Errors
    /// As [`Config::new`].
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        self.base_url = normalize_base_url(base_url)?;
        Ok(self)
    }

    /// Sets the API key sent as `X-API-Key`.
    pub fn with_api_key(mut self, key: impl Into<Secret>) -> Self {
        let key = key.into();
        self.api_key_header = HeaderValue::from_str(key.expose()).ok().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        self.api_key = Some(key);
        self
    }

    /// Sets the time allowed for one attempt (connect, send and read): more than zero
    /// and at most [`MAX_TIMEOUT`], which [`Config::validate`] checks.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.timeout_set = true;
        self
    }

    /// Allows credentials (the API key, bearer tokens, passwords, refresh tokens) to go
    /// over plain `http://` to a host that is not this machine. Off by default: such a
    /// request fails with [`Error::InsecureTransport`] before anything is sent. Loopback
    /// hosts (`127.0.0.0/8`, `::1`, `localhost`) are always allowed.
    ///
    /// ```
    /// use spaps_proto::Config;
    /// let config = Config::new("http://spaps.internal:3301")?.with_api_key("k");
    /// assert_eq!(config.insecure_host(), Some("spaps.internal"));
    /// assert_eq!(config.with_insecure_http(true).insecure_host(), None);
    /// assert_eq!(Config::new("http://127.0.0.1:3301")?.insecure_host(), None);
    /// # Ok::<(), spaps_proto::Error>(())
    /// ```
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// True when [`Config::with_insecure_http`] was set.
    pub fn insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// The host that credentials would reach in clear: `Some` when the base URL is
    /// `http://` to a host that is not loopback and plain HTTP was not allowed.
    pub fn insecure_host(&self) -> Option<&str> {
        if self.allow_insecure_http {
            return None;
        }
        let rest = self.base_url.strip_prefix("http://")?;
        let authority = rest.split('/').next().unwrap_or(rest);
        let host = crate::host::host_of_authority(authority);
        (!crate::host::is_loopback_host(host)).then_some(host)
    }

    /// True when the per-attempt timeout was set explicitly (a setter or
    /// `SPAPS_REQUEST_TIMEOUT`) rather than left at [`DEFAULT_TIMEOUT`]. A client
    /// given an HTTP client of your own applies the SDK's timeout only then.
    pub fn timeout_is_set(&self) -> bool {
        self.timeout_set
    }

    /// True when the `User-Agent` is the SDK's default (no
    /// [`Config::with_user_agent_suffix`]). A client given an HTTP client of your own then
    /// lets that client's `User-Agent` stand.
    pub fn user_agent_is_default(&self) -> bool {
        self.user_agent.as_bytes() == USER_AGENT.as_bytes()
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the capacity of the client-wide retry budget (see [`crate::retry::RetryBudget`]).
    pub fn with_retry_budget(mut self, tokens: u32) -> Self {
        self.retry_budget = tokens;
        self
    }

    /// Appends `product` (e.g. `my-service/1.2`) to the `User-Agent`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when it holds characters a header cannot carry.
    pub fn with_user_agent_suffix(mut self, product: &str) -> Result<Self, Error> {
        self.user_agent = HeaderValue::from_str(&format!("{USER_AGENT} {product}"))
            .map_err(|_| Error::invalid("user_agent", "not a valid header value"))?;
        Ok(self)
    }

    /// Sets the largest response body accepted, in bytes.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Sets how long before expiry the access token is refreshed.
    pub fn with_refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = skew;
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key, when set.
    pub fn api_key(&self) -> Option<&Secret> {
        self.api_key.as_ref()
    }

    /// The API key's header value, when the key is set and a header can carry it.
    pub(crate) fn api_key_header(&self) -> Option<&HeaderValue> {
        self.api_key_header.as_ref()
    }

    /// Sets the overall deadline of each call (default [`DEFAULT_CALL_TIMEOUT`]): past
    /// it, a call ends with [`Error::DeadlineExceeded`], whatever it was doing (an
    /// attempt, a backoff, a token refresh or waiting for one). A request can override
    /// it with `.call_timeout(..)`.
    pub fn with_call_timeout(mut self, limit: Duration) -> Self {
        self.call_timeout = limit;
        self
    }

    /// The overall deadline of each call.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The retry budget capacity.
    pub fn retry_budget(&self) -> u32 {
        self.retry_budget
    }

    /// The `User-Agent` header value.
    pub fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }

    /// The response body cap, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// How long before expiry tokens are refreshed.
    pub fn refresh_skew(&self) -> Duration {
        self.refresh_skew
    }
}

fn check_timeout(name: &'static str, timeout: Duration) -> Result<(), Error> {
    if timeout.is_zero() {
        return Err(Error::invalid(name, "must be more than zero"));
    }
    if timeout > MAX_TIMEOUT {
        return Err(Error::invalid(
            name,
            format!(
                "must be at most {} seconds (one hour)",
                MAX_TIMEOUT.as_secs()
            ),
        ));
    }
    Ok(())
}

fn normalize_base_url(raw: &str) -> Result<String, Error> {
    let url = url::Url::parse(raw.trim()).map_err(|e| Error::invalid("base_url", e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "base_url",
            "the scheme must be http or https",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            "must not carry a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid("base_url", "must not carry credentials"));
    }
    if url.host_str().is_none() {
        return Err(Error::invalid("base_url", "has no host"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_path_prefix_and_drops_trailing_slash() {
        assert_eq!(
            Config::new("https://h/spaps/").unwrap().base_url(),
            "https://h/spaps"
        );
        assert_eq!(
            Config::new("http://localhost:3301").unwrap().base_url(),
            "http://localhost:3301"
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "",
            "ftp://h",
            "https://h/?q=1",
            "https://u:p@h",
            "not a url",
        ] {
            assert!(Config::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_defaults_and_errors() {
        let c = Config::from_env_with(|_| None).unwrap();
        assert_eq!(c.base_url(), DEFAULT_BASE_URL);
        assert!(c.api_key().is_none());
        assert_eq!(c.timeout(), DEFAULT_TIMEOUT);
        for bad in ["abc", "-1", "0", "NaN", "inf"] {
            let r =
                Config::from_env_with(|k| (k == "SPAPS_REQUEST_TIMEOUT").then(|| bad.to_owned()));
            assert!(r.is_err(), "{bad}");
        }
    }

    /// `1e19` seconds parses into a `Duration` but panicked inside ureq; anything over
    /// [`MAX_TIMEOUT`] is refused, anything up to it kept.
    #[test]
    fn env_timeout_is_bounded() {
        let env = |value: &'static str| {
            Config::from_env_with(move |k| (k == "SPAPS_REQUEST_TIMEOUT").then(|| value.into()))
        };
        for bad in [
            "1e19",
            "18446744073709551615",
            "3600.001",
            "-0",
            "-1e-9",
            "0.0",
            "-inf",
        ] {
            match env(bad) {
                Err(Error::InvalidArgument { name, .. }) => {
                    assert_eq!(name, "SPAPS_REQUEST_TIMEOUT", "{bad}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert_eq!(env("3600").unwrap().timeout(), MAX_TIMEOUT);
        assert_eq!(env("0.001").unwrap().timeout(), Duration::from_millis(1));
        let message = env("1e19").unwrap_err().to_string();
        assert!(message.contains("at most 3600 seconds"), "{message}");
    }

    #[test]
    fn validate_checks_the_timeout() {
        let c = Config::new("https://h").unwrap();
        assert!(c.validate().is_ok());
        assert!(c.clone().with_timeout(MAX_TIMEOUT).validate().is_ok());
        for bad in [
            Duration::ZERO,
            MAX_TIMEOUT + Duration::from_nanos(1),
            Duration::MAX,
        ] {
            assert!(
                matches!(
                    c.clone().with_timeout(bad).validate(),
                    Err(Error::InvalidArgument {
                        name: "timeout",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
