//! HTTP payloads the platform side writes and reads: the API Gateway v2 event for a request (the
//! emulator's gateway, the HTTP mode, `fnkit::testing`), and any response shape read back.

use std::collections::HashMap;

use base64::Engine as _;
use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::StatusCode;

use crate::event::http::decode::body_from;
use crate::event::http::encode::is_binary;
use crate::event::http::{Body, HttpRequest, HttpResponse, PathParams};
use crate::route::Route;
use crate::Error;

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
