//! One recorded invocation: `GET /_fnkit/invocations/{request_id}` (its ledger row, payload,
//! response and log) and `POST /_fnkit/invocations/{request_id}/replay`, which runs its payload
//! again against the build served now and answers both runs side by side, for
//! `fnkit-local replay` and the dashboard.

use bytes::Bytes;
use http::{Method, StatusCode};
use hyper::body::Incoming;
use hyper::Request;

use super::reply::{json, message, Reply};
use super::Front;
use crate::db::DbError;
use crate::engine::{Extras, InvokeError, Mode};
use crate::ledger::{Ledger, Recorded};

/// Why an invocation cannot be replayed.
#[derive(Debug, thiserror::Error)]
enum ReplayError {
    #[error("no invocation {0} in the ledger")]
    Unknown(String),
    #[error("{0} is not served now")]
    NotServed(String),
    #[error("{0} is a durable function: its invocations replay from their execution's history (start a new execution instead)")]
    Durable(String),
    #[error("the payload of {id} was not recorded whole: {why}")]
    NotRecorded { id: String, why: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Invoke(#[from] InvokeError),
}

impl ReplayError {
    fn status(&self) -> StatusCode {
        match self {
            ReplayError::Unknown(_) | ReplayError::NotServed(_) => StatusCode::NOT_FOUND,
            ReplayError::Durable(_) | ReplayError::NotRecorded { .. } => StatusCode::CONFLICT,
            ReplayError::Invoke(InvokeError::Throttled { .. } | InvokeError::EventAgeExceeded) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ReplayError::Db(_) | ReplayError::Invoke(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// `segments`: the path after `/_fnkit/invocations/`.
pub(crate) async fn handle(front: &Front, segments: &[&str], req: Request<Incoming>) -> Reply {
    let id = super::reply::percent_decode(segments[0]);
    let answer = match (req.method(), &segments[1..]) {
        (&Method::GET, []) => read(&front.engine.ledger, &id)
            .await
            .map(|r| serde_json::to_value(r).unwrap_or_default()),
        (&Method::POST, ["replay"]) => replay(front, &id).await,
        _ => return super::admin::not_found(),
    };
    match answer {
        Ok(value) => json(StatusCode::OK, &value),
        Err(e) => message(e.status(), e),
    }
}

/// The newest invocation of `id`, read off the runtime.
async fn read(ledger: &Ledger, id: &str) -> Result<Recorded, ReplayError> {
    let (ledger, key) = (ledger.clone(), id.to_owned());
    tokio::task::spawn_blocking(move || ledger.recorded(&key))
        .await
        .map_err(|e| InvokeError::Internal(e.to_string()))??
        .ok_or_else(|| ReplayError::Unknown(id.to_owned()))
}

/// Runs `id`'s payload again on the function's current build (waiting for a free slot, as an
/// event does) and answers `{"original": .., "replay": ..}`.
async fn replay(front: &Front, id: &str) -> Result<serde_json::Value, ReplayError> {
    let original = read(&front.engine.ledger, id).await?;
    let function = &original.row.function;
    let served = front
        .engine
        .functions
        .get(function)
        .ok_or_else(|| ReplayError::NotServed(function.clone()))?;
    if served.spec.durable.is_some() {
        return Err(ReplayError::Durable(function.clone()));
    }
    let payload = payload(&original, front.engine.config.record_max_bytes)?;
    let extras = Extras {
        log_tail: true,
        ..Extras::default()
    };
    let invoked = front
        .engine
        .invoke_detached(function, payload, Mode::Async, "replay", extras)
        .await?;
    let replayed = read(&front.engine.ledger, &invoked.request_id).await?;
    Ok(serde_json::json!({"original": original, "replay": replayed}))
}

/// The recorded payload, or why there is none.
fn payload(original: &Recorded, cap: usize) -> Result<Bytes, ReplayError> {
    let why = match (&original.request, original.request_bytes) {
        (Some(bytes), _) => return Ok(Bytes::from(bytes.clone())),
        (None, Some(size)) => format!(
            "its {size} bytes are more than the {cap} bytes recorded (--record-max-bytes)"
        ),
        (None, None) if original.row.outcome == "throttled" => {
            "it was throttled before it ran".to_owned()
        }
        (None, None) => format!(
            "recording was off (--record-max-bytes 0), or it is older than the newest {} invocations",
            crate::ledger::KEPT_EXCHANGES
        ),
    };
    Err(ReplayError::NotRecorded {
        id: original.row.request_id.clone(),
        why,
    })
}
