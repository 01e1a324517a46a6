//! The service's work over its store: starting executions, invoking handlers through the engine
//! and judging their ends, the API calls handlers and clients make, the scheduler that fires
//! waits, retries and timeouts, and recovery at start-up.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fnkit_spec::durable::arn::ExecutionArn;
use fnkit_spec::durable::wire::{CheckpointRequest, ErrorObject, ExecutionStatus};
use serde_json::{json, Value};

use fnkit_spec::durable::engine::callbacks::{self, Refusal};
use fnkit_spec::durable::engine::chained::{self, TargetEnded};
use fnkit_spec::durable::engine::invocations::{self, Ended};
use fnkit_spec::durable::engine::model::{Completion, Exec, Loaded};
use fnkit_spec::durable::engine::{events, Ticked};

use super::store::{ListFilter, Started};
use super::{ApiError, Durable};
use crate::engine::{new_request_id, Extras, Mode};
use crate::report::Outcome;
use crate::versions::Resolved;
use crate::work::store::now_ms;

/// The account the emulator's ARNs name.
pub(super) const ACCOUNT: &str = "000000000000";

impl Durable {
    fn not_found(arn: &str) -> ApiError {
        ApiError::NotFound(format!("Durable execution not found: {arn}"))
    }

    /// Starts an execution of `function` (at `version`) with `input`, or finds the one named
    /// `name`: the same input is the same execution (an idempotent retry), another is refused.
    pub async fn start(
        self: &Arc<Self>,
        function: &str,
        version: Resolved,
        name: Option<String>,
        input: String,
    ) -> Result<Exec, ApiError> {
        let f = &self.engine.functions[function];
        let config = f.spec.durable.unwrap_or_default();
        let id = uuid::Uuid::new_v4().to_string();
        let arn = ExecutionArn {
            region: self.engine.config.region.clone(),
            account: ACCOUNT.to_owned(),
            function: function.to_owned(),
            version: version.executed(),
            name: name.unwrap_or_else(|| id.clone()),
            id,
        };
        let mut exec = Exec::new(&arn, input.clone(), config, now_ms());
        exec.skip_time = self.engine.config.durable_skip_time;
        match self.store.start(exec).await? {
            Started::New(exec) => {
                self.wake.notify_one();
                self.kick(exec.arn.clone());
                Ok(exec)
            }
            Started::Existing(exec) if exec.input == input => Ok(exec),
            Started::Existing(exec) => Err(ApiError::AlreadyStarted(format!(
                "Durable execution {} already exists with a different input",
                exec.arn
            ))),
        }
    }

    /// Invokes the handler of `arn` if it should run now (in the background).
    pub fn kick(self: &Arc<Self>, arn: String) {
        let me = self.clone();
        tokio::spawn(async move { me.invoke(arn).await });
    }

    async fn invoke(self: Arc<Self>, arn: String) {
        let request_id = new_request_id();
        let id = request_id.clone();
        let claimed = self
            .store
            .transact(&arn, move |l| {
                let envelope = invocations::claim(l, &id, now_ms())?;
                Some((envelope, l.exec.function.clone(), l.exec.version.clone()))
            })
            .await;
        let (envelope, function, version) = match claimed {
            Ok(Some(Some(claimed))) => claimed,
            Ok(_) => return,
            Err(e) => return self.log(&format!("cannot invoke {arn}: {e}")),
        };
        let payload = Bytes::from(serde_json::to_vec(&envelope).unwrap_or_default());
        let current = self
            .engine
            .functions
            .get(&function)
            .map_or(1, |f| f.version());
        let extras = Extras {
            request_id: Some(request_id.clone()),
            version: crate::versions::resolve(Some(&version), current).unwrap_or_default(),
            ..Extras::default()
        };
        let ended = match self
            .engine
            .invoke_with(&function, payload, Mode::Async, "durable", extras)
            .await
        {
            Ok(invoked) if invoked.outcome == Outcome::Ok => Ended::Answered(invoked.body.to_vec()),
            Ok(invoked) => {
                let body: Value = serde_json::from_slice(&invoked.body).unwrap_or_default();
                let kind = invoked
                    .error_type
                    .unwrap_or_else(|| "Runtime.ExitError".into());
                let message = body["errorMessage"].as_str().unwrap_or_default();
                Ended::Failed(ErrorObject::new(kind, message))
            }
            Err(e) => Ended::Failed(ErrorObject::new("ServiceException", e.to_string())),
        };
        self.finish(&arn, request_id, ended).await;
    }

    /// Judges an invocation's end, then tells waiters, the scheduler, or invokes again.
    async fn finish(self: &Arc<Self>, arn: &str, request_id: String, ended: Ended) {
        let after = self
            .store
            .transact(arn, move |l| {
                invocations::finish(l, &request_id, ended, now_ms());
                let parent = chained::parent_of(l);
                (
                    l.exec.status,
                    l.exec.kick,
                    l.exec.retry_at_ms.is_some(),
                    parent,
                )
            })
            .await;
        match after {
            Ok(Some((status, kick, later, parent))) => {
                if status != ExecutionStatus::Running {
                    self.ended(parent).await;
                } else if kick && !later {
                    self.kick(arn.to_owned());
                }
                self.wake.notify_one();
            }
            Ok(None) => {}
            Err(e) => self.log(&format!(
                "cannot record the end of an invocation of {arn}: {e}"
            )),
        }
    }

    /// An execution ended: tell the callers waiting for it, and the execution that invoked it.
    async fn ended(self: &Arc<Self>, parent: Option<(String, String, TargetEnded)>) {
        self.closed.send_modify(|n| *n += 1);
        if let Some((arn, op, ended)) = parent {
            self.complete_chained(arn, op, ended).await;
        }
    }

    fn log(&self, message: &str) {
        self.engine
            .logs
            .info(&format!("fnkit-local: durable: {message}"));
    }

    /// `CheckpointDurableExecution`.
    pub async fn checkpoint(
        self: &Arc<Self>,
        arn: &str,
        req: CheckpointRequest,
    ) -> Result<Value, ApiError> {
        let targets = self.targets();
        let answer = self
            .store
            .transact_or_refuse(arn, move |l| {
                let answer = invocations::checkpoint(l, &req, now_ms(), &targets)?;
                Ok((answer, chained::started_by(l)))
            })
            .await?
            .ok_or_else(|| Self::not_found(arn))?;
        let (answer, started) = answer.map_err(ApiError::Invalid)?;
        self.run_started(arn, started);
        Ok(answer)
    }

    /// `GetDurableExecutionState`.
    pub async fn state(
        &self,
        arn: &str,
        token: String,
        marker: Option<String>,
        max: usize,
    ) -> Result<Value, ApiError> {
        let page = self
            .store
            .read(arn, move |l| {
                invocations::state(l, &token, marker.as_deref(), max)
            })
            .await?
            .ok_or_else(|| Self::not_found(arn))?;
        page.map_err(ApiError::Invalid)
    }

    /// The row of `arn`.
    pub async fn get(&self, arn: &str) -> Result<Exec, ApiError> {
        self.store
            .get(arn)
            .await?
            .ok_or_else(|| Self::not_found(arn))
    }

    /// The events of `arn` after event `after`, at most `max`, with the marker of the next page.
    pub async fn history(
        &self,
        arn: &str,
        after: u64,
        max: usize,
        reverse: bool,
        with_data: bool,
    ) -> Result<(Vec<Value>, Option<u64>), ApiError> {
        let exec = self.get(arn).await?;
        // In reverse, the first page ends at the last event.
        let after = if reverse && after == 0 {
            exec.event_seq + 1
        } else {
            after
        };
        let mut page = self.store.events(arn, after, max + 1, reverse).await?;
        let more = page.len() > max;
        page.truncate(max);
        let next = more
            .then(|| page.last().and_then(|e| e["EventId"].as_u64()))
            .flatten();
        for e in &mut page {
            if !with_data {
                events::without_data(e);
            }
            events::rest_times(e);
        }
        Ok((page, next))
    }

    /// Waits until `arn` has ended (or `limit` passed) and returns its row.
    pub async fn wait_closed(&self, arn: &str, limit: Duration) -> Result<Exec, ApiError> {
        let mut closed = self.closed.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let exec = self.get(arn).await?;
            if exec.status != ExecutionStatus::Running {
                return Ok(exec);
            }
            if tokio::time::timeout_at(deadline, closed.changed())
                .await
                .is_err()
            {
                return Ok(exec);
            }
        }
    }

    /// Completes callback `id` (`SendDurableExecutionCallback{Success,Failure,Heartbeat}`).
    pub async fn complete_callback(
        self: &Arc<Self>,
        id: &str,
        completion: Completion,
    ) -> Result<(), ApiError> {
        let not_found = || ApiError::NotFound(format!("Callback {id} not found"));
        let (arn, op) = callbacks::parse_id(id).ok_or_else(not_found)?;
        let callback = id.to_owned();
        let done = self
            .store
            .transact(&arn, move |l| {
                callbacks::complete(l, &callback, &op, completion, now_ms())
                    .map(|()| l.exec.kick && l.exec.invocation.is_none())
            })
            .await?
            .ok_or_else(not_found)?;
        match done {
            Ok(kick) => {
                if kick {
                    self.kick(arn);
                }
                self.wake.notify_one();
                Ok(())
            }
            Err(Refusal::TimedOut(m)) => Err(ApiError::CallbackTimeout(m)),
            Err(Refusal::NotRunning(m)) => Err(ApiError::NotFound(m)),
        }
    }

    /// Stops `arn` (`StopDurableExecution`) with `error`; answers the stop time. An invocation
    /// in flight runs on, but its checkpoints are refused and its answer changes nothing.
    pub async fn stop(
        self: &Arc<Self>,
        arn: &str,
        error: Option<ErrorObject>,
    ) -> Result<Value, ApiError> {
        let now = now_ms();
        let stopped = self
            .store
            .transact_or_refuse(arn, move |l| {
                if l.exec.status != ExecutionStatus::Running {
                    return Err(format!(
                        "The durable execution is {}; only a running one can be stopped",
                        l.exec.status
                    ));
                }
                l.exec.error = Some(error.unwrap_or_else(|| {
                    ErrorObject::new("Execution.Stopped", "Stopped with StopDurableExecution")
                }));
                l.exec.invocation = None;
                l.close(ExecutionStatus::Stopped, now);
                Ok(chained::parent_of(l))
            })
            .await?
            .ok_or_else(|| Self::not_found(arn))?;
        let parent = stopped.map_err(ApiError::Invalid)?;
        self.ended(parent).await;
        Ok(json!({"StopTimestamp": now as f64 / 1000.0}))
    }

    /// The newest `limit` executions, of `function` and in `status` when given.
    pub async fn recent(
        &self,
        function: Option<String>,
        status: Option<String>,
        limit: usize,
    ) -> Result<Vec<Exec>, ApiError> {
        Ok(self.store.recent(function, status, limit).await?)
    }

    /// Execution `arn` and its operations in state order, times in epoch seconds.
    pub async fn inspect(&self, arn: &str) -> Result<(Exec, Value), ApiError> {
        let found = self
            .store
            .read(arn, |l| {
                let ops: Vec<_> = l.ordered().iter().map(|o| o.op.clone()).collect();
                let mut ops = serde_json::to_value(ops).unwrap_or_default();
                events::rest_times(&mut ops);
                (l.exec.clone(), ops)
            })
            .await?;
        found.ok_or_else(|| Self::not_found(arn))
    }

    /// The executions of `function`.
    pub async fn list(&self, function: &str, filter: ListFilter) -> Result<Vec<Exec>, ApiError> {
        Ok(self.store.list(function, filter).await?)
    }

    /// Looks at execution `arn` at `now`: its timeout, waits and retries due (only while no
    /// invocation is in flight: that one reads them at its next checkpoint).
    async fn tick(self: &Arc<Self>, arn: String, now: i64) {
        let ticked = self
            .store
            .transact(
                &arn,
                move |l: &mut Loaded| match fnkit_spec::durable::engine::tick(l, now) {
                    Ticked::TimedOut => (Some(chained::parent_of(l)), false),
                    Ticked::Invoke => (None, true),
                    Ticked::Nothing => (None, false),
                },
            )
            .await;
        match ticked {
            Ok(Some((Some(parent), _))) => self.ended(parent).await,
            Ok(Some((None, true))) => self.kick(arn),
            Ok(_) => {}
            Err(e) => self.log(&format!("cannot fire what is due for {arn}: {e}")),
        }
    }

    /// The scheduler: sleeps until the next wait, retry or timeout falls due (or it is woken),
    /// then fires what is due.
    pub fn start_scheduler(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut purged_at = 0;
            loop {
                // Ended executions are kept for their retention, then deleted (daily).
                if now_ms() - purged_at > 86_400_000 {
                    purged_at = now_ms();
                    if let Err(e) = me.store.purge(purged_at).await {
                        me.log(&format!("cannot delete expired executions: {e}"));
                    }
                }
                let next = match me.store.next_due().await {
                    Ok(next) => next,
                    Err(e) => {
                        me.log(&format!("the scheduler cannot read the store: {e}"));
                        Some(now_ms() + 1000)
                    }
                };
                let now = now_ms();
                if let Some(due) = next.filter(|d| *d <= now) {
                    let _ = due;
                    for arn in me.store.due_at(now).await.unwrap_or_default() {
                        me.tick(arn, now).await;
                    }
                    continue;
                }
                // Woken early when something new may be due sooner; at least once a minute.
                let sleep = next.map_or(60_000, |d| (d - now).clamp(1, 60_000));
                let _ =
                    tokio::time::timeout(Duration::from_millis(sleep as u64), me.wake.notified())
                        .await;
            }
        })
    }

    /// At start-up: an invocation that was in flight when the emulator stopped ended in a
    /// Lambda-level failure (it is retried); every execution waiting to be invoked is.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, crate::db::DbError> {
        let busy = self.store.running(true).await?;
        for arn in &busy {
            let request_id = self
                .store
                .get(arn)
                .await?
                .and_then(|e| e.invocation)
                .unwrap_or_default();
            let error = ErrorObject::new(
                "Runtime.ExitError",
                "fnkit-local stopped during the invocation",
            );
            self.finish(arn, request_id, Ended::Failed(error)).await;
        }
        self.reconcile_chained().await?;
        for arn in self.store.running(false).await? {
            self.kick(arn);
        }
        Ok(busy.len())
    }
}

/// `GetDurableExecution`'s answer for `exec`.
pub(crate) fn describe(exec: &Exec, region: &str) -> Value {
    let mut v = json!({
        "DurableExecutionArn": exec.arn,
        "DurableExecutionName": exec.name,
        "FunctionArn": format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{}:{}", exec.function, exec.version),
        "Status": exec.status,
        "StartTimestamp": exec.start_ms,
        "InputPayload": exec.input,
        "Version": exec.version,
    });
    if let Some(end) = exec.end_ms {
        v["EndTimestamp"] = json!(end);
    }
    if exec.status == ExecutionStatus::Succeeded {
        v["Result"] = json!(exec.result.clone().unwrap_or_default());
    }
    if let Some(e) = exec
        .error
        .as_ref()
        .filter(|_| exec.status != ExecutionStatus::Succeeded)
    {
        v["Error"] = json!(e);
    }
    events::rest_times(&mut v);
    v
}
