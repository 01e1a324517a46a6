//! The service's side of chained invokes: running what a checkpoint started (a durable target's
//! execution is invoked; a plain target is invoked once, asynchronously), ending the operation
//! when the target ends, and reconciling them at start-up. What a chained invoke does to an
//! execution is the engine's (`fnkit_spec::durable::engine::chained`).

use fnkit_spec::durable::engine::chained::{complete, resolved, Chained, TargetEnded};
use fnkit_spec::durable::wire::{ErrorObject, ExecutionStatus};

use super::Durable;

impl Durable {
    /// Runs the chained invokes a checkpoint of `arn` started.
    pub(super) fn run_started(
        self: &std::sync::Arc<Self>,
        arn: &str,
        started: (Vec<String>, Vec<(String, Chained)>),
    ) {
        let (children, plain) = started;
        for child in children {
            self.kick(child);
        }
        for (op, chained) in plain {
            let me = self.clone();
            let arn = arn.to_owned();
            tokio::spawn(async move { me.run_plain(arn, op, chained).await });
        }
    }

    /// Invokes a plain (not durable) target once and ends its operation with the answer.
    async fn run_plain(self: std::sync::Arc<Self>, arn: String, op: String, chained: Chained) {
        let current = self
            .engine
            .functions
            .get(&chained.function)
            .map_or(1, |f| f.version());
        let extras = crate::engine::Extras {
            version: resolved(&chained.version, current),
            ..crate::engine::Extras::default()
        };
        let payload = bytes::Bytes::from(chained.payload.clone().into_bytes());
        let mode = crate::engine::Mode::Async;
        let invoked = self
            .engine
            .invoke_with(&chained.function, payload, mode, "durable", extras)
            .await;
        let ended = match invoked {
            Ok(i) if i.outcome == crate::report::Outcome::Ok => TargetEnded {
                status: ExecutionStatus::Succeeded,
                result: Some(String::from_utf8_lossy(&i.body).into_owned()),
                error: None,
            },
            Ok(i) => {
                let body: serde_json::Value = serde_json::from_slice(&i.body).unwrap_or_default();
                let kind = i.error_type.unwrap_or_else(|| "Unhandled".into());
                let message = body["errorMessage"].as_str().unwrap_or_default();
                TargetEnded {
                    status: ExecutionStatus::Failed,
                    result: None,
                    error: Some(ErrorObject::new(kind, message)),
                }
            }
            Err(e) => TargetEnded {
                status: ExecutionStatus::Failed,
                result: None,
                error: Some(ErrorObject::new("ServiceException", e.to_string())),
            },
        };
        self.complete_chained(arn, op, ended).await;
    }

    /// Ends chained invoke `op` of `arn` as its target ended, and invokes `arn` again.
    pub(super) async fn complete_chained(
        self: &std::sync::Arc<Self>,
        arn: String,
        op: String,
        ended: TargetEnded,
    ) {
        let now = crate::work::store::now_ms();
        let done = self
            .store
            .transact(&arn, move |l| complete(l, &op, &ended, now))
            .await;
        match done {
            Ok(Some(true)) => self.kick(arn),
            Ok(_) => {}
            Err(e) => self.engine.logs.info(&format!(
                "fnkit-local: durable: cannot end a chained invoke of {arn}: {e}"
            )),
        }
    }

    /// At start-up: chained invokes whose target ended while the emulator was down are ended;
    /// plain targets that were running are run again (at least once, as an async invocation).
    pub(super) async fn reconcile_chained(
        self: &std::sync::Arc<Self>,
    ) -> Result<(), crate::db::DbError> {
        for (arn, stored) in self.store.chained_running().await? {
            let Some(chained) = stored.chained else {
                continue;
            };
            match &chained.child {
                Some(child) => {
                    if let Some(exec) = self.store.get(child).await? {
                        if exec.status != ExecutionStatus::Running {
                            self.complete_chained(arn, stored.op.id, TargetEnded::of(&exec))
                                .await;
                        }
                    }
                }
                None => self.run_started(&arn, (Vec::new(), vec![(stored.op.id, chained)])),
            }
        }
        Ok(())
    }
}
