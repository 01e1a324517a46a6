//! `/_fnkit/queues/{queue}/...` (send, counts, the dead-letter queue and its redrive) and
//! `/_fnkit/async/{function}/...` (the dead-letter store of asynchronous invocations).

use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::Request;

use super::reply::{body, json, message, query, Reply};
use super::Front;
use crate::engine::new_request_id;
use crate::work::store::{Kind, NewMessage};

use fnkit_spec::manifest::{MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES};
use fnkit_spec::names::dead_letter_queue;

fn internal(e: impl std::fmt::Display) -> Reply {
    message(StatusCode::INTERNAL_SERVER_ERROR, e)
}

/// `segments`: the path after `/_fnkit/`, split in three (`queues`, name, rest).
pub(crate) async fn handle(front: &Front, segments: &[&str], req: Request<Incoming>) -> Reply {
    let store = &front.work.store;
    match (segments, req.method()) {
        (["queues", name, "messages"], &Method::POST) => send(front, name, req).await,
        (["queues", name], &Method::GET) => {
            let counts = match store.queue_counts(name).await {
                Ok(c) => c,
                Err(e) => return internal(e),
            };
            let dlq = store
                .queue_counts(&dead_letter_queue(name))
                .await
                .unwrap_or_default();
            json(
                StatusCode::OK,
                &serde_json::json!({"queue": name, "depth": counts.depth, "delayed": counts.delayed, "in_flight": counts.in_flight, "dlq_depth": dlq.depth}),
            )
        }
        (["queues", name, "dlq"], &Method::GET) => {
            let dlq = dead_letter_queue(name);
            match store.list(Kind::Queue, &dlq, None, 1000).await {
                Ok(messages) => json(
                    StatusCode::OK,
                    &serde_json::json!({"queue": dlq, "messages": messages}),
                ),
                Err(e) => internal(e),
            }
        }
        (["queues", name, "dlq/redrive"], &Method::POST) => {
            match front.work.redrive_queue(name).await {
                Ok(n) => json(
                    StatusCode::OK,
                    &serde_json::json!({"queue": name, "redriven": n}),
                ),
                Err(e) => internal(e),
            }
        }
        (["async", function, "dead"], &Method::GET) => {
            match store.list(Kind::Async, function, Some("dead"), 1000).await {
                Ok(messages) => json(
                    StatusCode::OK,
                    &serde_json::json!({"function": function, "messages": messages}),
                ),
                Err(e) => internal(e),
            }
        }
        (["async", function, "redrive"], &Method::POST) => {
            match front.work.redrive_async(function).await {
                Ok(n) => json(
                    StatusCode::OK,
                    &serde_json::json!({"function": function, "redriven": n}),
                ),
                Err(e) => internal(e),
            }
        }
        _ => super::admin::not_found(),
    }
}

/// `POST /_fnkit/queues/{name}/messages`: one message or an array; each either any JSON value
/// (the body) or `{"body": ..., "attributes": {...}, "delay_seconds": n}`. All or nothing: one
/// bad message refuses the whole request, and nothing is stored.
async fn send(front: &Front, queue: &str, req: Request<Incoming>) -> Reply {
    if let Err(e) = fnkit_spec::names::queue_name(queue) {
        return message(StatusCode::BAD_REQUEST, e);
    }
    match crate::sqs::missing_queue(&front.engine, &front.work, queue).await {
        Ok(None) => {}
        Ok(Some(names)) => {
            let m = format!(
                "no queue named `{queue}`; queues: {}. A queue exists when a trigger or `uses` names it, or CreateQueue made it",
                names.join(", ")
            );
            return message(StatusCode::NOT_FOUND, m);
        }
        Err(e) => return internal(e),
    }
    let default_delay: u64 = query(&req, "delay_seconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let bytes = match body(req, 10 * MAX_MESSAGE_BYTES).await {
        Ok((_, bytes)) => bytes,
        Err(e) => {
            return e.answer(message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "a request is limited to 10 MiB (ten messages of 1 MiB)",
            ))
        }
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {e}"),
            )
        }
    };
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    let mut messages = Vec::with_capacity(items.len());
    for item in items {
        match queue_message(queue, item, default_delay) {
            Ok(m) => messages.push(m),
            Err(reply) => return *reply,
        }
    }
    let ids: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| serde_json::json!({"id": m.id}))
        .collect();
    if let Err(e) = front.work.push(messages).await {
        return internal(e);
    }
    json(
        StatusCode::OK,
        &serde_json::json!({"queue": queue, "messages": ids}),
    )
}

/// One message of a send request, checked as SQS checks it.
fn queue_message(
    queue: &str,
    item: serde_json::Value,
    default_delay: u64,
) -> Result<NewMessage, Box<Reply>> {
    let (body, attributes, delay) = match item {
        serde_json::Value::Object(mut o) if o.contains_key("body") => {
            let body = match o.remove("body") {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let attributes = o
                .remove("attributes")
                .unwrap_or_else(|| serde_json::json!({}));
            if !attributes.is_object() {
                let m = "`attributes` must be an object of strings";
                return Err(Box::new(message(StatusCode::BAD_REQUEST, m)));
            }
            let delay = o
                .get("delay_seconds")
                .and_then(|d| d.as_u64())
                .unwrap_or(default_delay);
            (body, attributes, delay)
        }
        other => (other.to_string(), serde_json::json!({}), default_delay),
    };
    if body.len() > MAX_MESSAGE_BYTES {
        let m = format!("a message is limited to {MAX_MESSAGE_BYTES} bytes");
        return Err(Box::new(message(StatusCode::PAYLOAD_TOO_LARGE, m)));
    }
    if delay > MAX_DELAY_SECONDS {
        let m = format!("delay_seconds is 0 to {MAX_DELAY_SECONDS}, as SQS allows");
        return Err(Box::new(message(StatusCode::BAD_REQUEST, m)));
    }
    Ok(NewMessage {
        id: new_request_id(),
        kind: Kind::Queue,
        target: queue.to_owned(),
        body: body.into_bytes(),
        attributes,
        trigger: "queue".to_owned(),
        delay_ms: delay * 1000,
    })
}
