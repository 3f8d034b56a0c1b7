//! Sign a terminal in with a device code (RFC 8628), keep the tokens in a file, and use
//! them: `cargo run -p spaps-examples --example device_login`.
//!
//! The CLI shows a code and a URL; the user opens the URL on any device, enters the code
//! and approves, while the CLI polls. Against the embedded mock the login is approved by
//! itself after two polls a second apart. The tokens go to the file `SPAPS_TOKEN_FILE`,
//! or to a file in the temporary directory whose path is printed at the end; a later run
//! with the same file starts signed in.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`).

use std::path::PathBuf;

use spaps_tokio::{Client, Error, ErrorKind, FileTokenStore};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!("SPAPS at {target}");
    let token_file = std::env::var_os("SPAPS_TOKEN_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let name = format!("spaps-device-login-{}.json", std::process::id());
            std::env::temp_dir().join(name)
        });

    // The file store loads the tokens of an earlier run and saves every new pair (after
    // the login and after each automatic refresh): JSON, readable by the owner only,
    // replaced atomically. A real CLI would use `FileTokenStore::default_location()`.
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .token_store(FileTokenStore::new(&token_file))
        .build()?;

    if client.tokens().is_some() {
        println!("using the tokens stored in {}", token_file.display());
    } else {
        login(&client).await?;
    }

    // Calls that need a user send the stored token, refreshed shortly before it expires.
    let user = match client.auth().get_current_user().await {
        Ok(user) => user,
        // Stored tokens the server no longer accepts (signed out elsewhere, refresh
        // token expired): forget them and sign in again.
        Err(e) if signed_out(&e) => {
            println!("the stored tokens are no longer valid; signing in again");
            client.clear_tokens().await?;
            login(&client).await?;
            client.auth().get_current_user().await?
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "signed in as {} ({})",
        user.email.as_deref().unwrap_or("?"),
        user.id
    );

    // The next run of the CLI: a new client on the same file starts signed in.
    let next_run = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .token_store(FileTokenStore::new(&token_file))
        .build()?;
    let session = next_run.sessions().get_current_session().await?;
    println!(
        "a new client on the same file is signed in too: session {}, expires {}",
        session.session_id, session.expires_at
    );

    println!("the tokens are in {}", token_file.display());
    Ok(())
}

/// The device-code login: shows the code, polls until the user approves, stores the
/// tokens. It honours the server's `interval` (and `slow_down`) and gives up when the
/// code expires; a denied or expired login is an `Error::DeviceFlow`. Dropping the
/// future (e.g. in a `tokio::select!` with Ctrl-C) cancels it.
async fn login(client: &Client) -> Result<(), Error> {
    let tokens = client
        .device_flow()
        .login(None, |auth| {
            println!("\nTo sign in, open {}", auth.verification_uri);
            println!("and enter the code  {}", auth.user_code);
            if let Some(direct) = &auth.verification_uri_complete {
                println!("(or open {direct})");
            }
            println!(
                "The code is valid for {} minutes. Waiting for approval...\n",
                auth.expires_in / 60
            );
        })
        .await?;
    println!(
        "approved; the access token is valid for {} s",
        tokens.expires_in.unwrap_or_default()
    );
    Ok(())
}

/// Whether `e` means the stored tokens are no good any more.
fn signed_out(e: &Error) -> bool {
    matches!(e, Error::RefreshFailed(_))
        || e.api()
            .is_some_and(|api| api.kind == ErrorKind::Unauthenticated)
}
