"""DynamoDB round trips and items read by the portal's routes (issue 12; SPEC W1, W2), through the real
handlers, as ``scripts/bench_ops.py`` measures the other operations (its call counter, in-process
``LambdaClient``, DynamoDB Local in memory):

    python scripts/bench_portal.py [--reps 5]

Items read: ``Count`` of each Query (after its filter) and ``ScannedCount`` (before it: what DynamoDB read and
charges), the items a BatchGetItem returned, 1 per GetItem found. Prints a Markdown section for
docs/BENCHMARKS.md; writes nothing (the section is pasted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.benchlib import CallCounter, command_line, counted_dynamodb, local_env, machine_line  # noqa: E402


@dataclass
class ItemCounter(CallCounter):
    returned: int = 0  # items in the answers
    scanned: int = 0  # items DynamoDB read (Query: ScannedCount, before a filter)

    def reset(self) -> None:
        super().reset()
        self.returned = self.scanned = 0

    def _after_call(self, parsed: dict, model: Any, **kw: Any) -> None:
        super()._after_call(parsed, model, **kw)
        if "Error" in parsed:
            return
        if model.name == "Query":
            self.returned += int(parsed.get("Count", 0))
            self.scanned += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "BatchGetItem":
            n = sum(len(v) for v in (parsed.get("Responses") or {}).values())
            self.returned += n
            self.scanned += n
        elif model.name == "GetItem" and parsed.get("Item"):
            self.returned += 1
            self.scanned += 1


OPERATIONS = [
    ("search_email", "GET /accounts?email= (1 account)"),
    ("search_plan", "GET /accounts?plan=&limit=50 (a page of 50)"),
    ("tickets_page", "GET /accounts/{id}/tickets?limit=10 (1st page of 25)"),
    ("tickets_next", "GET /accounts/{id}/tickets?limit=10&cursor= (2nd page)"),
    ("tickets_open", "GET /accounts/{id}/tickets?status=open (5 open of 25)"),
    ("usage_12", "GET /accounts/{id}/usage, 12 months, 20 tickets closed in them"),
    ("usage_empty", "GET /accounts/{id}/usage, 12 empty months"),
    ("plans", "GET /plans (price table)"),
    ("create_account", "POST /accounts, now with the invitation (its once-only marker; outbox adapter)"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    local_env("bench-portal")
    machine = machine_line()

    samples: dict[str, list[tuple[int, Counter, int, int, float, float]]] = {k: [] for k, _ in OPERATIONS}
    with counted_dynamodb(ItemCounter) as (_engine, _names, counter):
        from scripts.localdev.lambda_client import LambdaClient, claims

        api = LambdaClient()
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")

        def ok(reply: Any, status: int = 200) -> Any:
            if reply.status not in (status, 201):
                raise AssertionError(reply)
            return reply

        # Data: 60 member accounts; one with 25 tickets over the last months, 20 of them closed with 3 entries.
        accounts = [
            ok(
                api.post(
                    "/accounts", {"name": f"bench {i}", "email": f"it{i}@bench.example", "plan": "member"}, as_=billing
                ),
                201,
            ).body["account_id"]
            for i in range(60)
        ]
        busy, quiet = accounts[0], accounts[1]
        ok(
            api.post(
                f"/accounts/{busy}/adjustments",
                {"minutes": 100_000, "kind": "purchase", "reason": "bench"},
                as_=billing,
            ),
            201,
        )
        for n in range(25):
            t = ok(
                api.post(
                    "/tickets",
                    {
                        "account_id": busy,
                        "title": f"ticket {n}",
                        "priority": "normal",
                        "opened_at": f"2026-11-{n + 1:02d}T08:00:00-05:00",
                    },
                    as_=tech,
                ),
                201,
            ).body["ticket_id"]
            for k, work in enumerate(("remote", "onsite", "travel")):
                at = f"2026-11-{n + 1:02d}T{9 + k:02d}:00:00-05:00"
                ok(
                    api.post(
                        f"/tickets/{t}/time-entries",
                        {"work_type": work, "note": "bench", "minutes": 30, "started_at": at},
                        as_=tech,
                    ),
                    201,
                )
            if n < 20:
                ok(api.post(f"/tickets/{t}/close", as_=tech))
        from datetime import UTC, datetime

        from hourbank.ports.settings import get_settings

        now = datetime.now(UTC).astimezone(get_settings().calendar().tz)
        last = now.strftime("%Y-%m")  # the current month: the closes happened now
        first = f"{now.year - (now.month < 12):04d}-{now.month % 12 + 1:02d}"  # 11 months before

        def measure(key: str, call: Any) -> Any:
            counter.reset()
            t0 = time.perf_counter()
            reply = ok(call())
            ms = (time.perf_counter() - t0) * 1000
            samples[key].append(
                (counter.sends, Counter(counter.calls), counter.returned, counter.scanned, counter.rcu, ms)
            )
            return reply

        first_page = None
        for _ in range(args.reps + 1):  # the first round warms the handlers up and is dropped
            measure("search_email", lambda: api.get("/accounts", query={"email": "IT7@bench.example"}, as_=billing))
            measure("search_plan", lambda: api.get("/accounts", query={"plan": "member", "limit": "50"}, as_=billing))
            first_page = measure(
                "tickets_page", lambda: api.get(f"/accounts/{busy}/tickets", query={"limit": "10"}, as_=billing)
            )
            cursor = first_page.body["cursor"]
            measure(
                "tickets_next",
                lambda c=cursor: api.get(f"/accounts/{busy}/tickets", query={"limit": "10", "cursor": c}, as_=billing),
            )
            measure("tickets_open", lambda: api.get(f"/accounts/{busy}/tickets", query={"status": "open"}, as_=billing))
            measure(
                "usage_12", lambda: api.get(f"/accounts/{busy}/usage", query={"from": first, "to": last}, as_=billing)
            )
            measure(
                "usage_empty",
                lambda: api.get(f"/accounts/{quiet}/usage", query={"from": first, "to": last}, as_=billing),
            )
            measure("plans", lambda: api.get("/plans"))
            measure(
                "create_account",
                lambda: api.post(
                    "/accounts",
                    {"name": "bench new", "email": f"new.{time.perf_counter_ns()}@bench.example", "plan": "member"},
                    as_=billing,
                ),
            )
    rows = [
        "| Route | N | Round trips | DynamoDB calls | Items returned | Items read | RCU | p50 ms* |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for key, label in OPERATIONS:
        runs = samples[key][1:]
        trips = {s[0] for s in runs}
        calls: Counter = Counter()
        for s in runs:
            calls.update(s[1])
        text = ", ".join(f"{k} ×{v / len(runs):g}" for k, v in sorted(calls.items())) or "none"
        rows.append(
            f"| {label} | {len(runs)} | {'/'.join(map(str, sorted(trips)))} | {text} | "
            f"{statistics.fmean(s[2] for s in runs):g} | {statistics.fmean(s[3] for s in runs):g} | "
            f"{statistics.fmean(s[4] for s in runs):.1f} | {statistics.median(s[5] for s in runs):.1f} |"
        )
    print("\n".join(["```", command_line(), "```", "", machine, "", *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
