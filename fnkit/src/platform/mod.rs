//! The platform's side of each trigger's payload: what AWS (or the emulator, the HTTP mode, and
//! `fnkit::testing`) sends a function and reads back. Not public API: the emulator builds its
//! events here so that they are, byte for byte, what the SDK's decoders are tested against.

mod http;
mod queue;
mod schedule;
mod storage;

pub use http::{decode_response, to_v2_event};
pub use queue::to_sqs_event;
pub use schedule::to_eventbridge_event;
pub use storage::to_s3_event;
