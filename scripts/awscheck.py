"""What the boto3 checks (scripts/check-*boto3.py) share: a client of the emulator with made-up
credentials (it accepts any), and check() / error_code() / done() for their reports."""
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

checks = 0


def client(service, base, **config):
    return boto3.client(
        service,
        endpoint_url=base,
        region_name="us-east-1",
        aws_access_key_id="anything",
        aws_secret_access_key="at-all",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    checks += 1
    print(f"ok: {what}")


def error_code(call):
    """The error code `call` raised, or None."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def done(label):
    print(f"{label}: {checks} checks passed")
