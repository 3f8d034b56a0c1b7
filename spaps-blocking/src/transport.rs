//! Sending one `http::Request` with ureq and reading the response within limits.

use std::io::ErrorKind as IoKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use spaps_proto::net::resolve_proxy;
use spaps_proto::{Config, Error, SendError, TransportError, TransportErrorKind, MAX_TIMEOUT};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout,
    Transport as UreqTransport,
};

use crate::quiet;
use spaps_driver::tls::{is_tls_error, needs_tls, NetOptions, TlsBackend};

/// A ureq agent configured for SPAPS: no redirects, statuses returned as responses,
/// one timeout for the whole exchange, the SDK's TLS and proxy settings.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    /// The per-attempt timeout the SDK applies: always for its own agent; for a
    /// caller's agent only when set explicitly (its own timeout stands otherwise).
    timeout: Option<Duration>,
    /// The timeout reported by [`Error::Timeout`] when the agent's own one fired.
    nominal_timeout: Duration,
    /// A caller's agent: redirects and status handling are set per request.
    custom: bool,
    /// Drop the core's default `User-Agent`, so a caller's agent sends its own.
    own_user_agent: bool,
    limit: usize,
}

impl Transport {
    pub(crate) fn new(config: &Config, net: &NetOptions) -> Result<Self, Error> {
        let proxy = resolve_proxy(config, &net.proxy, |k| std::env::var(k).ok())?;
        let ureq_proxy = proxy
            .as_deref()
            .map(ureq::Proxy::new)
            .transpose()
            .map_err(|e| Error::InvalidArgument {
                name: "proxy",
                reason: e.to_string(),
            })?;
        let tls = tls_config(net, needs_tls(config, proxy.as_deref()))?;
        let ureq_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Validated by the builder; bounded here all the same, as ureq panics past it.
            .timeout_global(Some(config.timeout().min(MAX_TIMEOUT)))
            .proxy(ureq_proxy)
            .tls_config(tls)
            .build();
        let agent = ureq::Agent::with_parts(
            ureq_config,
            DefaultConnector::new().chain(ProbeWhenPooled),
            LiteralFirst::default(),
        );
        Ok(Self {
            agent,
            timeout: Some(config.timeout()),
            nominal_timeout: config.timeout(),
            custom: false,
            own_user_agent: false,
            limit: config.max_response_bytes(),
        })
    }

    /// A caller's agent. It keeps its own timeout and `User-Agent` unless the SDK's
    /// were set explicitly; redirects are never followed and statuses never turned into
    /// errors, whatever the agent says (set per request).
    pub(crate) fn with_agent(
        agent: ureq::Agent,
        config: &Config,
        net: &NetOptions,
    ) -> Result<Self, Error> {
        net.check_unused("http_client")?;
        Ok(Self {
            timeout: config
                .timeout_is_set()
                .then(|| config.timeout().min(MAX_TIMEOUT)),
            nominal_timeout: config.timeout(),
            custom: true,
            own_user_agent: config.user_agent_is_default(),
            limit: config.max_response_bytes(),
            agent,
        })
    }

    /// Sends `request`, within the per-attempt timeout or `within` (what is left of
    /// the call's overall deadline), whichever is shorter.
    pub(crate) fn send(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> Result<http::Response<Bytes>, SendError> {
        crate::trace::record_server(request.uri());
        // ureq's protocol layer logs every byte it writes and reads at TRACE (headers
        // with the API key and tokens, bodies with passwords): keep those records away
        // from `tracing` subscribers (and `log` records bridged into them).
        quiet::without_wire_dumps(|| self.exchange(request, within))
    }

    fn exchange(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> Result<http::Response<Bytes>, SendError> {
        let agent_timeout = if self.custom {
            self.agent.config().timeouts().global
        } else {
            self.timeout
        };
        let timeout = match (self.timeout.or(agent_timeout), within) {
            (Some(t), Some(w)) => Some(t.min(w)),
            (t, w) => t.or(w),
        };
        let reported = timeout.unwrap_or(self.nominal_timeout);
        let (mut parts, body) = request.into_parts();
        if self.own_user_agent {
            parts.headers.remove(http::header::USER_AGENT);
        }
        let request = http::Request::from_parts(parts, body.as_ref());
        let response = if self.custom {
            let request = self
                .agent
                .configure_request(request)
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(timeout)
                .build();
            self.agent.run(request)
        } else if timeout != self.timeout {
            let request = self
                .agent
                .configure_request(request)
                .timeout_global(timeout)
                .build();
            self.agent.run(request)
        } else {
            self.agent.run(request)
        }
        .map_err(|e| map_error(e, TransportErrorKind::Send, reported, self.limit))?;
        let (parts, mut body) = response.into_parts();
        if let Some(len) = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if len > self.limit as u64 {
                return Err(SendError::ResponseTooLarge { limit: self.limit });
            }
        }
        let bytes = body
            .with_config()
            .limit(self.limit as u64)
            .read_to_vec()
            .map_err(|e| map_error(e, TransportErrorKind::Body, reported, self.limit))?;
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }
}

/// ureq's TLS settings for `net`: the backend, the platform's roots plus the extra
/// ones (loaded only when `tls` connections are made), the client identity.
fn tls_config(net: &NetOptions, tls: bool) -> Result<ureq::tls::TlsConfig, Error> {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
    let backend = net.backend(cfg!(feature = "rustls"), cfg!(feature = "native-tls"))?;
    let extra = net.extra_roots()?;
    let to_ureq =
        |der: &rustls_pki_types::CertificateDer<'_>| Certificate::from_der(der).to_owned();
    let mut builder = TlsConfig::builder();
    builder = match backend {
        TlsBackend::NativeTls if extra.is_empty() => builder
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier),
        _ => {
            let mut roots: Vec<Certificate<'static>> = Vec::new();
            if tls {
                roots.extend(spaps_driver::tls::platform_roots().iter().map(to_ureq));
            }
            roots.extend(extra.iter().map(to_ureq));
            let builder = builder.root_certs(RootCerts::Specific(std::sync::Arc::new(roots)));
            match backend {
                TlsBackend::NativeTls => builder.provider(TlsProvider::NativeTls),
                _ => rustls_provider(builder.provider(TlsProvider::Rustls)),
            }
        }
    };
    if let (Some((chain, _)), Some((_, key_pem))) = (net.identity()?, &net.identity_pem) {
        let chain: Vec<_> = chain.iter().map(to_ureq).collect();
        let key = PrivateKey::from_pem(key_pem).map_err(|e| Error::InvalidArgument {
            name: "identity",
            reason: e.to_string(),
        })?;
        builder = builder.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(builder.build())
}

/// rustls on the `ring` provider, whatever the process default is.
#[cfg(feature = "rustls")]
fn rustls_provider(builder: ureq::tls::TlsConfigBuilder) -> ureq::tls::TlsConfigBuilder {
    builder.unversioned_rustls_crypto_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
}

#[cfg(not(feature = "rustls"))]
fn rustls_provider(builder: ureq::tls::TlsConfigBuilder) -> ureq::tls::TlsConfigBuilder {
    builder
}

fn map_error(
    error: ureq::Error,
    stage: TransportErrorKind,
    timeout: Duration,
    limit: usize,
) -> SendError {
    let kind = match &error {
        _ if is_tls(&error) => TransportErrorKind::Tls,
        ureq::Error::Timeout(_) => return SendError::Timeout(timeout),
        ureq::Error::BodyExceedsLimit(_) => return SendError::ResponseTooLarge { limit },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            IoKind::TimedOut | IoKind::WouldBlock => return SendError::Timeout(timeout),
            IoKind::ConnectionRefused | IoKind::AddrNotAvailable => TransportErrorKind::Connect,
            IoKind::UnexpectedEof if stage == TransportErrorKind::Send => TransportErrorKind::Send,
            _ => stage,
        },
        _ => stage,
    };
    let message = error.to_string();
    SendError::Transport(TransportError::new(kind, message).with_source(error))
}

/// True for a TLS failure: the handshake, the certificate, the client identity.
fn is_tls(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Tls(_) => true,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => true,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) => true,
        ureq::Error::Io(io) => is_tls_error(io),
        _ => false,
    }
}

/// ureq's resolver, except that an IP-literal host is resolved in place.
///
/// ureq resolves the host of every request, even one that then reuses a pooled
/// connection, and with a timeout set (the client always sets one) it resolves on a
/// thread spawned for the purpose: a thread per request. A literal needs no lookup, so
/// it is parsed here; names still go to ureq's resolver, unchanged.
#[derive(Debug, Default)]
struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = ip_literal(uri) {
            // What ureq's resolver would return for it, without the thread.
            if let Some(addr) = config.ip_family().keep_wanted(std::iter::once(addr)).next() {
                let mut addrs = self.empty();
                addrs.push(addr);
                return Ok(addrs);
            }
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// Wraps every transport ureq's connectors make in [`Probed`].
///
/// ureq asks a pooled connection whether it is still open twice per request: when it
/// returns the connection to the pool, right after reading the response, and when it
/// takes it out for the next request. Each time a TCP connection is probed with a
/// non-blocking one-byte read between two `ioctl(FIONBIO)`: three system calls, about
/// a third of a small keep-alive exchange's. The first probe can only find what the
/// second finds too (bytes the server sent after the response, or a closed
/// connection), and the second one runs right before the connection is used, so
/// [`Probed`] answers the first without probing and lets the second through.
#[derive(Debug)]
struct ProbeWhenPooled;

impl Connector<Box<dyn UreqTransport>> for ProbeWhenPooled {
    type Out = Probed;

    fn connect(
        &self,
        _details: &ConnectionDetails<'_>,
        chained: Option<Box<dyn UreqTransport>>,
    ) -> Result<Option<Probed>, ureq::Error> {
        Ok(chained.map(|inner| Probed {
            inner,
            just_used: false,
        }))
    }
}

/// A transport whose first liveness probe after I/O is answered without a system call
/// (see [`ProbeWhenPooled`]); every later probe goes to the transport.
#[derive(Debug)]
struct Probed {
    inner: Box<dyn UreqTransport>,
    /// I/O happened since the last probe.
    just_used: bool,
}

impl UreqTransport for Probed {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.just_used = true;
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.just_used = true;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.just_used = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        // Right after an exchange (ureq returning the connection to its pool): the
        // probe before the next use decides.
        if std::mem::replace(&mut self.just_used, false) {
            return true;
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// The socket address of an `http`/`https` URI whose host is an IP address.
fn ip_literal(uri: &ureq::http::Uri) -> Option<SocketAddr> {
    let default_port = match uri.scheme_str()? {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, uri.port_u16().unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_resolve_in_place_and_names_do_not() {
        let parse = |s: &str| s.parse::<ureq::http::Uri>().unwrap();
        assert_eq!(
            ip_literal(&parse("http://127.0.0.1:3301/api")),
            Some("127.0.0.1:3301".parse().unwrap())
        );
        assert_eq!(
            ip_literal(&parse("https://[::1]/x")),
            Some("[::1]:443".parse().unwrap())
        );
        assert_eq!(
            ip_literal(&parse("http://10.0.0.1")),
            Some("10.0.0.1:80".parse().unwrap())
        );
        assert_eq!(ip_literal(&parse("http://localhost:3301")), None);
        assert_eq!(ip_literal(&parse("https://api.example.com")), None);
        assert_eq!(ip_literal(&parse("ftp://127.0.0.1")), None);
    }

    /// A transport that counts its probes and always answers "open".
    #[derive(Debug)]
    struct Counting {
        buffers: ureq::unversioned::transport::LazyBuffers,
        probes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl UreqTransport for Counting {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, _: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(true)
        }
        fn is_open(&mut self) -> bool {
            self.probes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            true
        }
    }

    #[test]
    fn only_the_probe_after_io_is_skipped() {
        use std::sync::atomic::Ordering;
        let probes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut t = Probed {
            inner: Box::new(Counting {
                buffers: ureq::unversioned::transport::LazyBuffers::new(64, 64),
                probes: probes.clone(),
            }),
            just_used: false,
        };
        // A new connection, never used: probed.
        assert!(t.is_open());
        assert_eq!(probes.load(Ordering::SeqCst), 1);
        let mut expected = 1;
        for io in 0..3 {
            match io {
                0 => t.transmit_output(0, NextTimeout::default()).unwrap(),
                1 => drop(t.await_input(NextTimeout::default()).unwrap()),
                _ => drop(t.maybe_await_input(NextTimeout::default()).unwrap()),
            }
            // Back to the pool right after the exchange: answered in place.
            assert!(t.is_open());
            assert_eq!(probes.load(Ordering::SeqCst), expected);
            // Out of the pool for the next request: probed, every time.
            assert!(t.is_open());
            assert!(t.is_open());
            expected += 2;
            assert_eq!(probes.load(Ordering::SeqCst), expected);
        }
    }

    #[test]
    fn literal_answers_match_ureqs_resolver() {
        let config = ureq::config::Config::default();
        for uri in [
            "http://127.0.0.1:3301/a",
            "https://[::1]:8443",
            "http://192.0.2.7",
        ] {
            let uri = uri.parse::<ureq::http::Uri>().unwrap();
            let ours = LiteralFirst::default()
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            let theirs = DefaultResolver::default()
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            assert_eq!(ours.as_ref(), theirs.as_ref(), "{uri}");
        }
    }
}
