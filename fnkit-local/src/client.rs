//! `fnkit-local invoke` and `fnkit-local replay`: a client of an emulator that is running
//! (`--endpoint`, `http://127.0.0.1:9000` unless told), over the APIs anyone can call: the
//! Lambda Invoke API with `X-Amz-Log-Type: Tail`, and `/_fnkit/invocations/{id}/replay`. What
//! it prints is made here too, so the binary only parses arguments.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;

/// How long a call may take: the longest function timeout Lambda allows, and a margin.
const CALL_TIMEOUT: Duration = Duration::from_secs(15 * 60 + 30);
/// What a path segment cannot hold as it is.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'<')
    .add(b'>');
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure to reach the emulator or to be answered by it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint is not `http://host:port`.
    #[error("--endpoint {0}: expected http://HOST:PORT")]
    BadEndpoint(String),
    /// Nothing answers there.
    #[error("no emulator answers at {endpoint} ({source}); start one with `fnkit-local`, or say where it is with --endpoint")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// Why.
        source: std::io::Error,
    },
    /// The exchange failed half-way.
    #[error("{endpoint}: {message}")]
    Http {
        /// The endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The emulator refused, with its reason.
    #[error("{status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The emulator's message.
        message: String,
    },
}

/// An emulator's address, from `http://host:port[/]`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base: String,
    authority: String,
}

impl std::str::FromStr for Endpoint {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Endpoint, ClientError> {
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| ClientError::BadEndpoint(s.to_owned()))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(ClientError::BadEndpoint(s.to_owned()));
        }
        Ok(Endpoint {
            base: format!("http://{authority}"),
            authority: authority.to_owned(),
        })
    }
}

/// A synchronous invocation's answer, as the Invoke API gave it.
#[derive(Debug, Clone)]
pub struct InvokeAnswer {
    /// The request id.
    pub request_id: String,
    /// The response, or the error body.
    pub body: Bytes,
    /// `X-Amz-Function-Error`: set when the function failed.
    pub function_error: Option<String>,
    /// The log's tail, START to REPORT (decoded `X-Amz-Log-Result`).
    pub log: String,
}

impl Endpoint {
    /// One request; answers the status, the headers and the body.
    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<http::Response<Bytes>, ClientError> {
        let failed = |message: String| ClientError::Http {
            endpoint: self.base.clone(),
            message,
        };
        let connect = tokio::net::TcpStream::connect(&self.authority);
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => return Err(self.unreachable(source)),
            Err(_) => return Err(self.unreachable(std::io::ErrorKind::TimedOut.into())),
        };
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| failed(e.to_string()))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.authority);
        if let Ok(token) = std::env::var("FNKIT_ADMIN_TOKEN") {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| failed(e.to_string()))?;
        let exchange = async {
            let response = sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, hyper::Error>(http::Response::from_parts(parts, body))
        };
        match tokio::time::timeout(CALL_TIMEOUT, exchange).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(failed(e.to_string())),
            Err(_) => Err(failed(format!(
                "no answer within {} s",
                CALL_TIMEOUT.as_secs()
            ))),
        }
    }

    fn unreachable(&self, source: std::io::Error) -> ClientError {
        ClientError::Unreachable {
            endpoint: self.base.clone(),
            source,
        }
    }

    /// Invokes `function` with `payload` and waits for the answer, with the log's tail.
    pub async fn invoke(
        &self,
        function: &str,
        payload: Bytes,
    ) -> Result<InvokeAnswer, ClientError> {
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let headers = [
            ("x-amz-log-type", "Tail"),
            ("content-type", "application/json"),
        ];
        let response = self.call("POST", &path, &headers, payload).await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if !response.status().is_success() {
            return Err(refused(response.status().as_u16(), response.body()));
        }
        let log = header("x-amz-log-result")
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        Ok(InvokeAnswer {
            request_id: header("x-amzn-requestid").unwrap_or_default(),
            function_error: header("x-amz-function-error"),
            log,
            body: response.into_body(),
        })
    }

    /// Replays the invocation `request_id` on the build served now; answers both runs
    /// (`{"original": .., "replay": ..}`, each as `GET /_fnkit/invocations/{id}` gives it).
    pub async fn replay(&self, request_id: &str) -> Result<serde_json::Value, ClientError> {
        let id = percent_encoding::utf8_percent_encode(request_id, PATH_SEGMENT);
        let path = format!("/_fnkit/invocations/{id}/replay");
        let response = self.call("POST", &path, &[], Bytes::new()).await?;
        if !response.status().is_success() {
            return Err(refused(response.status().as_u16(), response.body()));
        }
        serde_json::from_slice(response.body()).map_err(|e| ClientError::Http {
            endpoint: self.base.clone(),
            message: format!("the answer is not JSON: {e}"),
        })
    }
}

/// A refusal with the message the emulator (or the Invoke API) gave.
fn refused(status: u16, body: &[u8]) -> ClientError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let m = v.get("message").or_else(|| v.get("Message"))?;
            m.as_str().map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    ClientError::Refused { status, message }
}

/// The two runs of a replay side by side: how each ended, its figures, and both responses.
pub fn side_by_side(replay: &serde_json::Value) -> String {
    let (old, new) = (&replay["original"], &replay["replay"]);
    let when = old["start_ms"]
        .as_i64()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    let mut out = format!(
        "replayed {} ({}, {}, {when}) as {}\n\n{:<14}{:<36}{}\n",
        text(&old["request_id"]),
        text(&old["function"]),
        text(&old["trigger"]),
        text(&new["request_id"]),
        "",
        "original",
        "replay"
    );
    let rows: [(&str, Shown); 6] = [
        ("outcome", |r| match r["error_type"].as_str() {
            Some(kind) => format!("{} ({kind})", text(&r["outcome"])),
            None => text(&r["outcome"]),
        }),
        ("duration", |r| {
            format!("{:.2} ms", r["duration_ms"].as_f64().unwrap_or(0.0))
        }),
        ("billed", |r| format!("{} ms", r["billed_ms"])),
        ("init", |r| match r["init_ms"].as_f64() {
            Some(ms) => format!("{ms:.2} ms (cold)"),
            None => "- (warm)".to_owned(),
        }),
        ("max memory", |r| format!("{} MB", r["max_memory_mb"])),
        ("cost (x86)", |r| {
            format!("${:.9}", r["cost_x86"].as_f64().unwrap_or(0.0))
        }),
    ];
    for (label, show) in rows {
        out.push_str(&format!("{label:<14}{:<36}{}\n", show(old), show(new)));
    }
    for (label, run) in [("original", old), ("replay", new)] {
        out.push_str(&format!("\n{label} response:\n{}\n", response(run)));
    }
    let same = old["response"] == new["response"] && !old["response"].is_null();
    out.push_str(if same {
        "\nthe same response\n"
    } else {
        "\nthe responses differ\n"
    });
    for (label, run) in [("original", old), ("replay", new)] {
        if let Some(log) = run["log"].as_str() {
            out.push_str(&format!("\n{label} log:\n{log}"));
        }
    }
    out
}

/// How a figure of a run is shown.
type Shown = fn(&serde_json::Value) -> String;

/// A recorded response, or why it is not shown.
fn response(run: &serde_json::Value) -> String {
    match (run["response"].as_str(), run["response_bytes"].as_u64()) {
        (Some(body), _) => body.to_owned(),
        (None, Some(size)) => format!("({size} bytes, more than were recorded)"),
        (None, None) => "(not recorded)".to_owned(),
    }
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_http_host_and_port() {
        let e: Endpoint = "http://127.0.0.1:9000/".parse().unwrap();
        assert_eq!(
            (e.base.as_str(), e.authority.as_str()),
            ("http://127.0.0.1:9000", "127.0.0.1:9000")
        );
        for bad in [
            "127.0.0.1:9000",
            "https://localhost:9000",
            "http://",
            "http://h:1/x",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_replay_shows_both_outcomes_and_whether_the_responses_differ() {
        let run = |id: &str, outcome: &str, response: &str| {
            serde_json::json!({"request_id": id, "function": "add", "trigger": "event",
                "start_ms": 0, "outcome": outcome, "error_type": null, "duration_ms": 1.5,
                "billed_ms": 2, "init_ms": null, "max_memory_mb": 6, "cost_x86": 0.0,
                "response": response, "response_bytes": response.len()})
        };
        let shown = side_by_side(&serde_json::json!({
            "original": run("a", "error", "{\"errorType\":\"Boom\"}"),
            "replay": run("b", "ok", "{\"sum\":3}"),
        }));
        assert!(
            shown.starts_with("replayed a (add, event, 1970-01-01 00:00:00 UTC) as b"),
            "{shown}"
        );
        assert!(
            shown.contains("outcome       error                               ok"),
            "{shown}"
        );
        assert!(
            shown.contains("{\"sum\":3}") && shown.ends_with("the responses differ\n"),
            "{shown}"
        );
    }
}
