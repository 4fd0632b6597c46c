"""DynamoDB round trips, consumed capacity and latency per API operation, through the real handlers.

    python scripts/bench_ops.py [--reps 20] [--write]

Starts DynamoDB Local (in memory), creates the template's tables, and drives the API functions in-process
through ``scripts.localdev.lambda_client.LambdaClient`` (API Gateway v2 events routed by template.yaml), the
order and Stripe webhook functions included (the local payment setup of ``scripts.localdev.local_env``: no
Stripe key, so orders go to the local payment page; webhook events in Stripe's shapes from
``scripts.localdev.stripe_shapes``, signed with the local secret). Every DynamoDB call is counted by handlers on
its botocore client's event system, pynamodb's clients and plain boto3 ones (Powertools Idempotency) alike:

* ``before-call.dynamodb``: one API call (the operation name is recorded);
* ``before-send.dynamodb``: one HTTP request, so botocore retries would show up as extra round trips;
* ``before-parameter-build.dynamodb``: adds ``ReturnConsumedCapacity=TOTAL`` to every call that accepts it
  (pynamodb already asks for it on item and transaction calls; this makes sure nothing is missed);
* ``after-call.dynamodb``: sums ``ConsumedCapacity[].CapacityUnits`` (and the read/write split when the
  engine reports one; otherwise reads and writes are told apart by the operation).

Latencies are in-process against DynamoDB Local on loopback: they show relative cost, not AWS latency.
``--write`` replaces the section between the ``bench_ops`` markers in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.benchlib import (  # noqa: E402 - the harness the bench scripts share
    CallCounter,
    Sample,
    command_line,
    counted_dynamodb,
    fmt_units,
    local_env,
    machine_line,
    publish,
)

# ------------------------------------------------------------------ the benchmark


OPERATIONS: list[tuple[str, str]] = [
    ("create_account", "create account (POST /accounts)"),
    ("adjust", "adjustment: purchase, nothing waiting (POST /accounts/{id}/adjustments)"),
    ("open_member", "open ticket, member (POST /tickets)"),
    ("open_non_member", "open ticket, non-member, C4 gate (POST /tickets)"),
    ("post_first", "post entry, 1st on the ticket (POST …/time-entries)"),
    ("post_10th", "post entry, 10th on the ticket"),
    ("close_1", "close, 1 entry (POST …/close)"),
    ("close_10", "close, 10 entries"),
    ("close_100", "close, 100 entries"),
    ("close_again", "close again: idempotent replay (C5)"),
    ("credit_back", "credit-back (POST …/credit-back)"),
    ("get_ticket", "GET ticket with 10 entries"),
    ("get_ledger", "GET ledger page (5 entries, limit 50)"),
    ("close_awaiting", "close, non-member short of credit → awaiting_credit (C3)"),
    ("adjust_settles", "adjustment: purchase that completes 1 waiting close (C3)"),
    ("order_new", "order, new customer (POST /orders, anonymous)"),
    ("order_owner", "order, owner with Idempotency-Key (POST /orders, bearer token)"),
    ("order_owner_again", "order, the same form and Idempotency-Key again"),
    ("pay_first", "Stripe webhook: checkout.session.completed, 1st delivery → credited (POST /webhooks/stripe)"),
    ("pay_redelivery", "Stripe webhook: the same event redelivered (Powertools Idempotency)"),
    ("pay_other_event", "Stripe webhook: another event for the same payment (async_payment_succeeded)"),
    ("get_order_paid", "GET /orders/{id} once paid (public)"),
    ("watch_no_crossing", "balance watch: 1 record that crosses nothing (120 → 90 min, T 60; BalanceWatchFunction)"),
    ("watch_crossing", "balance watch: 1 crossing record (90 → 30 min) → auto top-up + low-balance e-mail"),
    ("watch_redelivery", "balance watch: the same crossing record redelivered"),
    ("watch_unpaid", "balance watch: a 2nd crossing while the top-up is unpaid → no invoice, e-mail"),
    ("invoice_issue", "invoicing: 1 draft invoice issued (InvoicingFunction, LocalInvoicing)"),
    ("invoice_redelivery", "invoicing: the same invoice record redelivered"),
]
PAYMENT_KEYS = (
    "order_new",
    "order_owner",
    "order_owner_again",
    "pay_first",
    "pay_redelivery",
    "pay_other_event",
    "get_order_paid",
)
STREAM_KEYS = (
    "watch_no_crossing",
    "watch_crossing",
    "watch_redelivery",
    "watch_unpaid",
    "invoice_issue",
    "invoice_redelivery",
)
# Where the local stack would serve the order form and the local payment page: checkout URLs point there, as in
# the tests (tests/conftest.py); nothing is fetched from it.
ENTRIES_FROM = datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5)))  # a Monday, 09:00 New York
TARGETS = {"close_1": 2, "close_10": 2, "close_100": 2, "post_first": 2, "post_10th": 2}


class Bench:
    def __init__(self, api: Any, counter: CallCounter, specs: dict[str, Any] | None = None) -> None:
        from scripts.localdev.lambda_client import claims

        self.api = api
        self.counter = counter
        self.specs = specs or {}  # the stream consumers' FunctionSpecs (lambda_runtime.functions)
        self.billing = claims("billing", sub="bench-billing")
        self.tech = claims("technician", sub="bench-tech")
        self.samples: dict[str, list[Sample]] = {key: [] for key, _ in OPERATIONS}
        self.next_start: dict[str, datetime] = {}  # per ticket: entries follow each other from a fixed past day

    def measure(self, key: str | None, expect: int, call: Callable[[], Any]) -> Any:
        self.counter.reset()
        started = time.perf_counter()
        reply = call()
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status != expect:
            raise AssertionError(f"{key or 'setup'}: expected {expect}, got {reply}")
        if key is not None:
            self.samples[key].append(self.counter.snapshot(elapsed))
        return reply

    # the calls --------------------------------------------------------------
    def create_account(self, plan: str, key: str | None = None) -> str:
        body = {"name": f"bench {plan}", "email": f"{uuid.uuid4().hex}@bench.test", "plan": plan}
        return self.measure(key, 201, lambda: self.api.post("/accounts", body, as_=self.billing)).body["account_id"]

    def adjust(self, account_id: str, minutes: int, kind: str = "purchase", key: str | None = None) -> None:
        body = {"minutes": minutes, "kind": kind, "reason": "bench"}
        self.measure(key, 201, lambda: self.api.post(f"/accounts/{account_id}/adjustments", body, as_=self.billing))

    def open_ticket(self, account_id: str, key: str | None = None) -> str:
        body = {
            "account_id": account_id,
            "title": "Server offline",
            "priority": "normal",
            "opened_at": (ENTRIES_FROM - timedelta(hours=1)).isoformat(),
        }  # SPEC T8: opened before its work
        return self.measure(key, 201, lambda: self.api.post("/tickets", body, as_=self.tech)).body["ticket_id"]

    def post_entry(self, ticket_id: str, minutes: int = 15, key: str | None = None) -> None:
        started = self.next_start.get(ticket_id, ENTRIES_FROM)
        self.next_start[ticket_id] = started + timedelta(minutes=minutes)
        body = {"work_type": "remote", "started_at": started.isoformat(), "minutes": minutes, "note": "work done"}
        self.measure(key, 201, lambda: self.api.post(f"/tickets/{ticket_id}/time-entries", body, as_=self.tech))

    def close(self, ticket_id: str, key: str | None = None, status: str = "closed") -> None:
        reply = self.measure(key, 200, lambda: self.api.post(f"/tickets/{ticket_id}/close", as_=self.tech))
        if reply.body.get("status") != status:
            raise AssertionError(f"close {ticket_id}: expected {status}, got {reply}")

    # one repetition of every operation -------------------------------------------
    def repetition(self) -> None:
        member = self.create_account("member", key="create_account")
        self.adjust(member, 100_000, key="adjust")

        ten = self.open_ticket(member, key="open_member")
        self.post_entry(ten, key="post_first")
        for _ in range(8):
            self.post_entry(ten)
        self.post_entry(ten, key="post_10th")

        one = self.open_ticket(member)
        self.post_entry(one)
        hundred = self.open_ticket(member)
        for _ in range(100):
            self.post_entry(hundred)

        self.close(one, key="close_1")
        self.close(ten, key="close_10")
        self.close(hundred, key="close_100")
        self.close(ten, key="close_again")
        self.measure(
            "credit_back",
            201,
            lambda: self.api.post(
                f"/tickets/{ten}/credit-back", {"minutes": 15, "reason": "vendor bug"}, as_=self.billing
            ),
        )
        reply = self.measure("get_ticket", 200, lambda: self.api.get(f"/tickets/{ten}", as_=self.tech))
        assert len(reply.body.get("entries", [])) == 10, reply
        reply = self.measure("get_ledger", 200, lambda: self.api.get(f"/accounts/{member}/ledger", as_=self.billing))
        assert len(reply.body["items"]) == 5, reply  # purchase, 3 consumptions, credit-back

        # Non-member: the C4 gate on open, then a close that waits for credit and the purchase that completes it.
        other = self.create_account("non_member")
        self.adjust(other, 600)
        waiting = self.open_ticket(other, key="open_non_member")
        self.post_entry(waiting, minutes=60)
        self.adjust(other, -590, kind="adjustment")
        self.close(waiting, key="close_awaiting", status="awaiting_credit")
        self.adjust(other, 120, key="adjust_settles")
        reply = self.api.get(f"/tickets/{waiting}", as_=self.tech)
        if reply.body.get("status") != "closed":
            raise AssertionError(f"the purchase did not complete the waiting close: {reply}")

        self.payments(member)
        self.crossings()

    # orders and a credited payment (issue 4) ---------------------------------------------------------
    def deliver(self, key: str | None, evt: dict, outcome: str) -> None:
        """One signed delivery of ``evt`` as Stripe makes it (signed now, with the webhook's secret)."""
        import json

        from hourbank.payments.webhook_signature import sign_webhook

        body = json.dumps(evt)
        headers = {"stripe-signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])}
        reply = self.measure(key, 200, lambda: self.api.post("/webhooks/stripe", raw_body=body, headers=headers))
        if reply.body.get("outcome") != outcome:
            raise AssertionError(f"{key or 'setup'}: expected outcome {outcome}, got {reply}")

    def payments(self, member: str, record: bool = True) -> None:
        """A new customer's order, paid through the webhook (credited, redelivered, reported again by another
        event); an owner's order with an Idempotency-Key, submitted twice. ``record=False``: the warm-up."""
        from hourbank.store.models import AccountModel, OrderModel
        from scripts.localdev.jwt_local import mint
        from scripts.localdev.stripe_shapes import event, session, sid

        def k(key: str) -> str | None:
            return key if record else None

        # A new address each run: an order for a known one credits that account instead (SPEC O7).
        form = {"name": "Corner Bakery", "email": f"owner-{uuid.uuid4().hex[:12]}@bakery.example", "hours": 2}
        order_id = self.measure(k("order_new"), 201, lambda: self.api.post("/orders", form)).body["order_id"]

        owner = {"authorization": f"Bearer {mint('customer', member)}", "idempotency-key": sid("form")}
        mine = {"account_id": member, "hours": 2}
        first = self.measure(k("order_owner"), 201, lambda: self.api.post("/orders", mine, headers=owner)).body
        again = self.measure(k("order_owner_again"), 201, lambda: self.api.post("/orders", mine, headers=owner)).body
        if again["order_id"] != first["order_id"]:
            raise AssertionError(f"the same Idempotency-Key made two orders: {first} / {again}")

        order = OrderModel.get(order_id, consistent_read=True)
        payment_intent = sid("pi")
        paid = event("checkout.session.completed", session(order, payment_intent=payment_intent))
        self.deliver(k("pay_first"), paid, "credited")
        self.deliver(k("pay_redelivery"), paid, "credited")  # Powertools returns the stored first answer
        other = event("checkout.session.async_payment_succeeded", session(order, payment_intent=payment_intent))
        self.deliver(k("pay_other_event"), other, "duplicate")
        reply = self.measure(k("get_order_paid"), 200, lambda: self.api.get(f"/orders/{order_id}"))
        balance = int(AccountModel.get(order.account_id, consistent_read=True).balance_minutes)
        if reply.body.get("status") != "paid" or balance != int(order.minutes):
            raise AssertionError(f"order {order_id} not credited exactly once: balance {balance}, {reply}")

    # the balance watch and invoicing consumers (issue 5) -----------------------------------------------
    def consume(self, key: str | None, function: str, *records: dict) -> None:
        """``records`` delivered to a stream consumer in one batch, as the poller (and Lambda) invokes it."""
        from scripts.localdev.lambda_runtime import invoke

        self.counter.reset()
        started = time.perf_counter()
        result = invoke(self.specs[function], {"Records": list(records)}, source="bench")
        elapsed = (time.perf_counter() - started) * 1000
        if result != {"batchItemFailures": []}:
            raise AssertionError(f"{key or 'setup'}: {function} answered {result}")
        if key is not None:
            self.samples[key].append(self.counter.snapshot(elapsed))

    def crossings(self, record: bool = True) -> None:
        """A member with 120 minutes watched at T 60 / A 120 with the e-mail on; closes move the balance
        120 → 90 (no crossing) → 30 (crossing) and, after a purchase, 150 → 30 again while the top-up is
        unpaid. Each record is built from the real items before and after the change, in the shape the
        poller delivers (scripts/localdev/stream_records)."""
        from hourbank.ports.settings import get_settings
        from hourbank.store.models import AccountModel, InvoiceModel
        from scripts.localdev.stream_records import raw_item
        from scripts.localdev.stream_records import record as stream_record

        def k(key: str) -> str | None:
            return key if record else None

        accounts = get_settings().accounts_table
        acc = self.create_account("member")
        self.adjust(acc, 120)
        settings = {"enabled": True, "threshold_minutes": 60, "amount_minutes": 120, "notify_low_balance": True}
        self.measure(
            None, 200, lambda: self.api.request("PUT", f"/accounts/{acc}/auto-top-up", settings, as_=self.billing)
        )

        def closed_change(minutes: int) -> dict:
            ticket = self.open_ticket(acc)
            self.post_entry(ticket, minutes=minutes)
            before = raw_item(accounts, {"account_id": acc})
            self.close(ticket)
            return stream_record(
                "MODIFY", {"account_id": {"S": acc}}, old=before, new=raw_item(accounts, {"account_id": acc})
            )

        self.consume(k("watch_no_crossing"), "BalanceWatchFunction", closed_change(30))
        crossing = closed_change(60)
        self.consume(k("watch_crossing"), "BalanceWatchFunction", crossing)
        self.consume(k("watch_redelivery"), "BalanceWatchFunction", crossing)
        [invoice] = InvoiceModel.query(acc, consistent_read=True)
        if (
            invoice.status != "draft"
            or AccountModel.get(acc, consistent_read=True).pending_top_up != invoice.invoice_id
        ):
            raise AssertionError(f"the crossing did not leave one pending draft: {invoice.attribute_values}")

        keys = {"account_id": {"S": acc}, "invoice_id": {"S": invoice.invoice_id}}
        new = stream_record(
            "INSERT",
            keys,
            view="NEW_IMAGE",
            new=raw_item(get_settings().invoices_table, {"account_id": acc, "invoice_id": invoice.invoice_id}),
        )
        self.consume(k("invoice_issue"), "InvoicingFunction", new)
        self.consume(k("invoice_redelivery"), "InvoicingFunction", new)
        if InvoiceModel.get(acc, invoice.invoice_id, consistent_read=True).status != "open":
            raise AssertionError(f"invoice {invoice.invoice_id} not issued")

        self.adjust(acc, 120)  # a phone purchase: 30 → 150, the top-up invoice still unpaid
        self.consume(k("watch_unpaid"), "BalanceWatchFunction", closed_change(120))
        if len(list(InvoiceModel.query(acc, consistent_read=True))) != 1:
            raise AssertionError("a crossing while the top-up is unpaid made a second invoice")


def verify_counting(counter: CallCounter, account_id: str) -> str:
    """A direct GetItem must count as exactly one call and one HTTP request, with capacity reported."""
    from hourbank.store.models import AccountModel

    counter.reset()
    AccountModel.get(account_id, consistent_read=True)
    got = dict(counter.calls)
    if got != {"GetItem": 1} or counter.sends != 1:
        raise AssertionError(f"counting is broken: one GetItem counted as {got}, {counter.sends} sends")
    if counter.capacity <= 0:
        raise AssertionError("DynamoDB Local returned no ConsumedCapacity for a GetItem")
    pynamodb = f"{counter.capacity:g} RCU"

    # The same through a plain boto3 client, as Powertools Idempotency makes its own.
    import boto3

    from hourbank.ports.settings import get_settings

    counter.reset()
    boto3.session.Session().client("dynamodb").get_item(
        TableName=get_settings().idempotency_table, Key={"id": {"S": "bench-ops-check"}}, ConsistentRead=True
    )
    got = dict(counter.calls)
    if got != {"GetItem": 1} or counter.sends != 1 or counter.capacity <= 0:
        raise AssertionError(
            f"a boto3 client is not counted: one GetItem counted as {got}, {counter.sends} sends, "
            f"{counter.capacity:g} RCU"
        )
    return (
        f"GetItem → 1 call, 1 HTTP request, {pynamodb} (consistent read), through pynamodb and through a "
        "plain boto3 client alike"
    )


def _mean_calls(samples: list[Sample]) -> Counter:
    total: Counter = Counter()
    for s in samples:
        total.update(s.calls)
    return Counter({k: v / len(samples) for k, v in total.items()})


def observations(bench: Bench) -> list[str]:
    """What the figures say, worded from the measured calls so a changed code path changes the text."""
    out = ["", "What the figures show:", ""]
    adjust, credit, settles = (bench.samples[k] for k in ("adjust", "credit_back", "adjust_settles"))
    if adjust and credit and settles:
        a, c, st = _mean_calls(adjust), _mean_calls(credit), _mean_calls(settles)
        if a.get("GetItem") == 2 and c.get("GetItem") == 1:
            out.append(
                "- `settle_awaiting` (SPEC C3) costs every adjustment and credit-back one extra GetItem: it re-reads "
                "the account after the commit even when no close is waiting (adjustment: GetItem, "
                "TransactWriteItems, GetItem; credit-back: TransactGetItems, TransactWriteItems, GetItem). With one "
                f"waiting close the purchase takes {statistics.fmean(x.sends for x in settles):g} round trips: "
                f"the same three plus TransactGetItems ×{st.get('TransactGetItems', 0):g} and one more "
                "TransactWriteItems, i.e. 2 per close it completes. Skipping the re-read when the account read "
                "before the write had nothing waiting would save the GetItem, at the cost of missing a close that "
                "starts waiting while the credit is in flight."
            )
    close_rows = [k for k in ("close_1", "close_10", "close_100") if bench.samples[k]]
    if close_rows:
        trips = sorted({s.sends for k in close_rows for s in bench.samples[k]})
        wcu = sorted({round(s.wcu, 1) for k in close_rows for s in bench.samples[k]})
        out.append(
            f"- A close reads the ticket and the account in one TransactGetItems and writes in one "
            f"TransactWriteItems whatever the entry count (round trips seen: {trips}; WCU: {wcu}): it uses "
            "the ticket's running totals and never reads the entries again."
        )
    first, tenth = bench.samples["post_first"], bench.samples["post_10th"]
    if first and tenth:
        w1, w10 = statistics.fmean(s.wcu for s in first), statistics.fmean(s.wcu for s in tenth)
        if w1 != w10:
            out.append(
                f"- Posting an entry costs {w1:g} WCU when it changes the ticket's projected consumption (the "
                f"first entry), {w10:g} when it does not (the 10th here): the account item is only updated "
                "when the projection crosses a 30-minute step."
            )
    created = bench.samples["create_account"]
    put_wcu = statistics.fmean(s.wcu for s in created) if created else 1.0
    out.append(
        "- Capacity is DynamoDB Local's accounting: it charged 4 WCU per item written or condition-checked in a "
        "TransactWriteItems (plus 4 for each index entry: the ticket's `by_account`, the ledger's `by_time`), "
        f"2 RCU per item of a TransactGetItems, and {put_wcu:g} WCU for the plain PutItem of a new account"
        + (
            " (1 for the item, 1 for its entry in the Accounts table's KEYS_ONLY `by_plan` index of the month-end run)"
            if put_wcu == 2
            else ""
        )
        + ". AWS documents transactional writes at 2 WCU per KB, so use the columns to compare operations, not "
        "to price them."
    )
    return out


def payment_calls(
    bench: Bench, keys: tuple[str, ...] = PAYMENT_KEYS, what: str = "the order and webhook operations"
) -> list[str]:
    """The calls of every order and webhook operation in the order they are made, with their tables."""
    out = ["", f"Calls of {what}, in the order they are made (table; items of a transaction by table and kind):", ""]
    labels = dict(OPERATIONS)
    for key in keys:
        samples = bench.samples[key]
        if not samples:
            continue
        seen = Counter(s.sequence for s in samples)
        seq, n = seen.most_common(1)[0]
        same = "every time" if n == len(samples) else f"{n} of {len(samples)} times (others: {len(seen) - 1} variants)"
        out.append(f"- {labels[key]}: {' → '.join(seq) or 'no DynamoDB call'} ({same}).")
    return out


def payment_observations(bench: Bench) -> list[str]:
    """What the order and webhook figures say, worded from the measured call sequences."""

    def seq(key: str) -> tuple[str, ...]:
        samples = bench.samples[key]
        return Counter(s.sequence for s in samples).most_common(1)[0][0] if samples else ()

    def mean(key: str, attr: str) -> float:
        return statistics.fmean(getattr(s, attr) for s in bench.samples[key]) if bench.samples[key] else 0.0

    out: list[str] = []
    first, again, other = seq("pay_first"), seq("pay_redelivery"), seq("pay_other_event")
    if first:
        idem = sum(1 for c in first if c.endswith(" Idempotency"))
        tx = next((i for i, c in enumerate(first) if c.startswith("TransactWriteItems")), None)
        before = first[:tx] if tx is not None else first
        after = first[tx + 1 :] if tx is not None else ()
        order_reads = sum(1 for c in before if c == "GetItem Orders")
        out.append(
            f"- A credited payment costs {mean('pay_first', 'sends'):g} round trips ({mean('pay_first', 'rcu'):g} RCU, "
            f"{mean('pay_first', 'wcu'):g} WCU): {idem} are Powertools Idempotency's (PutItem of the INPROGRESS "
            "record on the IdempotencyTable before the event is applied, UpdateItem to COMPLETED with the answer "
            f"after), {len(first) - idem} are the settlement's. One TransactWriteItems carries the credit (ledger "
            "entry, account balance, the order's `payments` map, and hourbank's own marker for the payment "
            "object, `payment#<ref>`, which is the `Idempotency put` in it: a second item on the same table, "
            "not Powertools' record)."
        )
        if order_reads >= 2:
            out.append(
                f"- Avoidable: `settle_paid` reads the order {order_reads} times before the transaction "
                "(`load_order` to check amount and currency, then again at the top of `attempt()`); on the "
                "first attempt the second read returns what the first did, so only a retry needs it. The same "
                f"double read is in the other event's {sum(1 for c in other if c == 'GetItem Orders')} order "
                "reads."
            )
        elif order_reads == 1:
            out.append(
                "- `settle_paid` reads the order once before the transaction (`load_order`, to check amount and "
                "currency); the first attempt of the transaction uses that read and only a retry reads it "
                f"again. The other event's path has {sum(1 for c in other if c == 'GetItem Orders')} order "
                "read likewise."
            )
        reads_after = [c for c in after if not c.endswith(" Idempotency")]
        if reads_after == ["GetItem Orders"]:
            out.append(
                "- After the credit commits it reads the order once more (GetItem Orders: a refund parked "
                "before its payment, O2, needed for the race the code describes) before Powertools' UpdateItem. "
                "The account is read again for closes waiting for credit (`settle_awaiting`, C3) only when the "
                "account the credit was based on listed one waiting, which it did not here: down from 8 round "
                "trips (5 RCU) before that change, the 2 reads saved being the order's second read and the C3 "
                "pass."
            )
        elif reads_after:
            out.append(
                f"- After the credit commits it makes {len(reads_after)} more reads before Powertools' UpdateItem: "
                + ", ".join(reads_after)
                + " (the order again, for a refund parked before its payment, O2 - needed for the race the code "
                "describes; the account, for closes waiting for credit, `settle_awaiting`, C3). They are paid on "
                "every payment, though a parked refund or a waiting close is rare; being on two tables they "
                "could be one BatchGetItem (or the account read skipped when the account read for the "
                "transaction had nothing waiting, at the cost discussed above for adjustments). With the double "
                "order read gone and these two in one round trip, a credited payment would be "
                f"{len(first) - (order_reads - 1 if order_reads >= 2 else 0) - (len(reads_after) - 1)} round trips "
                f"instead of {len(first)}."
            )
    if again:
        out.append(
            f"- A redelivery of the same event is {mean('pay_redelivery', 'sends'):g} round trip: Powertools' "
            "conditional PutItem is refused and, with `ReturnValuesOnConditionCheckFailure=ALL_OLD`, the refusal "
            "carries the stored COMPLETED record and its answer, so no GetItem follows and nothing of the "
            "settlement runs. DynamoDB Local reports no capacity for the refused write; AWS bills it as a write "
            "(1 WCU for an item under 1 KB)."
        )
    if other:
        out.append(
            f"- Another event for the same payment (a new event id, so Powertools does not know it) costs "
            f"{mean('pay_other_event', 'sends'):g} round trips: Powertools' PutItem and UpdateItem, and the order "
            "reads that find the payment already in the order's `payments` map (`duplicate`), without "
            "a transaction."
        )
    new, owner, replay = seq("order_new"), seq("order_owner"), seq("order_owner_again")
    if new:
        reread = "PutItem Accounts" in new and "GetItem Accounts" in new
        out.append(
            f"- An order costs {mean('order_new', 'sends'):g} round trips for a new customer and "
            f"{mean('order_owner', 'sends'):g} for an owner with an Idempotency-Key "
            f"({mean('order_owner_again', 'sends'):g} for the same form again, which returns the stored order)."
            + (
                " Avoidable: `_with_checkout` reads the account back (GetItem Accounts) right after "
                "`create_order` wrote it (new customer) or read it (`price_order`, owner), to hand it to the "
                "checkout, which only needs its e-mail; and the checkout session id and URL are an UpdateItem "
                "after the order's PutItem. With the local page both are known before the PutItem; with Stripe "
                "the session is created after the order is saved, so one of the two writes stays unless the "
                "session is created first (its idempotency key is derived from the order id, known before the "
                "PutItem)."
                if reread
                else " `_with_checkout` hands the checkout the account `create_order` just wrote (new customer) or "
                "`price_order` read (owner), so the account is not read back (it was, before: 4 and 5 round "
                "trips). What remains avoidable is the UpdateItem of the checkout session id and URL after the "
                "order's PutItem: with the local page both are known before the PutItem; with Stripe the session "
                "is created after the order is saved, so it stays unless the session is created first (its "
                "idempotency key is derived from the order id, known before the PutItem)."
            )
        )
        if replay and sum(1 for c in replay if c == "GetItem Accounts") >= 1 and owner:
            out.append(
                "- The replay reads the account (`price_order`) and the order (`_existing`) and stops there: the "
                "order already has its checkout URL."
            )
    return out


def stream_observations(bench: Bench) -> list[str]:
    """What the balance watch and invoicing figures say, worded from the measured call sequences."""
    if not bench.samples["watch_crossing"]:
        return []

    def seq(key: str) -> tuple[str, ...]:
        return Counter(s.sequence for s in bench.samples[key]).most_common(1)[0][0]

    def mean(key: str, attr: str) -> float:
        return statistics.fmean(getattr(s, attr) for s in bench.samples[key])

    def refused(key: str) -> str:
        errors: Counter = Counter()
        for s in bench.samples[key]:
            errors.update(s.errors)
        return ", ".join(f"{name.replace(':', ' → ')}" for name in sorted(errors)) or "nothing"

    crossing, again, unpaid = seq("watch_crossing"), seq("watch_redelivery"), seq("watch_unpaid")
    issue, reissue = seq("invoice_issue"), seq("invoice_redelivery")
    return [
        "",
        "What the stream consumers' figures show:",
        "",
        f"- A record that crosses nothing costs {mean('watch_no_crossing', 'sends'):g} round trips: the watch "
        "decides from the record's old and new images alone (`crossing_of`), so the records that get past the "
        "FilterCriteria (every MODIFY of a watched account) cost only the invocation.",
        f"- A crossing costs {mean('watch_crossing', 'sends'):g} round trips ({mean('watch_crossing', 'rcu'):g} RCU, "
        f"{mean('watch_crossing', 'wcu'):g} WCU): {' → '.join(crossing)}. The invoice, its order and the "
        "account's `pending_top_up` are one TransactWriteItems; the e-mail's marker is a conditional PutItem "
        "on the IdempotencyTable, then the e-mail (a file in the outbox locally, SES in AWS: not a DynamoDB "
        "call). No read: the record's images are all it needs.",
        f"- The same record again costs {mean('watch_redelivery', 'sends'):g} round trips "
        f"({' → '.join(again)}; refused: {refused('watch_redelivery')}): the invoice already exists and the "
        "marker too, so nothing is "
        "written twice and no second e-mail goes out. DynamoDB Local reports no capacity for refused calls "
        "(AWS bills them: a refused TransactWriteItems as the writes it would have made).",
        f"- A second crossing while the top-up invoice is unpaid costs {mean('watch_unpaid', 'sends'):g} round "
        f"trips ({' → '.join(unpaid)}; refused: {refused('watch_unpaid')}): the transaction is refused on "
        "the account's `pending_top_up`, so no second invoice (SPEC O4), and the e-mail is sent (O5: one per "
        "crossing).",
        f"- Issuing an invoice costs {mean('invoice_issue', 'sends'):g} round trips ({' → '.join(issue)}; "
        f"{mean('invoice_issue', 'rcu'):g} RCU, {mean('invoice_issue', 'wcu'):g} WCU) plus the invoicing port "
        "(LocalInvoicing: no call; with Stripe, its API calls). A redelivery costs "
        f"{mean('invoice_redelivery', 'sends'):g} ({' → '.join(reissue)}): the invoice already has its "
        "provider id, so nothing else is read or written.",
    ]


def render(bench: Bench, reps: int, check: str, counter: CallCounter, seconds: float) -> str:
    rows = [
        "| Operation | N | Round trips (mean; min–max) | DynamoDB calls per op | RCU | WCU | p50 ms* |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    verdicts = []
    for key, label in OPERATIONS:
        samples = bench.samples[key]
        if not samples:
            continue
        trips = [s.sends for s in samples]
        mean = statistics.fmean(trips)
        spread = f"{min(trips)}–{max(trips)}" if min(trips) != max(trips) else f"always {min(trips)}"
        ops: Counter = Counter()
        refused: Counter = Counter()
        for s in samples:
            ops.update(s.calls)
            refused.update(s.errors)
        calls = ", ".join(f"{name} ×{n / len(samples):g}" for name, n in sorted(ops.items())) or "none"
        if refused:
            calls += (
                " (refused: "
                + ", ".join(f"{name.replace(':', ' → ')} ×{n / len(samples):g}" for name, n in sorted(refused.items()))
                + ")"
            )
        rcu = statistics.fmean(s.rcu for s in samples)
        wcu = statistics.fmean(s.wcu for s in samples)
        p50 = statistics.median(s.ms for s in samples)
        target = TARGETS.get(key)
        mark = ""
        if target is not None:
            ok = max(trips) <= target
            mark = f" {'✅' if ok else '❌'} (target {'=' if key.startswith('close') else '≤'} {target})"
            verdicts.append(ok)
        rows.append(
            f"| {label} | {len(samples)} | {mean:g}; {spread}{mark} | {calls} | {fmt_units(rcu)} | "
            f"{fmt_units(wcu)} | {p50:.1f} |"
        )
    notes = [
        "",
        f"- Round trips are HTTP requests to DynamoDB, from pynamodb's clients and from the boto3 client Powertools "
        f"Idempotency makes (botocore retries would count; {sum(counter.errors.values())} calls refused in the "
        f"whole run{': ' + str(dict(counter.errors)) if counter.errors else ''}, each shown as 'refused' on its "
        "row). RCU/WCU are means of `ConsumedCapacity` as DynamoDB Local reports it with "
        "`ReturnConsumedCapacity=TOTAL`; a refused call comes back without it, so its capacity is not in the "
        "columns (AWS charges a failed conditional write as a write).",
        f"- Counting check: {check}. The benchmark had to add ReturnConsumedCapacity to "
        f"{counter.capacity_added} call(s) (pynamodb already asks for TOTAL; Powertools Idempotency's boto3 "
        f"calls do not); {counter.capacity_missing} accepted call(s) came back without ConsumedCapacity.",
        "- \\* p50 latency is in-process (handler + pynamodb + botocore) against DynamoDB Local on loopback on "
        "this machine, not AWS: it compares operations with each other; it is not a production latency.",
        f"- Targets met: {sum(verdicts)}/{len(verdicts)}. Whole run: {seconds:.0f} s for {reps} repetitions.",
        *payment_calls(bench),
        *observations(bench),
        *payment_observations(bench),
        *payment_calls(bench, STREAM_KEYS, "the stream consumers, one record per invocation"),
        *stream_observations(bench),
    ]
    return "\n".join(rows + notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="repetitions of every operation (default 20)")
    parser.add_argument("--write", action="store_true", help="rewrite the bench_ops section of docs/BENCHMARKS.md")
    args = parser.parse_args(argv)

    # The payment functions as the local stack and the tests run them: no Stripe key (the local payment page
    # stands in for Checkout), the local webhook secret, the local JWT issuer and JWKS file.
    outbox = local_env("bench-ops")
    machine = machine_line()
    started = time.perf_counter()

    with counted_dynamodb() as (_engine, _names, counter):
        from scripts.localdev.lambda_client import LambdaClient
        from scripts.localdev.lambda_runtime import functions

        specs = functions(strict=False)  # the environment is set above; only the stream consumers are invoked
        consumers = ("BalanceWatchFunction", "InvoicingFunction")
        bench = Bench(LambdaClient(), counter, {name: specs[name] for name in consumers})
        warm = bench.create_account("member")  # imports the handlers and opens the connections: not measured
        bench.payments(warm, record=False)  # the same for the order and webhook functions (stripe, PyJWT)
        bench.crossings(record=False)  # and for the balance watch and invoicing consumers
        check = verify_counting(counter, warm)
        print(f"counting check: {check}", file=sys.stderr)
        for rep in range(args.reps):
            bench.repetition()
            print(f"repetition {rep + 1}/{args.reps} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    seconds = time.perf_counter() - started
    shutil.rmtree(outbox, ignore_errors=True)

    table = render(bench, args.reps, check, counter, seconds)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join(
        [
            "## DynamoDB round trips per operation",
            "",
            "```",
            command_line(),
            "```",
            "",
            f"Run {stamp}; {machine}.",
            "",
            table,
        ]
    )
    publish("bench_ops", section, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
