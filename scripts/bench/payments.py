"""DynamoDB round trips of issue 24's routes (SPEC W1, W4, O6, M1), through the real handlers, as
``scripts/bench/portal.py`` measures the portal's (its item counter, in-process ``LambdaClient``, DynamoDB Local in
memory), with the payments page of an account holding 500 payments:

    python -m bench.payments [--reps 5]

The 500 payments are written straight to the Charges table (mixed kinds, as the code writes them, ``pay#<at>#<ref>``);
everything else goes through the routes and the signed webhook. Prints a Markdown section for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.benchlib import command_line, counted_dynamodb, local_env, machine_line
from bench.portal import ItemCounter

OPERATIONS = [
    ("payments_50", "GET /accounts/{id}/payments?limit=50 (1st page of 500)"),
    ("payments_next", "GET /accounts/{id}/payments?limit=50&cursor= (2nd page of 500)"),
    ("payments_100", "GET /accounts/{id}/payments?limit=100 (1st page of 500)"),
    ("visits", "GET /accounts/{id}/visits (2: one paid, one awaiting payment)"),
    ("agreements", "GET /accounts/{id}/agreements (1)"),
    ("agreement_end", "POST /accounts/{id}/agreements/{id}/end, term_end (first, then unchanged)"),
    ("billing_portal", "POST /accounts/{id}/billing-portal (local stand-in)"),
    ("disputes", "GET /disputes (open, 2)"),
    ("month_end", "GET /month-ends/{month} (its run record, no failures)"),
    ("month_end_run", "POST /month-ends/{month}/run (one queued message)"),
    ("phone_purchase", "POST /accounts/{id}/adjustments, purchase with amount"),
    ("webhook_credit", "POST /webhooks/stripe checkout.session.completed (one-time order credited and listed)"),
]


def _payments(account_id: str, n: int) -> None:
    from hourbank.store.models import PaymentModel

    kinds = ("order", "phone", "invoice", "visit", "extension")
    with PaymentModel.batch_write() as batch:
        for i in range(n):
            at = f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}T{i % 24:02d}:00:{i % 60:02d}+00:00"
            ref = f"pi_bench{i:05d}"
            batch.save(
                PaymentModel(
                    account_id,
                    f"pay#{at}#{ref}",
                    payment_id=ref,
                    at=at,
                    kind=kinds[i % 5],
                    amount_minor=30_000,
                    currency="USD",
                    minutes=120 if i % 5 < 3 else None,
                    status="paid",
                    refunded_minor=0,
                    description="bench payment",
                    receipt_url="https://pay.stripe.com/receipts/bench",
                )
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    queues = tempfile.mkdtemp(prefix="hourbank-bench-payments-queues-")
    local_env("bench-payments", HOURBANK_QUEUE_DIR=queues, MONTH_END_QUEUE_URL=Path(queues, "MonthEndQueue").as_uri())
    machine = machine_line()
    samples: dict[str, list[tuple[int, Counter, int, int, float, float]]] = {k: [] for k, _ in OPERATIONS}
    with counted_dynamodb(ItemCounter) as (_engine, _names, counter):
        from devstack.lambda_client import LambdaClient, claims
        from devstack.stripe_shapes import event, invoice, session, sid
        from hourbank.payments.webhook_signature import sign_webhook
        from hourbank.store.models import OrderModel

        api = LambdaClient()
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")

        def ok(reply: Any) -> Any:
            if reply.status not in (200, 201, 202):
                raise AssertionError(reply)
            return reply

        def deliver(evt: dict) -> Any:
            body = json.dumps(evt)
            secret = os.environ["STRIPE_WEBHOOK_SECRET"]
            return api.post("/webhooks/stripe", raw_body=body, headers={"stripe-signature": sign_webhook(body, secret)})

        body = {"name": "Bench Dental", "email": "it@bench-dental.example", "plan": "member"}
        account = ok(api.post("/accounts", body, as_=billing)).body["account_id"]
        _payments(account, 500)
        owner = claims("customer", account)
        from devstack.jwt_local import mint

        bearer = {"authorization": f"Bearer {mint('customer', account)}"}  # POST /orders is public: its own token
        recurring = ok(api.post("/orders", {"account_id": account, "hours": 5, "kind": "recurring"}, headers=bearer))
        order = OrderModel.get(recurring.body["order_id"])
        inv, sub = sid("in"), sid("sub")
        ok(deliver(event("checkout.session.completed", session(order, invoice=inv, subscription=sub))))
        ok(deliver(event("invoice.paid", invoice(order, inv, sub))))
        visit = {
            "account_id": account,
            "scheduled_at": "2026-11-24T09:00:00-05:00",
            "address": "1 Bench St",
            "estimate_hours": 2,
        }
        paid = ok(api.post("/visits", visit, as_=tech)).body
        ok(
            deliver(
                event("checkout.session.completed", session(OrderModel.get(paid["order_id"]), payment_intent=sid("pi")))
            )
        )
        ok(api.post("/visits", {**visit, "scheduled_at": "2026-11-25T09:00:00-05:00"}, as_=tech))
        ticket = ok(
            api.post(
                "/tickets",
                {
                    "account_id": account,
                    "title": "bench",
                    "priority": "normal",
                    "opened_at": "2026-11-02T08:00:00-05:00",
                },
                as_=tech,
            )
        ).body["ticket_id"]
        for hour in ("09", "10"):
            entry = ok(
                api.post(
                    f"/tickets/{ticket}/time-entries",
                    {"work_type": "remote", "minutes": 30, "note": "b", "started_at": f"2026-11-03T{hour}:00:00-05:00"},
                    as_=tech,
                )
            )
            ok(
                api.post(
                    f"/tickets/{ticket}/time-entries/{entry.body['entry_id']}/dispute", {"reason": "bench"}, as_=owner
                )
            )

        def measure(key: str, call: Any) -> Any:
            counter.reset()
            t0 = time.perf_counter()
            reply = ok(call())
            ms = (time.perf_counter() - t0) * 1000
            samples[key].append(
                (counter.sends, Counter(counter.calls), counter.returned, counter.scanned, counter.rcu, ms)
            )
            return reply

        base = f"/accounts/{account}"
        end = f"{base}/agreements/{order.order_id}/end"
        for _ in range(args.reps + 1):  # the first round warms the handlers up and is dropped
            first = measure("payments_50", lambda: api.get(f"{base}/payments", query={"limit": "50"}, as_=owner))
            cursor = first.body["cursor"]
            measure(
                "payments_next",
                lambda c=cursor: api.get(f"{base}/payments", query={"limit": "50", "cursor": c}, as_=owner),
            )
            measure("payments_100", lambda: api.get(f"{base}/payments", query={"limit": "100"}, as_=owner))
            measure("visits", lambda: api.get(f"{base}/visits", as_=owner))
            measure("agreements", lambda: api.get(f"{base}/agreements", as_=owner))
            measure("agreement_end", lambda: api.post(end, {"when": "term_end", "reason": "bench"}, as_=billing))
            measure("billing_portal", lambda: api.post(f"{base}/billing-portal", as_=owner))
            measure("disputes", lambda: api.get("/disputes", as_=billing))
            measure("month_end", lambda: api.get("/month-ends/2026-10", as_=billing))
            measure("month_end_run", lambda: api.post("/month-ends/2026-10/run", as_=billing))
            phone = {
                "minutes": 60,
                "kind": "purchase",
                "reason": "bench",
                "amount": {"currency": "USD", "amount_minor": 15_000},
            }
            measure("phone_purchase", lambda p=phone: api.post(f"{base}/adjustments", p, as_=billing))
            one = OrderModel.get(
                ok(api.post("/orders", {"account_id": account, "hours": 2}, headers=bearer)).body["order_id"]
            )
            paid_event = event("checkout.session.completed", session(one, payment_intent=sid("pi")))
            measure("webhook_credit", lambda e=paid_event: deliver(e))
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
