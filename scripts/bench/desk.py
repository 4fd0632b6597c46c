"""DynamoDB round trips and items read by the technician's desk routes (issue 21; SPEC T9, W2, W3), through the
real handlers, as ``bench.portal`` measures the portal's (its item counter, in-process ``LambdaClient``,
DynamoDB Local in memory):

    python -m bench.desk [--reps 5]

Prints a Markdown section for docs/BENCHMARKS.md; writes nothing (the section is pasted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.benchlib import command_line, counted_dynamodb, local_env, machine_line
from bench.portal import ItemCounter

AT = "2026-11-16T{h:02d}:{m:02d}:00-05:00"
OPERATIONS = [
    ("void", "void an entry (POST …/time-entries/{id}/void), ticket of 40 entries"),
    ("void_again", "void it again (answered unchanged)"),
    ("search_one", "GET /accounts?name=harb (1 of 61 accounts)"),
    ("search_page", "GET /accounts?name=bench&limit=50 (a page of 50 of 60)"),
    ("queue_names", "GET /tickets?limit=50, 30 tickets carrying account_name (30 accounts)"),
    ("queue_old", "GET /tickets?limit=50, 30 tickets without it (older): one BatchGetItem"),
    ("ticket_page", "GET /tickets/{id} with 40 entries (some voided)"),
    ("timer_start", "POST /tickets/{id}/timer start"),
    ("timer_stop", "POST /tickets/{id}/timer stop → entry"),
]


def _ok(reply: Any) -> Any:
    if reply.status not in (200, 201):
        raise AssertionError(reply)
    return reply


def _load(api: Any, billing: dict, tech: dict) -> tuple[str, list[str], list[str]]:
    """60 accounts named "bench n" and one "Harbour Bakery"; 30 open tickets, one per account, the first with
    40 entries. Returns the busy ticket, its entries, and every ticket."""
    body = {"plan": "member"}
    accounts = [
        _ok(api.post("/accounts", {**body, "name": f"bench {i}", "email": f"d{i}@bench.example"}, as_=billing))
        for i in range(60)
    ]
    _ok(api.post("/accounts", {**body, "name": "Harbour Bakery", "email": "harbour@bench.example"}, as_=billing))
    tickets = []
    for account in [a.body["account_id"] for a in accounts[:30]]:
        opened = {"account_id": account, "title": "t", "priority": "normal", "opened_at": AT.format(h=8, m=0)}
        tickets.append(_ok(api.post("/tickets", opened, as_=tech)).body["ticket_id"])
    busy = tickets[0]
    entries = [
        _ok(
            api.post(
                f"/tickets/{busy}/time-entries",
                {
                    "work_type": "remote",
                    "started_at": AT.format(h=9 + n // 6, m=(n % 6) * 10),
                    "minutes": 5,
                    "note": "b",
                },
                as_=tech,
            )
        ).body["entry_id"]
        for n in range(40)
    ]
    return busy, entries, tickets


def _forget_names(tickets: list[str]) -> None:
    from hourbank.store.models import TICKET_SK, TicketModel

    for ticket_id in tickets:
        TicketModel.get(ticket_id, TICKET_SK).update(actions=[TicketModel.account_name.remove()])


def _rows(samples: dict[str, list[tuple]]) -> list[str]:
    rows = [
        "| Route | N | Round trips | DynamoDB calls | Items returned | Items read | RCU | p50 ms* |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for key, label in OPERATIONS:
        runs = samples[key][1:]
        calls: Counter = Counter()
        for s in runs:
            calls.update(s[1])
        text = ", ".join(f"{k} ×{v / len(runs):g}" for k, v in sorted(calls.items())) or "none"
        rows.append(
            f"| {label} | {len(runs)} | {'/'.join(map(str, sorted({s[0] for s in runs})))} | {text} | "
            f"{statistics.fmean(s[2] for s in runs):g} | {statistics.fmean(s[3] for s in runs):g} | "
            f"{statistics.fmean(s[4] for s in runs):.1f} | {statistics.median(s[5] for s in runs):.1f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    local_env("bench-desk")
    machine = machine_line()
    samples: dict[str, list[tuple]] = {k: [] for k, _ in OPERATIONS}
    with counted_dynamodb(ItemCounter) as (_engine, _names, counter):
        from devstack.lambda_client import LambdaClient, claims

        api = LambdaClient()
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")
        busy, entries, tickets = _load(api, billing, tech)

        def measure(key: str, call: Any) -> Any:
            counter.reset()
            t0 = time.perf_counter()
            reply = _ok(call())
            ms = (time.perf_counter() - t0) * 1000
            samples[key].append(
                (counter.sends, Counter(counter.calls), counter.returned, counter.scanned, counter.rcu, ms)
            )
            return reply

        for n in range(args.reps + 1):  # the first round warms the handlers up and is dropped
            url = f"/tickets/{busy}/time-entries/{entries[n]}/void"
            measure("void", lambda u=url: api.post(u, {"reason": "wrong ticket"}, as_=tech))
            measure("void_again", lambda u=url: api.post(u, {"reason": "wrong ticket"}, as_=tech))
            measure("search_one", lambda: api.get("/accounts", query={"name": "harb"}, as_=billing))
            measure("search_page", lambda: api.get("/accounts", query={"name": "bench", "limit": "50"}, as_=billing))
            measure("queue_names", lambda: api.get("/tickets", query={"limit": "50"}, as_=tech))
            measure("ticket_page", lambda: api.get(f"/tickets/{busy}", as_=tech))
            measure("timer_start", lambda: api.post(f"/tickets/{tickets[1]}/timer", {"action": "start"}, as_=tech))
            stop = {"action": "stop", "work_type": "remote", "note": "timed"}
            measure("timer_stop", lambda s=stop: api.post(f"/tickets/{tickets[1]}/timer", s, as_=tech))
        _forget_names(tickets)
        for _ in range(args.reps + 1):
            measure("queue_old", lambda: api.get("/tickets", query={"limit": "50"}, as_=tech))
    print("\n".join(["```", command_line(), "```", "", machine, "", *_rows(samples)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
