//! `POST /_fnkit/schedules/{function}` fires a scheduled function now, as its clock would;
//! `GET /_fnkit/schedules` lists the scheduled functions with their next firing.

use std::time::SystemTime;

use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::Request;

use super::reply::{json, message, with_header, Reply};
use super::Front;
use crate::sources::schedule::FireError;

/// `segments`: the path after `/_fnkit/schedules/`.
pub(crate) async fn handle(front: &Front, segments: &[&str], req: Request<Incoming>) -> Reply {
    if let ([], &Method::GET) = (segments, req.method()) {
        return json(
            StatusCode::OK,
            &crate::sources::schedule::listed(&front.engine),
        );
    }
    let ([function], &Method::POST) = (segments, req.method()) else {
        return super::admin::not_found();
    };
    match crate::sources::schedule::fire(&front.engine, &front.work, function, SystemTime::now())
        .await
    {
        Ok(id) => with_header(
            json(
                StatusCode::ACCEPTED,
                &serde_json::json!({"function": function, "id": id}),
            ),
            "x-amzn-requestid",
            &id,
        ),
        Err(e @ FireError::NotFound { .. }) => message(StatusCode::NOT_FOUND, e),
        Err(e @ FireError::Store(_)) => message(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
