"""The balance watch and invoicing consumers through the local stack's stream pollers (issue 5).

    python -m bench.streams [--write] [--runs 20] [--records 1000] [--crossings 500]

Everything runs in one in-process ``devstack.stack.Stack`` (its own in-memory DynamoDB Local, the gateway on a
free port, the template's stream pollers; no cron), with e-mails in an outbox of this run's own:

1. **Close → invoice.** Over real HTTP to the gateway, ``--runs`` times: a member with 60 minutes, auto
   top-up T 60 / A 120 with the low-balance e-mail on, a ticket with one 30-minute remote entry; once the
   pollers are idle, POST /tickets/{id}/close (60 → 30 min: a crossing) and then DynamoDB polled directly
   every 10 ms (Query on the account's invoices, consistent) for the auto top-up invoice to exist (draft,
   written by BalanceWatchFunction) and to be issued (status open, InvoicingFunction with LocalInvoicing),
   and the outbox for the e-mail. Once with the template's event source mappings as they are, once more
   with ``MaximumBatchingWindowInSeconds`` set to 0 on both, to show what the window costs.
2. **Records per second.** The stack's pollers stopped; accounts written directly (clones of an account
   made through the API, with the watch on), a poller of the consumer's own mapping (template BatchSize,
   window and filters) primed at LATEST, a backlog of balance changes written (PutItem of the whole item:
   MODIFY records with both images, in BatchWriteItem calls of 25), then the poller started and timed to
   its last record delivered. Backlogs: changes of unwatched accounts (all filtered out), changes that
   cross nothing, 1 crossing in 10, every record a crossing (each on its own account, so each makes an
   invoice). The draft invoices the crossings wrote are then the InvoicingFunction's backlog, drained the
   same way (its poller was primed before they were written).

``--write`` replaces the section between the ``bench_streams`` markers in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.benchlib import command_line, log, machine_line, percentile, publish
from bench.local_stack import _cpu

ROOT = Path(__file__).resolve().parents[2]

SECTION = "bench_streams"
WATCH, INVOICING = "BalanceWatchFunction", "InvoicingFunction"
WATCH_SETTINGS = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, "notify_low_balance": True}
POLL_S = 0.01


def mapping(spec: Any) -> dict[str, Any]:
    """The (only) DynamoDB event source's properties of a function spec."""
    [props] = [e["Properties"] for e in spec.events.values() if e.get("Type") == "DynamoDB"]
    return props


def with_mapping(spec: Any, **changes: Any) -> Any:
    """A copy of ``spec`` whose DynamoDB event source has ``changes`` applied."""
    events = copy.deepcopy(spec.events)
    for event in events.values():
        if event.get("Type") == "DynamoDB":
            event["Properties"].update(changes)
    return dataclasses.replace(spec, events=events)


# =============================================================================== 1. close → invoice


@dataclasses.dataclass
class DelayRun:
    close_ms: float  # POST …/close sent → its 200
    draft_ms: float  # POST sent → the invoice item exists (BalanceWatchFunction)
    open_ms: float  # POST sent → the invoice is status open (InvoicingFunction)
    mail_ms: float  # POST sent → the e-mail is in the outbox


class Api:
    def __init__(self, base_url: str) -> None:
        from devstack.jwt_local import mint

        self.base_url = base_url
        self.billing, self.tech = mint("billing"), mint("technician")

    def call(self, method: str, path: str, body: Any, token: str, expect: int) -> Any:
        from devstack.http_client import request

        reply = request(self.base_url, method, path, body, token)
        if reply.status != expect:
            raise AssertionError(f"{method} {path}: expected {expect}, got {reply}")
        return reply.body

    def watched_account(self, minutes: int, n: int) -> str:
        acc = self.call(
            "POST",
            "/accounts",
            {"name": f"Bench {n}", "email": f"it{n}@bench.example", "plan": "member"},
            self.billing,
            201,
        )["account_id"]
        self.call(
            "POST",
            f"/accounts/{acc}/adjustments",
            {"minutes": minutes, "kind": "purchase", "reason": "bench"},
            self.billing,
            201,
        )
        self.call("PUT", f"/accounts/{acc}/auto-top-up", WATCH_SETTINGS, self.billing, 200)
        return acc

    def ticket_with_entry(self, acc: str, minutes: int) -> str:
        ticket = self.call(
            "POST",
            "/tickets",
            {
                "account_id": acc,
                "title": "Printer",
                "priority": "normal",
                "opened_at": "2026-11-16T09:00:00-05:00",
            },  # SPEC T8
            self.tech,
            201,
        )["ticket_id"]
        self.call(
            "POST",
            f"/tickets/{ticket}/time-entries",
            {"work_type": "remote", "started_at": "2026-11-16T10:00:00-05:00", "minutes": minutes, "note": "driver"},
            self.tech,
            201,
        )
        return ticket


def one_delay(api: Api, stack: Any, pollers: Any, client: Any, outbox: Path, n: int) -> DelayRun:
    acc = api.watched_account(60, n)
    ticket = api.ticket_with_entry(acc, 30)
    if not pollers.wait_idle(30):  # nothing of the setup still buffered: the close's record starts a batch
        raise RuntimeError("the pollers did not go idle")
    table = stack.tables["InvoicesTable"]
    sent = time.perf_counter()
    closed = api.call("POST", f"/tickets/{ticket}/close", None, api.tech, 200)
    close_ms = (time.perf_counter() - sent) * 1000
    if closed.get("balance_minutes") != 30:
        raise AssertionError(f"close: {closed}")
    draft = opened = mail = None
    deadline = sent + 30
    while (draft is None or opened is None or mail is None) and time.perf_counter() < deadline:
        items = client.query(
            TableName=table,
            KeyConditionExpression="account_id = :a",
            ConsistentRead=True,
            ExpressionAttributeValues={":a": {"S": acc}},
        )["Items"]
        now = time.perf_counter()
        if items and draft is None:
            draft = now
        if items and items[0]["status"]["S"] == "open" and opened is None:
            opened = now
        if mail is None and any(outbox.glob(f"*{acc}*.eml")):
            mail = now
        time.sleep(POLL_S)
    if draft is None or opened is None or mail is None:
        raise RuntimeError(f"run {n}: invoice draft/open/e-mail not all seen within 30 s ({draft}, {opened}, {mail})")
    return DelayRun(close_ms, (draft - sent) * 1000, (opened - sent) * 1000, (mail - sent) * 1000)


def bench_delays(args: argparse.Namespace, stack: Any, client: Any, outbox: Path) -> dict[str, list[DelayRun]]:
    from devstack.streams import start_pollers

    api = Api(stack.url)
    out: dict[str, list[DelayRun]] = {}
    api.watched_account(60, -1)  # imports AccountsApiFunction etc.: the first requests' cold starts aside
    one_delay(api, stack, stack.pollers, client, outbox, 0)  # and the consumers' (not counted)
    log(f"close → invoice, template mappings: {args.runs} runs")
    out["template"] = [one_delay(api, stack, stack.pollers, client, outbox, n + 1) for n in range(args.runs)]

    stack.pollers.stop()
    specs = [with_mapping(stack.specs[name], MaximumBatchingWindowInSeconds=0) for name in (WATCH, INVOICING)]
    with start_pollers(specs, client, stack.tables, stack.dlq_dir) as pollers:
        if not pollers.wait_idle(60):  # TRIM_HORIZON: everything above again, every record a duplicate
            raise RuntimeError("the window-0 pollers did not catch up")
        log(f"close → invoice, MaximumBatchingWindowInSeconds 0: {args.runs} runs")
        out["no_window"] = [one_delay(api, stack, pollers, client, outbox, 1000 + n) for n in range(args.runs)]
    return out


# =============================================================================== 2. records per second


@dataclasses.dataclass
class Drain:
    label: str
    function: str
    records: int  # written to the stream for this drain
    expected: int  # records that pass the filter and are delivered
    seconds: float
    counters: dict[str, int]
    cpu_self_s: float  # this process: poller + handlers + pynamodb
    cpu_engine_s: float  # DynamoDB Local's JVM
    others_cores: float  # the rest of the machine meanwhile
    shards: int = 0  # the stream's shards as the poller saw them
    rates: list[float] = dataclasses.field(default_factory=list)  # records/s of every round, in run order
    write_s: float = 0.0
    invoices: int = 0
    mails: int = 0


class Backlogs:
    def __init__(self, stack: Any, client: Any, outbox: Path) -> None:
        self.stack, self.client, self.outbox = stack, client, outbox
        self.accounts = stack.tables["AccountsTable"]
        api = Api(stack.url)
        acc = api.watched_account(600, 9999)
        self.watched = client.get_item(TableName=self.accounts, Key={"account_id": {"S": acc}}, ConsistentRead=True)[
            "Item"
        ]
        plain = api.call(
            "POST", "/accounts", {"name": "Plain", "email": "plain@bench.example", "plan": "member"}, api.billing, 201
        )["account_id"]
        api.call(
            "POST",
            f"/accounts/{plain}/adjustments",
            {"minutes": 600, "kind": "purchase", "reason": "b"},
            api.billing,
            201,
        )
        self.plain = client.get_item(TableName=self.accounts, Key={"account_id": {"S": plain}}, ConsistentRead=True)[
            "Item"
        ]
        self.made = 0

    def clone(self, template: dict[str, Any], prefix: str, balance: int, seq: int) -> dict[str, Any]:
        item = copy.deepcopy(template)
        self.made += 1
        acc = f"acc_{prefix}{self.made:06d}"
        item.update(
            {
                "account_id": {"S": acc},
                "balance_minutes": {"N": str(balance)},
                "ledger_seq": {"N": str(seq)},
                "email": {"S": f"{acc}@bench.example"},
            }
        )
        item.pop("pending_top_up", None)
        return item

    def put(self, items: list[dict[str, Any]]) -> float:
        chunks: list[list[dict[str, Any]]] = [[]]
        for item in items:  # in order, up to 25 per call, no account twice in one call
            chunk = chunks[-1]
            if len(chunk) == 25 or any(i["account_id"] == item["account_id"] for i in chunk):
                chunks.append(chunk := [])
            chunk.append(item)
        began = time.perf_counter()
        for chunk in chunks:
            pending: dict[str, Any] = {self.accounts: [{"PutRequest": {"Item": i}} for i in chunk]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return time.perf_counter() - began

    def plan(self, kind: str, records: int, crossings: int) -> tuple[list[dict], list[dict], int, int]:
        """(accounts to create, the backlog of changes in write order, records delivered, crossings)."""
        if kind == "all_crossings":
            accounts = [self.clone(self.watched, "x", 90, 1) for _ in range(crossings)]
            changes = [{**a, "balance_minutes": {"N": "30"}, "ledger_seq": {"N": "2"}} for a in accounts]
            return accounts, changes, len(changes), len(changes)
        per = 10  # changes per account, written round-robin (25 distinct accounts per BatchWriteItem)
        template = self.plain if kind == "unwatched" else self.watched
        accounts = [self.clone(template, kind[0], 600, 1) for _ in range(records // per)]
        changes = []
        for step in range(1, per + 1):
            for a in accounts:
                balance = 600 - 30 * step
                if kind == "one_in_ten" and step == per:
                    balance = 30  # the last change of each account crosses T 60
                changes.append({**a, "balance_minutes": {"N": str(balance)}, "ledger_seq": {"N": str(1 + step)}})
        delivered = 0 if kind == "unwatched" else len(changes)
        return accounts, changes, delivered, len(accounts) if kind == "one_in_ten" else 0


def primed_poller(stack: Any, client: Any, name: str) -> Any:
    """A poller of the function's template mapping, positioned at LATEST now and not started yet."""
    from devstack.streams import Poller, resolve_stream_arn, stream_sources, streams_client

    spec = with_mapping(stack.specs[name], StartingPosition="LATEST")
    [source] = stream_sources(spec)
    arn = resolve_stream_arn(source.stream, client, stack.tables)
    poller = Poller(
        spec, source, arn, streams_client(stack.engine.endpoint, client.meta.region_name), Path(stack.dlq_dir)
    )
    poller.prime()
    return poller


def run_drain(label: str, function: str, poller: Any, stack: Any, records: int, expected: int, done: Any) -> Drain:
    cpu0 = _cpu(stack)
    began = time.perf_counter()
    poller.start()
    deadline = began + 600
    while not done(poller) and time.perf_counter() < deadline:
        time.sleep(0.002)
    took = time.perf_counter() - began
    cpu1 = _cpu(stack)
    poller.stop()
    counters = poller.stats.counters()
    if not done(poller):
        raise RuntimeError(f"{label}: not drained in 600 s: {counters}")
    ours = (cpu1["stack"] - cpu0["stack"]) + (cpu1["engine"] - cpu0["engine"])
    others = max(0.0, ((cpu1["machine"] - cpu0["machine"]) - ours) / took)
    log(f"  {label}: {records} records in {took:.2f} s ({counters['invocations']} invocations)")
    return Drain(
        label,
        function,
        records,
        expected,
        took,
        counters,
        cpu1["stack"] - cpu0["stack"],
        cpu1["engine"] - cpu0["engine"],
        others,
        shards=len(poller._shards),
    )


def invoice_count(stack: Any, client: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    kwargs: dict[str, Any] = {
        "TableName": stack.tables["InvoicesTable"],
        "ProjectionExpression": "#s",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            out[item["status"]["S"]] = out.get(item["status"]["S"], 0) + 1
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


LABELS = {
    "unwatched": "accounts without the watch: every record filtered out",
    "no_crossing": "watched accounts, no record crosses T",
    "one_in_ten": "watched accounts, 1 record in 10 a crossing",
    "all_crossings": "every record a crossing (one per account)",
}


def drain_round(args: argparse.Namespace, stack: Any, client: Any, outbox: Path, backlogs: Backlogs) -> list[Drain]:
    """Each watch backlog on fresh accounts, then the draft invoices they made through InvoicingFunction."""
    invoicing = primed_poller(stack, client, INVOICING)  # the drafts the crossings write are its backlog
    drafts_before = invoice_count(stack, client).get("draft", 0)
    drains = []
    for kind, label in LABELS.items():
        accounts, changes, expected, crossings = backlogs.plan(kind, args.records, args.crossings)
        backlogs.put(accounts)
        poller = primed_poller(stack, client, WATCH)
        mails_before = len(list(outbox.glob("*.eml")))
        invoices_before = sum(invoice_count(stack, client).values())
        write_s = backlogs.put(changes)
        log(f"{WATCH}: {label}: {len(changes)} records (written in {write_s:.2f} s)")
        total = len(changes)
        if expected:
            drain = run_drain(
                label, WATCH, poller, stack, total, expected, lambda p, n=expected: p.stats.delivered >= n
            )
        else:
            drain = run_drain(label, WATCH, poller, stack, total, 0, lambda p, n=total: p.stats.records_read >= n)
        drain.write_s = write_s
        drain.invoices = sum(invoice_count(stack, client).values()) - invoices_before
        drain.mails = len(list(outbox.glob("*.eml"))) - mails_before
        if drain.invoices != crossings or drain.mails != crossings:
            raise AssertionError(
                f"{label}: {crossings} crossings made {drain.invoices} invoices, {drain.mails} e-mails"
            )
        drains.append(drain)

    drafts = invoice_count(stack, client).get("draft", 0) - drafts_before
    log(f"{INVOICING}: {drafts} draft invoices")
    drain = run_drain(
        f"the {drafts} draft invoices the crossings above wrote",
        INVOICING,
        invoicing,
        stack,
        drafts,
        drafts,
        lambda p, n=drafts: p.stats.delivered >= n,
    )
    left = invoice_count(stack, client).get("draft", 0)
    if left:
        raise AssertionError(f"{left} invoices still draft after the invoicing drain")
    drains.append(drain)
    return drains


def bench_drains(args: argparse.Namespace, stack: Any, client: Any, outbox: Path) -> list[Drain]:
    """``--rounds`` rounds of every drain; for each, the round with the median rate, with all rates kept."""
    stack.pollers.stop()  # from here on only the pollers made below read the streams
    backlogs = Backlogs(stack, client, outbox)
    # A drain of 250 records that cross nothing first, not reported: the engine's GetRecords path and the
    # poller at volume warmed up, so the first reported drain is not paying for that.
    accounts, changes, expected, _ = backlogs.plan("no_crossing", 250, 0)
    backlogs.put(accounts)
    poller = primed_poller(stack, client, WATCH)
    backlogs.put(changes)
    run_drain("warm-up", WATCH, poller, stack, len(changes), expected, lambda p, n=expected: p.stats.delivered >= n)
    rounds = []
    for n in range(args.rounds):
        log(f"drains, round {n + 1}/{args.rounds}")
        rounds.append(drain_round(args, stack, client, outbox, backlogs))
    out = []
    for i in range(len(rounds[0])):
        runs = [r[i] for r in rounds]
        chosen = sorted(runs, key=lambda d: d.records / d.seconds)[len(runs) // 2]
        chosen.rates = [d.records / d.seconds for d in runs]
        out.append(chosen)
    return out


# =============================================================================== the report


def _ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.0f}"


def render_delays(delays: dict[str, list[DelayRun]], window: dict[str, float]) -> list[str]:
    out = [
        "### Close → auto top-up invoice through the stack",
        "",
        "| Mappings | runs | close answered: p50 / p95 ms | invoice item exists (draft): p50 / p95 / max ms | "
        "invoice issued (open): p50 / p95 / max ms | e-mail in the outbox: p50 / p95 ms |",
        "|---|---:|---|---|---|---|",
    ]
    titles = {
        "template": (
            f"as in template.yaml (MaximumBatchingWindowInSeconds {window[WATCH]:g} and {window[INVOICING]:g})"
        ),
        "no_window": "MaximumBatchingWindowInSeconds 0 on both",
    }
    for key, runs in delays.items():
        close, draft, opened, mail = (
            [getattr(r, f) for r in runs] for f in ("close_ms", "draft_ms", "open_ms", "mail_ms")
        )
        out.append(
            f"| {titles[key]} | {len(runs)} | {_ms(close, 50)} / {_ms(close, 95)} | "
            f"{_ms(draft, 50)} / {_ms(draft, 95)} / {max(draft):.0f} | "
            f"{_ms(opened, 50)} / {_ms(opened, 95)} / {max(opened):.0f} | {_ms(mail, 50)} / {_ms(mail, 95)} |"
        )
    out += [
        "",
        "Times from just before POST /tickets/{id}/close is sent; the invoice table is polled every "
        f"{POLL_S * 1000:.0f} ms (so each figure is up to that much late), with the stack's poll interval "
        "(0.1 s). Percentiles are nearest-rank.",
    ]
    return out


def render_drains(drains: list[Drain], batch: dict[str, int], window: dict[str, float]) -> list[str]:
    out = [
        "### Records per second through each consumer (a backlog, the template's mapping)",
        "",
        "| Consumer | backlog | records | delivered | s | records/s: median (min–max) | "
        "invocations (records each) | ms per invocation | CPU ms per record: stack / DynamoDB Local | "
        "other load, cores | invoices, e-mails |",
        "|---|---|---:|---:|---:|---:|---|---:|---|---:|---|",
    ]
    for d in drains:
        c = d.counters
        each = f"{c['records_invoked'] / c['invocations']:.1f}" if c["invocations"] else "-"
        per_invocation = f"{d.seconds * 1000 / c['invocations']:.1f}" if c["invocations"] else "-"
        made = f"{d.invoices}, {d.mails}" if d.function == WATCH else "-"
        out.append(
            f"| {d.function} (BatchSize {batch[d.function]}) | {d.label} | {d.records} | {c['delivered']} | "
            f"{d.seconds:.2f} | {statistics.median(d.rates):.0f} ({min(d.rates):.0f}–{max(d.rates):.0f}) | "
            f"{c['invocations']} ({each}) | {per_invocation} | "
            f"{d.cpu_self_s * 1000 / d.records:.2f} / {d.cpu_engine_s * 1000 / d.records:.2f} | "
            f"{d.others_cores:.2f} | {made} |"
        )
    writes = [d for d in drains if d.function == WATCH]
    out += [
        "",
        f"- {len(drains[0].rates) if drains else 0} rounds of every drain, each on new accounts; the row is the "
        "round with the median rate (its time, invocations, CPU), the range is over all rounds. "
        "Records/s: the backlog's records over the time from starting the poller to the last one delivered "
        "(the filtered backlog: to the last one read; filtered records are read and dropped by the poller, "
        "never invoked). The poller is the template's mapping (BatchSize, FilterCriteria, "
        f"MaximumBatchingWindowInSeconds {window[WATCH]:g} and {window[INVOICING]:g} s: a full batch is invoked "
        "at once, so the window does not slow a backlog down) positioned at LATEST just before the backlog was "
        "written, so the accounts' own INSERT records are not in it. One batch at a time, in order, as Lambda "
        "does per shard with ParallelizationFactor 1 (the default); the streams had "
        + " / ".join(sorted({str(d.shards) for d in drains}))
        + " shard(s) here (the local poller reads shards one after the other; Lambda reads them in parallel). "
        "A drain of 250 non-crossing records ran first, unreported, to warm the engine and the poller.",
        "- CPU per record of the backlog: this process (poller thread, handlers, pynamodb, botocore) and DynamoDB "
        "Local's JVM; 'other load' is what the rest of the machine kept busy meanwhile.",
        "- Writing the backlogs (PutItem of whole account items, BatchWriteItem of up to 25; the median rounds): "
        + ", ".join(f"{d.records} in {d.write_s:.2f} s" for d in writes)
        + ".",
    ]
    return out


def reading(delays: dict[str, list[DelayRun]], drains: list[Drain], window: dict[str, float]) -> list[str]:
    out = ["", "**Reading.**", ""]
    if "template" in delays and "no_window" in delays:
        draft = {k: statistics.median(r.draft_ms for r in v) for k, v in delays.items()}
        opened = {k: statistics.median(r.open_ms for r in v) for k, v in delays.items()}
        close = statistics.median(r.close_ms for r in delays["no_window"])
        out.append(
            "- **Close → invoice.** With the template's mappings the auto top-up invoice exists "
            f"{draft['template']:.0f} ms (median) after the close is sent and is issued "
            f"{opened['template']:.0f} ms after it; with no "
            f"batching window {draft['no_window']:.0f} and {opened['no_window']:.0f} ms. So "
            f"`MaximumBatchingWindowInSeconds: {window[WATCH]:g}` on each of the two mappings is almost all of it: "
            "a lone change waits the whole window for company before its batch is invoked (Lambda does the same: "
            "it invokes when the batch is full or the window has passed), and the invoice record only exists "
            "after the first hop, so the two windows add up. Without them what remains is the close itself "
            f"({close:.0f} ms over HTTP), up to one poll interval (0.1 s) on each stream and the consumers' own "
            "work. The runs start with the pollers idle (nothing of the setup buffered); a close that comes "
            "while an earlier change of a watched account is waiting in the buffer is delivered with it, sooner. "
            "The delay is measured from this process's clock, so DynamoDB Local's minute-rounded "
            "ApproximateCreationDateTime does not enter it. For an invoice 2 s is of no consequence; the "
            "window is what the template trades for fuller batches, and in a backlog the batches are full anyway."
        )
    watch = {d.label: d for d in drains if d.function == WATCH}
    by_kind = list(watch.values())
    inv = [d for d in drains if d.function == INVOICING]
    if by_kind:
        parts = [f"{d.label}: {d.records / d.seconds:.0f}/s" for d in by_kind]
        out.append("- **Balance watch** (BatchSize 25): " + "; ".join(parts) + ".")
        quiet = next((d for d in by_kind if d.counters["delivered"] and not d.invoices), None)
        busy = next((d for d in by_kind if d.invoices == d.records), None)
        if quiet and busy:
            extra = busy.seconds / busy.records - quiet.seconds / quiet.records
            out[-1] += (
                f" A record that crosses nothing costs no DynamoDB call (the round-trip table), so "
                f"{quiet.records / quiet.seconds:.0f}/s is the poller (GetRecords, Lambda's event shape, the "
                "filters) and the handler (Powertools' batch processing, the images deserialised). A crossing "
                f"adds about {extra * 1000:.1f} ms: its TransactWriteItems and PutItem and the e-mail file, "
                f"{busy.cpu_self_s * 1000 / busy.records:.1f} ms of CPU in this process and "
                f"{busy.cpu_engine_s * 1000 / busy.records:.1f} ms in DynamoDB Local per crossing, i.e. the two "
                "processes share the 2 cores. The rate a backlog drains at is set by how many of its records "
                "cross; in a day's traffic few do (one per account per fall below T)."
            )
    if inv:
        d = inv[0]
        out.append(
            f"- **Invoicing** (BatchSize 10): {d.records / d.seconds:.0f} invoices/s, "
            f"{d.seconds * 1000 / max(1, d.counters['invocations']):.0f} ms per batch of "
            f"{d.counters['records_invoked'] / max(1, d.counters['invocations']):.1f}. Each invoice is "
            "3 round trips (GetItem invoice, GetItem account, UpdateItem invoice) with LocalInvoicing, "
            "which makes no call; with Stripe each also waits for Stripe's API (customer, invoice item, "
            "invoice, finalize, send, each a round trip to Stripe), which will dominate, and Stripe's "
            "per-second rate limits (lower in test mode) bound it long before this rate."
        )
    out.append(
        "- **DynamoDB Local.** Everything here ran on one engine that also served part 1 and the setup (a few "
        "thousand items, no table created late, so the slow writes into a late table seen in the local-stack "
        "section do not arise). Stream records come out of GetRecords as they were written; the filters, "
        "batching, retries and checkpoints are the local poller's emulation of Lambda's (scripts/devstack/"
        "streams.py), not Lambda's own."
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the {SECTION} section of docs/BENCHMARKS.md")
    parser.add_argument("--runs", type=int, default=20, help="close → invoice runs per mapping variant")
    parser.add_argument("--records", type=int, default=1000, help="records of each non-crossing backlog")
    parser.add_argument("--crossings", type=int, default=500, help="records of the all-crossings backlog")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the drains (the median is reported)")
    args = parser.parse_args(argv)

    machine = machine_line()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hourbank-bench-streams-"))
    saved = dict(os.environ)
    outbox = work / "outbox"
    real_stdout = sys.stdout
    try:
        import boto3

        from devstack.stack import Stack

        os.environ["OUTBOX_DIR"] = str(outbox)
        # The functions' Powertools logs (one JSON line per crossing and invoice) go to a file, as to CloudWatch.
        with (work / "functions.log").open("w") as logs, contextlib.redirect_stdout(logs):
            stack = Stack(port=0, data_dir=None, dlq_dir=work / "dead-letters", run_cron=False).start()
            try:
                client = boto3.client("dynamodb", endpoint_url=stack.engine.endpoint)
                window = {
                    n: float(mapping(stack.specs[n]).get("MaximumBatchingWindowInSeconds", 0))
                    for n in (WATCH, INVOICING)
                }
                batch = {n: int(mapping(stack.specs[n]).get("BatchSize", 100)) for n in (WATCH, INVOICING)}
                delays = bench_delays(args, stack, client, outbox)
                drains = bench_drains(args, stack, client, outbox)
                dead = sorted(p.name for p in (work / "dead-letters").glob("*.jsonl"))
                if dead:
                    raise RuntimeError(f"dead letters during the run: {dead}")
            finally:
                stack.stop()
    finally:
        sys.stdout = real_stdout
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - began

    section = "\n".join(
        [
            "## Balance watch and invoicing through the stream pollers",
            "",
            "```",
            command_line(),
            "```",
            "",
            f"Run {stamp}; {machine}; at the end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}. One in-process "
            f"local stack (`devstack.stack.Stack`, its own in-memory DynamoDB Local), everything on loopback; whole "
            f"run {seconds:.0f} s.",
            "",
            *render_delays(delays, window),
            "",
            *render_drains(drains, batch, window),
            *reading(delays, drains, window),
        ]
    )
    publish(SECTION, section, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
