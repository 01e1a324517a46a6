//! The AWS Lambda Runtime API client: `GET /next`, call the function, `POST /response` or
//! `/error`, forever, one invocation at a time on a `current_thread` runtime. A function that
//! cannot be selected is reported through `/runtime/init/error`.
//!
//! It is a small hyper client over one kept-alive connection rather than the `lambda_runtime`
//! crate; docs/architecture.md says why.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::registry::{self, FunctionDef};
use crate::{Context, Error};

/// What stops the Runtime API loop.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LambdaError {
    #[error("cannot reach the Runtime API at {api}: {source}")]
    Connect { api: String, source: std::io::Error },
    #[error("Runtime API request {path} failed: {source}")]
    Http { path: String, source: hyper::Error },
    #[error("Runtime API answered {status} to {path}: {body}")]
    Status {
        path: String,
        status: StatusCode,
        body: String,
    },
    #[error("cannot build the Runtime API request {path}: {reason}")]
    Request { path: String, reason: String },
    #[error("Runtime API sent an invocation without a `Lambda-Runtime-Aws-Request-Id` header")]
    NoRequestId,
    #[error("initialisation failed: {0}")]
    Init(String),
}

/// Serves the selected function until the Runtime API goes away. The cold-start set-up runs
/// before the first `/next`, so Lambda counts it in Init Duration; a set-up that fails, or a
/// function whose `State<T>` nothing provides, is reported through `/runtime/init/error`.
pub(crate) async fn serve(api: &str, runtime: super::Runtime) -> Result<(), LambdaError> {
    let mut client = Client::connect(api).await?;
    let prepared = match select() {
        Ok(def) => runtime.prepare(&[def]).await.map(|state| (def, state)),
        Err(error) => Err(error),
    };
    let (def, state) = match prepared {
        Ok(ready) => ready,
        Err(error) => {
            let message = error.message().to_owned();
            client
                .post(
                    "/runtime/init/error",
                    error.to_json(),
                    Some(error.error_type()),
                )
                .await?;
            return Err(LambdaError::Init(message));
        }
    };
    let state = Arc::new(state);
    let env = Env::read(def);
    tracing::debug!(function = def.name(), "serving through the Runtime API");
    loop {
        let (headers, payload) = client.next().await?;
        let context = env.context(&headers)?;
        let request_id = context.request_id().to_owned();
        match super::call(def, payload.to_vec(), context, state.clone()).await {
            Ok(body) => {
                let path = format!("/runtime/invocation/{request_id}/response");
                client.post(&path, body, None).await?
            }
            Err(error) => {
                tracing::error!(error_type = error.error_type(), "{}", error.message());
                let path = format!("/runtime/invocation/{request_id}/error");
                client
                    .post(&path, error.to_json(), Some(error.error_type()))
                    .await?
            }
        }
    }
}

/// The function named by `_HANDLER`, or the only one registered.
fn select() -> Result<&'static FunctionDef, Error> {
    let functions = registry::functions()
        .map_err(|e| Error::new("Runtime.DuplicateFunction", e.to_string()))?;
    let names = || {
        functions
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    if let Some(def) = functions.iter().find(|d| d.name() == handler) {
        return Ok(def);
    }
    // `bootstrap` (or nothing) is what tools set for a custom runtime with a single handler.
    let unnamed = handler.is_empty() || handler == "bootstrap";
    match functions.as_slice() {
        [only] if unnamed => Ok(only),
        [] => Err(Error::new("Runtime.HandlerNotFound", "this binary registers no #[function]")),
        _ if unnamed => Err(Error::new(
            "Runtime.HandlerNotFound",
            format!("this binary registers several functions; set _HANDLER to one of: {}", names()),
        )),
        _ => Err(Error::new(
            "Runtime.HandlerNotFound",
            format!("_HANDLER is `{handler}`, but no function of that name is registered; registered: {}", names()),
        )),
    }
}

/// What the environment says about the function, read once.
struct Env {
    name: String,
    version: String,
    memory_mb: u32,
}

impl Env {
    fn read(def: &FunctionDef) -> Env {
        Env {
            name: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_else(|_| def.name().to_owned()),
            version: std::env::var("AWS_LAMBDA_FUNCTION_VERSION")
                .unwrap_or_else(|_| "$LATEST".to_owned()),
            memory_mb: std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
                .ok()
                .and_then(|m| m.parse().ok())
                .unwrap_or(def.spec().memory_mb),
        }
    }

    fn context(&self, headers: &HeaderMap) -> Result<Context, LambdaError> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("lambda-runtime-aws-request-id").ok_or(LambdaError::NoRequestId)?;
        let mut builder = Context::builder()
            .request_id(request_id)
            .function_name(self.name.clone())
            .function_version(self.version.clone())
            .memory_limit_mb(self.memory_mb);
        if let Some(ms) = header("lambda-runtime-deadline-ms").and_then(|d| d.parse::<u64>().ok()) {
            builder = builder.deadline_epoch_ms(ms);
        }
        if let Some(arn) = header("lambda-runtime-invoked-function-arn") {
            builder = builder.invoked_function_arn(arn);
        }
        if let Some(trace) = header("lambda-runtime-trace-id") {
            builder = builder.trace_id(trace);
        }
        if let Some(cc) = header("lambda-runtime-client-context") {
            builder = builder.client_context(cc);
        }
        if let Some(id) = header("lambda-runtime-cognito-identity") {
            builder = builder.identity(id);
        }
        Ok(builder.build())
    }
}

/// One kept-alive HTTP/1 connection to the Runtime API, reopened if it drops.
struct Client {
    /// `host:port` to connect to.
    authority: String,
    /// `/2018-06-01`, after any path the API's address carries.
    base: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(api: &str) -> Result<Client, LambdaError> {
        let (authority, base) = split_api(api);
        let sender = open(&authority).await?;
        Ok(Client {
            base,
            authority,
            sender,
        })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        error_type: Option<&str>,
    ) -> Result<(HeaderMap, Bytes), LambdaError> {
        let uri = format!("{}{path}", self.base);
        let http_err = |source| LambdaError::Http {
            path: path.to_owned(),
            source,
        };
        let body = Bytes::from(body);
        let mut attempts = 0;
        loop {
            attempts += 1;
            if self.sender.ready().await.is_err() {
                self.sender = open(&self.authority).await?;
            }
            let mut request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header(http::header::HOST, &self.authority);
            if let Some(t) = error_type {
                request = request.header("lambda-runtime-function-error-type", t);
            }
            let request =
                request
                    .body(Full::new(body.clone()))
                    .map_err(|e| LambdaError::Request {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })?;
            match self.sender.send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await.map_err(http_err)?.to_bytes();
                    if !parts.status.is_success() {
                        return Err(LambdaError::Status {
                            path: path.to_owned(),
                            status: parts.status,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                    }
                    return Ok((parts.headers, body));
                }
                // A kept-alive connection the server closed (idle, or after refusing a large answer):
                // reopen once and ask again.
                Err(_) if attempts == 1 && method == Method::GET => {
                    self.sender = open(&self.authority).await?;
                }
                Err(e) => return Err(http_err(e)),
            }
        }
    }

    async fn next(&mut self) -> Result<(HeaderMap, Bytes), LambdaError> {
        self.send(Method::GET, "/runtime/invocation/next", Vec::new(), None)
            .await
    }

    async fn post(
        &mut self,
        path: &str,
        body: Vec<u8>,
        error_type: Option<&str>,
    ) -> Result<(), LambdaError> {
        match self.send(Method::POST, path, body, error_type).await {
            Ok(_) => Ok(()),
            // The platform refused this answer (too large, or the invocation timed out): log it
            // and go on to the next invocation, as the official runtime does.
            Err(LambdaError::Status { status, body, .. }) if status.is_client_error() => {
                tracing::error!(%status, "the Runtime API refused the answer to {path}: {body}");
                Ok(())
            }
            // The server may close the connection while a large answer is still being sent
            // (it refused it after 6 MB): the answer is lost either way, the process is not. A
            // Runtime API that is really gone fails the next `/next`, which ends the process.
            Err(LambdaError::Http { source, .. }) => {
                tracing::error!("sending the answer to {path} failed: {source}");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// `AWS_LAMBDA_RUNTIME_API` is `host:port` on Lambda; other Runtime API servers (cargo-lambda's)
/// give a URL with a scheme and a base path, accepted too. Returns the authority to connect to
/// and the path every request starts with.
fn split_api(api: &str) -> (String, String) {
    let api = api.strip_prefix("http://").unwrap_or(api);
    match api.split_once('/') {
        Some((authority, prefix)) if !prefix.trim_matches('/').is_empty() => (
            authority.to_owned(),
            format!("/{}/2018-06-01", prefix.trim_matches('/')),
        ),
        Some((authority, _)) => (authority.to_owned(), "/2018-06-01".to_owned()),
        None => (api.to_owned(), "/2018-06-01".to_owned()),
    }
}

async fn open(authority: &str) -> Result<SendRequest<Full<Bytes>>, LambdaError> {
    let connect_err = |source| LambdaError::Connect {
        api: authority.to_owned(),
        source,
    };
    let stream = TcpStream::connect(authority).await.map_err(connect_err)?;
    stream.set_nodelay(true).map_err(connect_err)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|source| LambdaError::Http {
            path: "(handshake)".to_owned(),
            source,
        })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("Runtime API connection closed: {e}");
        }
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::split_api;

    #[test]
    fn the_runtime_api_address_may_carry_a_scheme_and_a_path() {
        let plain = ("127.0.0.1:9001".to_owned(), "/2018-06-01".to_owned());
        assert_eq!(split_api("127.0.0.1:9001"), plain);
        assert_eq!(split_api("http://127.0.0.1:9001"), plain);
        assert_eq!(split_api("http://127.0.0.1:9001/"), plain);
        assert_eq!(
            split_api("127.0.0.1:9001/rt/x/"),
            ("127.0.0.1:9001".to_owned(), "/rt/x/2018-06-01".to_owned())
        );
    }
}
