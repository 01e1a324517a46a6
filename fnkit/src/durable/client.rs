//! The durable execution API as a handler calls it: `CheckpointDurableExecution` and
//! `GetDurableExecutionState`, over one kept-alive HTTP/1 connection per invocation to
//! `AWS_ENDPOINT_URL_LAMBDA` or `AWS_ENDPOINT_URL` (fnkit-local sets the latter for its
//! workers). Calls to AWS itself (HTTPS, SigV4-signed with the function's credentials) come with
//! the next step of the SDK; without an endpoint the client says so.

use std::time::Duration;

use bytes::Bytes;
use fnkit_spec::durable::wire::{CheckpointRequest, CheckpointResponse, ExecutionState};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use tokio::sync::Mutex;

use super::DurableError;

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(50);

/// A connection to the durable execution API.
#[derive(Debug)]
pub(crate) struct Client {
    authority: String,
    sender: Mutex<Option<SendRequest<Full<Bytes>>>>,
}

fn encode(label: &str) -> String {
    percent_encoding::utf8_percent_encode(label, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Client {
    /// The client of the endpoint the environment names.
    pub fn from_env() -> Result<Client, DurableError> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_LAMBDA")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .map_err(|_| {
                DurableError::Service(
                    "no AWS_ENDPOINT_URL: this version of fnkit::durable reaches the durable execution service of fnkit-local only; calling AWS (HTTPS, SigV4) comes next".into(),
                )
            })?;
        let authority = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| {
                DurableError::Service(format!(
                    "the endpoint {endpoint} is not http://: this version of fnkit::durable does not speak HTTPS yet"
                ))
            })?
            .trim_end_matches('/')
            .to_owned();
        Ok(Client {
            authority,
            sender: Mutex::new(None),
        })
    }

    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> Result<Bytes, DurableError> {
        let fail = |e: &dyn std::fmt::Display| DurableError::Service(e.to_string());
        let mut sender = self.sender.lock().await;
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.authority)
                .await
                .map_err(|e| fail(&e))?;
            let io = hyper_util::rt::TokioIo::new(stream);
            let (s, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|e| fail(&e))?;
            tokio::spawn(conn);
            *sender = Some(s);
        }
        let Some(s) = sender.as_mut() else {
            return Err(DurableError::Service("no connection".into()));
        };
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| fail(&e))?;
        let exchange = async {
            let response = s.send_request(request).await.map_err(|e| fail(&e))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| fail(&e))?
                .to_bytes();
            if !status.is_success() {
                let text = String::from_utf8_lossy(&body).into_owned();
                return Err(DurableError::Service(format!("{status}: {text}")));
            }
            Ok(body)
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                DurableError::Service("the durable execution API did not answer in time".into())
            })?
    }

    /// `CheckpointDurableExecution`.
    pub async fn checkpoint(
        &self,
        arn: &str,
        request: &CheckpointRequest,
    ) -> Result<CheckpointResponse, DurableError> {
        let path = format!("/2025-12-01/durable-executions/{}/checkpoint", encode(arn));
        let body = serde_json::to_vec(request).map_err(|e| DurableError::Service(e.to_string()))?;
        let answer = self.call("POST", &path, body).await?;
        serde_json::from_slice(&answer).map_err(|e| DurableError::Service(e.to_string()))
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
        serde_json::from_slice(&answer).map_err(|e| DurableError::Service(e.to_string()))
    }
}
