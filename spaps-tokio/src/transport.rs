//! Sending one `http::Request` with reqwest and reading the response within limits.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use spaps_proto::net::resolve_proxy;
use spaps_proto::{Config, Error, SendError, TransportError, TransportErrorKind};

use spaps_driver::tls::{is_tls_error, needs_tls, NetOptions, TlsBackend};

use crate::request_url::BaseUrl;

/// A reqwest client configured for SPAPS: no redirects, one timeout per exchange, the
/// SDK's TLS and proxy settings.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The per-attempt timeout the SDK applies: always for its own client; for a
    /// caller's client only when set explicitly (its own timeout stands otherwise).
    timeout: Option<Duration>,
    /// The timeout the reqwest client was built with, when the SDK built it: a
    /// request whose timeout is that one needs no timeout of its own (which reqwest
    /// keeps in a map allocated per request).
    built_with: Option<Duration>,
    /// The timeout reported by [`Error::Timeout`] when the client's own one fired.
    nominal_timeout: Duration,
    /// Drop the core's default `User-Agent`, so a caller's client sends its own.
    own_user_agent: bool,
    /// The base URL, parsed once for every request to it.
    base: BaseUrl,
    limit: usize,
}

impl Transport {
    pub(crate) fn new(config: &Config, net: &NetOptions) -> Result<Self, Error> {
        config.validate()?;
        let proxy = resolve_proxy(config, &net.proxy, |k| std::env::var(k).ok())?;
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout());
        let builder = match &proxy {
            Some(url) => builder.proxy(reqwest::Proxy::all(url.as_str()).map_err(|e| {
                Error::InvalidArgument {
                    name: "proxy",
                    reason: e.to_string(),
                }
            })?),
            None => builder.no_proxy(),
        };
        let builder = configure_tls(builder, net, needs_tls(config, proxy.as_deref()))?;
        let http = builder.build().map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                e.to_string(),
            ))
        })?;
        Ok(Self {
            http,
            timeout: Some(config.timeout()),
            built_with: Some(config.timeout()),
            nominal_timeout: config.timeout(),
            own_user_agent: false,
            base: BaseUrl::new(config.base_url()),
            limit: config.max_response_bytes(),
        })
    }

    /// A caller's reqwest client. It keeps its own timeout and `User-Agent` unless the
    /// SDK's were set explicitly; one that may follow redirects is refused, since it
    /// would carry the API key (which reqwest does not strip) to another host.
    pub(crate) fn with_client(
        http: reqwest::Client,
        config: &Config,
        net: &NetOptions,
    ) -> Result<Self, Error> {
        net.check_unused("http_client")?;
        if follows_redirects(&http) {
            return Err(Error::InvalidArgument {
                name: "http_client",
                reason: "the client follows redirects, which would carry the API key to \
                         another host: build it with `redirect(reqwest::redirect::Policy::none())`"
                    .to_owned(),
            });
        }
        Ok(Self {
            http,
            timeout: config.timeout_is_set().then(|| config.timeout()),
            built_with: None,
            nominal_timeout: config.timeout(),
            own_user_agent: config.user_agent_is_default(),
            base: BaseUrl::new(config.base_url()),
            limit: config.max_response_bytes(),
        })
    }

    /// Sends `request`, within the per-attempt timeout or `within` (what is left of
    /// the call's overall deadline), whichever is shorter.
    ///
    /// The request is converted and handed to reqwest before this returns; the future
    /// only awaits and reads the response, so it holds no copy of the request (it is
    /// kept inside every in-flight call's future, where its size is memory).
    pub(crate) fn send(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> impl std::future::Future<Output = Result<http::Response<Bytes>, SendError>> + Send + '_
    {
        let started = self.start(request, within);
        async move {
            let (pending, timeout, bound) = started?;
            match bound {
                // A caller's client with its own timeout: a per-request timeout would
                // replace it, so the call's overall deadline bounds the attempt here.
                Some(within) => tokio::time::timeout(within, self.read(pending, timeout))
                    .await
                    .unwrap_or(Err(SendError::Timeout(within))),
                None => self.read(pending, timeout).await,
            }
        }
    }

    /// Converts `request` and starts it on reqwest: the response future, the timeout a
    /// timeout error reports, and the bound the caller must still apply (only for a
    /// caller's client with its own timeout).
    #[allow(clippy::type_complexity)]
    fn start(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> Result<
        (
            impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send,
            Duration,
            Option<Duration>,
        ),
        SendError,
    > {
        crate::trace::record_server(request.uri());
        let mut request = request;
        if self.own_user_agent {
            request.headers_mut().remove(http::header::USER_AGENT);
        }
        let mut request = self.base.to_reqwest(request)?;
        Ok(match self.timeout {
            None => {
                let reported = within.unwrap_or(self.nominal_timeout);
                (self.http.execute(request), reported, within)
            }
            Some(own) => {
                let timeout = within.map_or(own, |w| w.min(own));
                if self.built_with != Some(timeout) {
                    *request.timeout_mut() = Some(timeout);
                }
                (self.http.execute(request), timeout, None)
            }
        })
    }

    /// Awaits the response and reads it within the size limit; `timeout` is what a
    /// timeout error reports.
    async fn read(
        &self,
        pending: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, SendError> {
        let mut response = pending
            .await
            .map_err(|e| map_error(e, TransportErrorKind::Send, timeout))?;
        if response
            .content_length()
            .is_some_and(|len| len > self.limit as u64)
        {
            return Err(SendError::ResponseTooLarge { limit: self.limit });
        }
        // A body that arrives in one chunk (the usual small JSON body) is kept as it
        // came; only a second chunk starts a buffer.
        let mut first: Option<Bytes> = None;
        let mut body = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| map_error(e, TransportErrorKind::Body, timeout))?
        {
            let received = first.as_ref().map_or(body.len(), Bytes::len);
            if received + chunk.len() > self.limit {
                return Err(SendError::ResponseTooLarge { limit: self.limit });
            }
            match first.take() {
                None if body.is_empty() => first = Some(chunk),
                Some(earlier) => {
                    body.reserve(earlier.len() + chunk.len());
                    body.extend_from_slice(&earlier);
                    body.extend_from_slice(&chunk);
                }
                None => body.extend_from_slice(&chunk),
            }
        }
        let mut out = http::Response::new(first.unwrap_or_else(|| body.freeze()));
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}

fn map_error(error: reqwest::Error, stage: TransportErrorKind, timeout: Duration) -> SendError {
    if error.is_timeout() {
        return SendError::Timeout(timeout);
    }
    let kind = if is_tls_error(&error) {
        TransportErrorKind::Tls
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else {
        stage
    };
    // The URL is left out: it may carry an email address in its path.
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::Transport(TransportError::new(kind, message).with_source(error))
}

/// Applies the TLS backend, roots and identity to a reqwest builder.
fn configure_tls(
    builder: reqwest::ClientBuilder,
    net: &NetOptions,
    tls: bool,
) -> Result<reqwest::ClientBuilder, Error> {
    match net.backend(cfg!(feature = "rustls"), cfg!(feature = "native-tls"))? {
        #[cfg(feature = "rustls")]
        TlsBackend::Rustls => Ok(
            builder.tls_backend_preconfigured(spaps_driver::tls::rustls_config(net, tls, true)?)
        ),
        #[cfg(feature = "native-tls")]
        TlsBackend::NativeTls => {
            let _ = tls;
            let invalid = |name: &'static str| {
                move |e: reqwest::Error| Error::InvalidArgument {
                    name,
                    reason: e.to_string(),
                }
            };
            let mut builder = builder.tls_backend_native();
            let roots = net.extra_roots()?;
            if !roots.is_empty() {
                let roots = roots
                    .iter()
                    .map(|der| reqwest::Certificate::from_der(der))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(invalid("root_certificates"))?;
                builder = builder.tls_certs_merge(roots);
            }
            if let Some((chain, key)) = &net.identity_pem {
                let identity =
                    reqwest::Identity::from_pkcs8_pem(chain, key).map_err(invalid("identity"))?;
                builder = builder.identity(identity);
            }
            Ok(builder)
        }
        #[allow(unreachable_patterns)]
        _ => {
            let _ = (builder, tls);
            Err(Error::Misuse(spaps_proto::Misuse::NoTlsBackend))
        }
    }
}

/// Whether a reqwest client may follow redirects. reqwest offers no accessor; its
/// `Debug` names the redirect policy whenever it is not the default (which follows up
/// to ten). A format this does not recognise counts as following: refused, not leaked.
fn follows_redirects(client: &reqwest::Client) -> bool {
    let described = format!("{client:?}");
    !(described.contains("Policy(None)") || described.contains("Policy(Limit(0))"))
}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    use super::*;

    #[test]
    fn redirect_policies_are_recognised() {
        let build = |p: Option<reqwest::redirect::Policy>| {
            let b = reqwest::Client::builder();
            let b = match p {
                Some(p) => b.redirect(p),
                None => b,
            };
            let tls =
                spaps_driver::tls::rustls_config(&NetOptions::default(), false, true).unwrap();
            b.tls_backend_preconfigured(tls).build().unwrap()
        };
        assert!(!follows_redirects(&build(Some(
            reqwest::redirect::Policy::none()
        ))));
        assert!(!follows_redirects(&build(Some(
            reqwest::redirect::Policy::limited(0)
        ))));
        assert!(follows_redirects(&build(None)));
        assert!(follows_redirects(&build(Some(
            reqwest::redirect::Policy::limited(3)
        ))));
        assert!(follows_redirects(&build(Some(
            reqwest::redirect::Policy::custom(|a| a.stop())
        ))));
    }
}
