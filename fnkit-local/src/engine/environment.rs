//! One execution environment: a worker process of the function's binary, started with the
//! Lambda environment variables and its own Runtime API, serving one invocation at a time. It
//! enforces the function's timeout and memory size and notices a worker that dies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::{oneshot, watch};

use super::memory;
use super::output::{Current, CurrentRequest, Output};
use super::runtime_api::{Answer, ApiHandle, Delivery, InitError};
use crate::observe::logs::Logs;
use crate::versions::Resolved;

/// What a function runs with: name, memory, timeout, binary.
#[derive(Debug, Clone)]
pub(crate) struct FunctionConfig {
    pub name: String,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub init_timeout: Duration,
    pub binary: std::path::PathBuf,
    pub region: String,
    pub env: Vec<(String, String)>,
    /// Where environments get their own `/tmp` (`TMPDIR`), one folder each.
    pub tmp_root: std::path::PathBuf,
    /// The `/tmp` size the function is configured with (Lambda's `EphemeralStorage`), in MB.
    pub ephemeral_mb: u32,
    /// How a program that is not an fnkit binary is started.
    pub launch: Launch,
}

/// The arguments, folder and `_HANDLER` of a function's program (none for an fnkit binary).
#[derive(Debug, Clone, Default)]
pub(crate) struct Launch {
    pub args: Vec<String>,
    pub dir: Option<std::path::PathBuf>,
    pub handler: Option<String>,
}

/// How one invocation in an environment ended.
#[derive(Debug)]
pub(crate) enum RunOutcome {
    /// The worker answered.
    Answered(Answer),
    /// The deadline passed; the worker was killed.
    TimedOut,
    /// The worker went above its memory size; it was killed.
    OutOfMemory,
    /// The worker exited (crash, abort, `exit`).
    Exited(String),
    /// The worker failed before its first `/next`.
    InitFailed(InitError),
}

/// Timings and measurements of one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub outcome: RunOutcome,
    pub duration: Duration,
    /// Set on the environment's first invocation.
    pub init: Option<Duration>,
    pub max_memory_mb: u32,
}

/// What an invocation brings besides its payload.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// Its request id, when it has one already (an asynchronous invocation keeps its id across
    /// retries, as on Lambda); else a new one.
    pub request_id: Option<String>,
    /// The qualifier it was invoked with (`live`, `3`), part of the ARN the function is told.
    pub qualifier: Option<String>,
    /// The version it runs as (START line, `X-Amz-Executed-Version`).
    pub version: Resolved,
    /// The decoded `X-Amz-Client-Context`, handed over as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// Whether to keep the invocation's output for the caller (`X-Amz-Log-Type: Tail`).
    pub log_tail: bool,
    /// Whether to keep the invocation's output for the ledger (what the worker wrote before it
    /// answered as far as it was read by then; the caller's tail waits for all of it).
    pub keep_log: bool,
    /// An asynchronous event's maximum age: it waits for a slot until then, no longer.
    pub not_after: Option<std::time::Instant>,
}

impl Extras {
    /// Whether the invocation's output is kept, for its caller or for the ledger.
    pub fn keeps_output(&self) -> bool {
        self.log_tail || self.keep_log
    }
}

pub(crate) struct Environment {
    pub uses: u32,
    /// The build generation it runs (see `gate.rs`).
    pub generation: u64,
    pub last_used: Instant,
    pid: u32,
    api: ApiHandle,
    config: Arc<FunctionConfig>,
    spawned: Instant,
    initialised: bool,
    exited: watch::Receiver<Option<String>>,
    kill: Option<oneshot::Sender<()>>,
    stop_api: watch::Sender<bool>,
    /// The request in flight, and its START line until something else is logged for it.
    current_request: Arc<CurrentRequest>,
    /// Its stdout and stderr forwarders.
    output: Output,
    peak_kb: u64,
    /// When `/proc/<pid>/status` was last read (it is costly for the kernel to produce).
    memory_read: Option<Instant>,
    /// Its own `/tmp` (`TMPDIR`), removed when the worker exits, and when its size was last
    /// measured.
    tmp: std::path::PathBuf,
    tmp_measured: Instant,
    tmp_warned: Arc<std::sync::atomic::AtomicBool>,
    logs: Logs,
}

impl Environment {
    /// Starts a worker process; its init runs while the first invocation is on its way.
    /// `endpoint` is the emulator's own address, given to the worker as `AWS_ENDPOINT_URL`.
    pub async fn spawn(
        id: u64,
        config: Arc<FunctionConfig>,
        logs: Logs,
        endpoint: Option<&str>,
    ) -> std::io::Result<Environment> {
        let (stop_api, stop_rx) = watch::channel(false);
        let api = ApiHandle::start(stop_rx).await?;
        let tmp = config
            .tmp_root
            .join(format!("{}-{}-{id}", std::process::id(), config.name));
        tokio::fs::create_dir_all(&tmp).await?;
        let mut command = super::worker::command(id, &config, &api.address, endpoint);
        command.env("TMPDIR", &tmp);
        let spawned = Instant::now();
        let mut child = command.spawn()?;
        let pid = child.id().unwrap_or_default();
        api.serve_worker(pid);
        super::worker::limit_files(pid);
        let current_request: Arc<CurrentRequest> = Arc::new(Mutex::new(None));
        let output = Output::forward(
            child.stdout.take(),
            child.stderr.take(),
            &logs,
            &config.name,
            &current_request,
        );
        let (exit_tx, exited) = watch::channel(None);
        let (kill, kill_rx) = oneshot::channel::<()>();
        let scratch = tmp.clone();
        tokio::spawn(async move {
            // What it started goes with it, as a Lambda environment's processes do: after the
            // worker's own exit here (its group lives on while a member does); when it is asked
            // to stop, `kill` has killed the group already, before the worker is reaped.
            let status = tokio::select! {
                status = child.wait() => {
                    super::worker::kill_group(pid);
                    status
                }
                _ = kill_rx => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let text = match status {
                Ok(s) => describe_exit(s),
                Err(e) => format!("wait failed: {e}"),
            };
            // Its `/tmp` goes with it, as a recycled Lambda environment's does.
            let _ = tokio::fs::remove_dir_all(&scratch).await;
            let _ = exit_tx.send(Some(text));
        });
        Ok(Environment {
            uses: 0,
            generation: 0,
            last_used: Instant::now(),
            pid,
            api,
            config,
            spawned,
            initialised: false,
            exited,
            kill: Some(kill),
            stop_api,
            current_request,
            output,
            peak_kb: 0,
            memory_read: None,
            tmp,
            tmp_measured: Instant::now(),
            tmp_warned: Arc::default(),
            logs,
        })
    }
}

impl Environment {
    /// Whether the worker has exited.
    pub fn is_dead(&self) -> bool {
        self.exited.borrow().is_some()
    }

    /// Runs one invocation to its end: answered, timed out, out of memory, or crashed.
    /// `start_line` is logged before the worker's first line for this request, or by the
    /// caller with the END and REPORT lines (see [`Environment::finish`]).
    pub async fn invoke(
        &mut self,
        request_id: &str,
        payload: Bytes,
        trace_id: String,
        start_line: String,
        extras: Extras,
    ) -> Run {
        self.uses += 1;
        *self.current_request.lock().unwrap() = Some(Current {
            id: request_id.to_owned(),
            start: Some(start_line),
            tail: extras.keeps_output().then(String::new),
        });
        let mut init = None;
        if !self.initialised {
            match self.wait_ready().await {
                Ok(ready_at) => {
                    init = Some(ready_at.saturating_duration_since(self.spawned));
                    self.initialised = true;
                    // Its peak so far (the init's): a worker that dies before the first sample
                    // of its first call still reports what it used, not 0 MB. Once per
                    // environment.
                    self.memory_read = None;
                    self.max_memory_mb();
                }
                Err(outcome) => {
                    let init = Some(self.spawned.elapsed());
                    // Read while it is alive: a killed process has no memory left to show.
                    let max_memory_mb = self.max_memory_mb();
                    self.kill();
                    return Run {
                        outcome,
                        duration: Duration::ZERO,
                        init,
                        max_memory_mb,
                    };
                }
            }
        }
        let start = Instant::now();
        let deadline = start + self.config.timeout;
        let deadline_ms = (SystemTime::now() + self.config.timeout)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let delivery = Delivery {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms,
            function_arn: format!(
                "arn:aws:lambda:{}:000000000000:function:{}{}",
                self.config.region,
                self.config.name,
                extras
                    .qualifier
                    .as_deref()
                    .map(|q| format!(":{q}"))
                    .unwrap_or_default()
            ),
            trace_id,
            client_context: extras.client_context,
        };
        let outcome = match self.api.deliver(delivery).await {
            None => RunOutcome::Exited("the environment's Runtime API is gone".to_owned()),
            Some(answer) => self.wait_answer(answer, deadline).await,
        };
        let duration = start.elapsed();
        let max_memory_mb = self.max_memory_mb();
        if !matches!(outcome, RunOutcome::Answered(_)) {
            self.api.abandon();
            self.kill();
        }
        Run {
            outcome,
            duration,
            init,
            max_memory_mb,
        }
    }

    async fn wait_ready(&mut self) -> Result<Instant, RunOutcome> {
        let mut ready = self.api.ready();
        let mut init_error = self.api.init_error();
        let mut exited = self.exited.clone();
        let limit = tokio::time::sleep(self.config.init_timeout);
        tokio::pin!(limit);
        loop {
            if let Some(at) = *ready.borrow_and_update() {
                return Ok(at);
            }
            if let Some(e) = init_error.borrow_and_update().clone() {
                return Err(RunOutcome::InitFailed(e));
            }
            if let Some(status) = exited.borrow_and_update().clone() {
                // An init error posted just before exiting wins over the exit.
                if let Some(e) = init_error.borrow().clone() {
                    return Err(RunOutcome::InitFailed(e));
                }
                return Err(RunOutcome::Exited(status));
            }
            tokio::select! {
                _ = ready.changed() => {}
                _ = init_error.changed() => {}
                _ = exited.changed() => {}
                _ = &mut limit => {
                    return Err(RunOutcome::InitFailed(InitError {
                        error_type: "Runtime.InitTimeout".to_owned(),
                        message: format!("the worker did not ask for an invocation within {:?} of starting", self.config.init_timeout),
                        body: None,
                    }))
                }
            }
        }
    }

    async fn wait_answer(
        &mut self,
        answer: oneshot::Receiver<Answer>,
        deadline: Instant,
    ) -> RunOutcome {
        let mut exited = self.exited.clone();
        let limit_kb = u64::from(self.config.memory_mb) * 1024;
        let pid = self.pid;
        let mut peak = self.peak_kb;
        let memory_watch = async {
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::now() + Duration::from_millis(2),
                Duration::from_millis(5),
            );
            loop {
                tick.tick().await;
                if let Some((rss, hwm)) = memory::usage_kb(pid) {
                    peak = peak.max(hwm);
                    if rss > limit_kb {
                        return;
                    }
                }
            }
        };
        let outcome = tokio::select! {
            biased;
            answer = answer => match answer {
                Ok(a) => RunOutcome::Answered(a),
                Err(_) => RunOutcome::Exited("the invocation was abandoned".to_owned()),
            },
            _ = memory_watch => RunOutcome::OutOfMemory,
            _ = exited.wait_for(Option::is_some) => {
                RunOutcome::Exited(self.exited.borrow().clone().unwrap_or_default())
            }
            _ = tokio::time::sleep_until(deadline.into()) => RunOutcome::TimedOut,
        };
        self.peak_kb = self.peak_kb.max(peak);
        outcome
    }

    /// Peak resident memory so far, in MB. The kernel's peak (`VmHWM`) only grows, so it is
    /// read at most every 50 ms: a spike inside a burst of short calls shows up at the latest
    /// in a REPORT 50 ms later.
    fn max_memory_mb(&mut self) -> u32 {
        let stale = self
            .memory_read
            .is_none_or(|at| at.elapsed() >= Duration::from_millis(50));
        if stale {
            if let Some((_, hwm)) = memory::usage_kb(self.pid) {
                self.peak_kb = self.peak_kb.max(hwm);
            }
            self.memory_read = Some(Instant::now());
        }
        memory::kb_to_mb(self.peak_kb)
    }

    /// Waits until the forwarders have logged every line the worker wrote so far (a worker prints,
    /// then answers: its last lines may still be in the pipe when the answer arrives).
    pub async fn settle_output(&self) {
        self.output.settle().await;
    }

    /// Marks the end of an invocation; returns its START line if it was not logged yet. The
    /// request id stays on for output the worker wrote before answering but that is read after
    /// (the pipe and the answer race), until the next invocation.
    pub fn finish(&mut self) -> (Option<String>, Option<String>) {
        self.last_used = Instant::now();
        if self.tmp_measured.elapsed() >= super::scratch::MEASURE_EVERY {
            self.tmp_measured = Instant::now();
            super::scratch::measure(
                self.tmp.clone(),
                self.config.clone(),
                self.logs.clone(),
                self.tmp_warned.clone(),
            );
        }
        match self.current_request.lock().unwrap().as_mut() {
            Some(current) => (current.start.take(), current.tail.take()),
            None => (None, None),
        }
    }

    /// Stops the worker and the processes it started (SIGKILL to its group) and its API. The
    /// group is killed here, not only by the task that waits for the worker: at shutdown that
    /// task may never run again.
    pub fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            if !self.is_dead() {
                super::worker::kill_group(self.pid);
            }
            let _ = kill.send(());
        }
        let _ = self.stop_api.send(true);
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.kill();
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("signal: {}", signal_name(signal)),
        _ => "unknown exit".to_owned(),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        6 => "aborted (core dumped)".to_owned(),
        9 => "killed".to_owned(),
        11 => "segmentation fault".to_owned(),
        15 => "terminated".to_owned(),
        n => format!("signal {n}"),
    }
}
