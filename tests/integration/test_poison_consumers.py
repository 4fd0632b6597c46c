"""Poison records in the stream, queue and scheduled consumers (issue 23 item 3): a record or run that fails the
same way is retried a bounded number of times and then parked where staff see it (an alarmed queue), never
retried forever - through the local stack's pollers, which deliver as Lambda's event source mappings and
asynchronous invocations do (``scripts/devstack/streams.py``, ``queues.py``, ``schedules.py``). Each test
injects a failure into the real function and redrives the parked work after the cause is gone
(``python -m ops.redrive``). The webhook's poison events: ``test_poison_events.py``; the balance watch's poison
record through the whole stack: ``tests/e2e/test_balance_watch_stack.py``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack import lambda_runtime, queues, refs, schedules, streams
from devstack.adapters import send_to_directory
from devstack.template import load_template
from hourbank.store.models import InvoiceModel
from ops import redrive
from tests.support import aws_hooks
from tests.support.faults import DynamoFaults

pytestmark = pytest.mark.integration


@pytest.fixture
def specs(tables):
    return lambda_runtime.functions(strict=False)


def _queue_dir(name: str) -> Path:
    return queues.queue_dir(refs.local_refs(load_template(), {})[name])


def _props(function: str) -> dict:
    return load_template()["Resources"][function]["Properties"]


def test_a_poison_month_end_page_is_dead_lettered_after_max_receive_count(specs):
    """MonthEndQueue's RedrivePolicy: a page that fails every delivery goes to MonthEndFailures after
    ``maxReceiveCount`` receives; ``redrive.py queue`` sends it back."""
    [poller] = [p for p in queues.pollers(specs, retry_delay_s=0.0) if p.queue == "MonthEndQueue"]
    for stale in poller.directory.glob("*.json"):
        stale.unlink()
    dead = _queue_dir("MonthEndFailures")
    before = {p.name for p in dead.glob("*.json")}
    send_to_directory(refs.local_refs(load_template(), {})["MonthEndQueue"], ['{"month": "2026-11"}'])
    deliveries = 0
    while poller.pending():
        deliveries += poller.poll_once()
        assert deliveries <= 20, "retried forever"
    max_receive = int(load_template()["Resources"]["MonthEndQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"])
    assert deliveries == max_receive and poller.failed == max_receive
    parked = [p for p in dead.glob("*.json") if p.name not in before]
    assert [json.loads(p.read_text()) for p in parked] == [{"month": "2026-11"}]
    out = io.StringIO()
    assert redrive.redrive_queue(redrive.Queue(dead.as_uri()), redrive.Queue(poller.directory.as_uri()), out=out) >= 1
    assert poller.pending() >= 1, "back in the worker's queue"
    for path in poller.directory.glob("*.json"):
        path.unlink()


def test_a_poison_invoice_record_is_parked_after_the_streams_bounded_retries(specs, tables, dynamodb_local, tmp_path):
    """InvoicesTable's stream → InvoicingFunction: a new invoice that cannot be issued (its account does not
    exist) is retried ``MaximumRetryAttempts`` times, then its position goes to InvoicingFailures; the
    invoice says why meanwhile (``last_failure``, ``attempts``)."""
    spec = specs["InvoicingFunction"]
    event = spec.events["NewInvoices"]
    latest = {**event, "Properties": {**event["Properties"], "StartingPosition": "LATEST"}}  # this test's records
    spec = dataclasses.replace(spec, events={"NewInvoices": latest})
    retries = int(_props("InvoicingFunction")["Events"]["NewInvoices"]["Properties"]["MaximumRetryAttempts"])
    with streams.start_pollers([spec], dynamodb_local.client(), tables, tmp_path, retry_delay=0.01) as pollers:
        InvoiceModel(
            "acc_nobody_is_here",
            "inv_poison01",
            kind="auto_top_up",
            status="draft",
            minutes=60,
            amount_minor=15_000,
            currency="USD",
            description="Support time",
            reason="poison",
            created_at="2026-11-30T10:00:00+00:00",
        ).save()
        deadline = time.monotonic() + 120
        while pollers.totals().get("dead_lettered", 0) < 1:
            assert time.monotonic() < deadline, pollers.counters()
            time.sleep(0.1)
    [line] = (tmp_path / "InvoicingFailures.jsonl").read_text().splitlines()
    parked = json.loads(line)
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert [r["dynamodb"]["Keys"]["invoice_id"]["S"] for r in parked["records"]] == ["inv_poison01"]
    invoice = InvoiceModel.get("acc_nobody_is_here", "inv_poison01", consistent_read=True)
    assert int(invoice.attempts) == 1 + retries and invoice.last_failure, "tried 1 + MaximumRetryAttempts times"


@pytest.mark.parametrize(
    ("schedule", "function"),
    [
        ("Sweep", "VisitExpiryFunction"),
        ("ResponseWarnings", "ResponseWarningFunction"),
        ("MonthEnd", "MonthEndPlannerFunction"),
    ],
)
def test_a_scheduled_run_that_keeps_failing_is_parked_with_its_event_and_redriven(specs, schedule, function):
    """The Scheduler invokes asynchronously: Lambda retries ``EventInvokeConfig.MaximumRetryAttempts`` times,
    then sends the run's event to ScheduledRunFailures; ``redrive.py async`` runs it again once the cause is
    gone (here: DynamoDB failing every call of the function)."""
    parked_dir = _queue_dir("ScheduledRunFailures")
    before = {p.name for p in parked_dir.glob("*.json")}
    scheduler = schedules.Scheduler(specs)
    at = datetime(2026, 12, 1, 5, 5, tzinfo=UTC)
    faults = DynamoFaults(1.0, kinds=("internal",))
    with aws_hooks.handler("before-send", faults):
        fired = scheduler.run(schedule, at)
    assert not fired.ok
    retries = int(_props(function)["EventInvokeConfig"]["MaximumRetryAttempts"])
    assert [f.ok for f in scheduler.history] == [False], "one run, recorded once"
    parked = [p for p in parked_dir.glob("*.json") if p.name not in before]
    assert len(parked) == 1
    record = json.loads(parked[0].read_text())
    assert record["requestContext"]["approximateInvokeCount"] == 1 + retries
    assert redrive.function_of(record) == function
    assert record["requestPayload"] == {**scheduler.event_for(schedule, at), "id": record["requestPayload"]["id"]}
    assert record["responsePayload"]["errorType"] and record["responsePayload"]["errorMessage"], "says why"

    def invoker(name: str):
        return lambda event: lambda_runtime.invoke(specs[name], event, source="redrive")

    out = io.StringIO()
    only = redrive.Queue(parked_dir.as_uri())
    mine = [(receipt, body) for receipt, body in only.messages() if Path(receipt).name not in before]
    assert len(mine) == 1
    done, kept = redrive.replay_async(_OneMessage(only, mine), invoker, out=out)
    assert (done, kept) == (1, 0), out.getvalue()
    assert not parked[0].exists(), "deleted once it ran"


class _OneMessage:
    """The queue, seen through the messages of this test only (other parked runs stay where they are)."""

    def __init__(self, queue: redrive.Queue, messages: list[tuple[str, str]]) -> None:
        self.queue, self._messages = queue, messages

    def messages(self):
        yield from self._messages

    def delete(self, receipt: str) -> None:
        self.queue.delete(receipt)
