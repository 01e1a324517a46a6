//! HTTP payloads the platform side writes and reads: the API Gateway v2 event for a request (the
//! emulator's gateway, the HTTP mode, `fnkit::testing`), and any response shape read back.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use base64::Engine as _;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::StatusCode;

use crate::event::http::decode::body_from;
use crate::event::http::encode::is_binary;
use crate::event::http::{Body, HttpRequest, HttpResponse, PathParams};
use crate::route::Route;
use crate::Error;

/// The request id API Gateway gives a request (`requestContext.requestId`, answered in the
/// `apigw-requestid` header); put it in a request's extensions before [`to_v2_payload`], else
/// one is made up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRequestId(pub String);

/// Decodes a function's answer to an API Gateway HTTP API (payload 2.0) event as API Gateway
/// does (for tests, the emulator's gateway and the HTTP mode). An answer with a `statusCode` is
/// a response (`multiValueHeaders`, a v1 field, is ignored, as v2 ignores it); any other JSON is
/// the body of a 200, a JSON string without its quotes (API Gateway's format inference).
pub fn decode_response(payload: &[u8]) -> Result<HttpResponse, Error> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Any {
        status_code: Option<u16>,
        #[serde(default)]
        headers: HashMap<String, String>,
        #[serde(default)]
        cookies: Vec<String>,
        body: Option<String>,
        #[serde(default)]
        is_base64_encoded: bool,
    }
    let any = match serde_json::from_slice::<Any>(payload) {
        Ok(any) if any.status_code.is_some() => any,
        _ => {
            let value = serde_json::from_slice::<serde_json::Value>(payload)
                .map_err(|e| Error::unmarshal("an HTTP response", e))?;
            let body = match value {
                serde_json::Value::String(text) => text.into_bytes(),
                _ => payload.to_vec(),
            };
            return http::Response::builder()
                .status(StatusCode::OK)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .map_err(|e| Error::unmarshal("an HTTP response", e));
        }
    };
    let mut builder = http::Response::builder().status(any.status_code.unwrap_or(200));
    for (k, v) in &any.headers {
        builder = builder.header(k, v);
    }
    for c in &any.cookies {
        builder = builder.header(SET_COOKIE, c);
    }
    let body = body_from(any.body, any.is_base64_encoded)?;
    builder
        .body(body)
        .map_err(|e| Error::unmarshal("an HTTP response", e))
}

/// The v2 request for `request`, every field AWS sends set.
fn v2_request(request: &HttpRequest, route: Option<&str>) -> ApiGatewayV2httpRequest {
    let method = request.method().as_str();
    let path = request.uri().path();
    let query = request.uri().query().unwrap_or("");
    let header = |name: http::header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    };
    // A route key names its method (`ANY /x` is the key even for a POST); a bare route takes the
    // request's.
    let route_key = match route {
        Some(r) if r.starts_with('/') => format!("{method} {r}"),
        Some(key) => key.to_owned(),
        None => "$default".to_owned(),
    };
    let route = route.map(|r| r.rsplit(' ').next().unwrap_or(r));
    let now = chrono::Utc::now();
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method().clone();
    http.path = Some(path.to_owned());
    http.protocol = Some("HTTP/1.1".to_owned());
    http.source_ip = Some("127.0.0.1".to_owned());
    http.user_agent = Some(header(http::header::USER_AGENT).unwrap_or_default());
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.clone());
    context.account_id = Some("000000000000".to_owned());
    context.stage = Some("$default".to_owned());
    context.request_id = Some(match request.extensions().get::<GatewayRequestId>() {
        Some(id) => id.0.clone(),
        None => crate::context::new_request_id(),
    });
    context.apiid = Some("fnkit".to_owned());
    let domain = header(http::header::HOST).unwrap_or_else(|| "localhost".into());
    context.domain_prefix = Some(
        domain
            .split(['.', ':'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    );
    context.domain_name = Some(domain);
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    let (headers, cookies) = v2_headers(request);
    let body = request.body();
    let binary = is_binary(request.headers(), body.as_bytes());
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(route_key);
    event.raw_path = Some(path.to_owned());
    event.raw_query_string = Some(query.to_owned());
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.headers = headers;
    event.query_string_parameters = query_parameters(query).into();
    event.path_parameters = path_parameters(request, route);
    event.request_context = context;
    event.is_base64_encoded = binary && !body.is_empty();
    event.body = (!body.is_empty()).then(|| {
        if binary {
            base64::engine::general_purpose::STANDARD.encode(body.as_bytes())
        } else {
            String::from_utf8_lossy(body.as_bytes()).into_owned()
        }
    });
    event
}

/// The API Gateway HTTP API (payload 2.0) event for a request, as AWS would deliver it.
/// `route` is the matched route key (`ANY /hello/{name}`) or a bare route (`/hello/{name}`,
/// keyed with the request's method); it fills `routeKey` and `pathParameters`.
pub fn to_v2_event(request: &HttpRequest, route: Option<&str>) -> serde_json::Value {
    serde_json::from_slice(&to_v2_payload(request, route)).unwrap_or_default()
}

/// [`to_v2_event`] as the bytes a function receives, written straight from the struct (no JSON
/// tree: the emulator's gateway and the HTTP mode call this once per request). The one writer of
/// the v2 event: the struct also declares custom-authorizer keys a v2 event never has (and would
/// write `"httpMethod":"GET"` for every method), so the top-level keys are listed here and each
/// value is written by the struct's own serializers.
pub fn to_v2_payload(request: &HttpRequest, route: Option<&str>) -> Vec<u8> {
    // API Gateway v2 joins a repeated query parameter's values with commas.
    let query = query_parameters(request.uri().query().unwrap_or(""))
        .into_iter()
        .map(|(k, v)| (k, v.join(",")))
        .collect();
    serde_json::to_vec(&V2Payload(v2_request(request, route), query)).unwrap_or_default()
}

/// Writes a v2 request without the authorizer-only keys `ApiGatewayV2httpRequest` declares.
struct V2Payload(ApiGatewayV2httpRequest, HashMap<String, String>);

impl serde::Serialize for V2Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = &self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("version", &e.version)?;
        map.serialize_entry("routeKey", &e.route_key)?;
        map.serialize_entry("rawPath", &e.raw_path)?;
        map.serialize_entry("rawQueryString", &e.raw_query_string)?;
        if let Some(cookies) = &e.cookies {
            map.serialize_entry("cookies", cookies)?;
        }
        map.serialize_entry("headers", &HeadersJson(&e.headers))?;
        if !self.1.is_empty() {
            map.serialize_entry("queryStringParameters", &self.1)?;
        }
        if !e.path_parameters.is_empty() {
            map.serialize_entry("pathParameters", &e.path_parameters)?;
        }
        map.serialize_entry("requestContext", &e.request_context)?;
        map.serialize_entry("stageVariables", &e.stage_variables)?;
        if let Some(body) = &e.body {
            map.serialize_entry("body", body)?;
        }
        map.serialize_entry("isBase64Encoded", &e.is_base64_encoded)?;
        map.end()
    }
}

/// A header map as API Gateway writes it: one string per name.
struct HeadersJson<'a>(&'a HeaderMap);

impl serde::Serialize for HeadersJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default())),
        )
    }
}

/// Makes a request that reached a server of the function's own (the HTTP mode) what a handler
/// gets from API Gateway v2, without writing the event: an origin-form URI (path and query),
/// HTTP/1.1, no extensions of the server's, repeated headers joined by commas and the cookies in
/// one `Cookie` header, header values that are not text left out. The usual request (no repeated
/// header) has its headers kept as they are.
pub(crate) fn as_api_gateway_passes_it(request: &mut HttpRequest) {
    if request.uri().scheme().is_some() || request.uri().authority().is_some() {
        let origin = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        if let Ok(uri) = origin.parse() {
            *request.uri_mut() = uri;
        }
    }
    *request.version_mut() = http::Version::HTTP_11;
    *request.extensions_mut() = http::Extensions::new();
    let headers = request.headers();
    let plain = headers.len() == headers.keys_len() && headers.values().all(|v| v.to_str().is_ok());
    if !plain {
        let (mut joined, cookies) = v2_headers(request);
        let cookie = (!cookies.is_empty())
            .then(|| HeaderValue::from_str(&cookies.join("; ")).ok())
            .flatten();
        if let Some(cookie) = cookie {
            joined.insert(COOKIE, cookie);
        }
        *request.headers_mut() = joined;
    }
}

/// Headers with repeated values joined by commas, as API Gateway v2 sends them, and the
/// cookies, which v2 moves to their own list.
fn v2_headers(request: &HttpRequest) -> (HeaderMap, Vec<String>) {
    let mut headers = HeaderMap::with_capacity(request.headers().keys_len());
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
        } else if let Ok(v) = HeaderValue::from_str(&values.join(",")) {
            headers.insert(key.clone(), v);
        }
    }
    (headers, cookies)
}

/// The query string's parameters, decoded (`a=1&a=2` gives `a: [1, 2]`).
fn query_parameters(query: &str) -> HashMap<String, Vec<String>> {
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        params.entry(decode(k)).or_default().push(decode(v));
    }
    params
}

/// The path parameters the request carries, or those `route` gives its path.
fn path_parameters(request: &HttpRequest, route: Option<&str>) -> HashMap<String, String> {
    match (request.extensions().get::<PathParams>(), route) {
        (Some(p), _) => p.0.clone(),
        (None, Some(route)) => Route::parse(route)
            .ok()
            .and_then(|r| r.matches(request.uri().path()))
            .unwrap_or_default(),
        (None, None) => HashMap::new(),
    }
}
