//! Sign in, read the current session, list sessions: `cargo run -p spaps-examples --example quickstart`.
//!
//! Runs against the embedded mock SPAPS, or against `SPAPS_API_URL` when it is set
//! (with `SPAPS_API_KEY`, `SPAPS_EMAIL` and `SPAPS_PASSWORD`).

use spaps_tokio::{Client, Error};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    println!(
        "SPAPS at {}{}",
        target.base_url,
        if target.mock.is_some() {
            " (embedded mock)"
        } else {
            ""
        }
    );

    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .build()?;

    // Sign in: the tokens are stored in the client and sent from now on.
    let signed_in = client
        .auth()
        .sign_in_with_password(target.email.as_str(), target.password.as_str())
        .await?;
    let user = signed_in
        .user
        .as_ref()
        .map(|u| u.user_id.as_str())
        .unwrap_or("?");
    println!(
        "signed in as {user}; the access token expires in {} s",
        signed_in.expires_in
    );

    let session = client.sessions().get_current_session().await?;
    println!(
        "current session {} (expires {})",
        session.session_id, session.expires_at
    );

    let sessions = client.sessions().list_sessions().limit(10u32).await?;
    println!("{} session(s):", sessions.total);
    for s in &sessions.sessions {
        let current = if s.is_current == Some(true) {
            " (this one)"
        } else {
            ""
        };
        println!("  {} created {}{current}", s.session_id, s.created_at);
    }

    // Errors are typed: a wrong password is an API error with status, code and request id.
    match client
        .auth()
        .sign_in_with_password(target.email.as_str(), "wrong password")
        .await
    {
        Err(Error::Api(e)) => println!(
            "a wrong password gives {} {:?} (request id {:?})",
            e.status, e.code, e.request_id
        ),
        other => println!("unexpected: {other:?}"),
    }

    client.auth().logout().await?;
    println!("logged out; stored tokens: {:?}", client.tokens());
    Ok(())
}
