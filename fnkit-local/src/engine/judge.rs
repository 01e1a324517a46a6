//! How an invocation ended, in Lambda's words: the outcome recorded in the ledger, the error body
//! a synchronous caller receives (`{"errorType", "errorMessage"}`) and the line the platform logs.
//! Pure, so its tests state Lambda's rules directly.

use std::time::Duration;

use bytes::Bytes;

use super::environment::RunOutcome;
use super::runtime_api::{Answer, MAX_ANSWER_BYTES};
use crate::report::Outcome;

/// The judgement of one run.
#[derive(Debug)]
pub(crate) struct Judged {
    pub outcome: Outcome,
    /// The response, or the error body.
    pub body: Bytes,
    pub error_type: Option<String>,
    /// A line for the invocation's log, between START and END.
    pub log_line: Option<String>,
    /// A line for the platform log, outside the invocation (a failed init).
    pub platform_line: Option<String>,
}

fn error_body(error_type: &str, message: &str) -> Bytes {
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

fn failed(outcome: Outcome, error_type: &str, message: String) -> Judged {
    Judged {
        outcome,
        body: error_body(error_type, &message),
        error_type: Some(error_type.to_owned()),
        log_line: Some(message),
        platform_line: None,
    }
}

/// Turns what happened to `request_id` (of a function with `memory_mb` and `timeout`) into
/// Lambda's outcome, error body and log line.
pub(crate) fn judge(
    request_id: &str,
    memory_mb: u32,
    timeout: Duration,
    outcome: RunOutcome,
) -> Judged {
    match outcome {
        RunOutcome::Answered(Answer::Response(body)) => Judged {
            outcome: Outcome::Ok,
            body,
            error_type: None,
            log_line: None,
            platform_line: None,
        },
        RunOutcome::Answered(Answer::Error { error_type, body }) => Judged {
            outcome: Outcome::Error,
            body,
            error_type: Some(error_type),
            log_line: None,
            platform_line: None,
        },
        RunOutcome::Answered(Answer::TooLarge(size)) => {
            // The RIE's ErrorResponseTooLarge (internal/lambda/interop/model.go).
            let t = "Function.ResponseSizeTooLarge";
            let size = size.map(|n| format!(" ({n} bytes)")).unwrap_or_default();
            let m = format!("Response payload size{size} exceeded maximum allowed payload size ({MAX_ANSWER_BYTES} bytes).");
            let mut j = failed(Outcome::Error, t, m);
            j.log_line = None;
            j
        }
        RunOutcome::TimedOut => {
            // The message of the configured timeout (the RIE's BuildInvokeAppError: "Task timed
            // out after %.2f seconds"); the log has no line of its own, the REPORT line says
            // `Status: timeout`.
            let m = format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            );
            let mut j = failed(Outcome::Timeout, "Sandbox.Timedout", m);
            j.log_line = None;
            j
        }
        RunOutcome::OutOfMemory => {
            let m = format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed (above its memory size of {memory_mb} MB)");
            failed(Outcome::Oom, "Runtime.OutOfMemory", m)
        }
        RunOutcome::Exited(status) => {
            let m = format!("RequestId: {request_id} Error: Runtime exited with error: {status}");
            failed(Outcome::Crash, "Runtime.ExitError", m)
        }
        RunOutcome::InitFailed(e) => {
            let m = format!("RequestId: {request_id} Error: {}", e.message);
            Judged {
                outcome: Outcome::Crash,
                // What the runtime posted to /init/error reaches the caller unchanged.
                body: e.body.unwrap_or_else(|| error_body(&e.error_type, &m)),
                platform_line: Some(format!("{m} ({})", e.error_type)),
                error_type: Some(e.error_type),
                log_line: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runtime_api::InitError;

    fn body(j: &Judged) -> serde_json::Value {
        serde_json::from_slice(&j.body).unwrap()
    }

    const T: Duration = Duration::from_secs(3);

    #[test]
    fn an_answer_is_passed_through() {
        let j = judge(
            "r",
            128,
            T,
            RunOutcome::Answered(Answer::Response("42".into())),
        );
        assert_eq!(
            (j.outcome, &j.body[..], j.error_type),
            (Outcome::Ok, &b"42"[..], None)
        );
        let error = Answer::Error {
            error_type: "MyError".into(),
            body: r#"{"errorType":"MyError","errorMessage":"m"}"#.into(),
        };
        let j = judge("r", 128, T, RunOutcome::Answered(error));
        assert_eq!(j.outcome, Outcome::Error);
        assert_eq!(j.error_type.as_deref(), Some("MyError"));
        assert_eq!(body(&j)["errorMessage"], "m");
    }

    #[test]
    fn a_timeout_names_the_configured_timeout_and_writes_no_line_of_its_own() {
        let j = judge("req-1", 128, T, RunOutcome::TimedOut);
        assert_eq!(j.outcome, Outcome::Timeout);
        assert_eq!(j.error_type.as_deref(), Some("Sandbox.Timedout"));
        assert_eq!(
            body(&j)["errorMessage"],
            "RequestId: req-1 Error: Task timed out after 3.00 seconds"
        );
        assert!(j.log_line.is_none(), "{:?}", j.log_line);
    }

    #[test]
    fn memory_crash_and_oversize_have_lambdas_error_types() {
        let oom = judge("r", 256, T, RunOutcome::OutOfMemory);
        assert_eq!(
            (oom.outcome, oom.error_type.as_deref()),
            (Outcome::Oom, Some("Runtime.OutOfMemory"))
        );
        assert!(oom.log_line.unwrap().contains("256 MB"));
        let crash = judge(
            "r",
            128,
            T,
            RunOutcome::Exited("signal: 11 (SIGSEGV)".into()),
        );
        assert_eq!(crash.error_type.as_deref(), Some("Runtime.ExitError"));
        assert_eq!(
            body(&crash)["errorMessage"],
            "RequestId: r Error: Runtime exited with error: signal: 11 (SIGSEGV)"
        );
        let big = judge(
            "r",
            128,
            T,
            RunOutcome::Answered(Answer::TooLarge(Some(7_000_000))),
        );
        assert_eq!(
            big.error_type.as_deref(),
            Some("Function.ResponseSizeTooLarge")
        );
        // The RIE's ErrorResponseTooLarge message.
        assert_eq!(
            body(&big)["errorMessage"],
            "Response payload size (7000000 bytes) exceeded maximum allowed payload size (6291556 bytes)."
        );
        assert!(big.log_line.is_none());
    }

    #[test]
    fn a_failed_init_answers_what_the_runtime_posted() {
        let posted = r#"{"errorType":"Runtime.HandlerNotFound","errorMessage":"no function `x`","stackTrace":[]}"#;
        let e = InitError {
            error_type: "Runtime.HandlerNotFound".into(),
            message: "no function `x`".into(),
            body: Some(posted.into()),
        };
        let j = judge("r", 128, T, RunOutcome::InitFailed(e));
        assert_eq!(j.outcome, Outcome::Crash);
        assert_eq!(j.error_type.as_deref(), Some("Runtime.HandlerNotFound"));
        assert!(j
            .platform_line
            .as_deref()
            .unwrap()
            .ends_with("(Runtime.HandlerNotFound)"));
        assert_eq!(&j.body[..], posted.as_bytes());
    }
}
