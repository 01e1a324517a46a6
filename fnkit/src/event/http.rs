//! HTTP functions: requests and responses on the `http` crate's types, decoded from every payload
//! shape AWS sends a function (API Gateway HTTP API v2 and Function URLs, REST API v1, ALB) and
//! answered in the shape that came in.

use std::collections::HashMap;
use std::fmt;

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as AwsBody;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
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
        let (shape, mut request) = decode_request(&invocation.payload)?;
        invocation.http_shape = Some(shape);
        if request.extensions().get::<PathParams>().is_none() {
            if let Trigger::Http { path, .. } = &invocation.function.spec().trigger {
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

const WHAT: &str = "an HTTP request (API Gateway v1 or v2, Function URL or ALB)";

/// Just enough of a payload to tell its shape, read without allocating.
#[derive(serde::Deserialize)]
struct Sniff<'a> {
    #[serde(borrow, default)]
    version: Option<&'a str>,
    #[serde(rename = "httpMethod", default)]
    http_method: Option<serde::de::IgnoredAny>,
    #[serde(rename = "requestContext", default)]
    request_context: Option<SniffContext>,
    #[serde(rename = "multiValueHeaders", default)]
    multi_value_headers: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct SniffContext {
    #[serde(default)]
    http: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    elb: Option<serde::de::IgnoredAny>,
}

/// Decodes any of the HTTP payload shapes.
pub(crate) fn decode_request(payload: &[u8]) -> Result<(HttpShape, HttpRequest), Error> {
    let sniff: Sniff<'_> =
        serde_json::from_slice(payload).map_err(|e| Error::unmarshal(WHAT, e))?;
    let context = sniff.request_context.as_ref();
    if sniff.version == Some("2.0") || context.is_some_and(|c| c.http.is_some()) {
        let event: ApiGatewayV2httpRequest =
            serde_json::from_slice(payload).map_err(|e| Error::unmarshal(WHAT, e))?;
        Ok((HttpShape::V2, from_v2(event)?))
    } else if context.is_some_and(|c| c.elb.is_some()) {
        let multi_value = sniff.multi_value_headers.is_some();
        let event: AlbTargetGroupRequest =
            serde_json::from_slice(payload).map_err(|e| Error::unmarshal(WHAT, e))?;
        Ok((HttpShape::Alb { multi_value }, from_alb(event)?))
    } else if sniff.http_method.is_some() {
        let event: ApiGatewayProxyRequest =
            serde_json::from_slice(payload).map_err(|e| Error::unmarshal(WHAT, e))?;
        Ok((HttpShape::V1, from_v1(event)?))
    } else {
        Err(Error::unmarshal(
            WHAT,
            "it has neither `requestContext.http`, `requestContext.elb` nor `httpMethod`",
        ))
    }
}

fn body_from(body: Option<String>, base64: bool) -> Result<Body, Error> {
    match body {
        None => Ok(Body::empty()),
        Some(text) if base64 => base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Body::from)
            .map_err(|e| {
                Error::unmarshal(WHAT, format!("the body is marked base64 but is not: {e}"))
            }),
        Some(text) => Ok(Body::from(text)),
    }
}

fn build(
    method: Method,
    path: &str,
    query: &str,
    headers: HeaderMap,
    body: Body,
    params: HashMap<String, String>,
) -> Result<HttpRequest, Error> {
    let path = if path.is_empty() { "/" } else { path };
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .map_err(|e| Error::unmarshal(WHAT, e))?;
    *request.headers_mut() = headers;
    if !params.is_empty() {
        request.extensions_mut().insert(PathParams(params));
    }
    Ok(request)
}

fn from_v2(event: ApiGatewayV2httpRequest) -> Result<HttpRequest, Error> {
    let mut headers = event.headers;
    if let Some(cookies) = event.cookies.filter(|c| !c.is_empty()) {
        let joined =
            HeaderValue::from_str(&cookies.join("; ")).map_err(|e| Error::unmarshal(WHAT, e))?;
        headers.insert(COOKIE, joined);
    }
    let path = event
        .raw_path
        .or(event.request_context.http.path)
        .unwrap_or_default();
    build(
        event.request_context.http.method,
        &path,
        event.raw_query_string.as_deref().unwrap_or(""),
        headers,
        body_from(event.body, event.is_base64_encoded)?,
        event.path_parameters,
    )
}

/// The query string of a v1 / ALB event, whose parameters arrive decoded.
fn encode_query(map: &aws_lambda_events::query_map::QueryMap) -> String {
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    map.iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The parts of a REST API (v1) or ALB request that become an HTTP request.
struct MultiValueRequest {
    method: Method,
    path: Option<String>,
    headers: HeaderMap,
    multi_value_headers: HeaderMap,
    query: aws_lambda_events::query_map::QueryMap,
    multi_value_query: aws_lambda_events::query_map::QueryMap,
    body: Option<String>,
    base64: bool,
    params: HashMap<String, String>,
}

/// v1 and ALB requests carry single- and multi-value maps; the multi-value ones win when present.
fn from_multi_value(r: MultiValueRequest) -> Result<HttpRequest, Error> {
    let headers = if r.multi_value_headers.is_empty() {
        r.headers
    } else {
        r.multi_value_headers
    };
    let query = if r.multi_value_query.is_empty() {
        encode_query(&r.query)
    } else {
        encode_query(&r.multi_value_query)
    };
    build(
        r.method,
        r.path.as_deref().unwrap_or("/"),
        &query,
        headers,
        body_from(r.body, r.base64)?,
        r.params,
    )
}

fn from_v1(e: ApiGatewayProxyRequest) -> Result<HttpRequest, Error> {
    from_multi_value(MultiValueRequest {
        method: e.http_method,
        path: e.path,
        headers: e.headers,
        multi_value_headers: e.multi_value_headers,
        query: e.query_string_parameters,
        multi_value_query: e.multi_value_query_string_parameters,
        body: e.body,
        base64: e.is_base64_encoded,
        params: e.path_parameters,
    })
}

fn from_alb(e: AlbTargetGroupRequest) -> Result<HttpRequest, Error> {
    from_multi_value(MultiValueRequest {
        method: e.http_method,
        path: e.path,
        headers: e.headers,
        multi_value_headers: e.multi_value_headers,
        query: e.query_string_parameters,
        multi_value_query: e.multi_value_query_string_parameters,
        body: e.body,
        base64: e.is_base64_encoded,
        params: HashMap::new(),
    })
}

/// Whether a body must travel base64-encoded: not UTF-8, or a binary content type.
fn is_binary(headers: &HeaderMap, body: &[u8]) -> bool {
    let textual = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("text/")
                || ct.contains("json")
                || ct.contains("xml")
                || ct.contains("javascript")
                || ct.contains("x-www-form-urlencoded")
                || ct.contains("charset=")
        });
    !textual || std::str::from_utf8(body).is_err()
}

fn aws_body(headers: &HeaderMap, body: Body) -> (Option<AwsBody>, bool) {
    if body.is_empty() {
        return (None, false);
    }
    if is_binary(headers, body.as_bytes()) {
        (Some(AwsBody::Binary(body.into_bytes().to_vec())), true)
    } else {
        let text = String::from_utf8(body.into_bytes().to_vec()).unwrap_or_default();
        (Some(AwsBody::Text(text)), false)
    }
}

/// Joins repeated headers into one comma-separated value, as single-value header maps need.
fn joined(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.keys_len());
    for key in headers.keys() {
        let values: Vec<&[u8]> = headers
            .get_all(key)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        let value = values.join(&b", "[..]);
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            out.insert(key.clone(), v);
        }
    }
    out
}

/// Encodes a response in the shape its request came in.
pub(crate) fn encode_response(response: HttpResponse, shape: HttpShape) -> Result<Vec<u8>, Error> {
    let (parts, body) = response.into_parts();
    let status = i64::from(parts.status.as_u16());
    let (body, base64) = aws_body(&parts.headers, body);
    let json = match shape {
        HttpShape::V2 => {
            let mut headers = parts.headers;
            let cookies: Vec<String> = headers
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            headers.remove(SET_COOKIE);
            let mut r = ApiGatewayV2httpResponse::default();
            r.status_code = status;
            r.headers = joined(&headers);
            r.cookies = cookies;
            r.body = body;
            r.is_base64_encoded = base64;
            serde_json::to_vec(&r)
        }
        HttpShape::V1 => {
            let mut r = ApiGatewayProxyResponse::default();
            r.status_code = status;
            r.multi_value_headers = parts.headers;
            r.body = body;
            r.is_base64_encoded = base64;
            serde_json::to_vec(&r)
        }
        HttpShape::Alb { multi_value } => {
            let mut r = AlbTargetGroupResponse::default();
            r.status_code = status;
            r.status_description = Some(format!(
                "{} {}",
                parts.status.as_u16(),
                parts.status.canonical_reason().unwrap_or("")
            ));
            if multi_value {
                r.multi_value_headers = parts.headers;
            } else {
                r.headers = joined(&parts.headers);
            }
            r.body = body;
            r.is_base64_encoded = base64;
            serde_json::to_vec(&r)
        }
    };
    json.map_err(Error::marshal)
}

/// Decodes a response in any of the shapes (for tests and the emulator's gateway).
pub fn decode_response(payload: &[u8]) -> Result<HttpResponse, Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Any {
        status_code: Option<u16>,
        #[serde(default)]
        headers: HashMap<String, String>,
        #[serde(default)]
        multi_value_headers: HashMap<String, Vec<String>>,
        #[serde(default)]
        cookies: Vec<String>,
        body: Option<String>,
        #[serde(default)]
        is_base64_encoded: bool,
    }
    // A v2 function may answer with any JSON that is not a response object: API Gateway then
    // answers 200 with that JSON as the body.
    let any = match serde_json::from_slice::<Any>(payload) {
        Ok(any) if any.status_code.is_some() => any,
        _ => {
            serde_json::from_slice::<serde::de::IgnoredAny>(payload)
                .map_err(|e| Error::unmarshal("an HTTP response", e))?;
            return http::Response::builder()
                .status(StatusCode::OK)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(payload.to_vec()))
                .map_err(|e| Error::unmarshal("an HTTP response", e));
        }
    };
    let mut builder = http::Response::builder().status(any.status_code.unwrap_or(200));
    for (k, v) in &any.headers {
        builder = builder.header(k, v);
    }
    for (k, vs) in &any.multi_value_headers {
        if any.headers.contains_key(k) {
            continue;
        }
        for v in vs {
            builder = builder.header(k, v);
        }
    }
    for c in &any.cookies {
        builder = builder.header(SET_COOKIE, c);
    }
    let body = body_from(any.body, any.is_base64_encoded)?;
    builder
        .body(body)
        .map_err(|e| Error::unmarshal("an HTTP response", e))
}

fn shape(invocation: &Invocation) -> HttpShape {
    invocation.http_shape.unwrap_or(HttpShape::V2)
}

impl<B: Into<Body>> Respond<trigger::Http> for http::Response<B> {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        encode_response(self.map(Into::into), shape(invocation))
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

impl Respond<trigger::Http> for String {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        text(StatusCode::OK, "text/plain; charset=utf-8", self.into()).respond(invocation)
    }
}

impl Respond<trigger::Http> for &'static str {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        text(StatusCode::OK, "text/plain; charset=utf-8", self.into()).respond(invocation)
    }
}

impl Respond<trigger::Http> for StatusCode {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        let mut response = http::Response::new(Body::empty());
        *response.status_mut() = self;
        response.respond(invocation)
    }
}

impl Respond<trigger::Http> for () {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        StatusCode::NO_CONTENT.respond(invocation)
    }
}

impl<T: Serialize> Respond<trigger::Http> for Json<T> {
    fn respond(self, invocation: &Invocation) -> Result<Vec<u8>, Error> {
        let body = serde_json::to_vec(&self.0).map_err(Error::marshal)?;
        text(StatusCode::OK, "application/json", body.into()).respond(invocation)
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

/// The API Gateway HTTP API (payload 2.0) event for a request, as AWS would deliver it.
/// `route` is the matched route (`/hello/{name}`), which fills `routeKey` and `pathParameters`.
pub fn to_v2_event(request: &HttpRequest, route: Option<&str>) -> serde_json::Value {
    let method = request.method().as_str();
    let path = request.uri().path();
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for key in request.headers().keys() {
        let values: Vec<&str> = request
            .headers()
            .get_all(key)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if key == COOKIE {
            cookies.extend(values.iter().flat_map(|v| v.split("; ")).map(str::to_owned));
        } else {
            headers.insert(key.as_str().to_owned(), values.join(",").into());
        }
    }
    let params = match (request.extensions().get::<PathParams>(), route) {
        (Some(p), _) => p.0.clone(),
        (None, Some(route)) => Route::parse(route)
            .ok()
            .and_then(|r| r.matches(path))
            .unwrap_or_default(),
        (None, None) => HashMap::new(),
    };
    let route_key = route.map_or_else(|| "$default".to_owned(), |r| format!("{method} {r}"));
    let body = request.body();
    let binary = is_binary(request.headers(), body.as_bytes());
    let now = chrono::Utc::now();
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": request.uri().query().unwrap_or(""),
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "fnkit",
            "domainName": request.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": request.headers().get(http::header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or(""),
            },
            "requestId": crate::context::new_request_id(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": binary && !body.is_empty(),
    });
    if !cookies.is_empty() {
        event["cookies"] = cookies.into();
    }
    if !params.is_empty() {
        event["pathParameters"] = serde_json::to_value(params).unwrap_or_default();
    }
    if !body.is_empty() {
        event["body"] = if binary {
            base64::engine::general_purpose::STANDARD
                .encode(body.as_bytes())
                .into()
        } else {
            String::from_utf8_lossy(body.as_bytes()).into_owned().into()
        };
    }
    event
}
