"""An onsite visit over the local stack (SPEC V1; API.md ``/visits``): real HTTP to the local gateway, real
JWTs, the local stand-in for Stripe Checkout paying by a signed ``checkout.session.completed`` posted to the
real webhook, DynamoDB Local underneath - booked, paid, worked, extended, completed; and its pay page in
Debian's chromium.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from devstack.http_client import Reply
from devstack.jwt_local import mint
from tests.e2e import test_order_form_browser as _shop

# The order form's local stack with its pages (the local pay page), its client and its browser.
site, call, browser, page = _shop.site, _shop.call, _shop.browser, _shop.page

pytestmark = pytest.mark.e2e

WHEN = "2026-11-24T09:00:00-05:00"
OPENED = "2026-11-20T08:00:00-05:00"  # booked by phone before the work (SPEC T8: no work before the opening)


def at(hhmm: str) -> str:
    return f"2026-11-24T{hhmm}:00-05:00"


def pay_locally(call: Callable[..., Reply], checkout_url: str) -> Reply:
    """What the local pay page's button does: its form posted, the page signs and posts the event."""
    url = urlsplit(checkout_url)
    page_reply = call("GET", f"{url.path}?{url.query}")
    assert page_reply.status == 200 and "Onsite visit" in page_reply.body, page_reply
    order_id = url.query.split("order=")[1]
    return call(
        "POST", f"{url.path}/pay", f"order={order_id}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def test_a_visit_is_booked_paid_worked_extended_and_completed_over_http_V1(call):
    tech, billing = mint("technician", sub="e2e-tech"), mint("billing", sub="e2e-billing")
    account = call(
        "POST",
        "/accounts",
        {"name": "Harbour Dental", "email": "it@harbour.example", "plan": "non_member"},
        token=billing,
    ).body["account_id"]
    booked = call(
        "POST",
        "/visits",
        {
            "account_id": account,
            "scheduled_at": WHEN,
            "address": "12 Harbour Road",
            "estimate_hours": 2,
            "additional_hour_rate_minor": 11_000,
            "opened_at": OPENED,
        },
        token=tech,
    )
    assert booked.status == 201, booked
    visit_id, ticket_id = booked.body["visit_id"], booked.body["ticket_id"]
    assert booked.body["price"] == {"currency": "USD", "amount_minor": 47_500}  # $350 + ceil($110/$25) x $25

    def entry(minutes: int, work_type: str, start: str) -> Reply:
        return call(
            "POST",
            f"/tickets/{ticket_id}/time-entries",
            {"work_type": work_type, "started_at": at(start), "minutes": minutes, "note": "onsite"},
            token=tech,
        )

    unpaid = entry(30, "onsite", "09:00")
    assert unpaid.status == 402 and unpaid.body["error"]["code"] == "visit_not_paid"

    paid = pay_locally(call, booked.body["checkout_url"])
    assert paid.status == 303 and "/paid.html?order=" in paid.headers["location"]
    visit = call("GET", f"/visits/{visit_id}", token=mint("customer", account_id=account)).body
    assert (visit["status"], visit["prepaid_hours"]) == ("confirmed", 2)
    balance = call("GET", f"/accounts/{account}", token=billing).body
    assert balance["balance_minutes"] == 0  # paying a visit credits no minutes

    assert entry(30, "travel", "08:30").status == 201
    assert entry(90, "onsite", "09:00").status == 201  # 2 h
    more = entry(31, "onsite", "10:30")  # 121 min: 3 h of 2
    assert more.status == 402 and more.body["error"]["details"]["hours_to_add"] == 1, more

    ext = call("POST", f"/visits/{visit_id}/extensions", {"hours": 2}, token=tech)
    assert ext.status == 201 and ext.body["price"]["amount_minor"] == 22_500, ext  # $700 - $475
    assert pay_locally(call, ext.body["checkout_url"]).status == 303
    assert entry(31, "onsite", "10:30").status == 201

    closed = call("POST", f"/tickets/{ticket_id}/close", token=tech)
    assert closed.status == 200 and closed.body["debited_minutes"] == 0, closed
    done = call("GET", f"/visits/{visit_id}", token=tech).body
    assert (done["status"], done["used_hours"], done["unused_hours"]) == ("completed", 3, 1)  # 121 min onsite
    # V1: 4 h paid = $700; 3 h used = $575: the unused hour's $125 goes back (locally recorded, not sent).
    assert done["refund_due"]["amount_minor"] == done["refunded"]["amount_minor"] == 12_500
    assert done["refunds"][0]["refund_id"].startswith("re_local_")
    month = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m")  # the refund's month
    statement = call("GET", f"/accounts/{account}/statements/{month}", token=billing)
    assert statement.status == 200, statement
    assert ("refund", -12_500) in [(v["kind"], v["amount"]["amount_minor"]) for v in statement.body["visits"]]


def test_the_visits_pay_page_in_a_browser_confirms_the_visit_V1(page, call):
    tech = mint("technician", sub="e2e-tech")
    account = call(
        "POST", "/accounts", {"name": "Pier Cafe", "email": "it@pier.example", "plan": "member"}, token=mint("billing")
    ).body["account_id"]
    booked = call(
        "POST",
        "/visits",
        {"account_id": account, "scheduled_at": WHEN, "address": "1 Pier St", "estimate_hours": 3},
        token=tech,
    ).body
    page.goto(booked["checkout_url"])
    assert "Onsite visit: base fee and 3 h" in page.locator("#visit").inner_text()
    assert "650.00 USD" in page.locator("#total").inner_text()  # $350 + 2 x $150
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.locator("#status").filter(has_text="onsite visit is confirmed").wait_for()
    visit = call("GET", f"/visits/{booked['visit_id']}", token=tech).body
    assert (visit["status"], visit["prepaid_hours"], visit["paid"]["amount_minor"]) == ("confirmed", 3, 65_000)
