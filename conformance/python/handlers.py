"""Durable handlers written with AWS's official Python SDK (aws-durable-execution-sdk-python),
served by fnkit-local as foreign functions (functions.json) so its durable execution service is
checked by a client we did not write. Each handler implements one requirement of AWS's durable
conformance suite (aws-durable-execution-conformance-tests 1.0.0), written from the prose of
its YAML; scripts/check-durable-sdk.sh runs them through the suite's own validator.
"""

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    Duration,
    JitterStrategy,
    StepConfig,
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
