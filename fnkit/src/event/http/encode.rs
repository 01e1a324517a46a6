//! Responses out: an `http::Response` encoded in the shape its request came in (v2 with
//! `cookies`, v1 with `multiValueHeaders`, ALB with `statusDescription`), binary bodies base64.

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as AwsBody;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE, SET_COOKIE};

use super::{Body, HttpResponse, HttpShape};
use crate::Error;

/// Whether a body must travel base64-encoded: not UTF-8, or a binary content type.
pub(crate) fn is_binary(headers: &HeaderMap, body: &[u8]) -> bool {
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
