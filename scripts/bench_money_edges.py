"""DynamoDB round trips of the paths issue 10 changed ("Money at the edges"), through the real handlers.

    python scripts/bench_money_edges.py [--reps 5]

Same harness as ``scripts/bench_ops.py`` (DynamoDB Local in memory, the template's tables, the API and webhook
functions in-process through ``scripts.localdev.lambda_client.LambdaClient``, every DynamoDB call counted on its
botocore client). Prints a Markdown table: per case the round trips (min-max over the repetitions), the calls
in order with the tables they touch, and what the request answered. Nothing here asserts an outcome, so the
same file also measures an older checkout of the code for comparison (copy it there and run it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.benchlib import CallCounter, counted_dynamodb, local_env, machine_line  # noqa: E402

CASES = [
    ("invoice_by_invoice_id", "webhook invoice.paid, top-up invoice named by metadata.invoice_id only (O4)"),
    ("invoice_by_order_id", "webhook invoice.paid naming metadata.order_id as well"),
    ("refund_no_metadata", "webhook charge.refunded, no metadata: found by its PaymentIntent (O3)"),
    ("refund_metadata", "webhook charge.refunded with metadata.order_id"),
    ("dispute_no_metadata", "webhook charge.dispute.created, no metadata (O3)"),
    ("credit_back_postpay", "credit-back of 60 post-pay minutes not invoiced yet (C6)"),
    ("credit_back_debited", "credit-back of debited minutes (nothing post-pay)"),
    ("emergency_non_member", "emergency change re-rating 1 entry, non-member: C4 gate"),
    ("emergency_member", "emergency change re-rating 1 entry, member"),
    ("order_new_address", "order by name and e-mail, unknown address (O7)"),
    ("order_first_payment", "webhook checkout.session.completed, that order's 1st payment: opens the account"),
    ("order_known_address", "order by name and e-mail, address with an account (O7)"),
]


class Run:
    def __init__(self, api: Any, counter: CallCounter) -> None:
        from scripts.localdev.lambda_client import claims

        self.api, self.counter = api, counter
        self.billing, self.tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")
        self.results: dict[str, list[tuple[int, tuple[str, ...], str]]] = {key: [] for key, _ in CASES}

    def measure(self, key: str | None, call: Callable[[], Any]) -> Any:
        self.counter.reset()
        reply = call()
        if key is not None:
            body = reply.body if isinstance(reply.body, dict) else {}
            said = body.get("outcome") or (body.get("error") or {}).get("code") or ""
            self.results[key].append((self.counter.sends, tuple(self.counter.sequence), f"{reply.status} {said}"))
        return reply

    def account(self, plan: str, minutes: int = 0, email: str | None = None) -> str:
        body = {"name": "bench", "email": email or f"{uuid.uuid4().hex}@bench.test", "plan": plan}
        acc = self.api.post("/accounts", body, as_=self.billing).body["account_id"]
        if minutes:
            self.api.post(
                f"/accounts/{acc}/adjustments",
                {"minutes": minutes, "kind": "purchase", "reason": "b"},
                as_=self.billing,
            )
        return acc

    def deliver(self, key: str | None, evt: dict) -> Any:
        from hourbank.payments.webhook_signature import sign_webhook

        body = json.dumps(evt)
        headers = {"stripe-signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])}
        return self.measure(key, lambda: self.api.post("/webhooks/stripe", raw_body=body, headers=headers))

    def rep(self, record: bool = True) -> None:
        from hourbank.store.models import AccountModel, InvoiceModel, OrderModel
        from scripts.localdev.jwt_local import mint
        from scripts.localdev.stripe_shapes import charge, dispute, event, session, sid

        def k(key: str) -> str | None:
            return key if record else None

        now = datetime.now(UTC)
        # O4: an issued auto top-up invoice and its order, as the balance watch leaves them
        for key, with_order in (("invoice_by_invoice_id", False), ("invoice_by_order_id", True)):
            acc = self.account("member", 30)
            inv, order_id = f"inv_b_{secrets.token_hex(4)}", f"ord_b_{secrets.token_hex(6)}"
            OrderModel(
                order_id,
                account_id=acc,
                kind="auto_top_up",
                invoice_id=inv,
                minutes=120,
                rate_minor=15_000,
                amount_minor=30_000,
                currency="USD",
                created_at=now.isoformat(),
            ).save()
            InvoiceModel(
                acc,
                inv,
                kind="auto_top_up",
                status="open",
                minutes=120,
                amount_minor=30_000,
                currency="USD",
                description="top-up",
                order_id=order_id,
                stripe_invoice_id=sid("in"),
                created_at=now.isoformat(),
            ).save()
            AccountModel(acc).update([AccountModel.pending_top_up.set(inv)])
            metadata = {"invoice_id": inv, "account_id": acc, **({"order_id": order_id} if with_order else {})}
            self.deliver(
                k(key),
                event(
                    "invoice.paid",
                    {
                        "id": InvoiceModel.get(acc, inv).stripe_invoice_id,
                        "object": "invoice",
                        "status": "paid",
                        "currency": "usd",
                        "amount_paid": 30_000,
                        "metadata": metadata,
                        "parent": None,
                        "lines": {"object": "list", "data": []},
                    },
                ),
            )
        # O3: one-time orders paid by Checkout, then refunded or disputed
        for key in ("refund_no_metadata", "refund_metadata", "dispute_no_metadata"):
            acc = self.account("member")
            owner = {"authorization": f"Bearer {mint('customer', acc)}"}
            order_id = self.api.post("/orders", {"account_id": acc, "hours": 2}, headers=owner).body["order_id"]
            order, pi = OrderModel.get(order_id, consistent_read=True), sid("pi")
            self.deliver(None, event("checkout.session.completed", session(order, payment_intent=pi)))
            if key == "dispute_no_metadata":
                self.deliver(k(key), event("charge.dispute.created", dispute(order, pi)))
            else:
                self.deliver(
                    k(key),
                    event(
                        "charge.refunded",
                        charge(order, pi, refunded=int(order.amount_minor), metadata=key == "refund_metadata"),
                    ),
                )
        # C6: credit-back of post-pay time and of debited time
        opened = (now - timedelta(hours=3)).isoformat(timespec="seconds")
        for key, balance in (("credit_back_postpay", 0), ("credit_back_debited", 600)):
            acc = self.account("member", balance)
            tid = self.api.post(
                "/tickets", {"account_id": acc, "title": "t", "priority": "normal", "opened_at": opened}, as_=self.tech
            ).body["ticket_id"]
            self.api.post(
                f"/tickets/{tid}/time-entries",
                {
                    "work_type": "remote",
                    "minutes": 60,
                    "note": "n",
                    "started_at": (now - timedelta(hours=2)).isoformat(),
                },
                as_=self.tech,
            )
            self.api.post(f"/tickets/{tid}/close", as_=self.tech)
            self.measure(
                k(key),
                partial(
                    self.api.post,
                    f"/tickets/{tid}/credit-back",
                    {"minutes": 60, "reason": "vendor bug"},
                    as_=self.billing,
                ),
            )
        # C4: an emergency change dated at the opening re-rates the logged entry
        for key, plan in (("emergency_non_member", "non_member"), ("emergency_member", "member")):
            acc = self.account(plan, 600)
            tid = self.api.post(
                "/tickets", {"account_id": acc, "title": "t", "priority": "urgent", "opened_at": opened}, as_=self.tech
            ).body["ticket_id"]
            self.api.post(
                f"/tickets/{tid}/time-entries",
                {
                    "work_type": "remote",
                    "minutes": 60,
                    "note": "n",
                    "started_at": (now - timedelta(hours=2)).isoformat(),
                },
                as_=self.tech,
            )
            self.measure(
                k(key),
                partial(self.api.post, f"/tickets/{tid}/emergency", {"active": True, "at": opened}, as_=self.tech),
            )
        # O7: orders by name and e-mail
        email = f"{uuid.uuid4().hex}@bakery.test"
        reply = self.measure(
            k("order_new_address"),
            lambda: self.api.post("/orders", {"name": "Corner Bakery", "email": email, "hours": 2}),
        )
        order = OrderModel.get(reply.body["order_id"], consistent_read=True)
        self.deliver(
            k("order_first_payment"), event("checkout.session.completed", session(order, payment_intent=sid("pi")))
        )
        known = f"{uuid.uuid4().hex}@known.test"
        self.account("member", email=known)
        self.measure(
            k("order_known_address"),
            lambda: self.api.post("/orders", {"name": "Corner Bakery", "email": known, "hours": 2}),
        )


def render(run: Run, reps: int) -> str:
    lines = ["| path | n | round trips | calls, in order | answered |", "|---|---|---|---|---|"]
    for key, label in CASES:
        got = run.results[key]
        if not got:
            continue
        trips = [g[0] for g in got]
        span = f"{min(trips)}" if min(trips) == max(trips) else f"{min(trips)}-{max(trips)}"
        answers = sorted({g[2] for g in got})
        lines.append(f"| {label} | {len(got)} | {span} | {' → '.join(got[-1][1])} | {', '.join(answers)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    outbox = local_env("bench-edges")
    with counted_dynamodb() as (_engine, _names, counter):
        from scripts.localdev.lambda_client import LambdaClient

        run = Run(LambdaClient(), counter)
        run.rep(record=False)  # imports and connections: not measured
        for _ in range(args.reps):
            run.rep()
    shutil.rmtree(outbox, ignore_errors=True)
    print(f"{machine_line()}\n")
    print(render(run, args.reps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
