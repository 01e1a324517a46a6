//! The durable execution API as a handler calls it: `CheckpointDurableExecution` and
//! `GetDurableExecutionState`. The endpoint is `AWS_ENDPOINT_URL_LAMBDA`, else
//! `AWS_ENDPOINT_URL` (fnkit-local sets it for its workers), else Lambda's own
//! (`https://lambda.{AWS_REGION}.amazonaws.com`). Calls go over kept-alive HTTP/1 connections,
//! TLS for `https://` (rustls with the system's roots, which honours `SSL_CERT_FILE`), and are
//! SigV4-signed (service `lambda`) with the function's credentials from the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as Lambda gives them.

use std::sync::Arc;
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
use hyper_util::rt::TokioExecutor;

use super::DurableError;

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(50);

/// A client of the durable execution API.
#[derive(Debug)]
pub(crate) struct Client {
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

/// A variable of the environment, when set and not empty.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Client {
    /// The client of the endpoint and credentials the environment names.
    pub fn from_env() -> Result<Client, DurableError> {
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
        // The provider is named, not taken from the process: a program that also links the
        // AWS SDK has rustls with two providers and no default.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| service(format!("no TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let pool = Pool::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Client {
            endpoint,
            region,
            credentials,
            pool,
        })
    }

    /// The request for `method` on `path_and_query` with `body`, signed when there are
    /// credentials.
    fn request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Vec<u8>,
        now: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, DurableError> {
        let uri = format!("{}{path_and_query}", self.endpoint);
        let mut request = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(service)?;
        if let Some(credentials) = &self.credentials {
            sign_v4(&mut request, &body, credentials, &self.region, now)?;
        }
        Ok(request)
    }

    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> Result<Bytes, DurableError> {
        let request = self.request(method, path, body, SystemTime::now())?;
        let exchange = async {
            let response = self.pool.request(request).await.map_err(service)?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(service)?
                .to_bytes();
            if !status.is_success() {
                let text = String::from_utf8_lossy(&body).into_owned();
                return Err(service(format!("{status}: {text}")));
            }
            Ok(body)
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| service("the durable execution API did not answer in time"))?
    }

    /// `CheckpointDurableExecution`.
    pub async fn checkpoint(
        &self,
        arn: &str,
        request: &CheckpointRequest,
    ) -> Result<CheckpointResponse, DurableError> {
        let path = format!("/2025-12-01/durable-executions/{}/checkpoint", encode(arn));
        let body = serde_json::to_vec(request).map_err(service)?;
        let answer = self.call("POST", &path, body).await?;
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
        let answer = self.call("GET", &path, Vec::new()).await?;
        serde_json::from_slice(&answer).map_err(service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
