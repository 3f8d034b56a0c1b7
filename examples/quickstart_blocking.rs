//! The quickstart with the blocking client:
//! `cargo run -p spaps-examples --example quickstart_blocking`.

use spaps_blocking::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = spaps_examples::target()?;
    let client = Client::builder()
        .base_url(&target.base_url)
        .api_key(target.api_key.as_str())
        .build()?;

    client
        .auth()
        .sign_in_with_password(target.email.as_str(), target.password.as_str())
        .send()?;
    let session = client.sessions().get_current_session().send()?;
    println!("current session {}", session.session_id);
    let sessions = client.sessions().list_sessions().send()?;
    println!("{} session(s)", sessions.total);
    client.auth().logout().send()?;
    Ok(())
}
