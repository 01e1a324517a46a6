//! What the S3 front does to a request before s3s parses it. The emulator accepts any
//! credentials, as LocalStack does: the signature is removed rather than checked (s3s can only
//! check one against a secret it knows), so s3s sees an anonymous request. An `aws-chunked`
//! body (what the SDKs send for uploads with a trailing checksum, and for signed streaming) is
//! decoded here, because s3s decodes it only on its signature-checking path.

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderName, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

/// The largest `aws-chunked` body decoded (it is held in memory): a part of a multipart upload
/// is usually 5–100 MiB, and a larger object belongs in a multipart upload.
pub(crate) const MAX_CHUNKED: usize = 512 * 1024 * 1024;

/// Why a request cannot be passed on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    #[error("the aws-chunked body is larger than {MAX_CHUNKED} bytes; use a multipart upload")]
    TooLarge,
    #[error("the request body could not be read: {0}")]
    Read(String),
    #[error("the aws-chunked body is malformed: {0}")]
    Chunked(&'static str),
}

const AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const AMZ_DECODED_LENGTH: HeaderName = HeaderName::from_static("x-amz-decoded-content-length");
const AMZ_TRAILER: HeaderName = HeaderName::from_static("x-amz-trailer");

/// The request as s3s should see it: unsigned, its body decoded.
pub(crate) async fn prepare(req: Request<Incoming>) -> Result<Request<s3s::Body>, RequestError> {
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(AUTHORIZATION);
    strip_presigned_query(&mut parts.uri);
    let streaming = parts
        .headers
        .get(&AMZ_CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    let chunked = parts
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim() == "aws-chunked"));
    parts.headers.remove(&AMZ_CONTENT_SHA256);
    if !(streaming || chunked) {
        return Ok(Request::from_parts(parts, s3s::Body::from(body)));
    }
    let raw = Limited::new(body, MAX_CHUNKED + 64 * 1024)
        .collect()
        .await
        .map_err(
            |e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                Some(_) => RequestError::TooLarge,
                None => RequestError::Read(e.to_string()),
            },
        )?
        .to_bytes();
    let (decoded, trailers) = decode_chunked(raw)?;
    for (name, value) in trailers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            parts.headers.insert(name, value);
        }
    }
    for name in [AMZ_DECODED_LENGTH, AMZ_TRAILER] {
        parts.headers.remove(name);
    }
    // `aws-chunked` is the only coding the body had; any other stays.
    let rest: Vec<String> = parts
        .headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && *e != "aws-chunked")
        .map(str::to_owned)
        .collect();
    parts.headers.remove(CONTENT_ENCODING);
    if let (false, Ok(value)) = (rest.is_empty(), HeaderValue::from_str(&rest.join(", "))) {
        parts.headers.insert(CONTENT_ENCODING, value);
    }
    parts.headers.insert(CONTENT_LENGTH, decoded.len().into());
    Ok(Request::from_parts(parts, s3s::Body::from(decoded)))
}

/// Drops a presigned URL's `X-Amz-*` signing parameters from the query.
fn strip_presigned_query(uri: &mut http::Uri) {
    let Some(query) = uri.query() else { return };
    if !query.contains("X-Amz-Signature") {
        return;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with("X-Amz-"))
        .collect();
    let path_and_query = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    if let Ok(pq) = path_and_query.parse() {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(pq);
        if let Ok(new) = http::Uri::from_parts(parts) {
            *uri = new;
        }
    }
}

/// Decodes `aws-chunked`: `<hex size>[;chunk-signature=...]\r\n<data>\r\n` until a zero-size
/// chunk, then optional trailer lines `name:value\r\n` and a final `\r\n`. Returns the data and
/// the trailers (a trailing checksum, say).
pub(crate) fn decode_chunked(
    mut raw: Bytes,
) -> Result<(Bytes, Vec<(String, String)>), RequestError> {
    let mut out = BytesMut::with_capacity(raw.len());
    loop {
        let line =
            take_line(&mut raw).ok_or(RequestError::Chunked("a chunk header has no CRLF"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| RequestError::Chunked("a chunk size is not hexadecimal"))?;
        if size == 0 {
            break;
        }
        if raw.len() < size + 2 || &raw[size..size + 2] != b"\r\n" {
            return Err(RequestError::Chunked("a chunk is shorter than its size"));
        }
        out.extend_from_slice(&raw[..size]);
        raw.advance(size + 2);
        if out.len() > MAX_CHUNKED {
            return Err(RequestError::TooLarge);
        }
    }
    let mut trailers = Vec::new();
    while let Some(line) = take_line(&mut raw) {
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            // A trailer's own signature is not a header s3s knows.
            if name != "x-amz-trailer-signature" {
                trailers.push((name, value.trim().to_owned()));
            }
        }
    }
    Ok((out.freeze(), trailers))
}

/// The next CRLF-terminated line, consumed.
fn take_line(raw: &mut Bytes) -> Option<String> {
    let end = raw.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&raw[..end]).into_owned();
    raw.advance(end + 2);
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_with_their_trailers() {
        let unsigned = Bytes::from_static(
            b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        );
        let (data, trailers) = decode_chunked(unsigned).unwrap();
        assert_eq!(&data[..], b"hello world");
        assert_eq!(
            trailers,
            [("x-amz-checksum-crc32".to_owned(), "NhCmhg==".to_owned())]
        );
        let signed =
            Bytes::from_static(b"3;chunk-signature=abc\r\nabc\r\n0;chunk-signature=def\r\n\r\n");
        let (data, trailers) = decode_chunked(signed).unwrap();
        assert_eq!(&data[..], b"abc");
        assert!(trailers.is_empty());
    }

    #[test]
    fn malformed_chunks_are_refused() {
        for bad in [&b"zz\r\nabc\r\n"[..], b"5\r\nab\r\n0\r\n\r\n", b"3"] {
            assert!(decode_chunked(Bytes::from_static(bad)).is_err(), "{bad:?}");
        }
    }
}
