//! Durable handlers written against the durable execution protocol directly, with raw JSON over
//! HTTP and no SDK: they check the emulator's durable service by what the protocol says (the
//! envelope, checkpoints, the answer), not by what fnkit's own SDK happens to send. The tests
//! serve this binary with `durable` set in its manifest (`tests/tests/durable_service.rs`).
//!
//! Operation ids are positional ("1", "2", "1-1"), as an SDK's are before it hashes them.

use fnkit::prelude::*;
use fnkit_tests::emulator::request;
use fnkit_tests::raw_durable::{encode, pending, step, succeeded, Raw};
use serde_json::{json, Value};

/// 1-1: one step greets the input.
#[function]
async fn durable_greet(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let greeting = json!(format!(
        "Hello, {}!",
        raw.input().as_str().unwrap_or("nobody")
    ));
    raw.checkpoint(json!([
        step("1", "START", json!({"Name": "greet"})),
        step(
            "1",
            "SUCCEED",
            json!({"Name": "greet", "Payload": greeting.to_string()})
        ),
    ]))
    .await?;
    Ok(succeeded(&greeting))
}

/// 2-1: waits `seconds` (1 by default), then a step says it is done.
#[function]
async fn durable_wait(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let seconds = raw.input()["seconds"].as_u64().unwrap_or(1);
    match raw.status("1") {
        "" => {
            let wait = json!({"Id": "1", "Type": "WAIT", "SubType": "Wait", "Action": "START", "Name": "pause",
                "WaitOptions": {"WaitSeconds": seconds}});
            raw.checkpoint(json!([wait])).await?;
            // The answer of a checkpoint made after the wait's end would complete it.
            if raw.status("1") != "SUCCEEDED" {
                return Ok(pending());
            }
        }
        "SUCCEEDED" => {}
        _ => return Ok(pending()),
    }
    let done = json!("waited");
    raw.checkpoint(json!([
        step("2", "START", json!({})),
        step("2", "SUCCEED", json!({"Payload": done.to_string()})),
    ]))
    .await?;
    Ok(succeeded(&done))
}

/// 1-11: a step fails its first attempt (retried after 1 s) and succeeds on its second.
#[function]
async fn durable_retry(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    match raw.status("1") {
        "" | "READY" => {}
        "SUCCEEDED" => return Ok(succeeded(&json!("ok"))),
        _ => return Ok(pending()),
    }
    let attempt = raw
        .ops
        .get("1")
        .and_then(|o| o["StepDetails"]["Attempt"].as_u64())
        .unwrap_or(0)
        + 1;
    if attempt == 1 {
        let error = json!({"ErrorType": "Flaky", "ErrorMessage": "first attempt fails"});
        raw.checkpoint(json!([
            step("1", "START", json!({})),
            step(
                "1",
                "RETRY",
                json!({"Error": error, "StepOptions": {"NextAttemptDelaySeconds": 1}})
            ),
        ]))
        .await?;
        return Ok(pending());
    }
    let ok = json!(format!("ok on attempt {attempt}"));
    raw.checkpoint(json!([
        step("1", "START", json!({})),
        step("1", "SUCCEED", json!({"Payload": ok.to_string()})),
    ]))
    .await?;
    Ok(succeeded(&ok))
}

/// 1-17: an at-most-once step starts, then the process dies; the next invocation finds the step
/// started (interrupted) and ends it.
#[function]
async fn durable_crash(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    if raw.status("1").is_empty() {
        raw.checkpoint(json!([step("1", "START", json!({}))]))
            .await?;
        std::process::exit(1);
    }
    let recovered = json!("recovered");
    raw.checkpoint(json!([step(
        "1",
        "SUCCEED",
        json!({"Payload": recovered.to_string()})
    )]))
    .await?;
    Ok(succeeded(&recovered))
}

/// 3-1: a child context runs one step and returns its result.
#[function]
async fn durable_child(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let result = json!("from the child");
    let context = |action: &str, extra: Value| {
        let mut u = json!({"Id": "1", "Type": "CONTEXT", "SubType": "RunInChildContext", "Name": "child", "Action": action});
        if let (Some(u), Some(extra)) = (u.as_object_mut(), extra.as_object()) {
            u.extend(extra.clone());
        }
        u
    };
    raw.checkpoint(json!([
        context("START", json!({})),
        step("1-1", "START", json!({"ParentId": "1"})),
        step(
            "1-1",
            "SUCCEED",
            json!({"ParentId": "1", "Payload": result.to_string()})
        ),
        context("SUCCEED", json!({"Payload": result.to_string()})),
    ]))
    .await?;
    Ok(succeeded(&result))
}

/// A step that fails for good; the execution fails with its error.
#[function]
async fn durable_fail(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let error = json!({"ErrorType": "Refused", "ErrorMessage": "no stock"});
    raw.checkpoint(json!([
        step("1", "START", json!({})),
        step("1", "FAIL", json!({"Error": error})),
    ]))
    .await?;
    Ok(json!({"Status": "FAILED", "Error": error}))
}

/// 4-1: waits for a callback named `approval` (its `timeout` and `heartbeat` from the input)
/// and returns what it was completed with, or fails with its error.
#[function]
async fn durable_callback(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    if raw.status("1").is_empty() {
        let input = raw.input();
        let options = json!({"TimeoutSeconds": input["timeout"].as_u64().unwrap_or(0),
            "HeartbeatTimeoutSeconds": input["heartbeat"].as_u64().unwrap_or(0)});
        let start = json!({"Id": "1", "Type": "CALLBACK", "SubType": "Callback", "Action": "START",
            "Name": "approval", "CallbackOptions": options});
        raw.checkpoint(json!([start])).await?;
    }
    let op = raw.ops.get("1").cloned().unwrap_or_default();
    match op["Status"].as_str().unwrap_or_default() {
        "SUCCEEDED" => {
            let result = op["CallbackDetails"]["Result"].as_str().unwrap_or("null");
            Ok(json!({"Status": "SUCCEEDED", "Result": result}))
        }
        "FAILED" | "TIMED_OUT" => {
            Ok(json!({"Status": "FAILED", "Error": op["CallbackDetails"]["Error"]}))
        }
        _ => Ok(pending()),
    }
}

/// 5-1: invokes `target` with `payload` and ends as the target ended.
#[function]
async fn durable_invoker(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    if raw.status("1").is_empty() {
        let input = raw.input();
        let start = json!({"Id": "1", "Type": "CHAINED_INVOKE", "SubType": "ChainedInvoke",
            "Action": "START", "Name": "call", "Payload": input["payload"].to_string(),
            "ChainedInvokeOptions": {"FunctionName": input["target"]}});
        raw.checkpoint(json!([start])).await?;
        if let Some(after) = input["linger"].as_str() {
            linger(&mut raw, after).await?;
        }
    }
    let op = raw.ops.get("1").cloned().unwrap_or_default();
    let details = &op["ChainedInvokeDetails"];
    match op["Status"].as_str().unwrap_or_default() {
        "SUCCEEDED" => Ok(json!({"Status": "SUCCEEDED", "Result": details["Result"]})),
        "STARTED" => Ok(pending()),
        _ => Ok(json!({"Status": "FAILED", "Error": details["Error"]})),
    }
}

/// Stays in the invocation until the chained target's execution has ended, then either
/// checkpoints nothing (`"checkpoint"`: the answer tells the end) or answers PENDING at once.
async fn linger(raw: &mut Raw, after: &str) -> Result<(), Error> {
    let history = format!(
        "{}/2025-12-01/durable-executions/{}/history",
        raw.base,
        encode(&raw.arn)
    );
    let events = request("GET", &history, &[], Vec::new()).await.json();
    let started = events["Events"].as_array().and_then(|e| {
        e.iter()
            .find(|e| e["EventType"] == "ChainedInvokeStarted")
            .cloned()
    });
    let target = started.map(|e| {
        e["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    let url = format!(
        "{}/2025-12-01/durable-executions/{}",
        raw.base,
        encode(&target.unwrap_or_default())
    );
    for _ in 0..1000 {
        if request("GET", &url, &[], Vec::new()).await.json()["Status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The target has ended; wait until the service holds its end for this invocation.
    let mine = format!("{}/_fnkit/executions/{}", raw.base, encode(&raw.arn));
    for _ in 0..1000 {
        if request("GET", &mine, &[], Vec::new()).await.json()["Deferred"].as_u64() >= Some(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    if after == "checkpoint" {
        raw.checkpoint(json!([])).await?;
    }
    Ok(())
}

/// Starts a step, then stays until its execution is stopped, tries to checkpoint the step's end
/// and writes that call's HTTP status to the file `out` of its input.
#[function(timeout = "60s")]
async fn durable_held(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let out = raw.input()["out"].as_str().unwrap_or_default().to_owned();
    raw.checkpoint(json!([step("1", "START", json!({}))]))
        .await?;
    let me = format!(
        "{}/2025-12-01/durable-executions/{}",
        raw.base,
        encode(&raw.arn)
    );
    for _ in 0..3000 {
        if request("GET", &me, &[], Vec::new()).await.json()["Status"] == "STOPPED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let url = format!("{me}/checkpoint");
    let body = json!({"CheckpointToken": raw.token, "Updates": [step("1", "SUCCEED", json!({"Payload": "1"}))]});
    let reply = request("POST", &url, &[], body.to_string().into_bytes()).await;
    std::fs::write(&out, format!("{} {}", reply.status, reply.text()))?;
    Ok(succeeded(&json!("ignored")))
}

/// Not durable (the tests leave `plain_` functions so): answers its input.
#[function]
async fn plain_echo(input: Value) -> Value {
    input
}

/// For scripts/bench.sh: `n` steps, one checkpoint each (START and SUCCEED in one batch), over
/// one kept-alive connection as an SDK's client would; answers the mean checkpoint round trip.
#[function(timeout = "900s")]
async fn durable_steps(envelope: Value) -> Result<Value, Error> {
    use http_body_util::BodyExt;
    let mut raw = Raw::new(&envelope).await?;
    let n = raw.input()["n"].as_u64().unwrap_or(100);
    let authority = raw.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&authority).await?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| Error::new("Bench", e.to_string()))?;
    tokio::spawn(conn);
    let path = format!(
        "/2025-12-01/durable-executions/{}/checkpoint",
        encode(&raw.arn)
    );
    let started = std::time::Instant::now();
    for i in 1..=n {
        let id = i.to_string();
        let updates = json!([
            step(&id, "START", json!({})),
            step(&id, "SUCCEED", json!({"Payload": "1"}))
        ]);
        let body = json!({"CheckpointToken": raw.token, "Updates": updates}).to_string();
        let req = http::Request::post(&path)
            .header(http::header::HOST, &authority)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .map_err(|e| Error::new("Bench", e.to_string()))?;
        let reply = sender
            .send_request(req)
            .await
            .map_err(|e| Error::new("Bench", e.to_string()))?;
        let bytes = reply
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::new("Bench", e.to_string()))?
            .to_bytes();
        let answer: Value = serde_json::from_slice(&bytes)?;
        raw.token = answer["CheckpointToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    }
    let us = started.elapsed().as_micros() as u64 / n.max(1);
    Ok(succeeded(&json!({"n": n, "checkpoint_us": us})))
}

/// Appends `line` to the file named by `FIXTURE_OUT` (one write, so workers never interleave).
fn record(line: &str) -> Result<(), Error> {
    use std::io::Write;
    let Ok(path) = std::env::var("FIXTURE_OUT") else {
        return Ok(());
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    out.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

/// Waits while the file `FIXTURE_HOLD` exists, for `n` from `FIXTURE_HOLD_FROM` on: the crash
/// test kills the emulator while these invocations are in flight.
async fn hold(n: u64) {
    let (Ok(file), Some(from)) = (
        std::env::var("FIXTURE_HOLD"),
        std::env::var("FIXTURE_HOLD_FROM")
            .ok()
            .and_then(|v| v.parse::<u64>().ok()),
    ) else {
        return;
    };
    while n >= from && std::path::Path::new(&file).exists() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// For the crash test: an at-most-once step `reserve` (an interrupted attempt is not run
/// again), a wait of `wait` seconds, a callback `approve` when `callback` is set, then an
/// at-least-once step `ship`. Each step body records `<step>\t<n>` in `FIXTURE_OUT`.
#[function]
async fn durable_saga(envelope: Value) -> Result<Value, Error> {
    let mut raw = Raw::new(&envelope).await?;
    let input = raw.input();
    let n = input["n"].as_u64().unwrap_or(0);
    match raw.status("1") {
        "" => {
            raw.checkpoint(json!([step("1", "START", json!({"Name": "reserve"}))]))
                .await?;
            record(&format!("reserve\t{n}"))?;
            hold(n).await;
            let done = json!({"Name": "reserve", "Payload": "\"reserved\""});
            raw.checkpoint(json!([step("1", "SUCCEED", done)])).await?;
        }
        "STARTED" => {
            let done = json!({"Name": "reserve", "Payload": "\"interrupted\""});
            raw.checkpoint(json!([step("1", "SUCCEED", done)])).await?;
        }
        _ => {}
    }
    if raw.status("2").is_empty() {
        let wait = json!({"Id": "2", "Type": "WAIT", "SubType": "Wait", "Action": "START",
            "WaitOptions": {"WaitSeconds": input["wait"].as_u64().unwrap_or(1)}});
        raw.checkpoint(json!([wait])).await?;
    }
    if raw.status("2") != "SUCCEEDED" {
        return Ok(pending());
    }
    if input["callback"] == true {
        if raw.status("3").is_empty() {
            let start = json!({"Id": "3", "Type": "CALLBACK", "SubType": "Callback",
                "Action": "START", "Name": "approve"});
            raw.checkpoint(json!([start])).await?;
        }
        if raw.status("3") != "SUCCEEDED" {
            return Ok(pending());
        }
    }
    if raw.status("4") != "SUCCEEDED" {
        record(&format!("ship\t{n}"))?;
        raw.checkpoint(json!([
            step("4", "START", json!({"Name": "ship"})),
            step(
                "4",
                "SUCCEED",
                json!({"Name": "ship", "Payload": "\"shipped\""})
            ),
        ]))
        .await?;
    }
    Ok(succeeded(&json!(n)))
}

/// Answers PENDING although the execution waits on nothing: a broken SDK.
#[function]
async fn durable_stuck(_envelope: Value) -> Value {
    pending()
}

fn main() {
    fnkit::run()
}
