//! The answers every front writes: JSON, AWS-style errors, and the request helpers (query
//! parameters, bounded bodies). A leaf: it imports nothing from the fronts that use it.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::Request;

use crate::engine::InvokeError;

/// What every front answers with.
pub(crate) type Reply = Response<Full<Bytes>>;

/// A JSON answer.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::to_vec_pretty(value).unwrap_or_default(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `{"message": ...}` with a status.
pub(crate) fn message(status: StatusCode, message: impl std::fmt::Display) -> Reply {
    json(status, &serde_json::json!({"message": message.to_string()}))
}

/// An empty answer.
pub(crate) fn empty(status: StatusCode) -> Reply {
    let mut r = Response::new(Full::default());
    *r.status_mut() = status;
    r
}

/// Sets a header when the value is a valid header value.
pub(crate) fn with_header(mut reply: Reply, name: &'static str, value: &str) -> Reply {
    if let Ok(v) = HeaderValue::from_str(value) {
        reply.headers_mut().insert(name, v);
    }
    reply
}

/// An AWS-style error: `x-amzn-ErrorType` and `x-amzn-RequestId` headers and a JSON body.
pub(crate) fn aws_error(
    status: StatusCode,
    error_type: &str,
    message: &str,
    extra: Option<(&str, &str)>,
) -> Reply {
    let mut body = serde_json::json!({"Type": "User", "message": message, "__type": error_type});
    if let Some((k, v)) = extra {
        body[k] = v.into();
    }
    let reply = with_header(json(status, &body), "x-amzn-errortype", error_type);
    // Every AWS answer names its request, errors too (the SDKs report it).
    with_header(reply, "x-amzn-requestid", &crate::engine::new_request_id())
}

/// An invocation that was not run, as the Lambda API answers it.
pub(crate) fn invoke_error(e: InvokeError) -> Reply {
    match &e {
        InvokeError::NotFound(_) => aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &e.to_string(),
            None,
        ),
        InvokeError::Throttled { reason, request_id } => with_header(
            aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate Exceeded.",
                Some(("Reason", reason)),
            ),
            "x-amzn-requestid",
            request_id,
        ),
        InvokeError::EventAgeExceeded => aws_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            &e.to_string(),
            None,
        ),
        InvokeError::TooLarge { .. } => aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            &e.to_string(),
            None,
        ),
        InvokeError::Internal(_) => aws_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            &e.to_string(),
            None,
        ),
    }
}

/// A query parameter of a request, percent-decoded.
pub(crate) fn query(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v))
    })
}

/// A percent-decoded path segment or value.
/// `s` percent-decoded, or `None` when the bytes it names are not UTF-8 (`%ff`): two such
/// keys would otherwise decode to one and name the same object.
pub(crate) fn percent_decode_exact(s: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
    Some(decoded.into_owned())
}

pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// How much of a refused body is still read (and dropped) so its client, which is sending it
/// whole before it reads an answer, gets the 413 instead of a broken pipe; and for how long.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a request body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is larger than the front takes.
    TooLarge,
    /// It is not well-formed HTTP (a bad chunk), or the client went away mid-body.
    Unreadable(hyper::Error),
}

impl BodyError {
    /// The answer: the front's own `too_large` refusal, or a `400` for a body that cannot be read
    /// (not a `413`: a malformed chunk says nothing of the body's size).
    pub fn answer(self, too_large: Reply) -> Reply {
        match self {
            BodyError::TooLarge => too_large,
            BodyError::Unreadable(e) => message(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            ),
        }
    }
}

/// Reads a request body of at most `limit` bytes. A larger body is read to its end (up to
/// [`DRAIN_BYTES`] more, for at most [`DRAIN_TIME`] once it is over the limit) and dropped, so
/// the client reads the refusal cleanly; the refusal then closes the connection (see `http`).
pub(crate) async fn body(
    req: Request<Incoming>,
    limit: usize,
) -> Result<(http::request::Parts, Bytes), BodyError> {
    let (parts, mut body) = req.into_parts();
    let mut kept = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if kept.len() + data.len() > limit {
            let mut seen = kept.len() + data.len();
            let _ = tokio::time::timeout(DRAIN_TIME, async {
                while let Some(Ok(frame)) = body.frame().await {
                    seen += frame.data_ref().map_or(0, Bytes::len);
                    if seen > limit + DRAIN_BYTES {
                        return;
                    }
                }
            })
            .await;
            return Err(BodyError::TooLarge);
        }
        kept.extend_from_slice(&data);
    }
    Ok((parts, kept.freeze()))
}
