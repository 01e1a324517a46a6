//! Who may use the front, checked before any request is routed. A web page the developer opens
//! must not reach the emulator: through DNS rebinding (a name that resolves to 127.0.0.1, sent as
//! the `Host`), or with a cross-site form or `fetch` that changes something (a `text/plain` POST
//! needs no CORS preflight). So, by default:
//!
//! - `Host` must name this machine's loopback (`localhost`, `*.localhost`, `127.x.x.x`,
//!   `[::1]`) or a name given with `--allow-host`; off loopback, an IP address is accepted too
//!   (how other machines reach it), a name still is not;
//! - a request other than GET, HEAD or OPTIONS that carries an `Origin` is served only if the
//!   origin's host is loopback, allowed, or the request's own host (same origin);
//! - off loopback, the admin API (`/_fnkit/`) needs `--admin-token`, sent as
//!   `Authorization: Bearer <token>`, and is closed without one.
//!
//! The AWS SDKs send no `Origin` and name the endpoint they were given, so they pass.

use http::{HeaderMap, Method, StatusCode, Uri};

use super::reply::{self, Reply};

/// Why a request is not served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("fnkit-local answers requests for this machine's loopback (localhost, 127.0.0.1), not for `{0}`; to allow that name, start it with --allow-host {0}")]
    Host(String),
    #[error("fnkit-local refuses a {method} from the web page at `{origin}`: pages of other sites may not change anything here; to allow that site, start it with --allow-host <its host>")]
    Origin { method: Method, origin: String },
    #[error("the admin API is closed to this request: fnkit-local listens beyond loopback and was started without --admin-token")]
    AdminClosed,
    #[error("the admin API is closed to this request: send the --admin-token as `Authorization: Bearer <token>`")]
    AdminToken,
}

impl Refusal {
    /// The answer: `403`, or `401` when a token would open the door.
    pub fn reply(&self) -> Reply {
        let status = match self {
            Refusal::AdminClosed | Refusal::AdminToken => StatusCode::UNAUTHORIZED,
            Refusal::Host(_) | Refusal::Origin { .. } => StatusCode::FORBIDDEN,
        };
        reply::message(status, self)
    }
}

/// The rules of one listener.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// The listener is on a loopback address: `Host` is checked.
    loopback: bool,
    /// Host names allowed besides loopback ones (`--allow-host`), lowercase.
    allowed: Vec<String>,
    /// The admin API's token, required off loopback.
    admin_token: Option<String>,
}

impl Guard {
    pub fn new(
        listening: std::net::SocketAddr,
        allowed: &[String],
        admin_token: Option<String>,
    ) -> Guard {
        Guard {
            loopback: listening.ip().is_loopback(),
            allowed: allowed.iter().map(|h| h.to_ascii_lowercase()).collect(),
            admin_token,
        }
    }

    /// What to say at start-up when the listener is reachable from other machines.
    pub fn warning(&self, listening: std::net::SocketAddr) -> Option<String> {
        if self.loopback {
            return None;
        }
        let admin = if self.admin_token.is_some() {
            "The admin API (/_fnkit/) needs the --admin-token you gave."
        } else {
            "The admin API (/_fnkit/) is closed; start with --admin-token TOKEN to open it."
        };
        Some(format!(
            "fnkit-local: WARNING: listening on {listening}, beyond this machine's loopback. Anyone who can reach this port can invoke your functions and read and write your buckets and queues (the AWS APIs here accept any signature). {admin}"
        ))
    }

    /// Whether the request may be served.
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = match headers.get(http::header::HOST) {
            // A `Host` that is not text names nothing this serves.
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| Refusal::Host("(not text)".into()))?,
            ),
            None => uri.authority().map(|a| a.as_str()),
        }
        .map(host_name);
        if let Some(host) = &host {
            // Off loopback an address is fine (the machine's own, as other machines reach it),
            // but a name must be loopback or allowed: a rebinding page sends its own name.
            let address = host.parse::<std::net::IpAddr>().is_ok();
            if !self.is_allowed(host) && (self.loopback || !address) {
                return Err(Refusal::Host(host.clone()));
            }
        }
        if let Some(origin) = headers.get(http::header::ORIGIN) {
            let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
            let origin = origin.to_str().unwrap_or("null");
            let origin_host = origin.split_once("://").map(|(_, rest)| host_name(rest));
            let same = origin_host.is_some() && origin_host == host;
            let trusted = same || origin_host.as_deref().is_some_and(|h| self.is_allowed(h));
            if changes && !trusted {
                return Err(Refusal::Origin {
                    method: method.clone(),
                    origin: origin.to_owned(),
                });
            }
        }
        if !self.loopback && uri.path().starts_with("/_fnkit/") {
            let given = headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let open = match (&self.admin_token, given) {
                (Some(token), Some(given)) => same_secret(token.as_bytes(), given.as_bytes()),
                _ => false,
            };
            if !open {
                return Err(match self.admin_token {
                    Some(_) => Refusal::AdminToken,
                    None => Refusal::AdminClosed,
                });
            }
        }
        Ok(())
    }

    fn is_allowed(&self, host: &str) -> bool {
        is_loopback_name(host) || self.allowed.iter().any(|a| a == host)
    }
}

/// Compares a secret in time that does not depend on where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The host of a `Host` value or an origin's authority, lowercase, without port or brackets.
fn host_name(authority: &str) -> String {
    let authority = authority.trim().trim_end_matches('/');
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `localhost`, a name under it (RFC 6761: they resolve to loopback), or a loopback address.
fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    fn status(guard: &Guard, method: Method, path: &str, pairs: &[(&'static str, &str)]) -> u16 {
        let uri: Uri = path.parse().unwrap();
        match guard.check(&method, &uri, &headers(pairs)) {
            Ok(()) => 200,
            Err(refusal) => refusal.reply().status().as_u16(),
        }
    }

    #[test]
    fn host_names_are_read_without_port_brackets_or_case() {
        assert_eq!(host_name("LocalHost:9000"), "localhost");
        assert_eq!(host_name("[::1]:9000"), "::1");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("evil.example.:80"), "evil.example");
        assert!(is_loopback_name("bucket.localhost"));
        assert!(is_loopback_name("127.1.2.3"));
        assert!(!is_loopback_name("localhost.evil.example"));
        assert!(!is_loopback_name("0.0.0.0"));
    }

    #[test]
    fn on_loopback_the_host_must_be_loopback_or_allowed() {
        let guard = Guard::new(([127, 0, 0, 1], 9000).into(), &["Dev.Box".into()], None);
        let get = |host| status(&guard, Method::GET, "/_fnkit/functions", &[("host", host)]);
        assert_eq!(get("127.0.0.1:9000"), 200);
        assert_eq!(get("localhost:9000"), 200);
        assert_eq!(get("uploads.localhost:9000"), 200);
        assert_eq!(get("[::1]:9000"), 200);
        assert_eq!(get("dev.box:9000"), 200);
        assert_eq!(get("rebound.evil.example:9000"), 403);
        assert!(guard.warning(([127, 0, 0, 1], 9000).into()).is_none());
    }

    #[test]
    fn another_sites_page_may_read_but_not_change() {
        let guard = Guard::new(([127, 0, 0, 1], 9000).into(), &[], None);
        let host = ("host", "127.0.0.1:9000");
        let invoke = "/2015-03-31/functions/f/invocations";
        let evil = ("origin", "https://evil.example");
        assert_eq!(status(&guard, Method::POST, invoke, &[host, evil]), 403);
        assert_eq!(
            status(&guard, Method::PUT, "/uploads/k", &[host, evil]),
            403
        );
        assert_eq!(
            status(&guard, Method::POST, invoke, &[host, ("origin", "null")]),
            403
        );
        assert_eq!(
            status(&guard, Method::GET, "/_fnkit/functions", &[host, evil]),
            200
        );
        assert_eq!(status(&guard, Method::OPTIONS, invoke, &[host, evil]), 200);
        // A page served from this machine (a front end on another port), and no page at all.
        let dev = ("origin", "http://localhost:5173");
        assert_eq!(status(&guard, Method::POST, invoke, &[host, dev]), 200);
        assert_eq!(status(&guard, Method::POST, invoke, &[host]), 200);
    }

    #[test]
    fn off_loopback_the_admin_api_needs_the_token() {
        let at: std::net::SocketAddr = ([192, 168, 1, 20], 9000).into();
        let closed = Guard::new(at, &[], None);
        let host = ("host", "192.168.1.20:9000");
        assert!(closed.warning(at).unwrap().contains("is closed"));
        assert_eq!(
            status(&closed, Method::GET, "/_fnkit/functions", &[host]),
            401
        );
        // Off loopback an address is served, a name only if allowed (a rebinding page sends
        // its own); the function APIs stay open, as the warning says.
        assert_eq!(status(&closed, Method::GET, "/hello", &[host]), 200);
        let evil = ("host", "evil.example");
        assert_eq!(status(&closed, Method::GET, "/hello", &[evil]), 403);
        let named = Guard::new(at, &["box.lan".into()], None);
        let lan = ("host", "box.lan:9000");
        assert_eq!(status(&named, Method::GET, "/hello", &[lan]), 200);
        let open = Guard::new(at, &[], Some("s3cret".into()));
        let with = |token| {
            status(
                &open,
                Method::GET,
                "/_fnkit/functions",
                &[host, ("authorization", token)],
            )
        };
        assert_eq!(with("Bearer s3cret"), 200);
        assert_eq!(with("Bearer wrong"), 401);
        assert_eq!(
            status(&open, Method::GET, "/_fnkit/functions", &[host]),
            401
        );
        // Same origin off loopback: the page the emulator itself serves.
        let same = ("origin", "http://192.168.1.20:9000");
        let invoke = "/2015-03-31/functions/f/invocations";
        assert_eq!(status(&open, Method::POST, invoke, &[host, same]), 200);
    }
}
