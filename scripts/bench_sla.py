"""Service levels (SPEC S1, issue 13): the due-time rule's cost per ticket, and the DynamoDB round trips of
the S1 operations through the real handlers.

    python scripts/bench_sla.py [--reps 2000] [--queue 120]

1. The pure rule ``hourbank.rating.response_due.response_due``, per case (wall clock, business minutes the same
   day, across a weekend and a holiday, with pauses, business_priority's calendar): microseconds per call,
   median of 7 timeit runs of ``--reps`` calls each, calendars built once (as a warm Lambda has them cached).
2. Round trips, capacity and latency of POST /tickets/{id}/responses (first and later), PUT …/waiting,
   GET /tickets (a queue page of 50 out of ``--queue`` open tickets), POST /tickets (the due time computed on
   opening), GET a statement's S1 part, and one ResponseWarnings run, counted on the botocore clients
   (``scripts/bench_ops.CallCounter``) against DynamoDB Local in memory.

Prints a Markdown section; nothing is written to docs/BENCHMARKS.md (paste it by hand).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.benchlib import command_line, counted_dynamodb, local_env, machine_line  # noqa: E402

NY = ZoneInfo("America/New_York")


def rule_cases():
    from hourbank.rating.calendar import BusinessCalendar
    from hourbank.rating.response_due import Pause, ResponseClock

    holidays = frozenset({date(2026, 12, 25), date(2027, 1, 1)})
    company = BusinessCalendar.build("America/New_York", "Mon-Fri 08:30-17:30", holidays)
    bp = BusinessCalendar.build("America/New_York", "Mon-Fri 09:00-17:00", holidays)
    urgent, wall = ResponseClock(60, "business", company), ResponseClock(1440, "wall")
    four = ResponseClock(240, "business", bp)

    def t(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=NY)

    return [
        ("normal/low: 24 wall-clock hours", t("2026-12-01 10:00"), wall, ()),
        ("urgent: 60 business min, same day", t("2026-12-01 10:00"), urgent, ()),
        ("urgent: opened Friday 17:00, due Monday", t("2026-12-04 17:00"), urgent, ()),
        ("urgent: across Christmas and a weekend", t("2026-12-24 17:00"), urgent, ()),
        (
            "urgent: two pauses",
            t("2026-12-01 10:00"),
            urgent,
            (Pause(t("2026-12-01 10:10"), t("2026-12-01 10:40")), Pause(t("2026-12-01 11:00"), t("2026-12-02 12:00"))),
        ),
        ("business_priority: 4 h, Friday 16:00 to Monday", t("2026-12-04 16:00"), four, ()),
        ("business_priority: 4 h across spring-forward", t("2027-03-12 16:30"), four, ()),
    ]


def bench_rule(reps: int) -> list[str]:
    from hourbank.rating.response_due import response_due

    lines = [f"| case | µs per ticket (median of 7 × {reps:,}) |", "|---|---:|"]
    for name, opened, clock, pauses in rule_cases():
        response_due(opened, clock, pauses)  # warm
        runs = timeit.repeat(partial(response_due, opened, clock, pauses), number=reps, repeat=7)
        lines.append(f"| {name} | {statistics.median(runs) / reps * 1e6:,.1f} |")
    return lines


def bench_round_trips(queue_size: int) -> list[str]:
    local_env("bench-sla", payments=False, keep_params=True)
    with counted_dynamodb() as (_engine, _names, counter):
        from scripts.localdev.lambda_client import LambdaClient, claims
        from scripts.localdev.lambda_runtime import functions, invoke

        api, specs = LambdaClient(), functions(strict=False)
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")
        account = api.post(
            "/accounts", {"name": "Bench", "email": "b@example.test", "plan": "member"}, as_=billing
        ).body["account_id"]
        opened = datetime(2026, 11, 24, 9, 0, tzinfo=NY)
        tickets = []
        for i in range(queue_size):
            at = (opened + timedelta(minutes=i)).isoformat()
            tickets.append(
                api.post(
                    "/tickets",
                    {"account_id": account, "title": f"T{i}", "priority": "urgent", "opened_at": at},
                    as_=tech,
                ).body["ticket_id"]
            )
        rows: list[tuple[str, str]] = []

        def measure(label: str, call, times: int = 5) -> None:
            """``call(i)`` for i in 0..times-1 (each on its own ticket where it writes): median time; the
            round trips of the last call (they are the same each time, DynamoDB round trips being deterministic)."""
            spent = []
            for i in range(times):
                counter.reset()
                began = time.perf_counter()
                reply = call(i)
                spent.append((time.perf_counter() - began) * 1000)
            status = getattr(reply, "status", "-")
            calls = ", ".join(f"{op} ×{n}" if n > 1 else op for op, n in sorted(counter.calls.items()))
            rows.append(
                (
                    label,
                    f"| {label} | {status} | {sum(counter.calls.values())} | {calls} | "
                    f"{counter.rcu:g} | {counter.wcu:g} | {statistics.median(spent):.1f} |",
                )
            )

        measure(
            "POST /tickets (due time computed at opening)",
            lambda i: api.post("/tickets", {"account_id": account, "title": "x", "priority": "urgent"}, as_=tech),
        )
        measure(
            "POST …/responses, the first",
            lambda i: api.post(
                f"/tickets/{tickets[i]}/responses", {"note": "on it", "at": "2026-11-24T09:30:00-05:00"}, as_=tech
            ),
        )
        measure(
            "POST …/responses, a later one",
            lambda i: api.post(f"/tickets/{tickets[i]}/responses", {"note": "done"}, as_=tech),
        )
        measure(
            "PUT …/waiting true (the due time leaves the index)",
            lambda i: api.request(
                "PUT",
                f"/tickets/{tickets[5 + i]}/waiting",
                {"waiting": True, "at": "2026-11-24T09:20:00-05:00"},
                as_=tech,
            ),
        )
        measure(
            "PUT …/waiting false (due time moved)",
            lambda i: api.request(
                "PUT",
                f"/tickets/{tickets[5 + i]}/waiting",
                {"waiting": False, "at": "2026-11-24T11:00:00-05:00"},
                as_=tech,
            ),
        )
        measure(
            f"GET /tickets?limit=50 (first page of {queue_size + 5} open)",
            lambda i: api.get("/tickets", as_=billing, query={"limit": "50"}),
        )
        cursor = api.get("/tickets", as_=billing, query={"limit": "50"}).body["cursor"]
        measure(
            "GET /tickets?limit=50&cursor=… (second page)",
            lambda i: api.get("/tickets", as_=billing, query={"limit": "50", "cursor": cursor}),
        )
        measure(
            "GET …/statements/2026-11 (whole statement, S1 part included)",
            lambda i: api.get(f"/accounts/{account}/statements/2026-11", as_=billing),
        )
        # Tickets 10.. opened 09:10.. EST fall due 10:10.. EST (15:10Z..), one a minute: a 20-minute window
        # from 15:09:30Z holds 20 of them (tickets 10-29), unanswered.
        event = {
            "version": "0",
            "id": "bench",
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": "2026-11-24T15:09:30Z",
            "detail": "{}",
        }
        result: dict = {}
        measure(
            "ResponseWarnings run: 20 tickets in the window, all warned",
            lambda i: result.update(invoke(specs["ResponseWarningFunction"], event, source="bench")),
            times=1,
        )
        first = dict(result)
        measure(
            "ResponseWarnings run again: the same 20, already warned",
            lambda i: result.update(invoke(specs["ResponseWarningFunction"], event, source="bench")),
            times=1,
        )
        rows.append(("", f"\nWarning runs: first {first}; again {result}."))
    header = [
        "| operation | status | round trips | calls | RCU | WCU | ms, median of 5 (noisy) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    return header + [line for _, line in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--queue", type=int, default=120)
    args = parser.parse_args(argv)
    machine = machine_line()
    out = [
        "```",
        command_line(),
        "```",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M UTC}; {machine}.",
        "",
        "The due-time rule (pure):",
        "",
        *bench_rule(args.reps),
        "",
        "Round trips (DynamoDB Local):",
        "",
        *bench_round_trips(args.queue),
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
