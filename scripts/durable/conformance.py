"""Runs requirements of AWS's durable conformance suite (PyPI aws-durable-execution-conformance-tests
1.0.0) against fnkit-local: the suite's own validator (`validate_description`) invokes each
requirement's function through boto3, completes its callbacks, reads its history and checks
every event, with fnkit-local in place of AWS. What the suite reaches through CloudFormation
(a logical id to a function name) is the identity here: functions are served under the names
the mapping gives; what it reads from CloudWatch Logs comes from the emulator's
/_fnkit/logs/{function}.

usage: conformance.py --endpoint http://127.0.0.1:PORT --map FILE [--workers N] [--only ID,...] [--all]

FILE is JSON: {"requirements": {"1-1": "function", ...}, "not_applicable": {"10-1": "reason"},
"not_yet": {"8-1": "reason"}}. Prints one line per requirement, a line per suite, and last
`N passed, M failed`; exits 1 when anything failed. With --all, every requirement of the suite
that FILE neither maps nor gives a reason for is a failure ("no handler").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import MappingProxyType

import boto3
from botocore.config import Config

from aws_durable_execution_conformance_tests import validate
from aws_durable_execution_conformance_tests.cloudwatch import CloudWatchLogRetriever
from aws_durable_execution_conformance_tests.clients import AwsClients
from aws_durable_execution_conformance_tests.config import TESTS_DIR
from aws_durable_execution_conformance_tests.sam import Invoker


class LocalInvoker(Invoker):
    """The suite's invoker, with functions named as they are served (no CloudFormation)."""

    def _resolve_function(self, logical_id: str) -> str:
        return logical_id


class LocalLogs:
    """CloudWatch Logs' FilterLogEvents over the emulator's /_fnkit/logs/{function}: the
    function's recent lines, kept to those of one execution as the suite's filter pattern asks
    (a JSON line whose durableExecutionArn or executionArn is the execution's ARN)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def filter_log_events(self, logGroupName, startTime, endTime, filterPattern=None, nextToken=None):
        function = logGroupName.rsplit("/", 1)[-1]
        url = f"{self.endpoint}/_fnkit/logs/{function}?start_ms={startTime}&end_ms={endTime}"
        with urllib.request.urlopen(url, timeout=30) as reply:
            lines = json.load(reply)["events"]
        wanted = re.search(r'= "((?:[^"\\]|\\.)*)"', filterPattern or "")
        arn = wanted.group(1).replace('\\"', '"').replace("\\\\", "\\") if wanted else None
        events = []
        for line in lines:
            if arn is not None:
                try:
                    fields = json.loads(line["message"])
                except ValueError:
                    continue
                if not isinstance(fields, dict) or arn not in (fields.get("durableExecutionArn"), fields.get("executionArn")):
                    continue
            events.append({"timestamp": line["timestamp"], "ingestionTime": line["timestamp"], "message": line["message"]})
        return {"events": events}


class LocalLogRetriever(CloudWatchLogRetriever):
    """The suite's log reader without CloudWatch's ingestion waits (10 s, then 10 s of polls):
    the emulator has a line once the worker printed it, so reads repeat only until two agree."""

    EVENT_POLL_TIMEOUT_SECONDS = 0.0

    def get_execution_log_events(self, log_group_name, execution_arn, start_time_ms, end_time_ms=None, wait_seconds=None):
        last = None
        for _ in range(20):
            events = super().get_execution_log_events(log_group_name, execution_arn, start_time_ms, end_time_ms, wait_seconds=0)
            if events == last:
                return events
            last = events
            time.sleep(0.25)
        return last


class NoStack:
    """What the suite asks CloudFormation for (a function's physical name): the name itself."""

    def describe_stack_resource(self, StackName: str, LogicalResourceId: str) -> dict:
        return {"StackResourceDetail": {"PhysicalResourceId": LogicalResourceId}}


def requirement_file(requirement: str) -> Path | None:
    for path in Path(TESTS_DIR).rglob(f"{requirement}.yaml"):
        return path
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--map", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", default="")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    mapping = json.loads(Path(args.map).read_text())
    requirements: dict[str, str] = mapping["requirements"]
    if args.only:
        wanted = set(args.only.split(","))
        requirements = {k: v for k, v in requirements.items() if k in wanted}

    # A sync requirement's Invoke lasts its whole execution (retries with backoff can take
    # minutes): a long read timeout, and no retried Invoke, which would start a second one.
    config = Config(read_timeout=900, connect_timeout=10, retries={"max_attempts": 1})
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="fnkit", aws_secret_access_key="fnkit"
    )
    client = session.client("lambda", endpoint_url=args.endpoint, config=config)
    clients = AwsClients(
        MappingProxyType({"lambda": client, "cloudformation": NoStack(), "logs": LocalLogs(args.endpoint)})
    )
    validate.CloudWatchLogRetriever = LocalLogRetriever
    invoker = LocalInvoker("fnkit-local", region="us-east-1", lambda_client=client, cfn_client=NoStack())

    def run(item: tuple[str, str]):
        requirement, function = item
        path = requirement_file(requirement)
        if path is None:
            return requirement, False, [f"no requirement {requirement} in {TESTS_DIR}"]
        with tempfile.TemporaryDirectory() as tmp:
            result = validate.validate_description(
                function_name=function,
                description_id=requirement,
                test_file=str(path),
                invoker=invoker,
                tmp_dir=tmp,
                region="us-east-1",
                aws_clients=clients,
                output_dir=tmp,
            )
        return requirement, result.passed, result.errors

    def order(key: str):
        return tuple(int(p) for p in key.split("-"))

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run, sorted(requirements.items(), key=lambda i: order(i[0]))))
    suites: dict[str, list[bool]] = {}
    for requirement, passed, errors in results:
        print(f"{'PASS' if passed else 'FAIL'} {requirement} ({requirements[requirement]})", flush=True)
        for e in errors:
            print(f"    {e}")
        suites.setdefault(requirement.split("-")[0], []).append(passed)
    explained = {**mapping.get("not_applicable", {}), **mapping.get("not_yet", {})}
    unhandled = []
    if args.all:
        every = sorted((p.stem for p in Path(TESTS_DIR).rglob("*.yaml")), key=order)
        unhandled = [r for r in every if r not in requirements and r not in explained]
    for requirement in unhandled:
        print(f"FAIL {requirement}: no handler and no reason", flush=True)
        suites.setdefault(requirement.split("-")[0], []).append(False)
    for reason_id, reason in sorted(mapping.get("not_applicable", {}).items(), key=lambda i: order(i[0])):
        print(f"N/A  {reason_id}: {reason}")
    for reason_id, reason in sorted(mapping.get("not_yet", {}).items(), key=lambda i: order(i[0])):
        print(f"NOT YET {reason_id}: {reason}")
    for reason_id in explained:
        suites.setdefault(reason_id.split("-")[0], [])
    for suite, outcomes in sorted(suites.items(), key=lambda i: int(i[0])):
        others = sum(1 for r in explained if r.split("-")[0] == suite)
        print(f"suite {suite}: {sum(outcomes)} passed, {len(outcomes) - sum(outcomes)} failed, {others} not run (reasons above)")
    passed = sum(p for _, p, _ in results)
    failed = len(results) - passed + len(unhandled)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
