//! The admin API under `/_fnkit/`: the functions and their URLs, the ledger's invocations and
//! aggregates, Prometheus metrics, and each function's recent log lines.

use fnkit::manifest::Trigger;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::reply::{json, query, Reply};
use super::Front;
use crate::engine::Engine;

/// Answers with what a (blocking) ledger read returns, as JSON.
async fn from_ledger<T: serde::Serialize + Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::db::DbError> + Send + 'static,
) -> Reply {
    let failed = |message: String| {
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({"message": message}),
        )
    };
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => json(
            StatusCode::OK,
            &serde_json::to_value(value).unwrap_or_default(),
        ),
        Ok(Err(e)) => failed(e.to_string()),
        Err(e) => failed(e.to_string()),
    }
}

/// Every `/_fnkit/` path that no front answers.
pub(crate) fn not_found() -> Reply {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"message": "Not Found", "endpoints": ENDPOINTS}),
    )
}

const ENDPOINTS: &[&str] = &[
    "/_fnkit/functions",
    "/_fnkit/invocations?function=&limit=",
    "/_fnkit/invocations/{request_id}[/replay]",
    "/_fnkit/stats",
    "/_fnkit/build",
    "/_fnkit/events (server-sent events)",
    "/_fnkit/ (the dashboard)",
    "/_fnkit/metrics",
    "/_fnkit/buckets/{bucket}[/{key}]",
    "/_fnkit/queues/{queue}[/messages|/dlq|/dlq/redrive]",
    "/_fnkit/async/{function}/dead|redrive",
    "/_fnkit/schedules[/{function}]",
    "/_fnkit/executions[/{arn}]?function=&status=&limit=",
    "/_fnkit/logs/{function}?start_ms=&end_ms=",
];

/// `rest`: the path after `/_fnkit/`.
pub(crate) async fn handle(front: &Front, rest: &str, req: Request<Incoming>) -> Reply {
    let core = &front.engine;
    if req.method() != Method::GET {
        return json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"message": "use GET"}),
        );
    }
    match rest {
        "functions" => json(StatusCode::OK, &functions(core, &front.base_url)),
        "invocations" => {
            let function = query(&req, "function");
            let limit = query(&req, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100u32)
                .min(10_000);
            let ledger = core.ledger.clone();
            from_ledger(move || ledger.invocations(function.as_deref(), limit)).await
        }
        "build" => json(
            StatusCode::OK,
            &serde_json::to_value(core.builds.state()).unwrap_or_default(),
        ),
        "stats" => {
            let ledger = core.ledger.clone();
            from_ledger(move || ledger.stats()).await
        }
        "metrics" => {
            let gauges: Vec<(String, usize, usize)> = core
                .functions
                .values()
                .map(|f| (f.config.name.clone(), f.idle_count(), f.in_flight()))
                .collect();
            let mut r = Response::new(Full::new(core.metrics.prometheus(&gauges).into()));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        _ => match rest.strip_prefix("logs/") {
            Some(function) => logs(front, function, &req),
            None => not_found(),
        },
    }
}

/// `/_fnkit/logs/{function}?start_ms=&end_ms=`: the function's recent log lines (its workers'
/// output and its platform lines, unprefixed), as CloudWatch's `FilterLogEvents` gives them.
fn logs(front: &Front, function: &str, req: &Request<Incoming>) -> Reply {
    if !front.engine.functions.contains_key(function) {
        return not_found();
    }
    let bound = |key: &str, default: i64| {
        query(req, key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let lines = front
        .engine
        .logs
        .recent(function, bound("start_ms", 0), bound("end_ms", i64::MAX));
    let events: Vec<serde_json::Value> = lines
        .into_iter()
        .map(|(timestamp, message)| serde_json::json!({"timestamp": timestamp, "message": message}))
        .collect();
    json(StatusCode::OK, &serde_json::json!({"events": events}))
}

/// The served functions with their URLs, limits and live state.
pub(crate) fn functions(core: &Engine, base_url: &str) -> serde_json::Value {
    let mut list: Vec<serde_json::Value> = core
        .functions
        .values()
        .map(|f| {
            let url = match &f.spec.trigger {
                Trigger::Http { method, path } => Some(format!("{method} {base_url}{path}")),
                _ => None,
            };
            serde_json::json!({
                "name": f.config.name,
                "trigger": f.spec.trigger,
                "timeout_secs": f.spec.timeout_secs,
                "memory_mb": f.spec.memory_mb,
                "concurrency": f.limit,
                "reserved_concurrency": f.spec.concurrency,
                "version": f.version(),
                "alias": fnkit_spec::names::ALIAS,
                "retries": f.spec.retries,
                "max_event_age_secs": f.spec.max_event_age_secs,
                "ephemeral_storage_mb": f.spec.ephemeral_mb,
                "url": url,
                "invoke_url": format!("{base_url}/2015-03-31/functions/{}/invocations", f.config.name),
                "binary": f.config.binary,
                "warm": f.idle_count(),
                "in_flight": f.in_flight(),
            })
        })
        .collect();
    list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    serde_json::Value::Array(list)
}
