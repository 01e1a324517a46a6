"""Writes functions.json (the functions file fnkit-local serves with --functions) from the
durable handlers of handlers.py: each `@durable_execution def name` becomes `py_name`, run by
AWS's Python runtime interface client (awslambdaric) from the venv scripts/durable-conformance.sh
creates. Run it after adding a handler: python3 conformance/python/generate.py
"""

import json
import re
from pathlib import Path

here = Path(__file__).parent
names = re.findall(r"@durable_execution\ndef (\w+)", (here / "handlers.py").read_text())
functions = [
    {
        "name": f"py_{name}",
        "command": ["../../.fnkit/python/bin/python", "-m", "awslambdaric", f"handlers.{name}"],
        "handler": f"handlers.{name}",
        "timeout_secs": 60,
        "memory_mb": 256,
        "durable": {"execution_timeout_secs": 900, "retention_days": 1},
        # Lambda's JSON log format at level INFO (Lambda's default for it): the SDK's logger fields
        # (executionArn) are top-level keys.
        "env": {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"},
    }
    for name in names
]
lines = ",\n".join("    " + json.dumps(f) for f in functions)
(here / "functions.json").write_text('{\n  "functions": [\n' + lines + "\n  ]\n}\n")
print(f"{len(functions)} functions")
