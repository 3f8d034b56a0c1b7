//! Where requests go: which hosts count as this machine, and which proxy (if any) a
//! base URL is reached through. Pure functions: the environment is read through a
//! closure the driver passes, as [`Config::from_env_with`](crate::Config::from_env_with)
//! does.
//!
//! The proxy rule both clients follow:
//! - an explicit proxy ([`ProxyChoice::Url`]) is used for every host, loopback included;
//! - [`ProxyChoice::None`] uses no proxy;
//! - [`ProxyChoice::FromEnv`] (the default) reads `https_proxy`/`HTTPS_PROXY` for an
//!   `https://` base URL, `http_proxy`/`HTTP_PROXY` for an `http://` one, then
//!   `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY` (comma-separated host names, domain
//!   suffixes such as `.example.com`, IP addresses, or `*`) exempts hosts; and a
//!   loopback host never goes through an environment proxy (as Go's `net/http`).
//!
//! Credentials never travel in clear to another machine unless plain HTTP was allowed
//! ([`Config::with_insecure_http`](crate::Config::with_insecure_http)): an `http://`
//! base URL to a remote host is refused when a request is prepared, and an `http://`
//! base URL through a proxy that is not on this machine is refused by
//! [`resolve_proxy`].

use core::net::IpAddr;

use crate::config::Config;
use crate::error::Error;

/// How a client picks its proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyChoice {
    /// From the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    #[default]
    FromEnv,
    /// No proxy.
    None,
    /// This proxy (`http://host:port`, optionally with `user:password@`), for every
    /// host.
    Url(String),
}

pub use crate::host::{host_of_authority, is_loopback_host};

/// The proxy a client of `config` goes through, as a normalized URL, or `None` for a direct
/// connection. `var` reads the environment (pass `|k| std::env::var(k).ok()`).
///
/// # Errors
/// [`Error::InvalidArgument`] (`proxy`) for a proxy URL that is not `http://` or
/// `https://`; [`Error::InsecureTransport`] when the base URL is `http://` and the
/// proxy is not on this machine (credentials would reach it in clear), unless plain
/// HTTP was allowed.
pub fn resolve_proxy(
    config: &Config,
    choice: &ProxyChoice,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, Error> {
    let base = url::Url::parse(config.base_url())
        .map_err(|e| Error::invalid("base_url", e.to_string()))?;
    let host = base.host_str().unwrap_or_default();
    let raw = match choice {
        ProxyChoice::None => None,
        ProxyChoice::Url(url) => Some(url.clone()),
        ProxyChoice::FromEnv => {
            let get = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
            };
            let scheme_vars: &[&str] = if base.scheme() == "https" {
                &["https_proxy", "HTTPS_PROXY"]
            } else {
                &["http_proxy", "HTTP_PROXY"]
            };
            let exempt = is_loopback_host(host)
                || get(&["no_proxy", "NO_PROXY"]).is_some_and(|list| {
                    no_proxy_matches(&list, host, base.port_or_known_default())
                });
            if exempt {
                None
            } else {
                get(scheme_vars).or_else(|| get(&["all_proxy", "ALL_PROXY"]))
            }
        }
    };
    let Some(raw) = raw else {
        return Ok(None);
    };
    let raw = raw.trim();
    // `HTTP_PROXY=proxy:3128` is common: no scheme means http.
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let proxy = url::Url::parse(&with_scheme)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| Error::invalid("proxy", "must be an http:// or https:// URL with a host"))?;
    let proxy_host = proxy.host_str().unwrap_or_default();
    if base.scheme() == "http" && !config.insecure_http() && !is_loopback_host(proxy_host) {
        return Err(Error::InsecureTransport {
            host: proxy_host.to_owned(),
        });
    }
    Ok(Some(proxy.to_string()))
}

/// True when `host` (and `port`) is exempted by a `NO_PROXY` list.
fn no_proxy_matches(list: &str, host: &str, port: Option<u16>) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            // An entry may carry a port: it then matches that port only.
            let (name, entry_port) = split_port(&entry);
            if entry_port.is_some() && entry_port != port {
                return false;
            }
            let name = name.trim_start_matches('[').trim_end_matches(']');
            if let (Ok(a), Ok(b)) = (name.parse::<IpAddr>(), bare_host.parse::<IpAddr>()) {
                return a == b;
            }
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            !name.is_empty()
                && (bare_host == name
                    || bare_host
                        .strip_suffix(name)
                        .is_some_and(|rest| rest.ends_with('.')))
        })
}

/// `host:port` into its parts; an IPv6 address without brackets has no port.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((addr, tail)) = rest.split_once(']') {
            return (addr, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn resolve(
        base: &str,
        choice: &ProxyChoice,
        vars: &[(&str, &str)],
    ) -> Result<Option<String>, Error> {
        let config = Config::new(base).unwrap();
        resolve_proxy(&config, choice, env(vars))
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.255.0.9",
            "[::1]",
            "::1",
            "localhost",
            "LOCALHOST.",
            "a.localhost",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "128.0.0.1",
            "[::2]",
            "localhost.evil.com",
            "example.com",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn authority_hosts() {
        assert_eq!(host_of_authority("h:1"), "h");
        assert_eq!(host_of_authority("[::1]:8080"), "[::1]");
        assert_eq!(host_of_authority("u:p@h:1"), "h");
        assert_eq!(host_of_authority("h"), "h");
    }

    #[test]
    fn env_proxy_by_scheme_with_fallback() {
        let vars = [
            ("HTTPS_PROXY", "http://secure-proxy:3128"),
            ("http_proxy", "plain-proxy:8080"),
            ("ALL_PROXY", "http://all:1"),
        ];
        let env = ProxyChoice::FromEnv;
        assert_eq!(
            resolve("https://api.example.com", &env, &vars)
                .unwrap()
                .as_deref(),
            Some("http://secure-proxy:3128/")
        );
        assert_eq!(
            resolve("https://api.example.com", &env, &vars[2..])
                .unwrap()
                .as_deref(),
            Some("http://all:1/")
        );
        // Plain http to a remote host through a remote proxy: refused, whatever the
        // request (the base URL itself is refused when a request is prepared).
        assert!(matches!(
            resolve("http://api.example.com", &env, &vars),
            Err(Error::InsecureTransport { host }) if host == "plain-proxy"
        ));
        let allowed = Config::new("http://api.example.com")
            .unwrap()
            .with_insecure_http(true);
        assert_eq!(
            resolve_proxy(&allowed, &env, super::tests::env(&vars))
                .unwrap()
                .as_deref(),
            Some("http://plain-proxy:8080/")
        );
        assert_eq!(resolve("https://api.example.com", &env, &[]).unwrap(), None);
    }

    #[test]
    fn loopback_and_no_proxy_skip_env_proxies() {
        let proxy = ("HTTPS_PROXY", "http://proxy:3128");
        let env = ProxyChoice::FromEnv;
        for base in [
            "https://127.0.0.1:8443",
            "https://localhost",
            "http://[::1]:3301",
        ] {
            assert_eq!(
                resolve(base, &env, &[proxy, ("HTTP_PROXY", "http://proxy:1")]).unwrap(),
                None,
                "{base}"
            );
        }
        for (no_proxy, base, skipped) in [
            ("example.com", "https://api.example.com", true),
            (".example.com", "https://api.example.com", true),
            ("*.example.com", "https://example.com", true),
            ("example.com", "https://badexample.com", false),
            (
                "other.org, api.example.com:443",
                "https://api.example.com",
                true,
            ),
            ("api.example.com:8443", "https://api.example.com", false),
            ("10.1.2.3", "https://10.1.2.3:9000", true),
            ("*", "https://anything.example", true),
            ("", "https://api.example.com", false),
        ] {
            let got = resolve(base, &env, &[proxy, ("NO_PROXY", no_proxy)]).unwrap();
            assert_eq!(got.is_none(), skipped, "{no_proxy} / {base}");
        }
    }

    #[test]
    fn explicit_choices() {
        let url = ProxyChoice::Url("http://127.0.0.1:3128".into());
        // An explicit proxy is used even for loopback, and the environment is ignored.
        assert_eq!(
            resolve("https://127.0.0.1:8443", &url, &[("NO_PROXY", "*")])
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:3128/")
        );
        assert_eq!(
            resolve(
                "https://h",
                &ProxyChoice::None,
                &[("HTTPS_PROXY", "http://p:1")]
            )
            .unwrap(),
            None
        );
        assert!(matches!(
            resolve("https://h", &ProxyChoice::Url("socks5://p:1".into()), &[]),
            Err(Error::InvalidArgument { name: "proxy", .. })
        ));
        // Plain http to loopback through a loopback proxy stays on this machine.
        assert!(resolve("http://127.0.0.1:1", &url, &[]).unwrap().is_some());
    }
}
