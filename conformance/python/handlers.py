"""Durable handlers written with AWS's official Python SDK (aws-durable-execution-sdk-python),
served by fnkit-local as foreign functions (functions.json) so its durable execution service is
checked by a client we did not write. Each handler implements one requirement of AWS's durable
conformance suite (aws-durable-execution-conformance-tests 1.0.0), written from the prose of
its YAML; scripts/durable-conformance.sh runs them through the suite's own validator.
"""

import json
import os

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    CompletionConfig,
    Duration,
    InvokeConfig,
    JitterStrategy,
    MapConfig,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import SerDes, SerDesContext
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitStrategyConfig,
    create_wait_strategy,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy


@durable_execution
def step_basic(event, context: DurableContext):
    """1-1: a single step returns a greeting."""
    return context.step(lambda _: f"Hello, {event}!", name="greet")


@durable_execution
def step_retry(event, context: DurableContext):
    """1-11: a step fails its first attempt and succeeds on its second (1 s apart)."""

    def unreliable(step: StepContext):
        if step.attempt == 1:
            raise RuntimeError("first attempt fails")
        return "Operation succeeded"

    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(1),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    return context.step(unreliable, config=StepConfig(retry_strategy=strategy))


@durable_execution
def wait_basic(event, context: DurableContext):
    """2-1: one wait of 2 seconds."""
    context.wait(Duration.from_seconds(2))


@durable_execution
def child_basic(event, context: DurableContext):
    """3-1: a child context runs one step that returns the input."""

    def child(ctx: DurableContext):
        return ctx.step(lambda _: event)

    return context.run_in_child_context(child)


@durable_execution
def callback_basic(event, context: DurableContext):
    """4-1: a callback named by the input; returns what it is completed with."""
    callback = context.create_callback(name=event, config=CallbackConfig(timeout=Duration.from_seconds(300)))
    return callback.result()


@durable_execution
def callback_timeout(event, context: DurableContext):
    """4-3: a callback with a 5 second timeout that nobody completes."""
    callback = context.create_callback(name=event, config=CallbackConfig(timeout=Duration.from_seconds(5)))
    return callback.result()


# ---- suite 1: steps -------------------------------------------------------------------------

NO_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))


def retries(attempts: int, delay: int = 1, backoff: float = 2.0, errors=None) -> StepConfig:
    config = RetryStrategyConfig(
        max_attempts=attempts,
        initial_delay=Duration.from_seconds(delay),
        backoff_rate=backoff,
        jitter_strategy=JitterStrategy.NONE,
        retryable_error_types=errors,
    )
    return StepConfig(retry_strategy=create_retry_strategy(config))


class TransientError(Exception):
    """A failure worth retrying."""


@durable_execution
def step_named(event, context: DurableContext):
    """1-2: a step with an explicit name."""
    return context.step(lambda _: f"Hello, {event}!", name="custom_step_name")


@durable_execution
def step_chain(event, context: DurableContext):
    """1-3: the second step uses the first's result."""
    first = context.step(lambda _: "first")
    return context.step(lambda _: f"{first}_second")


@durable_execution
def step_nested(event, context: DurableContext):
    """1-4: a step returns a nested object."""
    return context.step(lambda _: {"user": event, "count": len(event["tags"])})


@durable_execution
def step_none(event, context: DurableContext):
    """1-5: a step returns None."""
    return context.step(lambda _: None)


@durable_execution
def step_then_wait(event, context: DurableContext):
    """1-8: a step, then a 2 s wait; replay skips the step."""
    value = context.step(lambda _: "computed")
    context.wait(Duration.from_seconds(2))
    return value


@durable_execution
def step_cached(event, context: DurableContext):
    """1-9: a step, then a 1 s wait; on replay the step's result comes from its checkpoint."""
    value = context.step(lambda _: "cached_value")
    context.wait(Duration.from_seconds(1))
    return value


@durable_execution
def step_failed_caught(event, context: DurableContext):
    """1-10: a step fails for good, is caught, then a 1 s wait."""

    def fail(_):
        raise RuntimeError("permanent failure")

    try:
        context.step(fail, config=NO_RETRY)
    except Exception:  # noqa: BLE001 - the requirement catches everything
        pass
    context.wait(Duration.from_seconds(1))
    return "recovered"


@durable_execution
def step_exhausted(event, context: DurableContext):
    """1-12: a step that always fails, 4 attempts in all."""

    def fail(_):
        raise RuntimeError("always fails")

    return context.step(fail, config=retries(4, backoff=1.0))


@durable_execution
def step_default_retry(event, context: DurableContext):
    """1-13: fails twice, succeeds on the third attempt, with the default retry strategy."""

    def flaky(step: StepContext):
        if step.attempt < 3:
            raise RuntimeError(f"attempt {step.attempt} fails")
        return "third time"

    return context.step(flaky)


@durable_execution
def step_custom_backoff(event, context: DurableContext):
    """1-14: fails twice then succeeds; 2 s initial delay, backoff 3, no jitter."""

    def flaky(step: StepContext):
        if step.attempt < 3:
            raise RuntimeError(f"attempt {step.attempt} fails")
        return "third time"

    return context.step(flaky, config=retries(5, delay=2, backoff=3.0))


@durable_execution
def step_retry_transient(event, context: DurableContext):
    """1-15: retried only because the error is a TransientError."""

    def flaky(step: StepContext):
        if step.attempt == 1:
            raise TransientError("try again")
        return "recovered"

    return context.step(flaky, config=retries(3, errors=[TransientError]))


@durable_execution
def step_no_retry_transient(event, context: DurableContext):
    """1-16: a TransientError the strategy does not retry."""

    def fail(_):
        raise TransientError("not retried")

    return context.step(fail, config=retries(3, errors=[ValueError]))


@durable_execution
def step_fails(event, context: DurableContext):
    """1-19: a step that always raises, with no retries."""

    def fail(_):
        raise RuntimeError("always fails")

    return context.step(fail, config=NO_RETRY)


@durable_execution
def step_caught(event, context: DurableContext):
    """1-20: a failing step is caught; a second step runs."""

    def fail(_):
        raise RuntimeError("fails")

    try:
        value = context.step(fail, config=NO_RETRY)
    except Exception:  # noqa: BLE001
        value = "fallback_result"
    return context.step(lambda _: value)


# ---- suite 2: waits -------------------------------------------------------------------------


@durable_execution
def wait_named(event, context: DurableContext):
    """2-2: a named 2 s wait."""
    context.wait(Duration.from_seconds(2), name="custom_wait_name")


@durable_execution
def wait_twice(event, context: DurableContext):
    """2-3: two 2 s waits."""
    context.wait(Duration.from_seconds(2), name="wait-1")
    context.wait(Duration.from_seconds(2), name="wait-2")
    return {"completedWaits": 2}


@durable_execution
def wait_minute(event, context: DurableContext):
    """2-4: a one-minute wait."""
    context.wait(Duration.from_minutes(1))


@durable_execution
def wait_hour(event, context: DurableContext):
    """2-5: a one-hour wait."""
    context.wait(Duration.from_hours(1))


# ---- suite 3: child contexts ----------------------------------------------------------------


@durable_execution
def child_named(event, context: DurableContext):
    """3-2: a child context named by the input."""
    return context.run_in_child_context(lambda ctx: ctx.step(lambda _: event["value"]), name=event["name"])


@durable_execution
def child_two_steps(event, context: DurableContext):
    """3-3: two steps in a child, the second taking the first's result."""

    def child(ctx: DurableContext):
        first = ctx.step(lambda _: event)
        return ctx.step(lambda _: first)

    return context.run_in_child_context(child, name="child")


@durable_execution
def child_step_fails(event, context: DurableContext):
    """3-4: the child's step fails with no retry; the execution fails."""

    def fail(_):
        raise RuntimeError("inner failure")

    return context.run_in_child_context(lambda ctx: ctx.step(fail, config=NO_RETRY), name="child")


@durable_execution
def child_failure_caught(event, context: DurableContext):
    """3-5: the child fails, the parent catches it and a recovery step runs."""

    def fail(_):
        raise RuntimeError("inner failure")

    try:
        context.run_in_child_context(lambda ctx: ctx.step(fail, config=NO_RETRY))
    except Exception:  # noqa: BLE001
        pass
    return context.step(lambda _: event)


@durable_execution
def child_nested(event, context: DurableContext):
    """3-6: a child within a child, each with a step."""

    def inner(ctx: DurableContext):
        return ctx.step(lambda _: event)

    def outer(ctx: DurableContext):
        ctx.step(lambda _: event)
        return ctx.run_in_child_context(inner, name="inner")

    return context.run_in_child_context(outer, name="outer")


@durable_execution
def child_retry(event, context: DurableContext):
    """3-7: the child's step fails once and succeeds on its retry."""

    def flaky(step: StepContext):
        if step.attempt == 1:
            raise RuntimeError("first attempt fails")
        return event

    return context.run_in_child_context(lambda ctx: ctx.step(flaky, config=retries(3)), name="child")


@durable_execution
def child_exhausted(event, context: DurableContext):
    """3-8: the child's step always fails; retries run out."""

    def fail(_):
        raise RuntimeError("always fails")

    return context.run_in_child_context(lambda ctx: ctx.step(fail, config=retries(2)), name="child")


@durable_execution
def child_then_wait(event, context: DurableContext):
    """3-9: a child, then a wait; the child's result is replayed."""
    value = context.run_in_child_context(lambda ctx: ctx.step(lambda _: event))
    context.wait(Duration.from_seconds(1))
    return value


@durable_execution
def child_step_and_wait(event, context: DurableContext):
    """3-10: a step and a wait inside a child."""

    def child(ctx: DurableContext):
        value = ctx.step(lambda _: event)
        ctx.wait(Duration.from_seconds(1))
        return value

    return context.run_in_child_context(child, name="child")


@durable_execution
def child_wait_only(event, context: DurableContext):
    """3-13: a child with only a wait, then a step outside it."""

    def child(ctx: DurableContext):
        ctx.wait(Duration.from_seconds(1))
        return event

    context.run_in_child_context(child, name="child")
    return context.step(lambda _: event)


@durable_execution
def child_raises(event, context: DurableContext):
    """3-15: the child raises without any operation."""

    def child(ctx: DurableContext):
        raise RuntimeError("child failed directly")

    return context.run_in_child_context(child, name="child")


@durable_execution
def child_none(event, context: DurableContext):
    """3-16: the child returns None without any operation."""
    return context.run_in_child_context(lambda ctx: None, name="child")


@durable_execution
def child_mixed(event, context: DurableContext):
    """3-18: a step and a wait in a child, then a step and a wait outside."""

    def child(ctx: DurableContext):
        value = ctx.step(lambda _: event)
        ctx.wait(Duration.from_seconds(1))
        return value

    value = context.run_in_child_context(child, name="child")
    context.step(lambda _: event)
    context.wait(Duration.from_seconds(1))
    return value


# ---- suite 4: callbacks ---------------------------------------------------------------------


def _callback(context: DurableContext, name, timeout: int = 0, heartbeat: int = 0):
    config = CallbackConfig(timeout=Duration.from_seconds(timeout), heartbeat_timeout=Duration.from_seconds(heartbeat))
    return context.create_callback(name=name, config=config)


@durable_execution
def callback_approval(event, context: DurableContext):
    """4-2: a callback named approval."""
    return _callback(context, "approval").result()


@durable_execution
def callback_heartbeat_timeout(event, context: DurableContext):
    """4-4: a 5 s heartbeat timeout, no heartbeat."""
    return _callback(context, event, heartbeat=5).result()


@durable_execution
def callback_heartbeat(event, context: DurableContext):
    """4-5: a 10 s heartbeat timeout, kept alive by a heartbeat, then completed."""
    return _callback(context, event, heartbeat=10).result()


@durable_execution
def callback_failure(event, context: DurableContext):
    """4-6: the callback fails; the execution fails."""
    return _callback(context, event).result()


@durable_execution
def callback_step_failure(event, context: DurableContext):
    """4-7: a callback, a step, then the callback's failure."""
    callback = _callback(context, event)
    context.step(lambda _: "between")
    return callback.result()


@durable_execution
def callback_step_timeout(event, context: DurableContext):
    """4-8: a 5 s callback timeout, a step, then the timeout."""
    callback = _callback(context, event, timeout=5)
    context.step(lambda _: "between")
    return callback.result()


@durable_execution
def callback_during_wait(event, context: DurableContext):
    """4-9 and 4-10: a callback completed (or failed) during a 5 s wait."""
    callback = _callback(context, event)
    context.wait(Duration.from_seconds(5))
    return callback.result()


@durable_execution
def callback_times_out_during_wait(event, context: DurableContext):
    """4-11: a 3 s callback timeout falls during a 6 s wait."""
    callback = _callback(context, event, timeout=3)
    context.wait(Duration.from_seconds(6))
    return callback.result()


@durable_execution
def callback_then_wait(event, context: DurableContext):
    """4-12: a callback's result, then a 2 s wait."""
    value = _callback(context, event).result()
    context.wait(Duration.from_seconds(2))
    return value


@durable_execution
def callback_failure_caught(event, context: DurableContext):
    """4-13 and 4-14: the callback fails (or times out after 3 s), caught; then a 2 s wait."""
    try:
        message = _callback(context, event, timeout=3).result()
    except Exception as e:  # noqa: BLE001
        message = f"callback failed: {e}"
    context.wait(Duration.from_seconds(2))
    return message


@durable_execution
def callback_sequential(event, context: DurableContext):
    """4-17: callback A's result, then callback B's."""
    a = _callback(context, event[0]).result()
    b = _callback(context, event[1]).result()
    return [a, b]


@durable_execution
def callback_both_then_a(event, context: DurableContext):
    """4-18: callbacks A and B created, then A's result, then B's."""
    a, b = _callback(context, event[0]), _callback(context, event[1])
    return [a.result(), b.result()]


@durable_execution
def callback_both_then_b(event, context: DurableContext):
    """4-19: callbacks A and B created, then B's result, then A's."""
    a, b = _callback(context, event[0]), _callback(context, event[1])
    second = b.result()
    return [a.result(), second]


# ---- suite 5: chained invokes ---------------------------------------------------------------

ECHO = "py_target_echo:$LATEST"
FAILING = "py_target_fail:$LATEST"


@durable_execution
def target_echo(event, context: DurableContext):
    """The target of suite 5: returns its input (through a step, as a durable function)."""
    return context.step(lambda _: event, name="echo")


@durable_execution
def target_fail(event, context: DurableContext):
    """A target that fails."""
    raise RuntimeError("the target failed")


class Upper(SerDes):
    """Reads a result as its upper-cased JSON text."""

    def serialize(self, value, serdes_context: SerDesContext) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext):
        return data.upper()


class UpperFields(SerDes):
    """Upper-cases the string fields of an object on the way out."""

    def serialize(self, value, serdes_context: SerDesContext) -> str:
        return json.dumps({k: v.upper() if isinstance(v, str) else v for k, v in value.items()})

    def deserialize(self, data: str, serdes_context: SerDesContext):
        return json.loads(data)


@durable_execution
def invoke_basic(event, context: DurableContext):
    """5-1, 5-3, 5-4: invokes the echo target with the input."""
    return context.invoke(ECHO, event)


@durable_execution
def invoke_named(event, context: DurableContext):
    """5-2: a named invoke."""
    return context.invoke(ECHO, event["payload"], name=event["name"])


@durable_execution
def invoke_fails(event, context: DurableContext):
    """5-5: the target fails; so does the execution."""
    return context.invoke(FAILING, event)


@durable_execution
def invoke_failure_caught(event, context: DurableContext):
    """5-6: the target's failure is caught."""
    try:
        return context.invoke(FAILING, event)
    except Exception:  # noqa: BLE001
        return "fallback"


@durable_execution
def invoke_large(event, context: DurableContext):
    """5-7: a payload near the limit (200 KB)."""
    result = context.invoke(ECHO, {"data": "x" * 200_000})
    return len(result["data"])


@durable_execution
def invoke_tenant(event, context: DurableContext):
    """5-8: an invoke for a tenant."""
    return context.invoke(ECHO, event["payload"], config=InvokeConfig(tenant_id=event["tenantId"]))


@durable_execution
def invoke_then_wait(event, context: DurableContext):
    """5-9: an invoke, then a wait; the result is replayed."""
    result = context.invoke(ECHO, "cached")
    context.wait(Duration.from_seconds(1))
    return result


@durable_execution
def invoke_failure_then_wait(event, context: DurableContext):
    """5-10: a failed invoke caught, then a wait; the failure is replayed."""
    try:
        context.invoke(FAILING, None)
    except Exception:  # noqa: BLE001
        pass
    context.wait(Duration.from_seconds(1))
    return "done"


@durable_execution
def step_then_invoke(event, context: DurableContext):
    """5-11: a step, then an invoke with its result."""
    value = context.step(lambda _: "from the step")
    return context.invoke(ECHO, value)


@durable_execution
def invoke_then_step(event, context: DurableContext):
    """5-12: an invoke, then a step with its result."""
    value = context.invoke(ECHO, "from the target")
    return context.step(lambda _: value)


@durable_execution
def invoke_in_child(event, context: DurableContext):
    """5-13: an invoke in a child context."""
    return context.run_in_child_context(lambda ctx: ctx.invoke(ECHO, "in the child"), name="child")


@durable_execution
def invoke_twice(event, context: DurableContext):
    """5-14: two invokes in turn."""
    first = context.invoke(ECHO, "first")
    second = context.invoke(ECHO, "second")
    return [first, second]


@durable_execution
def invoke_payload_serdes(event, context: DurableContext):
    """5-15: the payload is upper-cased by a custom serializer."""
    return context.invoke(ECHO, event, config=InvokeConfig(serdes_payload=UpperFields()))


@durable_execution
def invoke_result_serdes(event, context: DurableContext):
    """5-16: the result is upper-cased by a custom deserializer."""
    return context.invoke(ECHO, event, config=InvokeConfig(serdes_result=Upper()))


# ---- suite 6: wait_for_condition ------------------------------------------------------------


def _until(done, delay: int = 1, attempts: int = 60):
    """A fixed-delay strategy polling until `done(state)`."""
    config = WaitStrategyConfig(
        should_continue_polling=lambda state: not done(state),
        max_attempts=attempts,
        initial_delay=Duration.from_seconds(delay),
        backoff_rate=1.0,
        jitter_strategy=JitterStrategy.NONE,
    )
    return create_wait_strategy(config)


def _count_to(context: DurableContext, start: int, target: int, name=None, delay: int = 1):
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: s >= target, delay), initial_state=start)
    return context.wait_for_condition(lambda state, _: state + 1, config=config, name=name)


@durable_execution
def condition_count(event, context: DurableContext):
    """6-1: counts from 0 to the input."""
    return _count_to(context, 0, event)


@durable_execution
def condition_met_at_once(event, context: DurableContext):
    """6-2: the initial state 5 already satisfies the condition."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: s >= 5), initial_state=5)
    return context.wait_for_condition(lambda state, _: state, config=config)


@durable_execution
def condition_named(event, context: DurableContext):
    """6-3: named poll-status, counts to the input."""
    return _count_to(context, 0, event, name="poll-status")


@durable_execution
def condition_from_five(event, context: DurableContext):
    """6-4: counts from 5 to the input."""
    return _count_to(context, 5, event)


@durable_execution
def condition_fixed_delay(event, context: DurableContext):
    """6-5: counts to the input, polling every 2 s."""
    return _count_to(context, 0, event, delay=2)


@durable_execution
def condition_exhausted(event, context: DurableContext):
    """6-6: never satisfied; 3 attempts."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: False, attempts=3), initial_state=0)
    return context.wait_for_condition(lambda state, _: state + 1, config=config)


def _broken_check(state, _):
    raise RuntimeError("the check failed")


@durable_execution
def condition_check_fails(event, context: DurableContext):
    """6-7: the check raises on its first poll."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: True), initial_state=0)
    return context.wait_for_condition(_broken_check, config=config)


@durable_execution
def condition_check_fails_caught(event, context: DurableContext):
    """6-8: the check raises; the handler recovers."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: True), initial_state=0)
    try:
        return context.wait_for_condition(_broken_check, config=config)
    except Exception:  # noqa: BLE001
        return "recovered"


@durable_execution
def condition_object(event, context: DurableContext):
    """6-9: an object state, DONE after 2 attempts."""

    def check(state, _):
        attempts = state["attempts"] + 1
        return {"status": "DONE" if attempts >= 2 else "PENDING", "attempts": attempts}

    strategy = _until(lambda s: s["status"] != "PENDING")
    config = WaitForConditionConfig(wait_strategy=strategy, initial_state={"status": "PENDING", "attempts": 0})
    return context.wait_for_condition(check, config=config)


@durable_execution
def condition_none(event, context: DurableContext):
    """6-10: the check returns None; polling stops at once."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: True), initial_state=0)
    return context.wait_for_condition(lambda state, _: None, config=config)


class Reversed(SerDes):
    """Keeps a string state reversed in checkpoints."""

    def serialize(self, value, serdes_context: SerDesContext) -> str:
        return json.dumps(value[::-1])

    def deserialize(self, data: str, serdes_context: SerDesContext):
        return json.loads(data)[::-1]


@durable_execution
def condition_serdes(event, context: DurableContext):
    """6-11: a string state through a custom serdes, until it is 2 long."""
    config = WaitForConditionConfig(wait_strategy=_until(lambda s: len(s) >= 2), initial_state="", serdes=Reversed())
    return context.wait_for_condition(lambda state, _: state + "x", config=config)


@durable_execution
def condition_then_step(event, context: DurableContext):
    """6-12: counts to the input, then a step multiplies by 10."""
    count = _count_to(context, 0, event)
    return context.step(lambda _: count * 10)


@durable_execution
def condition_twice(event, context: DurableContext):
    """6-13: counts to 2, then from there to 4."""
    first = _count_to(context, 0, 2)
    return _count_to(context, first, 4)


# ---- suite 7: wait_for_callback -------------------------------------------------------------


def _submit(callback_id, _):
    """A submitter that does nothing durable."""


def _wait_callback(context: DurableContext, name, timeout: int = 0, heartbeat: int = 0, **extra):
    config = WaitForCallbackConfig(
        timeout=Duration.from_seconds(timeout), heartbeat_timeout=Duration.from_seconds(heartbeat), **extra
    )
    return context.wait_for_callback(_submit, name=name, config=config)


@durable_execution
def wfc_basic(event, context: DurableContext):
    """7-1: a wait_for_callback named by the input."""
    return _wait_callback(context, event)


@durable_execution
def wfc_approval(event, context: DurableContext):
    """7-2: named approval."""
    return _wait_callback(context, "approval")


@durable_execution
def wfc_anonymous(event, context: DurableContext):
    """7-3: an inline submitter and no name."""
    return context.wait_for_callback(lambda callback_id, _: None)


@durable_execution
def wfc_fails(event, context: DurableContext):
    """7-4 and 7-5: the callback fails or times out (3 s); the execution fails."""
    return _wait_callback(context, event, timeout=3)


@durable_execution
def wfc_failure_caught(event, context: DurableContext):
    """7-6: the callback's failure is caught."""
    try:
        return _wait_callback(context, event)
    except Exception:  # noqa: BLE001
        return "recovered"


@durable_execution
def wfc_submitter_fails(event, context: DurableContext):
    """7-7: the submitter always fails; 2 attempts, 1 s apart."""

    def submit(callback_id, _):
        raise RuntimeError("cannot submit")

    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1), jitter_strategy=JitterStrategy.NONE)
    )
    config = WaitForCallbackConfig(retry_strategy=strategy)
    return context.wait_for_callback(submit, name=event, config=config)


@durable_execution
def wfc_in_child(event, context: DurableContext):
    """7-8: a wait_for_callback inside a child named wrapper."""
    return context.run_in_child_context(lambda ctx: _wait_callback(ctx, event), name="wrapper")


@durable_execution
def wfc_twice(event, context: DurableContext):
    """7-9: two wait_for_callbacks, first and second."""
    _wait_callback(context, "first")
    return _wait_callback(context, "second")


@durable_execution
def wfc_after_wait_and_step(event, context: DurableContext):
    """7-10: a 1 s wait, a step, then a wait_for_callback."""
    context.wait(Duration.from_seconds(1))
    context.step(lambda _: {"fixed": "data"})
    return _wait_callback(context, event)


class JsonObject(SerDes):
    """Reads a callback's payload as a JSON object."""

    def serialize(self, value, serdes_context: SerDesContext) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext):
        return json.loads(data)


@durable_execution
def wfc_json(event, context: DurableContext):
    """7-11: the payload read as an object; returns its status."""
    return _wait_callback(context, event, serdes=JsonObject())["status"]


@durable_execution
def wfc_heartbeat_timeout(event, context: DurableContext):
    """7-12: a 5 s heartbeat timeout, no heartbeat."""
    return _wait_callback(context, event, heartbeat=5)


@durable_execution
def wfc_heartbeat(event, context: DurableContext):
    """7-13: a 10 s heartbeat timeout kept alive, then completed."""
    return _wait_callback(context, event, heartbeat=10)


@durable_execution
def wfc_timeout_caught(event, context: DurableContext):
    """7-14: a 3 s timeout, caught."""
    try:
        return _wait_callback(context, event, timeout=3)
    except Exception:  # noqa: BLE001
        return "timed-out-handled"


@durable_execution
def wfc_empty(event, context: DurableContext):
    """7-15: completed with no payload."""
    return _wait_callback(context, event)


# ---- suites 8 and 9: parallel and map (the service's side: concurrent branches, refresh polls)


def _project(batch, *keys):
    """The projection the requirements return: completionReason, status and the counts."""
    values = {
        "completionReason": str(batch.completion_reason.value),
        "status": str(batch.status.value),
        "successCount": batch.success_count,
        "failureCount": batch.failure_count,
        "totalCount": batch.total_count,
    }
    return {k: values[k] for k in keys}


def _fail(ctx: DurableContext):
    raise RuntimeError("branch failed")


@durable_execution
def parallel_basic(event, context: DurableContext):
    """8-1: two branches of one step each, one at a time."""
    branches = [lambda ctx: ctx.step(lambda _: "task-1"), lambda ctx: ctx.step(lambda _: "task-2")]
    return context.parallel(branches, name="parallel", config=ParallelConfig(max_concurrency=1)).get_results()


@durable_execution
def parallel_concurrent(event, context: DurableContext):
    """8-11: three branches, two at a time."""
    branches = [lambda ctx: "r0", lambda ctx: "r1", lambda ctx: "r2"]
    return context.parallel(branches, config=ParallelConfig(max_concurrency=2)).get_results()


@durable_execution
def parallel_wait(event, context: DurableContext):
    """8-14: the second branch waits 2 s."""

    def second(ctx: DurableContext):
        ctx.wait(Duration.from_seconds(2))
        return "b1"

    branches = [lambda ctx: ctx.step(lambda _: "b0"), second]
    return context.parallel(branches, config=ParallelConfig(max_concurrency=1)).get_results()


@durable_execution
def parallel_tolerated(event, context: DurableContext):
    """8-9: one failure of three tolerated."""
    branches = [lambda ctx: "a", _fail, lambda ctx: "c"]
    config = ParallelConfig(max_concurrency=1, completion_config=CompletionConfig(tolerated_failure_count=1))
    batch = context.parallel(branches, config=config)
    return _project(batch, "completionReason", "status", "successCount", "failureCount", "totalCount")


@durable_execution
def map_basic(event, context: DurableContext):
    """9-1: a greeting step per item, one at a time."""

    def greet(ctx: DurableContext, item, index, items):
        return ctx.step(lambda _: f"Hello, {item}!")

    return context.map(event, greet, name="map", config=MapConfig(max_concurrency=1)).get_results()


@durable_execution
def map_concurrent(event, context: DurableContext):
    """9-11: three items, two at a time."""
    results = context.map(["r0", "r1", "r2"], lambda ctx, item, i, items: item, config=MapConfig(max_concurrency=2))
    return results.get_results()


@durable_execution
def map_wait(event, context: DurableContext):
    """9-15: the second item waits 1 s before its step."""

    def run(ctx: DurableContext, item, index, items):
        if index == 1:
            ctx.wait(Duration.from_seconds(1))
        return ctx.step(lambda _: item)

    return context.map(["r0", "r1"], run, config=MapConfig(max_concurrency=1)).get_results()


@durable_execution
def map_large(event, context: DurableContext):
    """9-16: four results of ~70 KB: the map's result is replayed from its children."""
    batch = context.map([0, 1, 2, 3], lambda ctx, item, i, items: "x" * 70_000, config=MapConfig(max_concurrency=1))
    return _project(batch, "successCount", "totalCount")


@durable_execution
def map_then_wait(event, context: DurableContext):
    """9-17: a map, then a 1 s wait."""
    batch = context.map(["a", "b"], lambda ctx, item, i, items: item.upper(), config=MapConfig(max_concurrency=1))
    context.wait(Duration.from_seconds(1))
    return batch.get_results()


# ---- logs (the suite reads them through the emulator's /_fnkit/logs; JSON lines carry executionArn)

AT_MOST_ONCE = StepSemantics.AT_MOST_ONCE_PER_RETRY


@durable_execution
def step_logs(event, context: DurableContext):
    """1-7: a step logs through its context's logger."""

    def greet(step: StepContext):
        step.logger.info(f"Greeting step started for: {event}")
        greeting = f"Hello, {event}!"
        step.logger.info(f"Greeting step completed with: {greeting}")
        return greeting

    return context.step(greet)


@durable_execution
def step_crash(event, context: DurableContext):
    """1-17: an at-most-once step logs, then the process dies; no retry."""

    def crash(step: StepContext):
        step.logger.info(f"about to crash: {event}")
        os._exit(1)

    config = StepConfig(step_semantics=AT_MOST_ONCE, retry_strategy=NO_RETRY.retry_strategy)
    return context.step(crash, name="at_most_once_flaky_step", config=config)


@durable_execution
def step_crash_retried(event, context: DurableContext):
    """1-18: an at-most-once step crashes on its first attempt, succeeds on its second."""

    def crash_once(step: StepContext):
        step.logger.info(f"attempt {step.attempt}: {event}")
        if step.attempt == 1:
            os._exit(1)
        return "succeeded on second attempt"

    config = retries(3)
    config = StepConfig(step_semantics=AT_MOST_ONCE, retry_strategy=config.retry_strategy)
    return context.step(crash_once, name="crash_once", config=config)


@durable_execution
def child_large(event, context: DurableContext):
    """3-11: the child's result is over 256 KB: replayed from its children."""

    def child(ctx: DurableContext):
        # Replay logging on, so the re-run on replay is seen.
        ctx.logger.with_is_replaying(lambda: False).info(f"child running for {event}")
        small = ctx.step(lambda _: "x")
        return small * 300_000

    result = context.run_in_child_context(child, name="large")
    context.wait(Duration.from_seconds(1))
    return len(result)


@durable_execution
def child_logs_once(event, context: DurableContext):
    """3-17: a child that only logs, then a wait; the child does not run again on replay."""

    def child(ctx: DurableContext):
        # Replay logging on, so a wrong re-run on replay would be seen.
        ctx.logger.with_is_replaying(lambda: False).info(f"child logging {event}")
        return event

    result = context.run_in_child_context(child, name="logger")
    context.wait(Duration.from_seconds(1))
    return result
