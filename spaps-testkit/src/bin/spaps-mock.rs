//! `spaps-mock [SECONDS]`: serves the embedded mock SPAPS on a loopback port, prints its
//! URL, and stops after SECONDS (default 600) or when killed.

use std::time::Duration;

fn main() -> std::io::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let server = spaps_testkit::mock_spaps::start()?;
    println!("{}", server.url());
    std::thread::sleep(Duration::from_secs(seconds));
    server.shutdown();
    Ok(())
}
