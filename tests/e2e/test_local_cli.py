"""The README's run command as a newcomer uses it: start the stack, follow what it prints, stop it.
Also the one-shot tools it names: python -m devstack token, scripts/invoke, run-schedule."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devstack.http_client import request

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def stack(tmp_path):
    port = _free_port()
    out = tmp_path / "stdout.txt"
    with out.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up", "--in-memory", "--seed", "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            stdout=sink,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while "Try:" not in out.read_text():
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, "stack not ready in 90 s:\n" + out.read_text()
            time.sleep(0.2)
        time.sleep(0.5)  # the rest of the guide
        yield process, out.read_text(), f"http://127.0.0.1:{port}"
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_up_serves_the_seeded_demo_and_stops_cleanly(stack):
    process, guide, url = stack
    assert re.search(r"ready in \d+\.\d s", guide)
    assert f"API            {url}" in guide
    member = re.search(r"^\s+member\s+(acc_\S+)", guide, re.M).group(1)
    customer = re.search(r"export CUSTOMER=(\S+)", guide).group(1)
    tech = re.search(r"export TECH=(\S+)", guide).group(1)
    reply = request(url, "GET", f"/accounts/{member}", token=customer)
    assert reply.status == 200 and reply.body["name"] == "Acme Dental"
    # The demo member's urgent ticket was rated emergency (x2) and closed: 90 min -> 180 consumed.
    ledger = request(url, "GET", f"/accounts/{member}/ledger", token=customer).body["items"]
    assert [e["kind"] for e in ledger][-2:] == ["consumption", "purchase"]
    assert request(url, "GET", f"/accounts/{member}", token=customer + "x").status == 401
    other = re.search(r"^\s+non_member\s+(acc_\S+)", guide, re.M).group(1)
    assert request(url, "GET", f"/accounts/{other}", token=customer).status == 404
    made = request(
        url, "POST", "/tickets", {"account_id": other, "title": "Printer jam", "priority": "low"}, token=tech
    )
    assert made.status == 201

    # SPEC M1: the running month is refused - by the schedule fired ahead of its time and by hand - with a
    # clear message, a non-zero exit and nothing written; the month before (ended) closes through the
    # running stack: the planner fills the local queue, the stack's poller feeds the worker; then the
    # by-hand command finds nothing left and reconcile agrees (balance = Σ ledger everywhere).
    tz = ZoneInfo("America/New_York")
    at = datetime.now(UTC).astimezone(tz)
    month = at.strftime("%Y-%m")
    billing = re.search(r"export BILLING=(\S+)", guide).group(1)
    before = request(url, "GET", f"/accounts/{member}/statements/{month}", token=billing).body
    ahead = (at.replace(day=28) + timedelta(days=5)).replace(day=1, hour=0, minute=5)
    early = subprocess.run(
        [sys.executable, "-m", "devstack", "run-schedule", "MonthEnd", "--at", ahead.isoformat()],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert early.returncode == 1 and "has ended" in early.stderr, early.stderr
    by_hand = subprocess.run(
        [sys.executable, "-m", "ops.month_end", "run", "--month", month],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert by_hand.returncode == 2 and f"{month} is the running month" in by_hand.stderr, by_hand.stderr
    assert request(url, "GET", f"/accounts/{member}/invoices", token=billing).body["items"] == []
    assert request(url, "GET", f"/accounts/{member}/statements/{month}", token=billing).body == before

    last = (at.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    fired = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack",
            "run-schedule",
            "MonthEnd",
            "--at",
            at.replace(day=1, hour=0, minute=5).isoformat(),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fired.returncode == 0, fired.stderr
    planned = json.loads(fired.stdout)
    assert planned["month"] == last and planned["accounts"] >= 3

    queue = Path(re.search(r"^\s+queues\s+(\S+)", guide, re.M).group(1)) / "MonthEndQueue"
    deadline = time.monotonic() + 60
    while list(queue.glob("*.json")):  # the stack's poller hands each page to the worker
        assert time.monotonic() < deadline, "the month-end queue was not drained"
        time.sleep(0.2)
    time.sleep(0.5)  # the last page's invocation finishing
    again = subprocess.run(
        [sys.executable, "-m", "ops.month_end", "run", "--month", last],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert f"already {planned['accounts']}" in again.stdout, again.stdout  # M2: the worker closed them all
    statement = request(url, "GET", f"/accounts/{member}/statements/{month}", token=billing)
    assert statement.status == 200 and statement.body["consumption_minutes"] >= 180
    reconciled = subprocess.run(
        [sys.executable, "-m", "ops.month_end", "reconcile"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reconciled.returncode == 0 and "0 difference(s)" in reconciled.stdout, reconciled.stdout
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_dev_token_is_accepted_by_the_gateway_verifier():
    printed = subprocess.run(
        [sys.executable, "-m", "devstack", "token", "--role", "customer", "--account", "acc_demo"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    from devstack import jwt_local

    claims = jwt_local.verify(printed)
    assert claims["custom:account_id"] == "acc_demo" and "customers" in str(claims["cognito:groups"])


def test_invoke_runs_one_function_with_one_event_like_sam_local_invoke():
    done = subprocess.run(
        [
            sys.executable,
            "scripts/invoke",
            "PostTimeEntryFunction",
            "events/post_time_entry-as-customer-forbidden.json",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 403 and "technicians" in json.loads(result["body"])["error"]["message"]
    assert "PostTimeEntryFunction" in done.stderr  # the one-line invocation log


def test_run_schedule_names_what_the_template_has():
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "run-schedule", "NoSuchSchedule", "--at", "2026-12-01T00:05"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "no schedule 'NoSuchSchedule'" in done.stderr
