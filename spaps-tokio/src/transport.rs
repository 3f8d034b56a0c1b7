//! Sending one `http::Request` with reqwest and reading the response within limits.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use spaps_proto::{Config, Error, TransportError, TransportErrorKind};

/// A reqwest client configured for SPAPS: no redirects, one timeout per exchange.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    timeout: Duration,
    limit: usize,
}

impl Transport {
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout())
            .build()
            .map_err(|e| {
                Error::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    e.to_string(),
                ))
            })?;
        Ok(Self::with_client(http, config))
    }

    pub(crate) fn with_client(http: reqwest::Client, config: &Config) -> Self {
        Self {
            http,
            timeout: config.request_timeout(),
            limit: config.response_limit(),
        }
    }

    /// Sends `request`, within the per-attempt timeout or `within` (what is left of
    /// the call's overall deadline), whichever is shorter.
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
        within: Option<Duration>,
    ) -> Result<http::Response<Bytes>, Error> {
        let timeout = within.map_or(self.timeout, |w| w.min(self.timeout));
        let mut request = reqwest::Request::try_from(request).map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                e.to_string(),
            ))
        })?;
        // Applies even to a caller-supplied reqwest client.
        *request.timeout_mut() = Some(timeout);
        let mut response = self
            .http
            .execute(request)
            .await
            .map_err(|e| map_error(e, TransportErrorKind::Send, timeout))?;
        if response
            .content_length()
            .is_some_and(|len| len > self.limit as u64)
        {
            return Err(Error::ResponseTooLarge { limit: self.limit });
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
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
                return Err(Error::ResponseTooLarge { limit: self.limit });
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
        let body = first.unwrap_or_else(|| body.freeze());
        builder.body(body).map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                e.to_string(),
            ))
        })
    }
}

fn map_error(error: reqwest::Error, stage: TransportErrorKind, timeout: Duration) -> Error {
    if error.is_timeout() {
        return Error::Timeout(timeout);
    }
    let kind = if error.is_connect() {
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
    Error::Transport(TransportError::new(kind, message))
}
