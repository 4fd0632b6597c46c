"""Billing's desk in a real browser (issue 24; SPEC W4, V1, O8, C6, M1): Debian's chromium driven by Playwright by
label and role, on the local gateway serving ``web/`` with the template's functions on DynamoDB Local.

The person who runs the books does a month in the browser alone, at desktop size and at 390x844: opens an account
(its invitation goes out), changes its plan (told how the month end splits the month), books an onsite visit
seeing its price before confirming, copies the payment link (the local Checkout page pays it), orders more hours,
sees the visit completed and what was refunded, settles a payment kept for review (money as money), and records a
purchase by phone with the money received. Screenshots go to ``.artifacts/billing/`` (gitignored).

Only what this test made is looked for, by its unique names: other test files share the stack's lists.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from devstack.adapters import read_outbox
from devstack.jwt_local import mint
from tests.support import browser as fixtures

site, call, browser, new_page = fixtures.site, fixtures.call, fixtures.browser, fixtures.new_page

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "billing"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ZONE = "America/New_York"  # the browser context's (tests/support/browser.py)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways ({width} px)"


def sign_in_as_billing(page: Any) -> None:
    page.goto("/portal/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/local-auth/oauth2/authorize?*")
    page.get_by_label("Sign in as").select_option("billing")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/**")
    page.locator("#sign-out").wait_for()  # the code exchanged: a navigation now would abandon the sign-in


def every_control_is_labelled(page: Any) -> None:
    """Every input, select, textarea and button on the page has an accessible name (as the portal's test asks)."""
    unlabelled = page.evaluate("""() => Array.from(
          document.querySelectorAll('input:not([type=hidden]), select, textarea, button'))
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !(el.textContent || '').trim())
        .map((el) => el.outerHTML)""")
    assert unlabelled == []


def view_up(page: Any) -> None:
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'")


def status_of(page: Any, form: str, text: str | re.Pattern) -> str:
    result = page.locator(f"{form} .form-result").filter(has_text=text)
    result.wait_for()
    return result.inner_text()


def open_account(page: Any, name: str, email: str, size: str) -> str:
    page.get_by_role("link", name="Billing", exact=True).click()
    view_up(page)
    shot(page, f"{size}-0-billing")
    page.get_by_role("link", name="Open an account").click()
    view_up(page)
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Plan").select_option("member")
    page.get_by_label("Timezone").select_option("America/Chicago")
    page.get_by_role("button", name="Open the account").click()
    page.wait_for_url("**/portal/#/billing/accounts/acc_*")
    page.get_by_role("heading", name=name).wait_for()
    assert f"An invitation to sign in was e-mailed to {email}" in page.locator("#invitation").inner_text()
    invites = [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["to"] == email and "sign-in" in m["subject"]]
    assert len(invites) == 1, invites  # SPEC W1: it went, once
    owner = page.locator("#contacts li").filter(has_text=email)
    assert "invited" in owner.inner_text() and "not signed in yet" in owner.inner_text()
    owner.get_by_role("button", name="Send the invitation again").click()
    owner.get_by_text(f"The invitation went again to {email}.").wait_for()
    assert len([m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["to"] == email]) == 2
    assert (
        page.get_by_role("link", name="Invite someone else, or remove someone")
        .get_attribute("href")
        .endswith("/contacts")
    )
    return page.url.split("#/billing/accounts/")[1].split("?")[0]


def change_plan(page: Any) -> None:
    page.get_by_label("New plan").select_option("business_priority")
    page.get_by_role("button", name="Change plan").click()
    said = status_of(page, "#plan-form", "Now on Business Priority Support")
    assert "until today it was on Member" in said and "splits this month by the days on each" in said, said
    assert "prorated by those days" in page.locator("#plan-h ~ p.help").inner_text()
    page.get_by_label("New plan").select_option("member")  # back: the rest of the month is a member's
    page.get_by_role("button", name="Change plan").click()
    status_of(page, "#plan-form", "Now on Member")
    page.locator("#plan-history li").nth(2).wait_for()  # member, business priority, member


def pay_locally(call: Any, checkout_url: str) -> None:
    """What the local pay page's button does: its form posted, the page signs and posts the event."""
    url = urlsplit(checkout_url)
    order_id = url.query.split("order=")[1]
    paid = call(
        "POST", f"{url.path}/pay", f"order={order_id}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert paid.status == 303, paid


def book_and_pay_a_visit(page: Any, tag: str, size: str) -> tuple[str, str]:
    tomorrow = (datetime.now(ZoneInfo(ZONE)) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    page.get_by_label("When").fill(tomorrow)
    page.get_by_label("Hours onsite (estimate)").select_option("3")
    page.get_by_label("Address").fill(f"12 Harbour Road {tag}")
    agreed = datetime.now(ZoneInfo(ZONE)) - timedelta(hours=2)  # booked on the phone two hours ago
    page.get_by_label("Agreed (earlier, e.g. by phone)").fill(agreed.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="See the price").click()
    price = page.locator("#visit-price")
    price.wait_for()
    assert "3 h onsite for $650.00" in price.inner_text() and "base fee $350.00" in price.inner_text()
    shot(page, f"{size}-2-visit-price")
    page.get_by_role("button", name="Book for $650.00").click()
    page.wait_for_url("**/portal/#/billing/visits/vis_*")
    page.locator("#visit-state").filter(has_text="Waiting for the customer to pay $650.00").wait_for()
    page.get_by_role("button", name="Copy the link").click()
    page.locator(".payment-link .form-result").filter(has_text=re.compile("Copied|Selected")).wait_for()
    link = page.get_by_role("textbox", name="Payment link").input_value()
    assert "/local-pay/" in link
    shot(page, f"{size}-3-visit-link")
    every_control_is_labelled(page)
    # The customer pays on the (local) Checkout page the link opens.
    customer = page.context.new_page()
    customer.goto(link)
    customer.get_by_role("button", name=re.compile(r"^Pay")).click()
    customer.wait_for_url("**/paid.html?order=ord_*")
    customer.close()
    visit_id = page.url.split("#/billing/visits/")[1]
    page.reload()
    page.locator("#visit-state").filter(has_text="Paid and confirmed: 3 h").wait_for()
    return visit_id, link


def extend_and_complete(page: Any, call: Any, visit_id: str, size: str) -> None:
    page.get_by_label("More hours").select_option("1")
    page.get_by_role("button", name="Order 1 h more for $150.00").click()
    status_of(page, "#extend-form", "Ordered 1 h more for $150.00")
    pay_locally(call, page.get_by_role("textbox", name="Payment link").input_value())
    # The technician works an hour and closes the visit's ticket: that completes the visit (SPEC V1).
    tech = mint("technician", sub=f"billweb-tech-{size}")
    ticket_id = call("GET", f"/visits/{visit_id}", token=tech).body["ticket_id"]
    started = call("GET", f"/tickets/{ticket_id}", token=tech).body["opened_at"]
    entry = call(
        "POST",
        f"/tickets/{ticket_id}/time-entries",
        {"work_type": "onsite", "started_at": started, "minutes": 50, "note": "router replaced"},
        token=tech,
    )
    assert entry.status == 201, entry
    assert call("POST", f"/tickets/{ticket_id}/close", token=tech).status == 200
    page.reload()
    page.locator("#visit-state").filter(has_text="Completed").wait_for()
    said = page.locator("#visit-state").inner_text()
    assert "1 h used of 4 h paid for; $450.00 due back" in said, said  # $800 paid, $350 for the first hour
    page.locator("#visit-refunded").filter(has_text="$450.00").wait_for()
    shot(page, f"{size}-4-visit-completed")


def kept_for_review(call: Any, account_id: str) -> None:
    """A customer's order paid short ($10.00 of $300.00): Stripe's event is kept for review (SPEC O8)."""
    from devstack.stripe_shapes import event, session, sid
    from hourbank.payments.webhook_signature import sign_webhook
    from hourbank.store.models import OrderModel

    customer = mint("customer", account_id=account_id)
    order = call("POST", "/orders", {"account_id": account_id, "hours": 2}, token=customer)
    assert order.status == 201, order
    short = session(OrderModel.get(order.body["order_id"], consistent_read=True), payment_intent=sid("pi"))
    short["amount_total"] = 1_000
    body = json.dumps(event("checkout.session.completed", short, created=int(datetime.now(UTC).timestamp())))
    sent = call(
        "POST",
        "/webhooks/stripe",
        body,
        headers={"Stripe-Signature": sign_webhook(body, os.environ["STRIPE_WEBHOOK_SECRET"])},
    )
    assert sent.status == 200 and sent.body["outcome"] == "review", sent


def settle_review(page: Any, name: str, size: str) -> None:
    page.get_by_role("link", name="Billing", exact=True).click()
    view_up(page)
    page.get_by_role("link", name="Payments kept for review").click()
    view_up(page)
    mine = page.locator("li.review").filter(has_text=name)
    mine.wait_for()
    assert "$10.00 received for" in mine.inner_text() and "an order of $300.00" in mine.inner_text()
    shot(page, f"{size}-5-review")
    mine.get_by_label("What was done (kept with the review)").fill("Refunded the $10.00 at Stripe; asked to pay again")
    mine.get_by_role("button", name="Settle").click()
    mine.get_by_text("Settled. Its order is cancelled.").wait_for()


def disputed_entry(call: Any, account_id: str, tag: str) -> None:
    """The customer questions time billed on a closed ticket (SPEC C6): it waits on billing's list."""
    tech = mint("technician", sub=f"billweb-tech-{tag}")
    ticket = call(
        "POST", "/tickets", {"account_id": account_id, "title": f"Printer {tag}", "priority": "normal"}, token=tech
    )
    assert ticket.status == 201, ticket
    ticket_id = ticket.body["ticket_id"]
    entry = call(
        "POST",
        f"/tickets/{ticket_id}/time-entries",
        {"work_type": "remote", "started_at": ticket.body["opened_at"], "minutes": 1, "note": "driver"},
        token=tech,
    )
    assert entry.status == 201, entry
    assert call("POST", f"/tickets/{ticket_id}/close", token=tech).status == 200  # questioned once billed
    asked = call(
        "POST",
        f"/tickets/{ticket_id}/time-entries/{entry.body['entry_id']}/dispute",
        {"reason": "Nobody called us about the printer"},
        token=mint("customer", account_id=account_id),
    )
    assert asked.status == 200, asked


def clear_other_disputes(call: Any, name: str) -> None:
    """Billing has answered every other open dispute (the suite's other tests leave theirs open, more than a page),
    so the one this journey raised is the only one waiting: found on the page without paging."""
    billing = mint("billing")
    for _ in range(20):
        page = call("GET", "/disputes?status=open&limit=100", token=billing)
        assert page.status == 200, page
        others = [d for d in page.body["items"] if d.get("account_name") != name]
        if not others:
            return
        for d in others:
            answered = call(
                "POST",
                f"/tickets/{d['ticket_id']}/time-entries/{d['entry_id']}/resolve",
                {"outcome": "rejected", "note": "Checked with the technician: the time stands"},
                token=billing,
            )
            assert answered.status in (200, 409), answered


def resolve_dispute(page: Any, name: str, size: str) -> None:
    page.get_by_role("link", name="Billing", exact=True).click()
    view_up(page)
    page.get_by_role("link", name="Open disputes").click()
    view_up(page)
    mine = page.locator("li.dispute-item").filter(has_text=name)
    mine.wait_for()  # the only one open: oldest first, on the first page
    assert "Nobody called us about the printer" in mine.inner_text() and "Printer" in mine.inner_text()
    mine.get_by_label("Outcome").select_option("upheld")
    mine.get_by_label("Hours to credit back (upheld only)").fill("0.5")
    mine.get_by_label("Note to the customer").fill("Sorry: the time is credited back")
    shot(page, f"{size}-6-dispute")
    mine.get_by_role("button", name="Resolve").click()
    mine.get_by_text("Upheld: 30 min credited back.").wait_for()


def month_end(page: Any, size: str) -> None:
    page.get_by_role("link", name="Billing", exact=True).click()
    view_up(page)
    page.get_by_role("link", name="Month end").click()
    view_up(page)
    page.locator("#month-status").wait_for()
    assert page.get_by_role("button", name=re.compile(r"^(Run the month end for|Run it again)")).count() == 1
    shot(page, f"{size}-8-month-end")


def phone_sale(page: Any, account_id: str, size: str) -> None:
    page.goto(f"/portal/#/billing/accounts/{account_id}")
    view_up(page)
    page.get_by_label("A purchase by phone (money received)").check()
    page.get_by_label("Hours", exact=True).fill("4")
    page.get_by_label("Money received (USD)").fill("600.00")
    page.get_by_label("Reason").fill("Bought 4 h by phone, card taken on the call")
    page.get_by_role("button", name="Record it").click()
    said = status_of(page, "#adjust-form", "Recorded: 4 h for $600.00 received")
    assert "The balance is now" in said, said
    page.locator("#payments li").filter(has_text="Bought by phone").filter(has_text="$600.00").wait_for()
    page.locator("#payments li").filter(has_text="Onsite visit").filter(has_text="$650.00").wait_for()
    shot(page, f"{size}-7-phone-sale")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_billing_does_a_month_in_the_browser_W4_V1_O8(new_page, call, size):
    tag = uuid.uuid4().hex[:6]
    name = f"Riverside Clinic {size} {tag}"
    email = f"books.{tag}@billing.example"
    page = new_page(DESKTOP if size == "desktop" else PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_as_billing(page)

    try:
        account_id = open_account(page, name, email, size)
        change_plan(page)
        shot(page, f"{size}-1-account")
        every_control_is_labelled(page)
        no_sideways_scroll(page)

        visit_id, _ = book_and_pay_a_visit(page, tag, size)
        extend_and_complete(page, call, visit_id, size)
        no_sideways_scroll(page)

        kept_for_review(call, account_id)
        settle_review(page, name, size)
        no_sideways_scroll(page)

        disputed_entry(call, account_id, tag)
        clear_other_disputes(call, name)
        resolve_dispute(page, name, size)
        no_sideways_scroll(page)

        phone_sale(page, account_id, size)
        no_sideways_scroll(page)

        month_end(page, size)
        no_sideways_scroll(page)
        assert page.js_errors == []
    except Exception:
        shot(page, f"{size}-failed")  # where it stood, to look at
        raise
