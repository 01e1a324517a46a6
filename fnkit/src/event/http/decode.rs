//! Requests in: every payload shape AWS sends an HTTP function (API Gateway HTTP API v2 and
//! Function URLs, REST API v1, ALB), told apart by a cheap sniff and decoded through the
//! `aws_lambda_events` types into an `http::Request`.

use std::collections::HashMap;

use aws_lambda_events::alb::AlbTargetGroupRequest;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use base64::Engine as _;
use http::header::{HeaderMap, HeaderValue, COOKIE};
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Body, HttpRequest, HttpShape, PathParams};
use crate::Error;

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

pub(crate) fn body_from(body: Option<String>, base64: bool) -> Result<Body, Error> {
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

/// The query string of a v1 / ALB event, whose parameters arrive decoded. The map is read
/// through its JSON form (key to values): `QueryMap::iter` panics on a key without values
/// (`"multiValueQueryStringParameters": {"a": []}`), which a caller can send.
fn encode_query(map: &aws_lambda_events::query_map::QueryMap) -> String {
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(map) else {
        return String::new();
    };
    let mut pairs = Vec::new();
    for (k, values) in &keys {
        for v in values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            let (k, v) = (utf8_percent_encode(k, QUERY), utf8_percent_encode(v, QUERY));
            pairs.push(format!("{k}={v}"));
        }
    }
    pairs.join("&")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_key_without_values_decodes_without_a_panic() {
        let event = serde_json::json!({
            "httpMethod": "GET",
            "path": "/x",
            "multiValueQueryStringParameters": {"a": [], "b": ["1", "2 3"]},
            "requestContext": {"httpMethod": "GET"},
        });
        let payload = serde_json::to_vec(&event).unwrap();
        let (_, request) = decode_request(&payload).expect("decoded");
        assert_eq!(request.uri().query(), Some("b=1&b=2%203"));
    }
}
