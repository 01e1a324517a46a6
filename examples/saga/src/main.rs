//! An order saga as one durable function: reserve the stock, wait (up to a day, at no cost) for
//! a person to approve the order, charge the card at most once per attempt, and when the order
//! is refused, the approval never comes or the charge fails for good, release the reservation
//! (the compensation). Every step is checkpointed: an invocation that dies, a redeploy or a
//! restart of the emulator resumes the saga where it stopped, and no step that finished runs
//! again.
//!
//! Run it with `cargo run -p fnkit-local -- --examples`, start an order, and approve it with the
//! callback id the function logs:
//!
//! ```text
//! aws lambda invoke --endpoint-url http://127.0.0.1:9000 --function-name order_saga:live \
//!     --invocation-type Event --cli-binary-format raw-in-base64-out \
//!     --payload '{"id":"o-1","sku":"tea","quantity":2,"amount_cents":1800}' /dev/null
//! curl -X POST localhost:9000/2025-12-01/durable-execution-callbacks/<id from the log>/succeed \
//!     -d '{"approved":true,"by":"ada"}'
//! curl localhost:9000/_fnkit/executions            # the saga's operations and history
//! ```
//!
//! (`aws lambda send-durable-execution-callback-success --callback-id ...` does the same.)
//!
//! Its unit tests (below) run the saga in-process with `fnkit::testing::durable`: the day the
//! approval may take is skipped, the approver's answer is queued: `cargo test -p saga`.

use std::time::Duration;

use fnkit::durable::{CallbackConfig, DurableContext, DurableError, Retry, StepConfig};
use fnkit::prelude::*;
use serde::{Deserialize, Serialize};

/// An order to fulfil.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    id: String,
    sku: String,
    quantity: u32,
    amount_cents: u64,
    /// How long the approver has, in seconds (a day when absent).
    #[serde(default)]
    approval_secs: Option<u64>,
}

/// What the approver answers.
#[derive(Debug, Serialize, Deserialize)]
struct Approval {
    approved: bool,
    by: String,
}

/// How the saga ended.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Outcome {
    /// Reserved, approved and charged.
    Completed { reservation: String, charge: String },
    /// The approver said no; the reservation is released.
    Rejected { by: String, released: String },
    /// No answer in time; the reservation is released.
    Expired { released: String },
    /// The approval failed (the approver's system said so, or handing it the order failed);
    /// the reservation is released.
    ApprovalFailed { reason: String, released: String },
    /// The card was declined on every attempt; the reservation is released.
    ChargeFailed { reason: String, released: String },
}

/// How long an order waits for its approval unless it says otherwise.
const APPROVAL_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// Runs one order through the saga.
#[function(durable(timeout = "2d", retention = "14d"), timeout = "30s")]
async fn order_saga(order: Order, ctx: DurableContext) -> Result<Outcome, Error> {
    let reservation: String = ctx
        .step("reserve-stock", |_| reserve(order.clone()))
        .await?;
    let window = order
        .approval_secs
        .map_or(APPROVAL_WINDOW, Duration::from_secs);
    let approval = ctx
        .wait_for_callback("approval", CallbackConfig::timeout(window), |callback_id| {
            ask_for_approval(order.id.clone(), callback_id)
        })
        .await;
    let approval: Approval = match approval {
        Ok(approval) => approval,
        // The service's trouble or a replay gone astray is the invocation's, not the order's
        // (even when it surfaces through the callback's child context).
        Err(e) if e.is_fatal() => return Err(e.into()),
        Err(failed) => {
            let released = release(&ctx, &reservation).await?;
            let error = Error::from(failed);
            return Ok(match error.error_type() {
                "Callback.Timeout" | "Callback.Heartbeat" => Outcome::Expired { released },
                _ => Outcome::ApprovalFailed {
                    reason: error.message().to_owned(),
                    released,
                },
            });
        }
    };
    if !approval.approved {
        let released = release(&ctx, &reservation).await?;
        return Ok(Outcome::Rejected {
            by: approval.by,
            released,
        });
    }
    // A charge must not run twice in one attempt: at most once, three attempts.
    let charging = StepConfig::default().at_most_once().retry(
        Retry::exponential()
            .max_attempts(3)
            .initial(Duration::from_secs(1)),
    );
    match ctx
        .step_with("charge-card", charging, |_| charge(order.clone()))
        .await
    {
        Ok(charge) => Ok(Outcome::Completed {
            reservation,
            charge,
        }),
        Err(DurableError::Step(error)) => {
            let released = release(&ctx, &reservation).await?;
            let reason = error.error_message.unwrap_or_default();
            Ok(Outcome::ChargeFailed { reason, released })
        }
        Err(other) => Err(other.into()),
    }
}

/// Holds the stock for the order (here: names the hold).
async fn reserve(order: Order) -> Result<String, Error> {
    println!(
        "reserving {} x {} for order {}",
        order.quantity, order.sku, order.id
    );
    Ok(format!("hold-{}-{}", order.id, order.sku))
}

/// Hands the callback id to whoever approves orders (here: the log).
async fn ask_for_approval(order: String, callback_id: String) -> Result<(), Error> {
    println!("order {order} awaits approval: callback id {callback_id}");
    Ok(())
}

/// Charges the card (here: a card declines amounts over 1,000.00).
async fn charge(order: Order) -> Result<String, Error> {
    if order.amount_cents > 100_000 {
        return Err(Error::new(
            "CardDeclined",
            format!("the card declined {} cents", order.amount_cents),
        ));
    }
    Ok(format!("charge-{}", order.id))
}

/// The compensation: releases the reservation, as a step of its own.
async fn release(ctx: &DurableContext, reservation: &str) -> Result<String, DurableError> {
    let reservation = reservation.to_owned();
    ctx.step("release-stock", |_| async move {
        println!("releasing {reservation}");
        Ok(reservation)
    })
    .await
}

fn main() {
    fnkit::run()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fnkit::testing::durable::DurableTest;

    use super::*;

    fn order(amount_cents: u64) -> Order {
        Order {
            id: "o-1".into(),
            sku: "tea".into(),
            quantity: 2,
            amount_cents,
            approval_secs: None,
        }
    }

    /// The saga's own settings: two days to run.
    fn saga() -> DurableTest {
        DurableTest::new().timeout(Duration::from_secs(2 * 86_400))
    }

    fn approval(approved: bool) -> Approval {
        Approval {
            approved,
            by: "ada".into(),
        }
    }

    #[tokio::test]
    async fn an_approved_order_is_charged() {
        let run = saga()
            .callback_succeeds("approval", approval(true))
            .run(order(1800), order_saga)
            .await;
        let outcome: Outcome = run.result().unwrap();
        let charge = "charge-o-1".to_owned();
        let reservation = "hold-o-1-tea".to_owned();
        assert_eq!(
            outcome,
            Outcome::Completed {
                reservation,
                charge
            },
            "{run}"
        );
        assert_eq!(run.count("StepStarted", "release-stock"), 0);
    }

    #[tokio::test]
    async fn a_refused_order_releases_its_stock() {
        let run = saga()
            .callback_succeeds("approval", approval(false))
            .run(order(1800), order_saga)
            .await;
        let released = "hold-o-1-tea".to_owned();
        let by = "ada".to_owned();
        assert_eq!(
            run.result::<Outcome>().unwrap(),
            Outcome::Rejected { by, released }
        );
        assert_eq!(run.count("StepStarted", "charge-card"), 0, "{run}");
    }

    #[tokio::test]
    async fn an_order_nobody_approves_expires_after_a_day() {
        let run = saga().run(order(1800), order_saga).await;
        let released = "hold-o-1-tea".to_owned();
        assert_eq!(
            run.result::<Outcome>().unwrap(),
            Outcome::Expired { released },
            "{run}"
        );
        assert_eq!(run.elapsed, APPROVAL_WINDOW, "the day, skipped: {run}");
    }

    #[tokio::test]
    async fn a_declined_card_is_tried_three_times_then_the_stock_is_released() {
        let run = saga()
            .callback_succeeds("approval", approval(true))
            .run(order(250_000), order_saga)
            .await;
        match run.result::<Outcome>().unwrap() {
            Outcome::ChargeFailed { reason, .. } => {
                assert!(reason.contains("declined"), "{reason}")
            }
            other => panic!("{other:?}\n{run}"),
        }
        assert_eq!(run.count("StepStarted", "charge-card"), 3, "{run}");
        assert_eq!(run.count("StepSucceeded", "release-stock"), 1, "{run}");
    }
}
