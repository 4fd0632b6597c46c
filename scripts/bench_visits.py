"""DynamoDB round trips of onsite visits (SPEC V1, issue 14) through the real handlers, counted exactly as
``scripts/bench_ops.py`` counts them (its ``CallCounter`` on the botocore clients' event hooks).

    python scripts/bench_visits.py [--reps 10]

Prints a Markdown section (it does not rewrite docs/BENCHMARKS.md): per operation the DynamoDB API calls in
order with their tables, the HTTP requests sent, the capacity units and the in-process latency against
DynamoDB Local (relative cost only; noisy on a shared machine). No Stripe key: checkout is the local payment
page and refunds are the local stand-in, so Stripe's own round trips are not in these figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.bench_ops import Bench  # noqa: E402
from scripts.benchlib import Sample, counted_dynamodb, fmt_units, local_env, machine_line  # noqa: E402

OPERATIONS = [
    ("book", "book a visit (POST /visits): ticket, visit, order, expiry marker + checkout URL"),
    ("get", "GET /visits/{id}"),
    ("pay", "Stripe webhook: the booking's checkout.session.completed → confirmed, no minutes"),
    ("entry_first", "entry on a visit's ticket, 1st (POST …/time-entries, visit gate)"),
    ("entry_10th", "entry on a visit's ticket, 10th"),
    ("entry_refused", "entry past the prepaid hours → 402 (writes nothing)"),
    ("extend", "extension (POST /visits/{id}/extensions)"),
    ("complete", "completion: close the visit's ticket, refund unused hours (POST …/close)"),
    ("complete_again", "close again: the first result, no second refund (C5)"),
    ("expire", "expiry sweep removing 1 unpaid visit (VisitExpiryFunction, 8 day partitions)"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args(argv)
    local_env("bench-visits", outbox_var=False)

    samples: dict[str, list[Sample]] = {key: [] for key, _ in OPERATIONS}
    with counted_dynamodb() as (_engine, _names, counter):
        from scripts.localdev.lambda_client import LambdaClient
        from scripts.localdev.lambda_runtime import functions, invoke
        from scripts.localdev.stripe_shapes import event, session, sid

        sweep = functions(strict=False)["VisitExpiryFunction"]
        bench = Bench(LambdaClient(), counter)
        bench.samples = samples

        def run(key: str | None) -> None:
            account = bench.create_account("non_member")
            body = {
                "account_id": account,
                "scheduled_at": "2026-11-24T09:00:00-05:00",
                "address": "1 Main St",
                "estimate_hours": 2,
                "opened_at": "2026-11-20T08:00:00-05:00",
            }  # booked before the work (T8)
            booked = bench.measure(key and "book", 201, lambda: bench.api.post("/visits", body, as_=bench.tech)).body
            visit_id, ticket_id = booked["visit_id"], booked["ticket_id"]
            bench.measure(key and "get", 200, lambda: bench.api.get(f"/visits/{visit_id}", as_=bench.tech))
            from hourbank.store.models import OrderModel

            order = OrderModel.get(booked["order_id"])
            bench.deliver(
                key and "pay", event("checkout.session.completed", session(order, payment_intent=sid("pi"))), "recorded"
            )
            for n in range(10):
                entry = {
                    "work_type": "onsite",
                    "started_at": f"2026-11-24T09:{n * 5:02d}:00-05:00",
                    "minutes": 5,
                    "note": "onsite",
                }
                which = "entry_first" if n == 0 else "entry_10th" if n == 9 else None
                bench.measure(
                    key and which,
                    201,
                    partial(bench.api.post, f"/tickets/{ticket_id}/time-entries", entry, as_=bench.tech),
                )
            past = {"work_type": "onsite", "started_at": "2026-11-24T10:00:00-05:00", "minutes": 120, "note": "x"}
            bench.measure(
                key and "entry_refused",
                402,
                lambda: bench.api.post(f"/tickets/{ticket_id}/time-entries", past, as_=bench.tech),
            )
            bench.measure(
                key and "extend",
                201,
                lambda: bench.api.post(f"/visits/{visit_id}/extensions", {"hours": 1}, as_=bench.tech),
            )
            for which in ("complete", "complete_again"):
                bench.measure(key and which, 200, lambda: bench.api.post(f"/tickets/{ticket_id}/close", as_=bench.tech))
            unpaid = {**body, "estimate_hours": 1}
            bench.measure(None, 201, lambda: bench.api.post("/visits", unpaid, as_=bench.tech))
            counter.reset()
            started = time.perf_counter()
            later = datetime.now(UTC).timestamp() + 26 * 3600
            done = invoke(sweep, {"at": datetime.fromtimestamp(later, UTC).isoformat()}, source="bench")
            if key:
                samples["expire"].append(counter.snapshot((time.perf_counter() - started) * 1000))
            assert done["expired"] == 1, done

        run(None)  # imports and connections: not measured
        for rep in range(args.reps):
            run("measure")
            print(f"repetition {rep + 1}/{args.reps}", file=sys.stderr)

    print("| operation | DynamoDB calls (in order: operation table) | round trips | RCU | WCU | p50 ms |")
    print("|---|---|---|---|---|---|")
    for key, title in OPERATIONS:
        rows = samples[key]
        first = rows[0]
        seq = " → ".join(first.sequence)
        trips = statistics.mean(sum(s.calls.values()) for s in rows)
        print(
            f"| {title} | {seq} | {trips:g} | {fmt_units(statistics.mean(s.rcu for s in rows))} | "
            f"{fmt_units(statistics.mean(s.wcu for s in rows))} | {statistics.median(s.ms for s in rows):.0f} |"
        )
    print(f"\n{args.reps} repetitions; {machine_line()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
