//! Suite 10 (plugins): handlers `c10_<n>` with the plugin the YAMLs describe. It prints one JSON
//! line per hook on stdout, stamped with the execution's ARN (so the suite's execution-scoped
//! log retrieval finds it); operation and attempt hooks only for steps.

use std::time::Duration;

use fnkit::durable::plugin::{
    AttemptEndInfo, AttemptInfo, DurablePlugin, InvocationEndInfo, InvocationInfo, OperationInfo,
    Plugins,
};
use fnkit::durable::wire::OperationType;
use fnkit::durable::{DurableContext, StepContext};
use fnkit::prelude::*;
use serde_json::{json, Value};

use crate::quick;

/// Which hooks a plugin prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shows {
    Invocations,
    Operations,
    Attempts,
    /// Every hook, then a panic in it (10-4).
    EverythingThenPanic,
}

/// The suite's plugin: `label` on each line, for one invocation of `arn`.
struct Conf {
    label: &'static str,
    arn: String,
    shows: Shows,
}

impl Conf {
    fn factory(label: &'static str, shows: Shows) -> impl Fn(&InvocationInfo<'_>) -> Conf {
        move |info| Conf {
            label,
            arn: info.execution_arn.to_owned(),
            shows,
        }
    }

    /// Prints `hook`'s line with `fields` if this plugin shows `kind` hooks.
    fn emit(&self, kind: Shows, hook: &str, fields: Value) {
        let faulty = self.shows == Shows::EverythingThenPanic;
        if self.shows != kind && !faulty {
            return;
        }
        let mut line = json!({"durableExecutionArn": self.arn, "plugin": self.label, "hook": hook});
        if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
            line.extend(fields);
        }
        println!("{line}");
        if faulty {
            panic!("{} fails in {hook}", self.label);
        }
    }
}

fn is_step(op: &OperationInfo<'_>) -> bool {
    op.kind == OperationType::Step
}

impl DurablePlugin for Conf {
    fn on_invocation_start(&self, info: &InvocationInfo<'_>) {
        let first = json!({"first": info.is_first_invocation});
        self.emit(Shows::Invocations, "invocation-start", first);
    }

    fn on_invocation_end(&self, info: &InvocationEndInfo<'_>) {
        let fields = json!({"status": info.outcome.as_str()});
        self.emit(Shows::Invocations, "invocation-end", fields);
    }

    fn on_operation_start(&self, op: &OperationInfo<'_>) {
        if is_step(op) {
            self.emit(Shows::Operations, "operation-start", json!({"op": op.id}));
        }
    }

    fn on_operation_end(&self, op: &OperationInfo<'_>) {
        if is_step(op) {
            let fields = json!({"op": op.id, "status": op.status.as_str()});
            self.emit(Shows::Operations, "operation-end", fields);
        }
    }

    fn on_attempt_start(&self, info: &AttemptInfo<'_>) {
        if is_step(&info.operation) {
            let fields = json!({"n": info.attempt, "op": info.operation.id});
            self.emit(Shows::Attempts, "attempt-start", fields);
        }
    }

    fn on_attempt_end(&self, info: &AttemptEndInfo<'_>) {
        let attempt = info.attempt;
        if is_step(&attempt.operation) {
            let fields = json!({"n": attempt.attempt, "outcome": info.outcome.as_str(),
                "op": attempt.operation.id});
            self.emit(Shows::Attempts, "attempt-end", fields);
        }
    }
}

fn invocations() -> Plugins {
    Plugins::default().with(Conf::factory("CONFPLUGIN", Shows::Invocations))
}

fn operations() -> Plugins {
    Plugins::default().with(Conf::factory("CONFPLUGIN", Shows::Operations))
}

fn attempts() -> Plugins {
    Plugins::default().with(Conf::factory("CONFPLUGIN", Shows::Attempts))
}

fn faulty() -> Plugins {
    let factory = Conf::factory("CONFPLUGIN-FAULTY", Shows::EverythingThenPanic);
    Plugins::default().with(factory)
}

fn two() -> Plugins {
    Plugins::default()
        .with(Conf::factory("CONFPLUGIN-A", Shows::Invocations))
        .with(Conf::factory("CONFPLUGIN-B", Shows::Invocations))
}

/// The step the greeting handlers run: it logs, then greets `input`.
async fn greet(ctx: &DurableContext, input: String) -> Result<String, Error> {
    let greet = |step: StepContext| async move {
        step.logger()
            .info(format_args!("Greeting step running for: {input}"));
        Ok(format!("Hello, {input}!"))
    };
    Ok(ctx.step("greet", greet).await?)
}

/// 10-1: invocation hooks around a step.
#[function(durable(plugins = invocations), timeout = "60s")]
async fn c10_1(input: String, ctx: DurableContext) -> Result<String, Error> {
    greet(&ctx, input).await
}

/// 10-2: operation hooks of a step, with its id.
#[function(durable(plugins = operations), timeout = "60s")]
async fn c10_2(input: String, ctx: DurableContext) -> Result<String, Error> {
    greet(&ctx, input).await
}

/// 10-3: attempt hooks of a step that succeeds on its second attempt.
#[function(durable(plugins = attempts), timeout = "60s")]
async fn c10_3(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let flaky = |step: StepContext| async move {
        if step.attempt == 1 {
            return Err(Error::new("Flaky", "first attempt fails"));
        }
        Ok("Operation succeeded".to_owned())
    };
    Ok(ctx.step_with("flaky", quick(3), flaky).await?)
}

/// 10-4: every hook panics; the execution goes on as without the plugin.
#[function(durable(plugins = faulty), timeout = "60s")]
async fn c10_4(input: String, ctx: DurableContext) -> Result<String, Error> {
    greet(&ctx, input).await
}

/// 10-5: two plugins, in order.
#[function(durable(plugins = two), timeout = "60s")]
async fn c10_5(input: String, ctx: DurableContext) -> Result<String, Error> {
    greet(&ctx, input).await
}

/// 10-6: a wait: two invocations, the second not the first.
#[function(durable(plugins = invocations), timeout = "60s")]
async fn c10_6(_input: Value, ctx: DurableContext) -> Result<(), Error> {
    Ok(ctx.wait("", Duration::from_secs(2)).await?)
}

/// 10-7: a step that fails without retries fails the execution.
#[function(durable(plugins = invocations), timeout = "60s")]
async fn c10_7(_input: Value, ctx: DurableContext) -> Result<String, Error> {
    let fails = |_| async { Err::<String, _>(Error::new("RuntimeError", "the step always fails")) };
    Ok(ctx.step_with("fails", quick(1), fails).await?)
}
