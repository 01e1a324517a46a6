//! Functions the end-to-end tests run as real worker processes: each does one thing the tests
//! check from outside (writes what it saw to `FIXTURE_OUT`, fails on purpose, panics).

use std::io::Write;

use fnkit::prelude::*;
use serde::Deserialize;

/// Appends a line to the file named by `FIXTURE_OUT`, if it is set.
fn record(line: &str) -> Result<(), Error> {
    let Ok(path) = std::env::var("FIXTURE_OUT") else {
        return Ok(());
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write per line, so lines of concurrent workers never interleave.
    out.write_all(format!("{line}\n").as_bytes())?;
    Ok(())
}

/// Records `key<TAB>size<TAB>change<TAB>etag` of every record (in `FIXTURE_OUT`, which it needs).
#[function(trigger = storage(bucket = "uploads", prefix = "images/"))]
async fn record_upload(event: StorageEvent) -> Result<(), Error> {
    if std::env::var("FIXTURE_OUT").is_err() {
        return Err(Error::new("Fixture", "FIXTURE_OUT is not set"));
    }
    for r in event {
        record(&format!(
            "{}\t{}\t{:?}\t{}",
            r.key,
            r.size,
            r.change,
            r.etag.unwrap_or_default()
        ))?;
    }
    Ok(())
}

/// Records deletions in the uploads bucket.
#[function(trigger = storage(bucket = "uploads", events = "deleted"))]
async fn on_delete(event: StorageEvent) -> Result<(), Error> {
    for r in event {
        record(&format!("deleted\t{}\t{}", r.key, r.event_name))?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Order {
    qty: i64,
}

/// Fails the orders whose quantity is not positive; records every delivery
/// (`order<TAB>id<TAB>receive count<TAB>qty<TAB>SentTimestamp<TAB>ApproximateFirstReceiveTimestamp`).
#[function(trigger = queue(name = "orders", batch_size = 10, max_receive_count = 3))]
async fn orders(batch: QueueBatch<Order>) -> Result<BatchResult, Error> {
    let mut result = BatchResult::ok();
    for m in batch {
        let system = |name: &str| m.attributes.get(name).cloned().unwrap_or_default();
        record(&format!(
            "order\t{}\t{}\t{}\t{}\t{}",
            m.id,
            m.receive_count,
            m.body.qty,
            system("SentTimestamp"),
            system("ApproximateFirstReceiveTimestamp")
        ))?;
        if m.body.qty <= 0 {
            result.fail(m.id);
        }
    }
    Ok(result)
}

/// Holds item `n` while the file named by `FIXTURE_HOLD` exists, if `n` is at least
/// `FIXTURE_HOLD_FROM`: the crash test lets the first items through and holds the rest, so its
/// kill lands mid-way by construction, whatever the machine's speed.
async fn slow_down(n: u64) {
    let (Ok(hold), Some(from)) = (
        std::env::var("FIXTURE_HOLD"),
        std::env::var("FIXTURE_HOLD_FROM")
            .ok()
            .and_then(|f| f.parse::<u64>().ok()),
    ) else {
        return;
    };
    while n >= from && std::path::Path::new(&hold).exists() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Records the size of every batch of the `batched` queue, whose window (5 minutes) no test waits
/// out: a full batch must go at once.
#[function(trigger = queue(name = "batched", batch_size = 10, window = "300s"))]
async fn record_batch(batch: QueueBatch<serde_json::Value>) -> Result<(), Error> {
    record(&format!("batch\t{}", batch.messages.len()))
}

/// Records the `n` of every message of the `ids` queue.
// Lambda's longest timeout: a batch held by the crash test must not time out (and, retried, reach
// the dead-letter queue) however long the machine takes to process the first half.
#[function(trigger = queue(name = "ids", batch_size = 10), concurrency = 2, timeout = "900s")]
async fn record_ids(batch: QueueBatch<serde_json::Value>) -> Result<(), Error> {
    for m in batch {
        slow_down(m.body["n"].as_u64().unwrap_or(0)).await;
        record(&format!("id\t{}", m.body["n"]))?;
    }
    Ok(())
}

/// Records each message's body, `md5OfBody`, `md5OfMessageAttributes` and message attributes as
/// the raw SQS event carries them (`tagged<TAB>body<TAB>md5<TAB>md5<TAB>{"name":"Type=value"}`).
#[function(trigger = queue(name = "tagged"))]
async fn record_tagged(event: fnkit::raw::SqsEvent) -> Result<(), Error> {
    for m in event.records {
        let attributes: std::collections::BTreeMap<String, String> = m
            .message_attributes
            .iter()
            .map(|(name, a)| {
                let value = a.string_value.clone().unwrap_or_default();
                let kind = a.data_type.clone().unwrap_or_default();
                (name.clone(), format!("{kind}={value}"))
            })
            .collect();
        record(&format!(
            "tagged\t{}\t{}\t{}\t{}",
            m.body.unwrap_or_default(),
            m.md5_of_body.unwrap_or_default(),
            m.md5_of_message_attributes.unwrap_or_default(),
            serde_json::to_string(&attributes).map_err(Error::from)?
        ))?;
    }
    Ok(())
}

/// Records the `n` of every asynchronous invocation.
// As `record_ids`: held invocations must not time out and run out of retries.
#[function(concurrency = 2, timeout = "900s")]
async fn record_async(input: serde_json::Value) -> Result<(), Error> {
    slow_down(input["n"].as_u64().unwrap_or(0)).await;
    record(&format!("async\t{}", input["n"]))
}

/// Always fails, recording each attempt: for retries and the dead-letter store.
#[function(retries = 2)]
async fn flaky(_input: serde_json::Value, ctx: Context) -> Result<(), Error> {
    record(&format!("flaky\t{}", ctx.request_id()))?;
    Err(Error::new("Flaky", "this function always fails"))
}

/// Records each firing of its schedule.
#[function(trigger = schedule(cron = "* * * * * *"))]
async fn tick(event: ScheduleEvent) -> Result<(), Error> {
    let at = event
        .time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    record(&format!(
        "tick\t{}\t{at}\t{}",
        event.id,
        event.resources.join(",")
    ))
}

/// Answers with its input; panics with the message in `panic` if there is one.
#[function]
async fn echo(input: serde_json::Value) -> serde_json::Value {
    if let Some(message) = input.get("panic").and_then(|m| m.as_str()) {
        panic!("{message}");
    }
    input
}

/// Spins the CPU without ever yielding when asked to (`{"spin": true}`); answers otherwise.
#[function(timeout = "1s")]
async fn spin(input: serde_json::Value) -> serde_json::Value {
    if input["spin"] == true {
        let mut x = 0u64;
        loop {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
    input
}

/// Like `spin`, one at a time: a second call while one spins is over the concurrency limit.
#[function(timeout = "1s", concurrency = 1)]
async fn spin_one(input: serde_json::Value) -> serde_json::Value {
    spin(input).await
}

/// Records `linger started <id>`, sleeps `ms` (awaiting, so it can be stopped), then records
/// `linger finished <id>`; stopped before that (its future dropped), it records
/// `linger dropped <id>` instead.
#[function(timeout = "2s", concurrency = 1)]
async fn linger(input: serde_json::Value) -> Result<serde_json::Value, Error> {
    struct Guard(String, bool);
    impl Drop for Guard {
        fn drop(&mut self) {
            if !self.1 {
                let _ = record(&format!("linger dropped {}", self.0));
            }
        }
    }
    let id = input["id"].as_str().unwrap_or("?").to_owned();
    record(&format!("linger started {id}"))?;
    let mut guard = Guard(id.clone(), false);
    let ms = input["ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    guard.1 = true;
    record(&format!("linger finished {id}"))?;
    Ok(input)
}

/// Writes what a careless function might: a line of invalid UTF-8, then a 3 MiB line, then
/// `after <n>` with `println!` (which panics if the emulator stopped reading its output).
#[function(timeout = "10s")]
async fn noisy(input: serde_json::Value) -> serde_json::Value {
    use std::io::Write as _;
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\xff\xfe not utf-8\n");
        let _ = out.write_all(&vec![b'y'; 3 * 1024 * 1024]);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
    println!("after {}", input["n"]);
    input
}

/// Aborts the process when asked to (`{"abort": true}`).
#[function]
async fn abort(input: serde_json::Value) -> serde_json::Value {
    if input["abort"] == true {
        std::process::abort();
    }
    input
}

/// Allocates and touches `mb` megabytes, then holds them for a second.
#[function(memory = 128, timeout = "10s")]
async fn leak(input: serde_json::Value) -> usize {
    let mb = input["mb"].as_u64().unwrap_or(0) as usize;
    let mut held: Vec<Vec<u8>> = Vec::with_capacity(mb);
    for _ in 0..mb {
        held.push(vec![1u8; 1 << 20]);
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    held.iter()
        .map(|chunk| usize::from(chunk[chunk.len() - 1]))
        .sum()
}

static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts its calls in a static: state that survives only in a reused environment.
#[function]
async fn counter(_input: serde_json::Value) -> u64 {
    CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
}

/// Sleeps `ms` milliseconds; one at a time.
#[function(concurrency = 1, timeout = "10s")]
async fn slow(input: serde_json::Value) -> serde_json::Value {
    let ms = input["ms"].as_u64().unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    input
}

/// Creates the file `started` names, then waits until the file `release` names exists (within
/// its timeout): a test holds the call in flight for as long as it needs, without sleeping.
#[function(timeout = "10s")]
async fn gate(input: serde_json::Value) -> Result<&'static str, Error> {
    let started = input["started"].as_str().unwrap_or_default();
    let release = std::path::Path::new(input["release"].as_str().unwrap_or_default());
    std::fs::write(started, b"started")?;
    while !release.exists() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok("released")
}

/// Like `slow` without reserved concurrency: it draws on the account's shared pool.
#[function(timeout = "10s")]
async fn hold(input: serde_json::Value) -> serde_json::Value {
    slow(input).await
}

/// Writes `{"write": name}` into its temporary directory (`TMPDIR`, Lambda's `/tmp`) and answers
/// where that is and what it holds.
#[function(ephemeral_storage = 1024)]
async fn scratch(input: serde_json::Value) -> Result<serde_json::Value, Error> {
    let tmp = std::env::temp_dir();
    if let Some(name) = input["write"].as_str() {
        std::fs::write(tmp.join(name), b"scratch")?;
    }
    let mut files: Vec<String> = std::fs::read_dir(&tmp)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(serde_json::json!({ "tmp": tmp, "files": files }))
}

/// Tells what the platform told it: time left, memory, names, environment.
#[function(
    timeout = "7s",
    memory = 256,
    env = ["FROM_ATTRIBUTE=attribute value", "GREETING=from the attribute"]
)]
async fn whoami(_input: serde_json::Value, ctx: Context) -> serde_json::Value {
    println!("whoami was called");
    serde_json::json!({
        "remaining_ms": ctx.remaining_time().as_millis() as u64,
        "memory_mb": ctx.memory_limit_mb(),
        "function": ctx.function_name(),
        "request_id": ctx.request_id(),
        "arn": ctx.invoked_function_arn(),
        "client_context": ctx.client_context(),
        "env_function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        "env_memory": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok(),
        "env_handler": std::env::var("_HANDLER").ok(),
        "env_region": std::env::var("AWS_REGION").ok(),
        "env_log_group": std::env::var("AWS_LAMBDA_LOG_GROUP_NAME").ok(),
        "env": std::env::vars().collect::<std::collections::BTreeMap<String, String>>(),
    })
}

/// Answers with `n` bytes of text: past 6 MB, Lambda refuses the answer.
#[function]
async fn big(input: serde_json::Value) -> String {
    "x".repeat(input["n"].as_u64().unwrap_or(0) as usize)
}

/// Fails with a typed error.
#[function]
async fn fail(_input: serde_json::Value) -> Result<serde_json::Value, Error> {
    Err(Error::new("OrderRejected", "the order was rejected"))
}

/// `GET /items/{id}` answers with the id; `POST /items` echoes the body with 201.
#[function(trigger = http(method = "GET", path = "/items/{id}"))]
async fn get_item(req: HttpRequest) -> Json<serde_json::Value> {
    Json(serde_json::json!({"id": req.path_param("id")}))
}

/// `POST /items` echoes the JSON body with 201 and a cookie.
#[function(trigger = http(method = "POST", path = "/items"))]
async fn post_item(req: HttpRequest) -> Result<HttpResponse, Error> {
    let item: serde_json::Value = req.body().json()?;
    Ok(http::Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .header("set-cookie", "seen=1; Path=/")
        .body(serde_json::to_vec(&item).map_err(Error::from)?.into())?)
}

/// `GET /raw/{what}` takes the platform's own v2 event and answers with what API Gateway put
/// in it: the route's key, the raw path and query, the path parameter and a header.
#[function(trigger = http(method = "GET", path = "/raw/{what}"))]
async fn raw_route(event: fnkit::raw::ApiGatewayV2httpRequest) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "routeKey": event.route_key,
        "rawPath": event.raw_path,
        "rawQueryString": event.raw_query_string,
        "what": event.path_parameters.get("what"),
        "tag": event.headers.get("x-tag").and_then(|v| v.to_str().ok()),
    }))
}

/// `GET /seen` answers with the request as its handler sees it: the URI, the version, the
/// repeated `x-multi` header and the cookies. With `?sleep` it first sleeps past its 1 s timeout.
#[function(trigger = http(method = "GET", path = "/seen"), timeout = "1s")]
async fn seen(req: HttpRequest) -> Json<serde_json::Value> {
    if req.query_param("sleep").is_some() {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    }
    let header = |name: &str| -> Vec<String> {
        let values = req.headers().get_all(name).iter();
        values
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .collect()
    };
    Json(serde_json::json!({
        "uri": req.uri().to_string(),
        "version": format!("{:?}", req.version()),
        "multi": header("x-multi"),
        "cookie": header("cookie"),
    }))
}

fn main() {
    fnkit::run()
}

/// Starts what a careless function leaves behind: a child and a daemon (a grandchild its shell
/// left running), both `sleep 600`, and answers their pids and its limit of open files. With
/// `{"hang": true}` it then runs past its timeout.
#[function(timeout = "2s")]
async fn leave_behind(input: serde_json::Value) -> Result<serde_json::Value, Error> {
    use std::process::{Command, Stdio};
    let child = Command::new("sleep")
        .arg("600")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let daemon = Command::new("sh")
        .args(["-c", "sleep 600 >/dev/null 2>&1 & echo $!"])
        .output()?;
    let daemon: u32 = String::from_utf8_lossy(&daemon.stdout).trim().parse()?;
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .unwrap_or_default()
        .to_owned();
    if input["hang"] == true {
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
    Ok(serde_json::json!({"child": child.id(), "daemon": daemon, "open_files": open_files}))
}
