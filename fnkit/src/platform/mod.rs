//! The platform's side of each trigger's payload: what AWS (or the emulator, the HTTP mode, and
//! `fnkit::testing`) sends a function and reads back; and the HTTP/1 accept loop the HTTP mode
//! and the emulator share. Not public API: the emulator builds its
//! events here so that they are, byte for byte, what the SDK's decoders are tested against.

mod http;
mod queue;
mod schedule;
mod serve;
mod storage;

pub(crate) use http::as_api_gateway_passes_it;
pub use http::{decode_response, to_v2_event, to_v2_payload, GatewayRequestId};

/// `value` without the keys whose value is null: the `aws_lambda_events` types write every
/// optional field, AWS leaves absent ones out.
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, without_nulls(v)))
            .collect(),
        serde_json::Value::Array(items) => items.into_iter().map(without_nulls).collect(),
        other => other,
    }
}
pub use queue::{md5_hex, md5_of_message_attributes, to_sqs_event};
pub use schedule::to_eventbridge_event;
pub use serve::{serve_http1, Limits, Trouble};
pub use storage::to_s3_event;
