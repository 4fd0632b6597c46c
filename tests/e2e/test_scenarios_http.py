"""SPEC scenarios 1-6, 8, 9 as a client drives them: real HTTP to the local gateway, real JWTs verified
as API Gateway would, real handlers, DynamoDB Local underneath."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e

DAY = "2026-11-16"  # a Monday; America/New_York (UTC-5); business hours 08:30-17:30


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00-05:00"


@pytest.fixture
def client(http, token):
    tech, billing = token("technician", sub="e2e-tech"), token("billing", sub="e2e-billing")

    class Client:
        def account(self, plan: str, minutes: int) -> str:
            email = f"it-{uuid.uuid4().hex[:12]}@e2e.example"  # SPEC O7: one address, one account
            status, body = http("POST", "/accounts", {"name": "E2E Co", "email": email, "plan": plan}, token=billing)
            assert status == 201, body
            if minutes:
                status, body2 = http(
                    "POST",
                    f"/accounts/{body['account_id']}/adjustments",
                    {"minutes": minutes, "kind": "purchase", "reason": "phone"},
                    token=billing,
                )
                assert status == 201, body2
            return body["account_id"]

        def ticket(self, account: str, **extra) -> str:
            extra = {"opened_at": f"{DAY}T07:00:00-05:00", **extra}  # SPEC T8: opened before the work it records
            status, body = http(
                "POST", "/tickets", {"account_id": account, "title": "E2E", "priority": "normal", **extra}, token=tech
            )
            assert status == 201, body
            return body["ticket_id"]

        def entry(self, ticket: str, start: str, minutes: int, work_type: str = "remote", expect: int = 201):
            status, body = http(
                "POST",
                f"/tickets/{ticket}/time-entries",
                {"work_type": work_type, "started_at": at(start), "minutes": minutes, "note": "n"},
                token=tech,
            )
            assert status == expect, body
            return body

        def emergency(self, ticket: str, active: bool, when: str) -> dict:
            status, body = http("POST", f"/tickets/{ticket}/emergency", {"active": active, "at": at(when)}, token=tech)
            assert status == 200, body
            return body

        def close(self, ticket: str) -> dict:
            status, body = http("POST", f"/tickets/{ticket}/close", token=tech)
            assert status == 200, body
            return body

        def balance(self, account: str, as_customer: bool = True) -> int:
            who = token("customer", account_id=account) if as_customer else billing
            status, body = http("GET", f"/accounts/{account}", token=who)
            assert status == 200, body
            return body["balance_minutes"]

    return Client()


def test_scenario_1_member_onsite_120(client):
    acc = client.account("member", 600)
    t = client.ticket(acc)
    client.entry(t, "09:00", 30, "travel")
    client.entry(t, "09:30", 60, "onsite")
    client.entry(t, "10:30", 30, "travel")
    assert client.close(t)["consumed_minutes"] == 120
    assert client.balance(acc) == 480


def test_scenario_2_non_member_onsite_240(client):
    acc = client.account("non_member", 300)
    t = client.ticket(acc)
    client.entry(t, "09:00", 30, "travel")
    client.entry(t, "09:30", 60, "onsite")
    client.entry(t, "10:30", 30, "travel")
    assert client.close(t)["consumed_minutes"] == 240
    assert client.balance(acc) == 60


def test_scenario_3_emergency_remote_180(client):
    acc = client.account("non_member", 240)
    t = client.ticket(acc, opened_at=at("08:50"))
    client.emergency(t, True, "08:55")
    assert client.entry(t, "09:00", 90)["weighted_minutes"] == 180
    assert client.close(t)["consumed_minutes"] == 180


def test_scenario_4_fifteen_minutes_30(client):
    acc = client.account("member", 60)
    t = client.ticket(acc)
    client.entry(t, "11:00", 15)
    assert client.close(t)["consumed_minutes"] == 30


def test_scenario_5_emergency_after_hours_x4(client):
    acc = client.account("member", 120)
    t = client.ticket(acc, opened_at=at("18:30"))
    client.emergency(t, True, "18:45")
    assert client.entry(t, "19:00", 30)["segments"][0]["multiplier"] == 4
    assert client.close(t)["consumed_minutes"] == 120


def test_scenario_6_downgrade_half_way_180(client):
    acc = client.account("member", 300)
    t = client.ticket(acc, opened_at=at("09:50"))
    client.emergency(t, True, "10:00")
    client.emergency(t, False, "11:00")
    client.entry(t, "10:00", 120)
    assert client.close(t)["consumed_minutes"] == 180


def test_scenario_8_member_postpay_225(client):
    acc = client.account("member", 60)
    t = client.ticket(acc)
    client.entry(t, "13:00", 150)
    result = client.close(t)
    assert (result["debited_minutes"], result["postpay_minutes"], result["balance_minutes"]) == (60, 90, 0)


def test_scenario_9_non_member_402_says_how_much(client, http, token):
    acc = client.account("non_member", 60)
    t = client.ticket(acc)
    client.entry(t, "09:00", 60)
    refused = client.entry(t, "10:00", 30, expect=402)
    assert refused["error"]["details"]["top_up_minutes"] == 60
    status, ticket = http("GET", f"/tickets/{t}", token=token("customer", account_id=acc))
    assert status == 200 and len(ticket["entries"]) == 1


def test_scenario_10_same_stripe_event_three_times_concurrently_credits_once_O2(http, http_reply, token):
    """A new customer orders on the form (public route), Stripe delivers one signed event three times at
    once to the gateway; the credit lands once and the order page shows the balance."""
    import json
    import os
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from hourbank.payments.webhook_signature import sign_webhook
    from hourbank.store.models import OrderModel
    from scripts.localdev.stripe_shapes import event, session, sid

    status, order = http(
        "POST",
        "/orders",
        {"name": "Corner Bakery", "email": f"owner-{sid('e')}@bakery.example", "hours": 10},
        headers={"Idempotency-Key": sid("form")},
    )
    assert status == 201 and order["price"] == {"currency": "USD", "amount_minor": 285_000}, order
    assert "/local-pay/" in order["checkout_url"]
    stored = OrderModel.get(order["order_id"], consistent_read=True)
    body = json.dumps(event("checkout.session.completed", session(stored, payment_intent=sid("pi"))))
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    start = Barrier(3)

    def deliver(_: int) -> int:
        start.wait(timeout=10)
        for _attempt in range(50):  # Stripe retries until it gets a 2xx
            signed = {"Stripe-Signature": sign_webhook(body, secret)}
            reply = http_reply("POST", "/webhooks/stripe", body, headers=signed)
            if reply.status != 409:
                return reply.status
        return 409

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(deliver, range(3))) == [200, 200, 200]
    status, shown = http("GET", f"/orders/{order['order_id']}")
    assert (status, shown["status"], shown["credited_minutes"], shown["balance_minutes"]) == (200, "paid", 600, 600)
    status, ledger = http("GET", f"/accounts/{order['account_id']}/ledger", token=token("billing"))
    assert [e["kind"] for e in ledger["items"]] == ["purchase"]
    forged = http_reply("POST", "/webhooks/stripe", body, headers={"Stripe-Signature": "t=1,v1=00"})
    assert forged.status == 400
