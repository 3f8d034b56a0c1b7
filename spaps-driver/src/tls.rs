//! TLS and proxy options of the client builders, shared by both clients. What the
//! transports do with them lives in each client's `transport.rs`.
//!
//! Trust: the platform's roots (read by `rustls-native-certs`, which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`) plus any extra roots given to the builder. With
//! the `native-tls` backend the platform library's own store is used instead, plus the
//! extra roots.

use std::sync::{Arc, Mutex, PoisonError};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use spaps_proto::net::ProxyChoice;
use spaps_proto::{Config, Error};

/// The TLS library a client uses. Both are compiled in only with their feature
/// (`rustls`, on by default, and `native-tls`); without a choice the client uses
/// rustls when its feature is on, else native-tls. rustls runs on the `ring` crypto
/// provider in both clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsBackend {
    /// rustls with the `ring` provider (feature `rustls`).
    Rustls,
    /// The platform's TLS library through `native-tls` (feature `native-tls`):
    /// OpenSSL on Linux, Secure Transport on macOS, SChannel on Windows.
    NativeTls,
}

/// What a builder was told about TLS and proxies.
#[derive(Debug, Clone, Default)]
pub struct NetOptions {
    /// Extra trusted roots, each a PEM text that may hold several certificates.
    pub roots_pem: Vec<Vec<u8>>,
    /// A client certificate chain and its private key, both PEM, for mutual TLS.
    pub identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// The TLS library chosen with the builder, if one was.
    pub backend: Option<TlsBackend>,
    /// Where requests go through: the environment's proxy, none, or a given one.
    pub proxy: ProxyChoice,
    /// A TLS or proxy option was set (a client of your own then cannot be used).
    pub touched: bool,
}

impl NetOptions {
    /// Trusts the certificates of `pem` too.
    pub fn add_roots(&mut self, pem: &[u8]) {
        self.roots_pem.push(pem.to_vec());
        self.touched = true;
    }

    /// Presents this certificate chain and key to servers that ask (mutual TLS).
    pub fn set_identity(&mut self, chain_pem: &[u8], key_pem: &[u8]) {
        self.identity_pem = Some((chain_pem.to_vec(), key_pem.to_vec()));
        self.touched = true;
    }

    /// Chooses the TLS library.
    pub fn set_backend(&mut self, backend: TlsBackend) {
        self.backend = Some(backend);
        self.touched = true;
    }

    /// Chooses the proxy.
    pub fn set_proxy(&mut self, proxy: ProxyChoice) {
        self.proxy = proxy;
        self.touched = true;
    }

    /// Refuses TLS and proxy options next to an HTTP client of the caller's own: they
    /// would be silently ignored.
    pub fn check_unused(&self, what: &'static str) -> Result<(), Error> {
        if self.touched {
            return Err(Error::InvalidArgument {
                name: what,
                reason: "TLS and proxy options configure the HTTP client the SDK builds; \
                         set them on your own client instead"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// The backend to use: the one chosen, else rustls when compiled in. A driver says
    /// which backends it was compiled with (its own `rustls` and `native-tls` features).
    pub fn backend(&self, rustls: bool, native_tls: bool) -> Result<TlsBackend, Error> {
        let backend = self.backend.unwrap_or(if rustls {
            TlsBackend::Rustls
        } else {
            TlsBackend::NativeTls
        });
        let compiled = match backend {
            TlsBackend::Rustls => rustls,
            TlsBackend::NativeTls => native_tls,
        };
        if compiled {
            Ok(backend)
        } else {
            Err(Error::InvalidArgument {
                name: "tls_backend",
                reason: format!(
                    "{backend:?} is not compiled in (enable the `{}` feature)",
                    if backend == TlsBackend::Rustls {
                        "rustls"
                    } else {
                        "native-tls"
                    }
                ),
            })
        }
    }

    /// The extra roots, parsed.
    pub fn extra_roots(&self) -> Result<Vec<CertificateDer<'static>>, Error> {
        let mut roots = Vec::new();
        for pem in &self.roots_pem {
            roots.extend(parse_certs(pem, "root_certificates")?);
        }
        Ok(roots)
    }

    /// The client identity, parsed.
    pub fn identity(
        &self,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, Error> {
        let Some((chain, key)) = &self.identity_pem else {
            return Ok(None);
        };
        let chain = parse_certs(chain, "identity")?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| Error::InvalidArgument {
            name: "identity",
            reason: format!("no usable private key in the PEM: {e}"),
        })?;
        Ok(Some((chain, key)))
    }
}

/// True when a client of `config` going through `proxy` makes TLS connections (so the
/// platform's roots are worth loading).
pub fn needs_tls(config: &Config, proxy: Option<&str>) -> bool {
    config.base_url().starts_with("https://") || proxy.is_some_and(|p| p.starts_with("https://"))
}

/// Every certificate in a PEM text; none at all is an error.
fn parse_certs(pem: &[u8], what: &'static str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidArgument {
            name: what,
            reason: format!("unreadable PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(Error::InvalidArgument {
            name: what,
            reason: "the PEM holds no CERTIFICATE block".to_owned(),
        });
    }
    Ok(certs)
}

/// The platform's trusted roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set), read once
/// per process for each value of those variables.
pub fn platform_roots() -> Arc<Vec<CertificateDer<'static>>> {
    type Cache = Option<(
        Option<String>,
        Option<String>,
        Arc<Vec<CertificateDer<'static>>>,
    )>;
    static CACHE: Mutex<Cache> = Mutex::new(None);
    let file = std::env::var("SSL_CERT_FILE").ok();
    let dir = std::env::var("SSL_CERT_DIR").ok();
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((f, d, roots)) = &*cache {
        if *f == file && *d == dir {
            return Arc::clone(roots);
        }
    }
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!(target: TARGET, error = %error, "could not read a platform root certificate");
    }
    if loaded.certs.is_empty() {
        tracing::warn!(
            target: TARGET,
            "no platform root certificates found: https needs roots from the builder, SSL_CERT_FILE or SSL_CERT_DIR"
        );
    }
    let roots = Arc::new(loaded.certs);
    *cache = Some((file, dir, Arc::clone(&roots)));
    roots
}

/// The `tracing` target of this crate.
const TARGET: &str = env!("CARGO_CRATE_NAME");

/// A rustls configuration on the `ring` provider: the platform's roots (when `tls` is
/// needed at all) and the extra ones, the client identity, and ALPN for HTTP/2 (when
/// `h2`) and HTTP/1.1.
#[cfg(feature = "rustls")]
#[allow(dead_code)]
pub fn rustls_config(
    options: &NetOptions,
    tls: bool,
    h2: bool,
) -> Result<rustls::ClientConfig, Error> {
    let invalid = |name: &'static str| {
        move |e: rustls::Error| Error::InvalidArgument {
            name,
            reason: e.to_string(),
        }
    };
    let mut roots = rustls::RootCertStore::empty();
    if tls {
        let (_, ignored) = roots.add_parsable_certificates(platform_roots().iter().cloned());
        if ignored > 0 {
            tracing::debug!(target: TARGET, ignored, "platform root certificates rustls cannot use");
        }
    }
    for root in options.extra_roots()? {
        roots.add(root).map_err(invalid("root_certificates"))?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(invalid("tls"))?
    .with_root_certificates(roots);
    let mut config = match options.identity()? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(invalid("identity"))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if h2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// True when `error`, or an error it wraps, is a TLS failure (a rustls or native-tls
/// error, possibly inside an `io::Error`).
pub fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        #[cfg(feature = "rustls")]
        if e.is::<rustls::Error>() {
            return true;
        }
        #[cfg(feature = "native-tls")]
        if e.is::<native_tls::Error>() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            // `io::Error::source` skips the error it wraps: look at it directly.
            if let Some(inner) = io.get_ref() {
                if is_tls_error(inner) {
                    return true;
                }
            }
        }
        next = e.source();
    }
    false
}
