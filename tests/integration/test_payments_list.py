"""Issue 24 on DynamoDB Local (SPEC W1, W4, O6, O8, V1): every payment an account made or got back on one list,
newest first (one Query per page, signed cursors); a review's settlement settles its order; an ended visit closes
its unpaid extensions; recurring agreements ended at the term's end or now; the billing portal; billing's list of
disputes, open ones oldest first; an account's visits with the payment link of one not paid yet."""

from __future__ import annotations

import pytest

from devstack.lambda_client import claims
from devstack.stripe_shapes import CREATED, charge, dispute, event, invoice, session, sid
from hourbank.store.models import InvoiceModel, OrderModel
from tests.integration.test_payment_functions import deliver, deliver_concurrently, placed

pytestmark = pytest.mark.integration

WHEN = "2026-11-24T09:00:00-05:00"


def paid_checkout(api, order: OrderModel, at: int, *, copies: int = 1, amount: int | None = None) -> str:
    intent = sid("pi")
    paid = event("checkout.session.completed", session(order, payment_intent=intent, amount=amount), created=at)
    replies = deliver_concurrently(api, [paid], copies=copies) if copies > 1 else [deliver(api, paid)]
    assert all(r.status == 200 for r in replies), replies
    return intent


def book(api, tech, account_id: str, scheduled_at: str = WHEN, hours: int = 2) -> dict:
    body = {
        "account_id": account_id,
        "scheduled_at": scheduled_at,
        "address": "12 Harbour Road",
        "estimate_hours": hours,
    }
    reply = api.post("/visits", body, as_=tech)
    assert reply.status == 201, reply
    return reply.body


def payments(api, account_id: str, as_, **query) -> dict:
    reply = api.get(f"/accounts/{account_id}/payments", query=query, as_=as_)
    assert reply.status == 200, reply
    return reply.body


@pytest.fixture(scope="module")
def month_of_payments(api):
    """One member's month: a purchase by phone, two Checkout orders (one refunded in part, one disputed), a
    recurring agreement, an onsite visit and its extension (completed: what was not used paid back), a post-pay
    invoice paid. Each Stripe event carries its own time, so the list's order is known."""
    billing, tech = claims("billing", sub="billing-staff"), claims("technician", sub="tech-1")
    reply = api.post(
        "/accounts", {"name": "Harbour Dental", "email": f"{sid('hd')}@example.test", "plan": "member"}, as_=billing
    )
    account = reply.body["account_id"]
    first, second = placed(api, account, 2), placed(api, account, 3)
    intent = sid("pi")
    receipt = "https://pay.stripe.com/receipts/payment/CAcQARoXChVhY2N0XzFRaG91cmJhbms"
    # SPEC W1: Stripe's receipt comes on the charge, usually before Checkout's completion: kept until it lands
    charged = {**charge(first, intent, refunded=0), "receipt_url": receipt}
    assert deliver(api, event("charge.succeeded", charged, created=CREATED + 5)).status == 200
    completed = event("checkout.session.completed", session(first, payment_intent=intent), created=CREATED + 10)
    assert all(r.status == 200 for r in deliver_concurrently(api, [completed], copies=3))  # O2: listed once
    refund = event("charge.refunded", charge(first, intent, refunded=15_000), created=CREATED + 100)
    assert deliver(api, refund).status == 200
    second_intent = paid_checkout(api, second, CREATED + 20)
    assert (
        deliver(api, event("charge.dispute.created", dispute(second, second_intent), created=CREATED + 110)).status
        == 200
    )
    recurring = placed(api, account, 5, kind="recurring")
    inv, sub = sid("in"), sid("sub")
    paid = event("checkout.session.completed", session(recurring, invoice=inv, subscription=sub), created=CREATED + 30)
    assert deliver(api, paid).status == 200
    assert deliver(api, event("invoice.paid", invoice(recurring, inv, sub), created=CREATED + 31)).status == 200
    visit = book(api, tech, account)
    paid_checkout(api, OrderModel.get(visit["order_id"]), CREATED + 40)
    extension = api.post(f"/visits/{visit['visit_id']}/extensions", {"hours": 1}, as_=tech).body
    paid_checkout(api, OrderModel.get(extension["order_id"]), CREATED + 50)
    assert api.post(f"/tickets/{visit['ticket_id']}/close", as_=tech).status == 200  # nothing used: paid back
    postpay = InvoiceModel(
        account,
        "inv_2026-10_postpay",
        kind="postpay",
        status="open",
        minutes=90,
        amount_minor=22_500,
        currency="USD",
        description="2026-10 post-pay support",
        stripe_invoice_id=sid("in"),
        created_at="2026-11-01",
    )
    postpay.save()
    hosted = "https://invoice.stripe.com/i/acct_1Qhourbank/test_YWNjdF8x"
    paid_invoice = {
        **invoice(recurring, postpay.stripe_invoice_id, sub, amount=22_500),
        "metadata": {"invoice_id": postpay.invoice_id, "account_id": account},
        "parent": None,
        "lines": {"object": "list", "data": []},
        "hosted_invoice_url": hosted,
    }
    assert deliver(api, event("invoice.paid", paid_invoice, created=CREATED + 60)).status == 200
    phone = {
        "minutes": 120,
        "kind": "purchase",
        "reason": "Card by phone, ref 4411",
        "amount": {"currency": "USD", "amount_minor": 30_000},
    }
    assert api.post(f"/accounts/{account}/adjustments", phone, as_=billing).status == 201
    return {"account": account, "receipt": receipt, "hosted": hosted, "visit": visit, "recurring": recurring}


def test_every_kind_of_payment_is_listed_newest_first_with_its_receipt_W1(api, month_of_payments):
    account = month_of_payments["account"]
    owner = claims("customer", account)
    items = payments(api, account, owner)["items"]
    seen = [
        (p["kind"], p["status"], p["amount"]["amount_minor"], p["refunded"]["amount_minor"], p["minutes"])
        for p in items
    ]
    assert seen == [
        ("phone", "paid", 30_000, 0, 120),  # recorded now: the newest
        ("invoice", "paid", 22_500, 0, 90),  # the post-pay invoice
        ("extension", "refunded", 15_000, 15_000, None),  # SPEC V1: hours not used paid back, newest payment first
        ("visit", "partially_refunded", 50_000, 15_000, None),
        ("invoice", "paid", 60_000, 0, 300),  # the recurring agreement's first month
        ("order", "disputed", 45_000, 0, 180),
        ("order", "partially_refunded", 30_000, 15_000, 120),
    ]
    assert items[-1]["receipt_url"] == month_of_payments["receipt"]  # came before the payment, kept for it
    assert items[1]["receipt_url"] == month_of_payments["hosted"]
    assert items[3]["visit_id"] == month_of_payments["visit"]["visit_id"]
    assert items[0]["description"].startswith("Purchase by phone") and items[0]["payment_id"].startswith("led_")


def test_payments_page_with_signed_cursors_and_tenancy_W1(api, month_of_payments, make_account, unchanged):
    account, billing = month_of_payments["account"], claims("billing")
    pages, cursor = [], None
    while True:
        page = payments(api, account, billing, limit="3", **({"cursor": cursor} if cursor else {}))
        pages.append(len(page["items"]))
        cursor = page["cursor"]
        if not cursor:
            break
    assert sum(pages) == 7 and pages[0] == 3
    other = make_account("member")
    first_cursor = payments(api, account, billing, limit="3")["cursor"]
    with unchanged():
        assert api.get(f"/accounts/{other}/payments", query={"cursor": first_cursor}, as_=billing).status == 400
        # a cursor with non-ASCII text is a 400 too, never a 500 (hmac.compare_digest takes ASCII only)
        assert api.get(f"/accounts/{account}/payments", query={"cursor": "é.é"}, as_=billing).status == 400
        assert api.get(f"/accounts/{account}/payments", as_=claims("customer", other)).status == 404
        bad = {"minutes": 60, "kind": "grant", "reason": "goodwill", "amount": {"currency": "USD", "amount_minor": 1}}
        assert api.post(f"/accounts/{account}/adjustments", bad, as_=billing).status == 400
        euros = {"minutes": 60, "kind": "purchase", "reason": "phone", "amount": {"currency": "EUR", "amount_minor": 9}}
        assert api.post(f"/accounts/{account}/adjustments", euros, as_=billing).status == 400


def test_a_recurring_agreement_is_seen_and_ended_at_the_term_end_or_now_O6(api, month_of_payments, unchanged):
    account, order = month_of_payments["account"], month_of_payments["recurring"]
    owner, billing = claims("customer", account), claims("billing", sub="billing-staff")
    [agreement] = api.get(f"/accounts/{account}/agreements", as_=owner).body["items"]
    assert agreement["agreement_id"] == order.order_id and agreement["status"] == "active"
    assert agreement["hours_per_month"] == "5" and agreement["rate"] == {"currency": "USD", "amount_minor": 12_000}
    assert agreement["next_charge_at"] > agreement["started_at"] and agreement["term_ends_at"] is None
    path = f"/accounts/{account}/agreements/{order.order_id}/end"
    with unchanged():
        assert api.post(path, {"when": "term_end", "reason": "moving away"}, as_=owner).status == 403
        assert api.post(path, {"when": "tomorrow", "reason": "x"}, as_=billing).status == 400
    ending = api.post(path, {"when": "term_end", "reason": "moving away, as agreed on the phone"}, as_=billing)
    assert ending.status == 200, ending
    assert ending.body["status"] == "ending" and ending.body["term_ends_at"] == agreement["next_charge_at"]
    assert api.post(path, {"when": "term_end", "reason": "again"}, as_=billing).body == ending.body  # once
    ended = api.post(path, {"when": "now", "reason": "closing the practice"}, as_=billing).body
    assert (
        ended["status"] == "ended" and ended["next_charge_at"] is None and ended["end_reason"] == "closing the practice"
    )
    assert api.post(path, {"when": "term_end", "reason": "x"}, as_=billing).status == 409


def test_the_billing_portal_is_the_payment_providers_never_a_card_form_W1(api, month_of_payments, make_account):
    account = month_of_payments["account"]
    reply = api.post(f"/accounts/{account}/billing-portal", as_=claims("customer", account))
    assert reply.status == 201 and "/local-pay/portal/cus_Q1hourbank?return=" in reply.body["url"]
    assert api.post(f"/accounts/{account}/billing-portal", as_=claims("technician")).status == 403
    assert api.post(f"/accounts/{make_account('member')}/billing-portal", as_=claims("billing")).status == 409


def test_settling_a_review_settles_its_order_and_says_money_as_money_O8_W4(api, make_account):
    account = make_account("member")
    order = placed(api, account, 4)  # $600.00 for 4 h
    paid_checkout(api, order, CREATED + 5, amount=40_000)
    billing = claims("billing", sub="billing-staff")
    found, cursor = None, None
    while found is None:
        page = api.get("/reviews", query={"limit": "200", **({"cursor": cursor} if cursor else {})}, as_=billing).body
        found = next((r for r in page["items"] if r["order_id"] == order.order_id), None)
        cursor = page["cursor"]
        assert found or cursor
    assert "paid $400.00 for an order of $600.00" in found["reason"]
    assert api.get(f"/orders/{order.order_id}").body["status"] == "pending"
    resolved = api.post(
        f"/reviews/{found['review_id']}/resolve",
        {"note": "short by $200, credited 160 min", "minutes": 160},
        as_=billing,
    )
    assert resolved.status == 200, resolved
    assert OrderModel.get(order.order_id, consistent_read=True).status == "paid"
    [listed] = payments(api, account, billing)["items"]
    assert (listed["kind"], listed["amount"]["amount_minor"], listed["minutes"]) == ("order", 40_000, 160)


def test_a_visit_that_ends_closes_its_unpaid_extensions_V1_W4(api, make_account):
    tech = claims("technician", sub="tech-1")
    account = make_account("member")
    completed, cancelled = book(api, tech, account), book(api, tech, account, "2026-11-25T09:00:00-05:00")
    extensions = []
    for visit in (completed, cancelled):
        paid_checkout(api, OrderModel.get(visit["order_id"]), CREATED + 5)
        extensions.append(api.post(f"/visits/{visit['visit_id']}/extensions", {"hours": 1}, as_=tech).body["order_id"])
    assert api.post(f"/tickets/{completed['ticket_id']}/close", as_=tech).status == 200
    assert api.post(f"/visits/{cancelled['visit_id']}/cancel", {"reason": "customer away"}, as_=tech).status == 200
    for visit, extension in zip((completed, cancelled), extensions, strict=True):
        assert OrderModel.get(extension, consistent_read=True).status == "cancelled"
        orders = {o["order_id"]: o for o in api.get(f"/visits/{visit['visit_id']}", as_=tech).body["orders"]}
        assert orders[extension]["status"] == "cancelled"


def test_an_accounts_visits_newest_first_with_the_link_of_one_not_paid_W1(api, make_account):
    tech = claims("technician", sub="tech-1")
    account = make_account("member")
    older = book(api, tech, account, "2026-11-20T09:00:00-05:00")
    newer = book(api, tech, account, "2026-11-27T09:00:00-05:00")
    paid_checkout(api, OrderModel.get(older["order_id"]), CREATED + 5)
    reply = api.get(f"/accounts/{account}/visits", as_=claims("customer", account))
    assert reply.status == 200, reply
    items = reply.body["items"]
    assert [v["visit_id"] for v in items] == [newer["visit_id"], older["visit_id"]]
    assert items[0]["status"] == "awaiting_payment" and "/local-pay/" in items[0]["checkout_url"]
    assert items[1]["status"] == "confirmed" and "checkout_url" not in items[1]
    assert api.get(f"/accounts/{account}/visits", as_=claims("customer", make_account("member"))).status == 404


def test_billing_lists_open_disputes_oldest_first_with_names_W4(api, make_account, open_ticket, log_time):
    account = make_account("member", 600)
    ticket = open_ticket(account, "Mail server down")
    entries = [log_time(ticket, f"2026-01-06T{h}:00:00-05:00", 30).body["entry_id"] for h in (10, 11)]
    owner, billing = claims("customer", account), claims("billing", sub="billing-staff")
    for entry_id, why in zip(entries, ("too long", "not done"), strict=True):
        assert api.post(f"/tickets/{ticket}/time-entries/{entry_id}/dispute", {"reason": why}, as_=owner).status == 200
    assert api.get("/disputes", as_=claims("technician")).status == 403
    assert api.get("/disputes", query={"status": "maybe"}, as_=billing).status == 400

    def listed(status: str) -> list[dict]:
        found, cursor = [], None
        while True:
            page = api.get(
                "/disputes", query={"status": status, **({"cursor": cursor} if cursor else {})}, as_=billing
            ).body
            found += [d for d in page["items"] if d["ticket_id"] == ticket]
            cursor = page["cursor"]
            if not cursor:
                return found

    open_ = listed("open")
    assert [d["entry_id"] for d in open_] == entries and open_[0]["reason"] == "too long"
    assert open_[0]["account_name"] == "member customer" and open_[0]["ticket_title"] == "Mail server down"
    resolution = {"outcome": "upheld", "note": "rounded wrongly; voided by the technician"}
    assert api.post(f"/tickets/{ticket}/time-entries/{entries[0]}/resolve", resolution, as_=billing).status == 200
    assert [d["entry_id"] for d in listed("open")] == entries[1:]
    [resolved] = listed("resolved")
    assert resolved["status"] == "upheld" and resolved["credited_minutes"] == 0 and resolved["resolved_at"]


def test_an_agreement_ending_at_the_term_end_is_ended_when_stripe_ends_its_subscription_O6(api, make_account):
    account = make_account("member")
    order = placed(api, account, 2, kind="recurring")
    inv, sub = sid("in"), sid("sub")
    paid = event("checkout.session.completed", session(order, invoice=inv, subscription=sub), created=CREATED)
    assert deliver(api, paid).status == 200
    billing = claims("billing", sub="billing-staff")
    path = f"/accounts/{account}/agreements/{order.order_id}/end"
    assert api.post(path, {"when": "term_end", "reason": "as agreed"}, as_=billing).body["status"] == "ending"
    deleted = {
        "id": sub,
        "object": "subscription",
        "status": "canceled",
        "metadata": {"order_id": order.order_id, "account_id": account},
    }
    for _ in range(2):  # a redelivery changes nothing
        assert deliver(api, event("customer.subscription.deleted", deleted, created=CREATED + 2_700_000)).status == 200
    [agreement] = api.get(f"/accounts/{account}/agreements", as_=billing).body["items"]
    assert agreement["status"] == "ended" and agreement["next_charge_at"] is None and agreement["ended_at"]
