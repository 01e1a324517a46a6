"""Calls functions on fnkit-local through the AWS SDK for Python (boto3), which we did not write:
synchronous and asynchronous invocations, and a function error. Run by scripts/check-boto3.sh.
"""
import json
import sys
import time
import urllib.request

import awscheck
from awscheck import check

base = sys.argv[1]
client = awscheck.client("lambda", base)


# Synchronous invocation.
r = client.invoke(FunctionName="add", Payload=json.dumps({"a": 2, "b": 3}))
check(r["StatusCode"] == 200, "RequestResponse answers 200")
check("FunctionError" not in r, "no FunctionError on success")
check(json.loads(r["Payload"].read()) == {"sum": 5}, "the payload is the function's answer")
check(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-executed-version") == "$LATEST", "executed version $LATEST")

# A function error.
r = client.invoke(FunctionName="add", Payload=json.dumps({"a": 9223372036854775807, "b": 1}))
check(r.get("FunctionError") == "Unhandled", "a failing function gives FunctionError=Unhandled")
error = json.loads(r["Payload"].read())
check(error["errorType"] == "Overflow", f"the error body carries errorType ({error})")

# By ARN.
r = client.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:add", Payload=b'{"a":1,"b":1}')
check(json.loads(r["Payload"].read()) == {"sum": 2}, "a function ARN works as the name")

# Asynchronous invocation: accepted with 202, then run.
r = client.invoke(FunctionName="add", InvocationType="Event", Payload=json.dumps({"a": 40, "b": 2}))
check(r["StatusCode"] == 202, "Event answers 202")
request_id = r["ResponseMetadata"]["RequestId"]
deadline = time.time() + 20
while True:
    rows = json.load(urllib.request.urlopen(f"{base}/_fnkit/invocations?function=add&limit=50"))
    row = next((x for x in rows if x["request_id"] == request_id), None)
    if row is not None:
        check(row["outcome"] == "ok" and row["trigger"] == "event", f"the Event invocation {request_id} ran ({row['outcome']})")
        break
    if time.time() > deadline:
        check(False, f"the Event invocation {request_id} never ran")
    time.sleep(0.1)

# Unknown function.
try:
    client.invoke(FunctionName="nope", Payload=b"{}")
    check(False, "an unknown function raises")
except client.exceptions.ResourceNotFoundException:
    check(True, "an unknown function raises ResourceNotFoundException")

# An oversized request is refused with 413, and the next call on the same client works (the
# refusal reads the body and says `Connection: close`): 15 rounds, each on the pooled connection.
import botocore.exceptions

refused = answered = 0
for _ in range(15):
    try:
        client.invoke(FunctionName="add", InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    except botocore.exceptions.ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 413 and e.response["Error"]["Code"] == "RequestEntityTooLargeException":
            refused += 1
    r = client.invoke(FunctionName="add", Payload=json.dumps({"a": 1, "b": 2}))
    if json.loads(r["Payload"].read()) == {"sum": 3}:
        answered += 1
check(refused == 15, f"an Event payload over 1 MiB is refused with 413 RequestEntityTooLargeException ({refused}/15)")
check(answered == 15, f"the call after each refusal is answered ({answered}/15)")

awscheck.done("boto3 Lambda")
