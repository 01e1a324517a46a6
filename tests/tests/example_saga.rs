//! The bundled `saga` example (a durable order saga) run as it ships under the emulator and
//! driven from outside through the official AWS SDK for Rust, as an operator would: start an
//! order with an asynchronous Invoke, read the callback id from the execution's history, answer
//! it with `SendDurableExecutionCallbackSuccess`, and read the outcome with
//! `GetDurableExecution`. Each path of the saga: approved and charged, refused, no answer in
//! time, an approval that failed, and a charge declined on every attempt (the compensation
//! releases the reservation).

use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{EventType, ExecutionStatus, InvocationType};
use fnkit_tests::emulator::TestEmulator;
use serde_json::{json, Value};

/// Generous: a worker starts, and a declined charge is retried after delays of 1 s and 2 s.
const PATIENCE: Duration = Duration::from_secs(60);

/// Starts the saga for `order` and returns its execution's ARN.
async fn start(lambda: &aws_sdk_lambda::Client, order: Value) -> String {
    let started = lambda
        .invoke()
        .function_name("order_saga:$LATEST")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(order.to_string()))
        .send()
        .await
        .expect("an asynchronous Invoke of the saga");
    assert_eq!(started.status_code(), 202);
    started
        .durable_execution_arn()
        .expect("a durable execution's ARN")
        .to_owned()
}

/// The id of the execution's approval callback, once it is created.
async fn callback_id(lambda: &aws_sdk_lambda::Client, arn: &str, e: &TestEmulator) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let history = lambda
            .get_durable_execution_history()
            .durable_execution_arn(arn)
            .send()
            .await
            .expect("GetDurableExecutionHistory");
        let started = history
            .events()
            .iter()
            .filter(|ev| ev.event_type() == Some(&EventType::CallbackStarted))
            .find_map(|ev| {
                ev.callback_started_details()
                    .map(|d| d.callback_id().to_owned())
            });
        if let Some(id) = started {
            return id;
        }
        assert!(Instant::now() < deadline, "no callback: {:#?}", e.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The execution's result once it has succeeded.
async fn outcome(lambda: &aws_sdk_lambda::Client, arn: &str, e: &TestEmulator) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let execution = lambda
            .get_durable_execution()
            .durable_execution_arn(arn)
            .send()
            .await
            .expect("GetDurableExecution");
        match execution.status() {
            ExecutionStatus::Succeeded => {
                return serde_json::from_str(execution.result().unwrap_or("null")).unwrap()
            }
            ExecutionStatus::Running => {}
            other => panic!("the saga ended {other:?}: {execution:?}"),
        }
        assert!(Instant::now() < deadline, "no outcome: {:#?}", e.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the approver does.
enum Answer {
    /// `SendDurableExecutionCallbackSuccess` with this result.
    Gives(Value),
    /// `SendDurableExecutionCallbackFailure` with this message.
    Fails(&'static str),
    /// Nothing.
    Silent,
}

/// Runs one order through the saga, the approver answering as `answer` says.
async fn saga(order: Value, answer: Answer) -> (Value, Vec<String>) {
    let e = TestEmulator::serving(&fnkit_tests::example_bin("saga")).await;
    let lambda = aws_sdk_lambda::Client::new(&fnkit_tests::sdk_config(&e.base).await);
    let arn = start(&lambda, order).await;
    let id = callback_id(&lambda, &arn, &e).await;
    match answer {
        Answer::Gives(approval) => {
            lambda
                .send_durable_execution_callback_success()
                .callback_id(id)
                .result(Blob::new(approval.to_string()))
                .send()
                .await
                .expect("SendDurableExecutionCallbackSuccess");
        }
        Answer::Fails(message) => {
            let error = aws_sdk_lambda::types::ErrorObject::builder()
                .error_type("ApproverDown")
                .error_message(message)
                .build();
            lambda
                .send_durable_execution_callback_failure()
                .callback_id(id)
                .error(error)
                .send()
                .await
                .expect("SendDurableExecutionCallbackFailure");
        }
        Answer::Silent => {}
    }
    let result = outcome(&lambda, &arn, &e).await;
    let history = lambda
        .get_durable_execution_history()
        .durable_execution_arn(&arn)
        .send()
        .await
        .expect("GetDurableExecutionHistory");
    let steps = history
        .events()
        .iter()
        .filter(|ev| ev.event_type() == Some(&EventType::StepStarted))
        .filter_map(|ev| ev.name().map(str::to_owned))
        .collect();
    (result, steps)
}

#[tokio::test]
async fn an_approved_order_is_reserved_and_charged() {
    let order = json!({"id": "o-1", "sku": "tea", "quantity": 2, "amount_cents": 1800});
    let (result, steps) = saga(order, Answer::Gives(json!({"approved": true, "by": "ada"}))).await;
    assert_eq!(
        result,
        json!({"outcome": "completed", "reservation": "hold-o-1-tea", "charge": "charge-o-1"})
    );
    assert_eq!(
        steps,
        ["reserve-stock", "approval-submitter", "charge-card"]
    );
}

#[tokio::test]
async fn a_refused_order_releases_its_reservation() {
    let order = json!({"id": "o-2", "sku": "tea", "quantity": 1, "amount_cents": 900});
    let (result, steps) = saga(
        order,
        Answer::Gives(json!({"approved": false, "by": "grace"})),
    )
    .await;
    assert_eq!(
        result,
        json!({"outcome": "rejected", "by": "grace", "released": "hold-o-2-tea"})
    );
    assert_eq!(
        steps,
        ["reserve-stock", "approval-submitter", "release-stock"]
    );
}

#[tokio::test]
async fn a_declined_charge_is_tried_three_times_then_compensated() {
    let order = json!({"id": "o-3", "sku": "piano", "quantity": 1, "amount_cents": 250_000});
    let (result, steps) = saga(order, Answer::Gives(json!({"approved": true, "by": "ada"}))).await;
    assert_eq!(
        result,
        json!({
            "outcome": "charge_failed",
            "reason": "the card declined 250000 cents",
            "released": "hold-o-3-piano",
        })
    );
    // Three attempts of the charge (at most once each), then the compensation.
    let charges = steps.iter().filter(|s| *s == "charge-card").count();
    assert_eq!(charges, 3, "{steps:?}");
    assert_eq!(steps.last().map(String::as_str), Some("release-stock"));
}

#[tokio::test]
async fn an_order_nobody_approves_in_time_expires_and_is_compensated() {
    let order =
        json!({"id": "o-4", "sku": "tea", "quantity": 1, "amount_cents": 900, "approval_secs": 1});
    let (result, steps) = saga(order, Answer::Silent).await;
    assert_eq!(
        result,
        json!({"outcome": "expired", "released": "hold-o-4-tea"})
    );
    assert_eq!(
        steps,
        ["reserve-stock", "approval-submitter", "release-stock"]
    );
}

#[tokio::test]
async fn a_failed_approval_is_compensated_with_its_reason() {
    let order = json!({"id": "o-5", "sku": "tea", "quantity": 1, "amount_cents": 900});
    let (result, steps) = saga(order, Answer::Fails("the approvals service is down")).await;
    assert_eq!(
        result,
        json!({
            "outcome": "approval_failed",
            "reason": "the approvals service is down",
            "released": "hold-o-5-tea",
        })
    );
    assert_eq!(steps.last().map(String::as_str), Some("release-stock"));
}
