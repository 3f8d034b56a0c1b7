//! TLS for the loopback servers: a private CA and certificates made at test time with
//! rcgen, and the server side of a TLS connection ([`ServerTls`]) for
//! [`MockServer::start_tls`](crate::server::MockServer::start_tls) and
//! [`MockSpaps::start_tls`](crate::mock_spaps::MockSpaps::start_tls).
//!
//! ```no_run
//! use spaps_testkit::tls::TestPki;
//! let pki = TestPki::new();
//! let server = spaps_testkit::server::MockServer::start_tls(pki.server_tls(), |_| {
//!     spaps_testkit::server::Reply::empty(204)
//! })?;
//! let client = spaps_blocking::Client::builder()
//!     .base_url(&server.url()) // https://127.0.0.1:PORT
//!     .add_root_certificates_pem(pki.ca_pem())
//!     .build();
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Everything runs on rustls with the `ring` provider, the provider the clients use.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use time::OffsetDateTime;

/// The host names and addresses a loopback server certificate is for.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A private certificate authority, made fresh for a test.
pub struct TestPki {
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
    ca_der: CertificateDer<'static>,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

/// A certificate and its private key, as PEM and DER.
#[derive(Clone)]
pub struct Leaf {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key (PKCS#8), PEM.
    pub key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl fmt::Debug for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf").finish_non_exhaustive()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// A new CA (`spaps-testkit test CA`), valid from a day ago for a year.
    ///
    /// # Panics
    /// When rcgen cannot make a key or sign (it does not, on supported platforms).
    pub fn new() -> TestPki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "spaps-testkit test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let (not_before, not_after) = valid_now();
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestPki {
            ca_pem: cert.pem(),
            ca_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's certificate, PEM: what a client must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid now.
    pub fn server_cert(&self, names: &[&str]) -> Leaf {
        let (not_before, not_after) = valid_now();
        self.leaf(
            names,
            ExtendedKeyUsagePurpose::ServerAuth,
            not_before,
            not_after,
        )
    }

    /// A server certificate for `names` that expired a day ago.
    pub fn expired_server_cert(&self, names: &[&str]) -> Leaf {
        let now = OffsetDateTime::now_utc();
        self.leaf(
            names,
            ExtendedKeyUsagePurpose::ServerAuth,
            now - Duration::from_secs(30 * 86_400),
            now - Duration::from_secs(86_400),
        )
    }

    /// A client certificate (for mutual TLS) whose subject is `name`.
    pub fn client_cert(&self, name: &str) -> Leaf {
        let (not_before, not_after) = valid_now();
        self.leaf(
            &[name],
            ExtendedKeyUsagePurpose::ClientAuth,
            not_before,
            not_after,
        )
    }

    /// A TLS server setup for a loopback server: a certificate for
    /// [`LOOPBACK_NAMES`], HTTP/1.1 only.
    pub fn server_tls(&self) -> ServerTls {
        ServerTls::new(&self.server_cert(&LOOPBACK_NAMES))
    }

    /// A server setup that asks every client for a certificate signed by this CA.
    pub fn require_client_cert(&self, tls: ServerTls) -> ServerTls {
        ServerTls {
            client_ca: Some(self.ca_der.clone()),
            ..tls
        }
    }

    fn leaf(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("leaf params");
        if let Some(first) = names.first() {
            params
                .distinguished_name
                .push(DnType::CommonName, first.as_str());
        }
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }
}

/// From a day ago to a year from now.
fn valid_now() -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (
        now - Duration::from_secs(86_400),
        now + Duration::from_secs(365 * 86_400),
    )
}

/// How a loopback server speaks TLS: its certificate, whether it offers HTTP/2 through
/// ALPN, and whether it asks clients for a certificate.
#[derive(Clone)]
pub struct ServerTls {
    leaf: Leaf,
    h2: bool,
    client_ca: Option<CertificateDer<'static>>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("h2", &self.h2)
            .field("client_auth", &self.client_ca.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Serves `leaf`, offering HTTP/1.1 only.
    pub fn new(leaf: &Leaf) -> ServerTls {
        ServerTls {
            leaf: leaf.clone(),
            h2: false,
            client_ca: None,
        }
    }

    /// Offers HTTP/2 (`h2`) before HTTP/1.1 through ALPN.
    pub fn with_h2(mut self) -> ServerTls {
        self.h2 = true;
        self
    }

    /// The rustls configuration.
    ///
    /// # Errors
    /// When rustls refuses the certificate or key.
    pub fn config(&self) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let builder = match &self.client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca.clone())?;
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| rustls::Error::General(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf.key_der.clone()));
        let mut config = builder.with_single_cert(vec![self.leaf.cert_der.clone()], key)?;
        config.alpn_protocols = if self.h2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Arc::new(config))
    }
}

/// A rustls client configuration on the `ring` provider that trusts only `roots_pem`
/// (PEM texts), offering HTTP/2 and HTTP/1.1 through ALPN: for reqwest clients built
/// by hand in tests (`tls_backend_preconfigured`), since the workspace builds reqwest
/// without a default crypto provider.
///
/// # Panics
/// When a PEM holds no certificate rustls accepts.
pub fn client_config(roots_pem: &[&str]) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for pem in roots_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(cert.expect("a PEM certificate"))
                .expect("a usable root");
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}
