//! `/_fnkit/executions`: the durable executions, for people (and, next, the dashboard). The list
//! (newest first, `?function=&status=&limit=`), and one execution (`/_fnkit/executions/{arn}`,
//! the ARN percent-encoded or not) with its operations, its history and its invocations (the
//! ledger's rows: duration, billing, cost, outcome).

use http::StatusCode;
use serde_json::json;

use super::reply::{json, percent_decode, query, Reply};
use super::Front;

/// `rest`: the path after `/_fnkit/executions`.
pub(crate) async fn handle(
    front: &Front,
    rest: &str,
    req: &hyper::Request<hyper::body::Incoming>,
) -> Reply {
    let region = &front.engine.config.region;
    let failed = |e: crate::durable::ApiError| {
        let (status, _) = e.status_and_type();
        json(status, &json!({"message": e.to_string()}))
    };
    let arn = percent_decode(rest.trim_start_matches('/'));
    if arn.is_empty() {
        let limit = query(req, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        let function = query(req, "function");
        let status = query(req, "status");
        return match front.durable.recent(function, status, limit).await {
            Ok(list) => {
                let items: Vec<serde_json::Value> = list
                    .iter()
                    .map(|e| crate::durable::describe(e, region))
                    .collect();
                json(StatusCode::OK, &json!({"executions": items}))
            }
            Err(e) => failed(e),
        };
    }
    match front.durable.inspect(&arn).await {
        Ok((exec, operations)) => {
            let history = match front.durable.history(&arn, 0, 1000, false, true).await {
                Ok((events, _)) => events,
                Err(e) => return failed(e),
            };
            // Its invocations: the ledger's rows of the requests its history names.
            let ids: Vec<String> = history
                .iter()
                .filter_map(|e| e["InvocationCompletedDetails"]["RequestId"].as_str())
                .map(str::to_owned)
                .collect();
            let ledger = front.engine.ledger.clone();
            let rows = tokio::task::spawn_blocking(move || ledger.by_request_ids(&ids)).await;
            let mut body = crate::durable::describe(&exec, region);
            body["Operations"] = json!(operations);
            // Completions from outside held for the invocation in flight.
            body["Deferred"] = json!(exec.deferred.len());
            body["Events"] = json!(history);
            body["Invocations"] = match rows {
                Ok(Ok(rows)) => json!(rows),
                _ => json!([]),
            };
            json(StatusCode::OK, &body)
        }
        Err(e) => failed(e),
    }
}
