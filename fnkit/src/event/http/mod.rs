//! HTTP functions: requests and responses on the `http` crate's types, decoded from every payload
//! shape AWS sends a function (API Gateway HTTP API v2 and Function URLs, REST API v1, ALB) and
//! answered in the shape that came in. `decode.rs` reads requests, `encode.rs` writes responses;
//! the shape travels between them in the invocation's extensions.

pub(crate) mod decode;
pub(crate) mod direct;
pub(crate) mod encode;

use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{trigger, FromEvent, Respond};
use crate::invocation::Invocation;
use crate::manifest::Trigger;
use crate::route::Route;
use crate::Error;

/// The request an HTTP function receives.
pub type HttpRequest = http::Request<Body>;
/// The response an HTTP function returns.
pub type HttpResponse = http::Response<Body>;

/// An HTTP body: bytes, with helpers for text and JSON.
///
/// ```
/// let body = fnkit::Body::from(r#"{"a":1}"#);
/// let v: serde_json::Value = body.json().unwrap();
/// assert_eq!(v["a"], 1);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body(Bytes);

impl Body {
    /// An empty body.
    pub fn empty() -> Self {
        Body(Bytes::new())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body as UTF-8 text.
    pub fn to_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }

    /// The body parsed as JSON; a body that does not parse is a `400 Bad Request` error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.0)
            .map_err(|e| Error::bad_request(format!("invalid JSON body: {e}")))
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) => write!(f, "Body({s:?})"),
            Err(_) => write!(f, "Body({} bytes)", self.0.len()),
        }
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body(Bytes::from_static(s.as_bytes()))
    }
}
impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(Bytes::from(s))
    }
}
impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(Bytes::from(v))
    }
}
impl From<&'static [u8]> for Body {
    fn from(v: &'static [u8]) -> Self {
        Body(Bytes::from_static(v))
    }
}
impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body(b)
    }
}
impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

/// A JSON response body: `Json(value)` answers `200` with `content-type: application/json`.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

/// The route's path parameters, in the request's extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(pub HashMap<String, String>);

/// Reading path and query parameters from an [`HttpRequest`].
///
/// ```
/// use fnkit::prelude::*;
/// let req = fnkit::testing::http("GET", "/hello/ada?greeting=hi").route("/hello/{name}").build();
/// assert_eq!(req.path_param("name"), Some("ada"));
/// assert_eq!(req.query_param("greeting").as_deref(), Some("hi"));
/// ```
pub trait RequestExt {
    /// A path parameter of the route, e.g. `name` in `/hello/{name}`.
    fn path_param(&self, name: &str) -> Option<&str>;
    /// A query parameter, percent-decoded (the first, if repeated).
    fn query_param(&self, name: &str) -> Option<String>;
}

impl<B> RequestExt for http::Request<B> {
    fn path_param(&self, name: &str) -> Option<&str> {
        self.extensions()
            .get::<PathParams>()?
            .0
            .get(name)
            .map(String::as_str)
    }

    fn query_param(&self, name: &str) -> Option<String> {
        let query = self.uri().query()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k) == name).then(|| form_decode(v))
        })
    }
}

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Which payload shape a request arrived in; the response goes back in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpShape {
    /// API Gateway HTTP API (payload 2.0) and Lambda Function URLs.
    V2,
    /// API Gateway REST API (payload 1.0).
    V1,
    /// An Application Load Balancer target; `multi_value` when multi-value headers are on.
    Alb { multi_value: bool },
}

impl FromEvent<trigger::Http> for HttpRequest {
    fn from_event(invocation: &mut Invocation) -> Result<Self, Error> {
        if let Some(request) = invocation
            .extensions
            .get::<direct::Direct>()
            .and_then(direct::Direct::take_request)
        {
            return Ok(request);
        }
        let (shape, mut request) = decode::decode_request(&invocation.payload)?;
        invocation.extensions.insert(shape);
        if request.extensions().get::<PathParams>().is_none() {
            if let Trigger::Http { path, .. } = &invocation.spec.trigger {
                let params = Route::parse(path)
                    .ok()
                    .and_then(|r| r.matches(request.uri().path()))
                    .unwrap_or_default();
                request.extensions_mut().insert(PathParams(params));
            }
        }
        Ok(request)
    }
}

fn shape(invocation: &Invocation) -> HttpShape {
    invocation
        .extensions
        .get::<HttpShape>()
        .copied()
        .unwrap_or(HttpShape::V2)
}

/// What an HTTP function may return: a whole response, a body (`String`, `&'static str`,
/// [`Json<T>`]), a bare status, `()` (204), or `(StatusCode, any of those)` to set the status.
///
/// ```
/// use fnkit::prelude::*;
///
/// #[function(trigger = http(method = "POST", path = "/orders"))]
/// async fn create(_req: HttpRequest) -> (StatusCode, Json<serde_json::Value>) {
///     (StatusCode::CREATED, Json(serde_json::json!({"id": 1})))
/// }
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something an HTTP function can answer with",
    label = "unsupported return type for an http function",
    note = "http functions return `HttpResponse`, `String`, `&'static str`, `Json<T>`, `StatusCode`, `()`, or `(StatusCode, one of those)`"
)]
pub trait IntoHttpResponse {
    /// The response.
    fn into_http_response(self) -> Result<HttpResponse, Error>;
}

impl<B: Into<Body>> IntoHttpResponse for http::Response<B> {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        Ok(self.map(Into::into))
    }
}

fn text(status: StatusCode, content_type: &'static str, body: Body) -> HttpResponse {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

impl IntoHttpResponse for String {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        Ok(text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            self.into(),
        ))
    }
}

impl IntoHttpResponse for &'static str {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        Ok(text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            self.into(),
        ))
    }
}

impl IntoHttpResponse for StatusCode {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        let mut response = http::Response::new(Body::empty());
        *response.status_mut() = self;
        Ok(response)
    }
}

impl IntoHttpResponse for () {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        StatusCode::NO_CONTENT.into_http_response()
    }
}

impl<T: Serialize> IntoHttpResponse for Json<T> {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        let body = serde_json::to_vec(&self.0).map_err(Error::marshal)?;
        Ok(text(StatusCode::OK, "application/json", body.into()))
    }
}

impl<T: IntoHttpResponse> IntoHttpResponse for (StatusCode, T) {
    fn into_http_response(self) -> Result<HttpResponse, Error> {
        let mut response = self.1.into_http_response()?;
        *response.status_mut() = self.0;
        Ok(response)
    }
}

impl<T: IntoHttpResponse> Respond<trigger::Http> for T {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        let response = self.into_http_response()?;
        match invocation.extensions.get::<direct::Direct>() {
            Some(direct) => {
                direct.put_response(response);
                Ok(Vec::new())
            }
            None => encode::encode_response(response, shape(invocation)),
        }
    }
}

/// An HTTP function's `Err`: with a status it becomes that response, with a JSON error body;
/// without one the invocation fails, as on Lambda.
pub(crate) fn error_response(error: Error, invocation: &Invocation) -> Result<Vec<u8>, Error> {
    match error.status() {
        Some(status) => {
            text(status, "application/json", error.to_json().into()).respond(invocation)
        }
        None => Err(error),
    }
}
