//! Sending one `http::Request` with ureq and reading the response within limits.

use std::io::ErrorKind as IoKind;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use spaps_proto::{Config, Error, TransportError, TransportErrorKind, MAX_TIMEOUT};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// A ureq agent configured for SPAPS: no redirects, statuses returned as responses,
/// one timeout for the whole exchange.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    agent: ureq::Agent,
    timeout: Duration,
    limit: usize,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Self {
        let ureq_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // Validated by the builder; bounded here all the same, as ureq panics past it.
            .timeout_global(Some(config.request_timeout().min(MAX_TIMEOUT)))
            .build();
        let agent = ureq::Agent::with_parts(
            ureq_config,
            DefaultConnector::new(),
            LiteralFirst::default(),
        );
        Self::with_agent(agent, config)
    }

    pub(crate) fn with_agent(agent: ureq::Agent, config: &Config) -> Self {
        Self {
            agent,
            timeout: config.request_timeout(),
            limit: config.response_limit(),
        }
    }

    /// Sends `request`, within the per-attempt timeout or `within` (what is left of
    /// the call's overall deadline), whichever is shorter.
    pub(crate) fn send(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> Result<http::Response<Bytes>, Error> {
        let timeout = within.map_or(self.timeout, |w| w.min(self.timeout));
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, body.as_ref());
        let response = if timeout < self.timeout {
            let request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(timeout))
                .build();
            self.agent.run(request)
        } else {
            self.agent.run(request)
        }
        .map_err(|e| map_error(e, TransportErrorKind::Send, timeout, self.limit))?;
        let (parts, mut body) = response.into_parts();
        if let Some(len) = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if len > self.limit as u64 {
                return Err(Error::ResponseTooLarge { limit: self.limit });
            }
        }
        let bytes = body
            .with_config()
            .limit(self.limit as u64)
            .read_to_vec()
            .map_err(|e| map_error(e, TransportErrorKind::Body, timeout, self.limit))?;
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }
}

fn map_error(
    error: ureq::Error,
    stage: TransportErrorKind,
    timeout: Duration,
    limit: usize,
) -> Error {
    let kind = match &error {
        ureq::Error::Timeout(_) => return Error::Timeout(timeout),
        ureq::Error::BodyExceedsLimit(_) => return Error::ResponseTooLarge { limit },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            IoKind::TimedOut | IoKind::WouldBlock => return Error::Timeout(timeout),
            IoKind::ConnectionRefused | IoKind::AddrNotAvailable => TransportErrorKind::Connect,
            IoKind::UnexpectedEof if stage == TransportErrorKind::Send => TransportErrorKind::Send,
            _ => stage,
        },
        _ => stage,
    };
    Error::Transport(TransportError::new(kind, error.to_string()))
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
