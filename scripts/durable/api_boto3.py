"""The durable execution API's calls the conformance suite does not make, through boto3 (whose
model parses every answer and error): ListDurableExecutionsByFunction, StopDurableExecution,
GetDurableExecutionState with a stale token, and the typed errors of unknown executions and
callbacks. Run by scripts/durable-conformance.sh against an emulator serving
conformance/python/functions.json.

usage: api_boto3.py http://127.0.0.1:PORT
"""

import sys
import time

import boto3
from botocore.config import Config

url = sys.argv[1]
client = boto3.client(
    "lambda",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id="fnkit",
    aws_secret_access_key="fnkit",
    config=Config(retries={"max_attempts": 1}),
)


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok   {what}")


# An hour-long wait, named: started with Event, found by name and status, stopped.
started = client.invoke(
    FunctionName="py_wait_hour", Qualifier="$LATEST", InvocationType="Event", DurableExecutionName="api-check-1"
)
arn = started["DurableExecutionArn"]
check(started["StatusCode"] == 202 and arn.endswith("/api-check-1/" + arn.rsplit("/", 1)[1]), "Event answers 202 with the ARN")
for _ in range(200):
    events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    if any(e["EventType"] == "WaitStarted" for e in events):
        break
    time.sleep(0.05)
check(any(e["EventType"] == "WaitStarted" for e in events), "the wait started")
again = client.invoke(
    FunctionName="py_wait_hour", Qualifier="$LATEST", InvocationType="Event", DurableExecutionName="api-check-1"
)
check(again["DurableExecutionArn"] == arn, "the same name and input is the same execution")
try:
    client.invoke(
        FunctionName="py_wait_hour",
        Qualifier="$LATEST",
        InvocationType="Event",
        DurableExecutionName="api-check-1",
        Payload=b'{"other": true}',
    )
    check(False, "another input under the same name is refused")
except client.exceptions.DurableExecutionAlreadyStartedException:
    check(True, "another input under the same name is DurableExecutionAlreadyStartedException")

listed = client.list_durable_executions_by_function(
    FunctionName="py_wait_hour", DurableExecutionName="api-check-1", Statuses=["RUNNING"]
)["DurableExecutions"]
check([e["DurableExecutionArn"] for e in listed] == [arn], "listed by name and status")
check(listed[0]["Status"] == "RUNNING" and listed[0]["StartTimestamp"].year >= 2026, "timestamps parse as datetimes")

stopped = client.stop_durable_execution(
    DurableExecutionArn=arn, Error={"ErrorType": "Cancelled", "ErrorMessage": "by api_boto3.py"}
)
check(stopped["StopTimestamp"].year >= 2026, "StopDurableExecution answers its time")
described = client.get_durable_execution(DurableExecutionArn=arn)
check(described["Status"] == "STOPPED" and described["Error"]["ErrorType"] == "Cancelled", "the execution is STOPPED with the error")
last = client.get_durable_execution_history(DurableExecutionArn=arn, ReverseOrder=True, MaxItems=1)["Events"][0]
check(last["EventType"] == "ExecutionStopped", "its last event is ExecutionStopped")
none = client.list_durable_executions_by_function(
    FunctionName="py_wait_hour", DurableExecutionName="api-check-1", Statuses=["RUNNING"]
)["DurableExecutions"]
check(none == [], "no longer listed as RUNNING")
try:
    client.stop_durable_execution(DurableExecutionArn=arn)
    check(False, "a stopped execution cannot be stopped again")
except client.exceptions.InvalidParameterValueException:
    check(True, "stopping it again is InvalidParameterValueException")

unknown = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
for call, kwargs in [
    (client.get_durable_execution, {"DurableExecutionArn": unknown}),
    (client.get_durable_execution_history, {"DurableExecutionArn": unknown}),
    (client.send_durable_execution_callback_success, {"CallbackId": "bm90aGluZw==", "Result": b"1"}),
]:
    try:
        call(**kwargs)
        check(False, f"{call.__name__} of something unknown is refused")
    except client.exceptions.ResourceNotFoundException:
        check(True, f"{call.__name__} of something unknown is ResourceNotFoundException")
try:
    client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken="c3RhbGU=")
    check(False, "a stale token is refused")
except client.exceptions.InvalidParameterValueException:
    check(True, "a stale checkpoint token is InvalidParameterValueException")
try:
    client.invoke(FunctionName="py_wait_hour", Payload=b"{}")
    check(False, "an unqualified durable invoke is refused")
except client.exceptions.InvalidParameterValueException:
    check(True, "an unqualified durable invoke is InvalidParameterValueException")
