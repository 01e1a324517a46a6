//! The durable execution API as a handler calls it: `CheckpointDurableExecution` and
//! `GetDurableExecutionState`. The endpoint is `AWS_ENDPOINT_URL_LAMBDA`, else
//! `AWS_ENDPOINT_URL` (fnkit-local sets it for its workers), else Lambda's own
//! (`https://lambda.{AWS_REGION}.amazonaws.com`). One client per process, made at the first
//! invocation and kept (as the AWS SDKs keep theirs): kept-alive HTTP/1 connections, TLS for
//! `https://` (rustls with the system's roots, which honours `SSL_CERT_FILE`), a 5 s connect
//! timeout and 50 s per call, and two more tries after a throttle, a server error or a broken
//! connection (the same request, so the same `ClientToken`). Calls are SigV4-signed (service
//! `lambda`) with the function's credentials from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as Lambda gives them; an `https://` endpoint
//! without them is refused with that reason rather than answered 403 by AWS.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use fnkit_spec::durable::wire::{CheckpointRequest, CheckpointResponse, ExecutionState};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as Pool;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::DurableError;

/// How long one call may take (botocore's read timeout for this API in the SDKs).
const CALL_TIMEOUT: Duration = Duration::from_secs(50);
/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pauses before the second and third tries of a call.
const BACKOFF: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(400)];

/// A client of the durable execution API: a handle on the process's one client, or on a
/// service in this process (`fnkit::testing::durable`).
#[derive(Debug, Clone)]
pub(crate) enum Client {
    /// Over HTTP(S).
    Http(Arc<Inner>),
    /// A service in this process.
    InProcess(Arc<dyn InProcess>),
}

/// A durable execution service in this process: the two calls a handler makes, answered with
/// the JSON the HTTP API would send.
pub(crate) trait InProcess: Send + Sync + std::fmt::Debug {
    /// `CheckpointDurableExecution`.
    fn checkpoint(
        &self,
        arn: &str,
        request: &CheckpointRequest,
    ) -> Result<serde_json::Value, DurableError>;
    /// `GetDurableExecutionState`, one page.
    fn state(
        &self,
        arn: &str,
        token: &str,
        marker: &str,
    ) -> Result<serde_json::Value, DurableError>;
}

#[derive(Debug)]
pub(crate) struct Inner {
    /// Scheme and authority, without a trailing `/`.
    endpoint: String,
    region: String,
    credentials: Option<Credentials>,
    pool: Pool<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Everything but RFC 3986's unreserved characters, as the AWS SDKs encode a path label.
const LABEL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(label: &str) -> String {
    percent_encoding::utf8_percent_encode(label, LABEL).to_string()
}

fn service(e: impl std::fmt::Display) -> DurableError {
    DurableError::Service(e.to_string())
}

/// Signs `request` (whose body is `body`) with SigV4 for the service `lambda` in `region`:
/// `Authorization`, `X-Amz-Date` and, with a session token, `X-Amz-Security-Token`.
fn sign_v4<B>(
    request: &mut http::Request<B>,
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<(), DurableError> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(service)?
        .into();
    let uri = request.uri().to_string();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let signable = SignableRequest::new(
        request.method().as_str(),
        &uri,
        headers,
        SignableBody::Bytes(body),
    )
    .map_err(service)?;
    let (instructions, _) = sign(signable, &params).map_err(service)?.into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

/// Why a call did not answer: worth another try, or not.
enum Failure {
    Transient(DurableError),
    Final(DurableError),
}

/// A variable of the environment, when set and not empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Inner {
    /// The request for `method` on `path_and_query` with `body`, signed when there are
    /// credentials.
    fn request(
        &self,
        method: &str,
        path_and_query: &str,
        body: &Bytes,
        now: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, DurableError> {
        let uri = format!("{}{path_and_query}", self.endpoint);
        let mut request = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))
            .map_err(service)?;
        if let Some(credentials) = &self.credentials {
            sign_v4(&mut request, body, credentials, &self.region, now)?;
        }
        Ok(request)
    }

    /// One call, tried again after a throttle, a server error or a broken connection.
    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> Result<Bytes, DurableError> {
        // One buffer for every try (each request shares it).
        let body = Bytes::from(body);
        let mut pauses = BACKOFF.iter();
        loop {
            let request = self.request(method, path, &body, SystemTime::now())?;
            match self.once(request).await {
                Err(Failure::Transient(e)) => match pauses.next() {
                    Some(pause) => tokio::time::sleep(*pause).await,
                    None => return Err(e),
                },
                Err(Failure::Final(e)) => return Err(e),
                Ok(body) => return Ok(body),
            }
        }
    }

    async fn once(&self, request: http::Request<Full<Bytes>>) -> Result<Bytes, Failure> {
        let exchange = async {
            let response = self.pool.request(request).await.map_err(|e| {
                // A connection that failed or broke: the request may be sent again.
                Failure::Transient(service(e))
            })?;
            let status = response.status();
            let body = response.into_body().collect().await;
            let body = body.map_err(|e| Failure::Transient(service(e)))?.to_bytes();
            if status.is_success() {
                return Ok(body);
            }
            let e = service(format!("{status}: {}", String::from_utf8_lossy(&body)));
            let again = status == http::StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            Err(if again {
                Failure::Transient(e)
            } else {
                Failure::Final(e)
            })
        };
        match tokio::time::timeout(CALL_TIMEOUT, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(Failure::Final(service(
                "the durable execution API did not answer in time",
            ))),
        }
    }
}

impl Client {
    /// The process's client of the endpoint and credentials the environment names, made at
    /// the first call (loading the TLS roots reads files: off the runtime's other tasks).
    pub fn from_env() -> Result<Client, DurableError> {
        static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
        let made = CLIENT.get_or_init(|| {
            let multi_thread = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            let make = || Client::make_from_env().map_err(|e| e.to_string());
            if multi_thread {
                tokio::task::block_in_place(make)
            } else {
                make()
            }
        });
        made.clone().map_err(DurableError::Service)
    }

    /// The HTTP client (a test's).
    #[cfg(test)]
    fn http(&self) -> &Inner {
        match self {
            Client::Http(http) => http,
            Client::InProcess(_) => unreachable!("a test's client is over HTTP"),
        }
    }

    /// A client of a local endpoint nothing listens on, for tests that never call it.
    #[cfg(test)]
    pub(super) fn unused() -> Client {
        Client::new("http://127.0.0.1:9", "us-east-1".into(), None).expect("a local client")
    }

    fn make_from_env() -> Result<Client, DurableError> {
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let endpoint = var("AWS_ENDPOINT_URL_LAMBDA")
            .or_else(|| var("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
        let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(key), Some(secret)) => Some(Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            )),
            _ => None,
        };
        if credentials.is_none() && endpoint.starts_with("https://") {
            return Err(service(format!(
                "no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): \
                 calls to {endpoint} must be SigV4-signed"
            )));
        }
        Client::new(&endpoint, region, credentials)
    }

    fn new(
        endpoint: &str,
        region: String,
        credentials: Option<Credentials>,
    ) -> Result<Client, DurableError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(service(format!(
                "the durable execution endpoint {endpoint} is neither https:// nor http://"
            )));
        }
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.enforce_http(false);
        // The provider is named, not taken from the process: a program that also links the
        // AWS SDK has rustls with two providers and no default.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| service(format!("no TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Pool::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Client::Http(Arc::new(Inner {
            endpoint,
            region,
            credentials,
            pool,
        })))
    }

    /// `CheckpointDurableExecution`.
    pub async fn checkpoint(
        &self,
        arn: &str,
        request: &CheckpointRequest,
    ) -> Result<CheckpointResponse, DurableError> {
        let path = format!("/2025-12-01/durable-executions/{}/checkpoint", encode(arn));
        let http = match self {
            Client::Http(http) => http,
            Client::InProcess(s) => {
                return serde_json::from_value(s.checkpoint(arn, request)?).map_err(service)
            }
        };
        let body = serde_json::to_vec(request).map_err(service)?;
        let answer = http.call("POST", &path, body).await?;
        serde_json::from_slice(&answer).map_err(service)
    }

    /// `GetDurableExecutionState`, one page.
    pub async fn state(
        &self,
        arn: &str,
        token: &str,
        marker: &str,
    ) -> Result<ExecutionState, DurableError> {
        let path = format!(
            "/2025-12-01/durable-executions/{}/state?CheckpointToken={}&Marker={}&MaxItems=1000",
            encode(arn),
            encode(token),
            encode(marker)
        );
        let http = match self {
            Client::Http(http) => http,
            Client::InProcess(s) => {
                return serde_json::from_value(s.state(arn, token, marker)?).map_err(service)
            }
        };
        let answer = http.call("GET", &path, Vec::new()).await?;
        serde_json::from_slice(&answer).map_err(service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A server on 127.0.0.1 that answers each request (one per connection) with the next of
    /// `answers`; the address and how many requests it read.
    async fn server(answers: Vec<String>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = seen.clone();
        tokio::spawn(async move {
            for answer in answers {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap() == 1 {
                    head.push(byte[0]);
                }
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                stream.write_all(answer.as_bytes()).await.unwrap();
            }
        });
        (address, seen)
    }

    #[tokio::test]
    async fn a_throttled_or_failed_call_is_tried_again_and_a_refused_one_is_not() {
        let close = "connection: close\r\ncontent-length";
        let (address, seen) = server(vec![
            format!("HTTP/1.1 503 Service Unavailable\r\n{close}: 0\r\n\r\n"),
            format!("HTTP/1.1 429 Too Many Requests\r\n{close}: 0\r\n\r\n"),
            format!("HTTP/1.1 200 OK\r\n{close}: 2\r\n\r\n{{}}"),
        ])
        .await;
        let client = Client::new(&address, "us-east-1".into(), None).unwrap();
        let body = client
            .http()
            .call("GET", "/state", Vec::new())
            .await
            .unwrap();
        assert_eq!(&body[..], b"{}");
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 3);

        let refusal =
            "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 5\r\n\r\nstale";
        let (address, seen) = server(vec![refusal.to_owned(), refusal.to_owned()]).await;
        let client = Client::new(&address, "us-east-1".into(), None).unwrap();
        let error = client
            .http()
            .call("GET", "/state", Vec::new())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("400"), "{error}");
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// The signatures botocore 1.43.11 computes for the same requests (`SigV4Auth(creds,
    /// "lambda", "us-east-1").add_auth(AWSRequest(...))` with `get_current_datetime` fixed at
    /// 2026-11-29T02:30:00Z): an implementation we did not write agrees byte for byte.
    #[test]
    fn signatures_match_botocore() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token-1".into()),
            None,
            "test",
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_919_400);
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/0f5e";
        let base = "https://lambda.us-east-1.amazonaws.com/2025-12-01/durable-executions";
        let cases = [
            (
                "POST",
                format!("{base}/{}/checkpoint", encode(arn)),
                br#"{"CheckpointToken":"t-1","Updates":[]}"#.to_vec(),
                "364155db02fe5fce0376dedab0a08e5adf2caa683ade39db69a829b09bf51094",
            ),
            (
                "GET",
                format!(
                    "{base}/{}/state?CheckpointToken=t-2&Marker=&MaxItems=1000",
                    encode(arn)
                ),
                Vec::new(),
                "e20a80d3d28714808fae7049d3d695606d8e2efc123240b3c394d1e0ce145be1",
            ),
        ];
        for (method, uri, body, signature) in cases {
            let mut request = http::Request::builder()
                .method(method)
                .uri(&uri)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(())
                .unwrap();
            sign_v4(&mut request, &body, &credentials, "us-east-1", now).unwrap();
            let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
            assert_eq!(header("x-amz-date"), "20261129T023000Z");
            assert_eq!(header("x-amz-security-token"), "session-token-1");
            assert_eq!(
                header("authorization"),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/lambda/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature={signature}"
                ),
                "{method} {uri}"
            );
        }
    }
}
