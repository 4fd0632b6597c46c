"""The OrdersFunction and StripeWebhookFunction as API Gateway invokes them, against DynamoDB Local
(SPEC O1-O3, P1, O6, C3, C7, scenario 10; API.md ``POST /orders``, ``POST /webhooks/stripe``).

Orders: priced by plan and P1, the same form twice is one order, bad input is a 400 that writes nothing,
an optional bearer token is verified by the function (RS256 against the local JWKS, as the authorizer
would). Webhooks: real signatures (``stripe.Webhook.construct_event``), Powertools Idempotency by event id
on the IdempotencyTable, and exactly-once by payment object in the ledger transaction; deliveries that
get a non-2xx are retried the way Stripe retries them.
"""

from __future__ import annotations

import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import boto3
import pytest

from hourbank.payments.webhook_signature import sign_webhook
from hourbank.store.models import AccountModel, OrderModel
from scripts.localdev.adapters import LocalCheckout
from scripts.localdev.jwt_local import mint
from scripts.localdev.stripe_shapes import charge, event, invoice, session, sid
from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration


def secret() -> str:
    return os.environ["STRIPE_WEBHOOK_SECRET"]  # the local stack's (scripts/localdev/local_env.py)


def bearer(role: str, account_id: str | None = None, **kw) -> dict:
    return {"authorization": f"Bearer {mint(role, account_id, **kw)}"}


def balance(account_id: str) -> int:
    return int(AccountModel.get(account_id, consistent_read=True).balance_minutes)


def order_of(order_id: str) -> OrderModel:
    return OrderModel.get(order_id, consistent_read=True)


# -- POST /orders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "hours", "kind", "price"),
    [
        (None, 10, "one_time", 285_000),  # new customer: non-member $300/h, 10 h less 5% (P1) = $2,850.00
        ("member", 2, "one_time", 30_000),  # member $150/h = $300.00
        ("member", 5, "recurring", 60_000),  # member recurring $120/h (O6) = $600.00
    ],
)
def test_order_is_priced_by_plan_and_sent_to_checkout_O1_P1_O6(api, make_account, plan, hours, kind, price):
    if plan is None:
        body, headers = {"name": "Corner Bakery", "email": f"owner-{sid('o')}@bakery.example"}, {}
    else:
        account = make_account(plan)
        body, headers = {"account_id": account}, bearer("customer", account)
    quoted = api.post("/orders/quote", {**body, "hours": hours, "kind": kind}, headers=headers)
    assert quoted.status == 200 and quoted.body["price"] == {"currency": "USD", "amount_minor": price}
    reply = api.post("/orders", {**body, "hours": hours, "kind": kind}, headers=headers)
    assert reply.status == 201, reply
    order = reply.body
    assert (order["status"], order["kind"], order["minutes"]) == ("pending", kind, int(hours * 60))
    assert order["price"] == {"currency": "USD", "amount_minor": price}
    session_id = LocalCheckout.session_id(order["order_id"])
    assert order["checkout_url"] == f"http://127.0.0.1:3000/local-pay/{session_id}?order={order['order_id']}"
    if plan is None:  # SPEC O7: a new customer's account is opened only when the order is paid
        with pytest.raises(AccountModel.DoesNotExist):
            AccountModel.get(order["account_id"], consistent_read=True)
    else:
        assert balance(order["account_id"]) == 0, "nothing is credited before Stripe says paid (O1)"
    shown = api.get(f"/orders/{order['order_id']}")
    assert shown.status == 200 and shown.body["status"] == "pending" and "balance_minutes" not in shown.body


def test_same_form_submitted_concurrently_is_one_order_and_one_account(api):
    form = {"name": "Corner Bakery", "email": f"Owner-{sid('c')}@Bakery.example", "hours": 4}
    key = {"idempotency-key": sid("form")}
    start = Barrier(8)

    def submit(_: int):
        start.wait(timeout=10)
        return api.post("/orders", form, headers=key)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(submit, range(8)))
    assert {r.status for r in replies} == {201}
    assert len({r.body["order_id"] for r in replies}) == 1
    assert len({r.body["account_id"] for r in replies}) == 1, "one new customer, not eight"
    other = api.post("/orders", {**form, "hours": 5}, headers=key)
    assert other.status == 409 and other.body["error"]["code"] == "conflict"


BAD_ORDERS = [
    ({"hours": 0.5}, "hours: must be between 1 and 500"),
    ({"hours": 501}, "hours: must be between 1 and 500"),
    ({"hours": 1.25}, "hours: must be in half-hour steps"),
    ({"hours": "ten"}, "hours:"),
    ({"hours": None}, "hours:"),
    ({"email": "not-an-email"}, "email:"),
    ({"email": None}, "give account_id, or name and email"),
    ({"kind": "weekly"}, "kind:"),
    ({"kind": "recurring"}, "kind: recurring pre-pay is for members"),
    ({"account_id": "acc_x"}, "not both"),
    ({"coupon": "FREE"}, "coupon: is not a field of this request"),
]


@pytest.mark.parametrize(("change", "message"), BAD_ORDERS)
def test_bad_order_is_a_400_that_writes_nothing(api, unchanged, change, message):
    form = {"name": "Corner Bakery", "email": "owner@bakery.example", "hours": 2, **change}
    form = {k: v for k, v in form.items() if v is not None}
    for path in ("/orders", "/orders/quote"):
        with unchanged():
            reply = api.post(path, form, headers={"idempotency-key": sid("form")})
        assert reply.status == 400, reply
        assert reply.body["error"]["code"] == "invalid_input" and message in reply.body["error"]["message"]


def test_orders_for_an_account_need_its_owner_or_billing(api, make_account, unchanged):
    mine, theirs = make_account("member"), make_account("member")
    form = {"hours": 2}
    with unchanged():
        anonymous = api.post("/orders", {**form, "account_id": mine})
        other_tenant = api.post("/orders", {**form, "account_id": theirs}, headers=bearer("customer", mine))
        unknown = api.post("/orders", {**form, "account_id": "acc_nobody"}, headers=bearer("billing"))
        technician = api.post("/orders", {**form, "account_id": mine}, headers=bearer("technician"))
    assert anonymous.status == 401 and "sign in" in anonymous.body["error"]["message"]
    assert other_tenant.status == 404 and unknown.status == 404
    assert technician.status == 403  # a technician may see the account, not buy for it (API.md, issue 11)
    assert api.post("/orders", {**form, "account_id": mine}, headers=bearer("billing")).status == 201


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        mint("customer", "acc_x", ttl_s=60, now=time.time() - 3600),  # expired
        mint("customer", "acc_x", issuer="https://evil.example/pool"),
        mint("customer", "acc_x", audience="someone-elses-client"),
    ],
)
def test_a_bad_bearer_token_is_a_401_never_anonymous(api, unchanged, token):
    with unchanged():
        reply = api.post(
            "/orders", {"name": "A", "email": "a@b.example", "hours": 2}, headers={"authorization": f"Bearer {token}"}
        )
    assert reply.status == 401 and reply.body["error"]["code"] == "unauthorized"


def test_unknown_order_is_404(api):
    assert api.get("/orders/ord_nothing").status == 404
    assert api.get("/orders/acc_not_an_order").status == 404


# -- POST /webhooks/stripe -------------------------------------------------------------------------


def post(api, body: str, signature: str | None):
    headers = {"stripe-signature": signature} if signature is not None else {}
    return api.post("/webhooks/stripe", raw_body=body, headers=headers)


def deliver(api, evt: dict, *, attempts: int = 50):
    """One delivery as Stripe makes it: signed now, retried while the answer is not 2xx (a 409 says
    another delivery of the same event is being applied)."""
    body = json.dumps(evt)
    for _ in range(attempts):
        reply = post(api, body, sign_webhook(body, secret()))
        if reply.status != 409:
            return reply
        time.sleep(0.05)
    raise AssertionError(f"event {evt['id']} still in progress after {attempts} attempts")


def deliver_concurrently(api, events: list[dict], copies: int = 3, seed: int = 10) -> list:
    """Each event ``copies`` times, shuffled, from 8 threads released together (SPEC scenario 10)."""
    deliveries = [e for e in events for _ in range(copies)]
    random.Random(seed).shuffle(deliveries)
    assert len(deliveries) <= 8
    start = Barrier(len(deliveries))

    def one(evt: dict):
        start.wait(timeout=10)
        return deliver(api, evt)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, deliveries))


def placed(api, account_id: str, hours: float = 2, kind: str = "one_time") -> OrderModel:
    reply = api.post(
        "/orders", {"account_id": account_id, "hours": hours, "kind": kind}, headers=bearer("customer", account_id)
    )
    assert reply.status == 201, reply
    return order_of(reply.body["order_id"])


def test_scenario_10_same_event_three_times_concurrently_credits_once_O2(api, make_account):
    account = make_account("non_member")
    order = placed(api, account, hours=10)
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    replies = deliver_concurrently(api, [paid])
    assert [r.status for r in replies] == [200, 200, 200]
    assert {r.body["outcome"] for r in replies} == {"credited"}, "redeliveries get the first answer"
    assert assert_c7(account) == 600
    assert [e["kind"] for e in ledger_items(account)] == ["purchase"]
    assert order_of(order.order_id).status == "paid"
    shown = api.get(f"/orders/{order.order_id}").body
    assert (shown["status"], shown["credited_minutes"], shown["balance_hours"]) == ("paid", 600, "10")


def _one_time(order):
    return [event("checkout.session.completed", session(order, payment_intent=sid("pi")))]


def _async(order):
    pi = sid("pi")
    return [
        event("checkout.session.completed", session(order, status="unpaid", payment_intent=pi)),
        event("checkout.session.async_payment_succeeded", session(order, payment_intent=pi)),
    ]


def _subscription(order):
    inv, sub = sid("in"), sid("sub")
    return [
        event("checkout.session.completed", session(order, invoice=inv, subscription=sub)),
        event("invoice.paid", invoice(order, inv, sub)),
    ]


def _refunded(order):
    pi = sid("pi")
    return [
        event("checkout.session.completed", session(order, payment_intent=pi)),
        event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor))),
    ]


@pytest.mark.parametrize(
    ("kind", "build", "expected"),
    [
        ("one_time", _one_time, 120),
        ("one_time", _async, 120),
        ("recurring", _subscription, 300),
        ("one_time", _refunded, 0),
    ],
)
def test_each_handled_event_three_times_shuffled_from_8_threads_applies_once_O2(
    api, make_account, kind, build, expected
):
    account = make_account("member")
    order = placed(api, account, hours=5 if kind == "recurring" else 2, kind=kind)
    replies = deliver_concurrently(api, build(order))
    assert {r.status for r in replies} == {200}
    assert assert_c7(account) == expected
    assert sum(1 for e in ledger_items(account) if e["kind"] == "purchase") == 1


def test_refund_after_credit_debits_once_balance_may_go_negative_and_flags_O3(
    api, tech, make_account, open_ticket, log_time
):
    account = make_account("member")
    order = placed(api, account)
    pi = sid("pi")
    assert deliver(api, event("checkout.session.completed", session(order, payment_intent=pi))).status == 200
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 90)
    assert api.post(f"/tickets/{ticket}/close", as_=tech).status == 200  # 120 - 90 = 30
    refund = event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor)))
    assert [deliver(api, refund).body["outcome"] for _ in range(3)] == ["debited"] * 3  # one debit, replayed
    assert assert_c7(account) == 30 - 120
    assert AccountModel.get(account, consistent_read=True).flags, "a refund into the negative flags the account"


def test_refund_arriving_before_its_payment_ends_right_O2_O3(api, make_account):
    account = make_account("member")
    order = placed(api, account)
    pi = sid("pi")
    refund = event("charge.refunded", charge(order, pi, refunded=int(order.amount_minor)))
    assert deliver(api, refund).body["outcome"] == "deferred"
    assert deliver(api, event("checkout.session.completed", session(order, payment_intent=pi))).status == 200
    assert assert_c7(account) == 0
    assert sorted(e["kind"] for e in ledger_items(account)) == ["purchase", "refund"]


def test_payment_closes_a_non_member_ticket_waiting_for_credit_C3(
    api, tech, billing, make_account, open_ticket, log_time
):
    account = make_account("non_member", 60)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T10:00:00-05:00", 60)
    api.post(
        f"/accounts/{account}/adjustments", {"minutes": -60, "kind": "adjustment", "reason": "reversal"}, as_=billing
    )
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["status"] == "awaiting_credit"
    order = placed(api, account, hours=2)
    assert deliver(api, event("checkout.session.completed", session(order, payment_intent=sid("pi")))).status == 200
    assert api.get(f"/tickets/{ticket}", as_=tech).body["status"] == "closed"
    assert assert_c7(account) == 60


def test_unknown_event_type_is_200_and_changes_nothing_O2(api, unchanged):
    with unchanged(skip=("idempotency",)):
        reply = deliver(api, event("customer.created", {"id": sid("cus"), "object": "customer"}))
    assert reply.status == 200 and reply.body["outcome"] == "ignored"


def test_event_for_an_unknown_order_is_200_flagged_and_credits_nothing(api, make_account, unchanged):
    account = make_account("member")
    order = placed(api, account)
    stray = session(order, payment_intent=sid("pi"))
    stray["client_reference_id"] = stray["metadata"]["order_id"] = "ord_01unknownunknownunknownun"
    with unchanged(skip=("idempotency", "reviews")):  # SPEC O8: the review is kept
        reply = deliver(api, event("checkout.session.completed", stray))
    assert reply.status == 200 and reply.body["outcome"] == "review"


# -- refused deliveries: 400, nothing written (O2) ------------------------------------------------


def _paid_body(api, make_account) -> tuple[str, str]:
    account = make_account("member")
    order = placed(api, account)
    return json.dumps(event("checkout.session.completed", session(order, payment_intent=sid("pi")))), account


@pytest.mark.parametrize("how", ["missing", "forged", "other_secret", "tampered", "too_old", "future", "garbage"])
def test_a_delivery_that_does_not_verify_is_400_and_writes_nothing_O2(api, make_account, unchanged, how):
    body, account = _paid_body(api, make_account)
    now = int(time.time())
    signature: str | None = sign_webhook(body, secret(), now)
    if how == "missing":
        signature = None
    elif how == "forged":
        signature = f"t={now},v1={'0' * 64}"
    elif how == "other_secret":
        signature = sign_webhook(body, "whsec_someone_else", now)
    elif how == "tampered":
        body = body.replace('"amount_total": 30000', '"amount_total": 3')
        assert '"amount_total": 3,' in body
    elif how == "too_old":
        signature = sign_webhook(body, secret(), now - 301)
    elif how == "future":
        signature = sign_webhook(body, secret(), now + 3600)
    elif how == "garbage":
        signature = "v1=abc, t=yesterday"
    with unchanged():
        reply = post(api, body, signature)
    assert reply.status == 400 and reply.body["error"]["code"] == "invalid_signature", reply
    assert balance(account) == 0


def test_a_signed_body_that_is_not_an_event_is_400(api, unchanged):
    for body in ("not json", "[1, 2]", json.dumps({"object": "event"})):
        with unchanged():
            reply = post(api, body, sign_webhook(body, secret()))
        assert reply.status == 400 and reply.body["error"]["code"] == "invalid_payload", (body, reply)


def test_powertools_keeps_one_record_per_event(api, make_account):
    account = make_account("member")
    order = placed(api, account)
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    before = _event_records()
    first, again = deliver(api, paid), deliver(api, paid)
    assert first.body == again.body
    new = [r for r in _event_records() if r not in before]
    assert len(new) == 1 and new[0]["status"]["S"] == "COMPLETED"
    assert int(new[0]["expiration"]["N"]) > time.time() + 3 * 86400, "kept past Stripe's 3 days of retries"


def _event_records() -> list[dict]:
    from hourbank.ports.settings import get_settings

    pages = (
        boto3.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=get_settings().idempotency_table, ConsistentRead=True)
    )
    return [item for page in pages for item in page["Items"] if item["id"]["S"].startswith("stripe-event")]
