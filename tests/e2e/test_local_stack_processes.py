"""Issue 15: the README's run command (``python -m devstack up``) runs every function as Lambda would - worker
processes of its own, each with only its template variables, its own layers and the runtime's boto3 - and
the whole stack still works through them: real HTTP through the gateway (an order quote; an account, a
ticket, a time entry, a close), the DynamoDB stream poller and the SQS queue poller delivering to their
functions, the local adapters (outbox, queue directory, JWKS file) installed inside the workers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devstack.adapters import read_outbox, send_to_directory
from devstack.http_client import request
from devstack.jwt_local import mint

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WORKER = "lambda_worker.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workers(parent: int) -> dict[str, list[dict[str, str]]]:
    """The stack's worker processes: function name -> the environment of each of its workers."""
    found: dict[str, list[dict[str, str]]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != parent or WORKER not in (proc / "cmdline").read_bytes().decode(errors="replace"):
                continue
            raw = (proc / "environ").read_bytes().decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        env = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
        found.setdefault(env.get("AWS_LAMBDA_FUNCTION_NAME", "?"), []).append(env)
    return found


def _wait_for(predicate, what: str, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:.0f} s"
        time.sleep(0.2)


@pytest.fixture
def stack(tmp_path):
    port = _free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(PYTHONUNBUFFERED="1", OUTBOX_DIR=str(tmp_path / "outbox"), HOURBANK_QUEUE_DIR=str(tmp_path / "queues"))
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up", "--in-memory", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            _wait_for(
                lambda: "  tokens " in out.read_text() or process.poll() is not None,
                "the stack's guide",
                120,
            )
            assert process.poll() is None, out.read_text() + err.read_text()
            yield process, f"http://127.0.0.1:{port}", out, err, tmp_path
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def test_the_stack_runs_every_function_in_worker_processes_of_its_own(stack):
    process, url, out, err, tmp = stack
    assert "worker processes per function" in out.read_text()
    tech, billing = mint("technician", sub="proc-tech"), mint("billing", sub="proc-billing")

    quote = request(url, "POST", "/orders/quote", {"name": "Corner Bakery", "email": "o@bakery.example", "hours": 2})
    assert quote.status == 200 and quote.body["minutes"] == 120, quote

    email = f"it-{uuid.uuid4().hex[:10]}@proc.example"
    made = request(url, "POST", "/accounts", {"name": "Proc Co", "email": email, "plan": "member"}, token=billing)
    assert made.status == 201, made
    account = made.body["account_id"]
    bought = request(
        url,
        "POST",
        f"/accounts/{account}/adjustments",
        {"minutes": 600, "kind": "purchase", "reason": "phone"},
        token=billing,
    )
    assert bought.status == 201, bought
    watch = {"enabled": True, "threshold_minutes": 590, "amount_minutes": 120, "notify_low_balance": True}
    assert request(url, "PUT", f"/accounts/{account}/auto-top-up", watch, token=billing).status == 200
    day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    ticket = request(
        url,
        "POST",
        "/tickets",
        {"account_id": account, "title": "Printer", "priority": "normal", "opened_at": f"{day}T07:00:00+00:00"},
        token=tech,
    )
    assert ticket.status == 201, ticket
    ticket_id = ticket.body["ticket_id"]
    entry = request(
        url,
        "POST",
        f"/tickets/{ticket_id}/time-entries",
        {"work_type": "remote", "started_at": f"{day}T09:00:00+00:00", "minutes": 45, "note": "n"},
        token=tech,
    )
    assert entry.status == 201, entry
    closed = request(url, "POST", f"/tickets/{ticket_id}/close", token=tech)
    assert closed.status == 200 and closed.body["consumed_minutes"] > 0, closed
    balance = request(url, "GET", f"/accounts/{account}", token=mint("customer", account_id=account))
    assert balance.status == 200 and balance.body["balance_minutes"] == 600 - closed.body["consumed_minutes"]

    # The invitation (SPEC W1) went through the local adapter installed inside AccountsApiFunction's worker.
    invites = _wait_for(lambda: [m for m in read_outbox(tmp / "outbox") if m["to"] == email], "the invitation")
    assert f"/portal/?account={account}" in invites[0]["text"]

    # The stream pollers: the close crossed the account's threshold (SPEC O4) - BalanceWatchFunction issues a
    # top-up invoice and e-mails the customer (O5), the invoice's record reaches InvoicingFunction. The queue
    # poller: a month-end page (as the planner sends it, through the same queue adapter) reaches
    # MonthEndWorkerFunction.
    for function in ("BalanceWatchFunction", "InvoicingFunction"):
        _wait_for(lambda f=function: re.search(rf"stream {f} \S+ [\d.]+ms ok", err.read_text()), f"{function} delivery")
    _wait_for(
        lambda: [
            m for m in read_outbox(tmp / "outbox") if m["to"] == email and m["message_id"].startswith("notice#low")
        ],
        "O5",
    )
    last = (datetime.now(ZoneInfo("America/New_York")).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    page = json.dumps({"month": last, "account_ids": [account]})
    send_to_directory((tmp / "queues" / "MonthEndQueue").as_uri(), [page])
    _wait_for(
        lambda: re.search(r"sqs:MonthEndQueue MonthEndWorkerFunction \S+ [\d.]+ms ok", err.read_text()),
        "queue delivery",
    )

    # Every one of them ran in worker processes of the stack, each with its own variables only.
    workers = _workers(process.pid)
    for name in (
        "OrdersFunction",
        "AccountsApiFunction",
        "TicketsApiFunction",
        "PostTimeEntryFunction",
        "CloseTicketFunction",
        "BalanceWatchFunction",
        "InvoicingFunction",
        "MonthEndWorkerFunction",
    ):
        assert name in workers, sorted(workers)
    for envs in workers.values():
        for env in envs:
            # The local adapters' settings are given to them by the worker's bootstrap, not the function (issue 15).
            local = {"OUTBOX_DIR", "HOURBANK_QUEUE_DIR", "HOURBANK_PORT", "VIRTUAL_ENV", "LOCAL_CHECKOUT_URL"}
            assert not local & set(env), sorted(env)
            assert env["AWS_ENDPOINT_URL_DYNAMODB"].startswith("http://127.0.0.1:")
    accounts = workers["AccountsApiFunction"][0]
    assert "USER_POOL_ID" in accounts and "STRIPE_API_KEY" not in accounts and "JWKS_URL" not in accounts
    orders = workers["OrdersFunction"][0]
    assert orders["JWKS_URL"].startswith("file:") and "STRIPE_API_KEY" in orders and "USER_POOL_ID" not in orders
    assert "MONTH_END_QUEUE_URL" in workers["MonthEndWorkerFunction"][0] and "MONTH_END_QUEUE_URL" not in orders
