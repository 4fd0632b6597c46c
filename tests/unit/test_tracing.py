"""Tracer (issue 16): in Lambda, DynamoDB (botocore) and Stripe (http.client) calls become X-Ray subsegments;
elsewhere the X-Ray SDK is never loaded. Each case in a fresh interpreter: patching is process-wide."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from hourbank.ports import tracing
on = tracing.enable()
patched = []
if "aws_xray_sdk.core.patcher" in sys.modules:
    patched = sorted(sys.modules["aws_xray_sdk.core.patcher"]._PATCHED_MODULES)
print(json.dumps({"on": on, "patched": patched, "sdk_loaded": "aws_xray_sdk" in sys.modules}))
"""


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDA_TASK", "AWS_SAM", "POWERTOOLS_TRACE"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            **clean,
            "PYTHONPATH": str(ROOT / "layers/core/python"),
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            **env,
        },
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_in_lambda_botocore_and_http_client_are_traced():
    assert probe(LAMBDA_TASK_ROOT="/var/task") == {"on": True, "patched": ["botocore", "httplib"], "sdk_loaded": True}


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"},
        {"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"},
    ],
)
def test_elsewhere_the_xray_sdk_is_not_even_loaded(env):
    assert probe(**env) == {"on": False, "patched": [], "sdk_loaded": False}
