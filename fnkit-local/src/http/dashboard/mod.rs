//! The dashboard: one page at `/_fnkit/` and its script and style at `/_fnkit/ui/...`, compiled
//! into the binary (no build step, nothing fetched from elsewhere). The page draws itself from
//! the admin API and the live feed (`/_fnkit/events`); its policy lets it load nothing but
//! these files and talk to nothing but this emulator.

use http::{HeaderValue, StatusCode};
use http_body_util::Full;
use hyper::Response;

use super::reply::Reply;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("style.css");

/// What the page may load and call: this origin alone, no inline script or style.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The file at `rest` (the path after `/_fnkit/`), if it is one of the dashboard's.
pub(crate) fn file(rest: &str) -> Option<Reply> {
    let (body, kind) = match rest {
        "" => (PAGE, "text/html; charset=utf-8"),
        "ui/app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "ui/style.css" => (STYLE, "text/css; charset=utf-8"),
        _ => return None,
    };
    let mut reply = Response::new(Full::new(body.into()));
    *reply.status_mut() = StatusCode::OK;
    let headers = reply.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    Some(reply)
}
