//! The admin API under `/_fnkit/`: the functions and their URLs, the ledger's invocations and
//! aggregates, and Prometheus metrics.

use std::sync::Arc;

use fnkit::manifest::Trigger;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::core::Core;
use crate::server::{json, Reply};

fn query(req: &Request<Incoming>, key: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

pub(crate) async fn handle(
    core: Arc<Core>,
    base_url: &str,
    rest: &str,
    req: Request<Incoming>,
) -> Reply {
    if req.method() != Method::GET {
        return json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"message": "use GET"}),
        );
    }
    match rest {
        "functions" => json(StatusCode::OK, &functions(&core, base_url)),
        "invocations" => {
            let function = query(&req, "function");
            let limit = query(&req, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100u32)
                .min(10_000);
            let ledger = core.ledger.clone();
            match tokio::task::spawn_blocking(move || {
                ledger.invocations(function.as_deref(), limit)
            })
            .await
            {
                Ok(Ok(rows)) => json(
                    StatusCode::OK,
                    &serde_json::to_value(rows).unwrap_or_default(),
                ),
                Ok(Err(e)) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"message": e.to_string()}),
                ),
                Err(e) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"message": e.to_string()}),
                ),
            }
        }
        "stats" => {
            let ledger = core.ledger.clone();
            match tokio::task::spawn_blocking(move || ledger.stats()).await {
                Ok(Ok(stats)) => json(
                    StatusCode::OK,
                    &serde_json::to_value(stats).unwrap_or_default(),
                ),
                Ok(Err(e)) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"message": e.to_string()}),
                ),
                Err(e) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &serde_json::json!({"message": e.to_string()}),
                ),
            }
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
        _ => json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "Not Found", "endpoints": ["/_fnkit/functions", "/_fnkit/invocations?function=&limit=", "/_fnkit/stats", "/_fnkit/metrics"]}),
        ),
    }
}

/// The served functions with their URLs, limits and live state.
pub(crate) fn functions(core: &Core, base_url: &str) -> serde_json::Value {
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
                "retries": f.spec.retries,
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
