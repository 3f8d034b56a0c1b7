//! Shared setup of the examples: where SPAPS is, and who signs in.
//!
//! With `SPAPS_API_URL` set, the examples talk to that server with `SPAPS_API_KEY`,
//! `SPAPS_EMAIL` and `SPAPS_PASSWORD`. Without it they start the embedded mock SPAPS
//! from `spaps-testkit` on a loopback port, so they run anywhere with no setup.

use spaps_testkit::server::MockServer;

/// Where the examples send their requests, and the credentials to use there.
#[derive(Debug)]
pub struct Target {
    /// The base URL.
    pub base_url: String,
    /// The API key.
    pub api_key: String,
    /// The email to sign in with.
    pub email: String,
    /// The password.
    pub password: String,
    /// The embedded mock, kept alive while it is used.
    pub mock: Option<MockServer>,
}

/// `SPAPS_API_URL` and friends when set; else a fresh embedded mock SPAPS.
///
/// # Errors
/// When the mock cannot bind a loopback port.
pub fn target() -> std::io::Result<Target> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(base_url) = var("SPAPS_API_URL") {
        return Ok(Target {
            base_url,
            api_key: var("SPAPS_API_KEY").unwrap_or_default(),
            email: var("SPAPS_EMAIL").unwrap_or_else(|| "ada@example.com".to_owned()),
            password: var("SPAPS_PASSWORD").unwrap_or_default(),
            mock: None,
        });
    }
    let mock = spaps_testkit::mock_spaps::start()?;
    Ok(Target {
        base_url: mock.url(),
        api_key: "spaps_test_example_key".to_owned(),
        email: "ada@example.com".to_owned(),
        password: spaps_testkit::mock_spaps::DEMO_PASSWORD.to_owned(),
        mock: Some(mock),
    })
}

impl std::fmt::Display for Target {
    /// The base URL, marked when it is the embedded mock.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base_url)?;
        if self.mock.is_some() {
            f.write_str(" (embedded mock)")?;
        }
        Ok(())
    }
}
