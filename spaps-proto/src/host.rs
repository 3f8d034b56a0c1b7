//! Host names as the plaintext rule sees them: which hosts are this machine.

use core::net::IpAddr;

/// True for `localhost` (and names under `.localhost`), `127.0.0.0/8` and `::1`
/// (bracketed or not).
///
/// ```
/// use spaps_proto::net::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("127.9.8.7"));
/// assert!(is_loopback_host("[::1]") && is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("10.0.0.1") && !is_loopback_host("localhost.example.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        };
    }
    let lower = bare.to_ascii_lowercase();
    lower == "localhost" || lower.ends_with(".localhost")
}

/// The host of an authority (`user@host:port`, `[::1]:8080`), brackets kept.
pub fn host_of_authority(authority: &str) -> &str {
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority,
        };
    }
    authority.split(':').next().unwrap_or(authority)
}
