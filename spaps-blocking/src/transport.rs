//! Sending one `http::Request` with ureq and reading the response within limits.

use std::io::ErrorKind as IoKind;
use std::time::Duration;

use bytes::Bytes;
use spaps_proto::{Config, Error, TransportError, TransportErrorKind};

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
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(config.request_timeout()))
            .build()
            .new_agent();
        Self::with_agent(agent, config)
    }

    pub(crate) fn with_agent(agent: ureq::Agent, config: &Config) -> Self {
        Self {
            agent,
            timeout: config.request_timeout(),
            limit: config.response_limit(),
        }
    }

    pub(crate) fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, body.as_ref());
        let response = self
            .agent
            .run(request)
            .map_err(|e| self.map_error(e, TransportErrorKind::Send))?;
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
            .map_err(|e| self.map_error(e, TransportErrorKind::Body))?;
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }

    fn map_error(&self, error: ureq::Error, stage: TransportErrorKind) -> Error {
        let kind = match &error {
            ureq::Error::Timeout(_) => return Error::Timeout(self.timeout),
            ureq::Error::BodyExceedsLimit(_) => {
                return Error::ResponseTooLarge { limit: self.limit }
            }
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                TransportErrorKind::Connect
            }
            ureq::Error::Io(io) => match io.kind() {
                IoKind::TimedOut | IoKind::WouldBlock => return Error::Timeout(self.timeout),
                IoKind::ConnectionRefused | IoKind::AddrNotAvailable => TransportErrorKind::Connect,
                IoKind::UnexpectedEof if stage == TransportErrorKind::Send => {
                    TransportErrorKind::Send
                }
                _ => stage,
            },
            _ => stage,
        };
        Error::Transport(TransportError::new(kind, error.to_string()))
    }
}
