//! An emulator started in-process on 127.0.0.1:0 for a test, with its log captured, its ledger
//! in a fresh directory, and a small HTTP client to talk to it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use fnkit::manifest::Manifest;
use fnkit_local::{Config, Emulator, Logs, Summary};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A fresh, empty directory under the system's temp dir.
pub fn temp_dir(label: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fnkit-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A running emulator.
#[allow(missing_debug_implementations)]
pub struct TestEmulator {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Every line it logged.
    pub logs: Arc<Mutex<Vec<String>>>,
    /// Its state directory.
    pub state_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Summary>>,
}

/// A binary to serve, with the manifest to use when it cannot describe itself.
#[allow(missing_debug_implementations)]
pub enum Served<'a> {
    /// An fnkit binary.
    Fnkit(&'a Path),
    /// Any Runtime API binary with a manifest given here.
    WithManifest(&'a Path, Manifest),
    /// A program of its own, started with its arguments (as `--functions` describes it).
    Foreign(fnkit_local::foreign::ForeignFunction),
}

impl TestEmulator {
    /// Starts an emulator on 127.0.0.1:0 serving `binaries`, with `configure` applied to a
    /// config whose state directory is fresh.
    pub async fn start(
        binaries: Vec<Served<'_>>,
        configure: impl FnOnce(&mut Config),
    ) -> TestEmulator {
        let state_dir = temp_dir("state");
        // Schedules are off unless a test turns them on: the fixtures have a per-second clock.
        let mut config = Config {
            state_dir: state_dir.clone(),
            schedules: false,
            ..Config::default()
        };
        configure(&mut config);
        Self::start_with(binaries, config).await
    }

    /// Starts an emulator on 127.0.0.1:0 serving the fnkit binary `bin` with the default test
    /// config (a fresh state directory, schedules off).
    pub async fn serving(bin: &Path) -> TestEmulator {
        Self::start(vec![Served::Fnkit(bin)], |_| {}).await
    }

    /// Starts an emulator with exactly this config.
    pub async fn start_with(binaries: Vec<Served<'_>>, config: Config) -> TestEmulator {
        let state_dir = config.state_dir.clone();
        let (logs, lines) = Logs::capture(std::env::var_os("FNKIT_TEST_ECHO").is_some());
        let mut builder = Emulator::builder().config(config).logs(logs);
        for b in binaries {
            builder = match b {
                Served::Fnkit(path) => builder.binary(path),
                Served::WithManifest(path, manifest) => {
                    builder.binary_with_manifest(path, manifest)
                }
                Served::Foreign(function) => builder.foreign(function),
            };
        }
        let emulator = builder.build().expect("the emulator starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            emulator
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve")
        });
        TestEmulator {
            base,
            logs: lines,
            state_dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops it (draining) and returns its summary.
    pub async fn stop(mut self) -> Summary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task
            .take()
            .expect("running")
            .await
            .expect("the emulator task")
    }

    /// The captured log lines.
    pub fn log(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// `POST /2015-03-31/functions/{name}/invocations` with `payload`.
    pub async fn invoke(&self, name: &str, payload: &serde_json::Value) -> Reply {
        request(
            "POST",
            &format!("{}/2015-03-31/functions/{name}/invocations", self.base),
            &[],
            serde_json::to_vec(payload).unwrap(),
        )
        .await
    }

    /// The Runtime API address (`AWS_LAMBDA_RUNTIME_API`) of the warm environment that answers
    /// the fixtures' `whoami`.
    pub async fn whoami_runtime_api(&self) -> String {
        let reply = self.invoke("whoami", &serde_json::json!({})).await;
        reply.assert_answered("whoami");
        reply.json()["env"]["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .expect("the worker's AWS_LAMBDA_RUNTIME_API")
            .to_owned()
    }

    /// `GET` a JSON admin endpoint.
    pub async fn admin(&self, path: &str) -> serde_json::Value {
        let reply = request("GET", &format!("{}{path}", self.base), &[], Vec::new()).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        reply.json()
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// Fails unless this is a function's answer: `200` without `X-Amz-Function-Error`. `what`
    /// says what the test expected, in the failure.
    pub fn assert_answered(&self, what: &str) -> &Self {
        assert_eq!(self.status, 200, "{what}: {}", self.text());
        assert!(
            self.header("x-amz-function-error").is_none(),
            "{what}: {}",
            self.text()
        );
        self
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A SigV4 `Authorization` header for `service` (`s3`, `sqs`) with credentials the emulator has
/// never seen; the emulator routes by the service and does not check the signature.
pub fn signed(service: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20261128/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd")
}

/// One HTTP/1.1 request on a new connection.
pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    try_request(method, url, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

/// [`request`] that says why it got no answer (nothing listens, the server went away, 60 s
/// passed) instead of failing the test: for tests that stop the server on purpose.
pub async fn try_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Reply, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    let authority = uri.authority().ok_or("no authority")?.to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let mut builder = http::Request::builder()
        .method(method)
        .uri(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    // The URL's authority is the `Host`, unless the test gives one.
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        builder = builder.header(http::header::HOST, &authority);
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(Duration::from_secs(60), sender.send_request(request))
        .await
        .map_err(|_| "no answer within 60 s".to_owned())?
        .map_err(|e| format!("no response: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// Reads `stream` until the server closes it, and returns what came; fails if it is still open
/// after 30 s (a bound that proves a server's timeout or refusal closed it, not a measurement).
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream, what: &str) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut got)).await;
    assert!(
        read.is_ok(),
        "{what}: the connection was still open after 30 s"
    );
    got
}

/// The element of a JSON array whose `key` is `value` (panics if there is none).
pub fn entry(list: &serde_json::Value, key: &str, value: &str) -> serde_json::Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item[key] == value))
        .cloned()
        .unwrap_or_else(|| panic!("no element with {key} = {value} in {list}"))
}
