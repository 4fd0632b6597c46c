"""A ticket's conversation in a real browser (SPEC W1, W5; issue 22 item 1): a customer raises a ticket in the
portal (the priority's meaning in seed 003's words), follows it and replies; a technician writes to the customer
and leaves an internal note the customer never sees. One journey at desktop size and one at 390x844; and the C4
refusal of a non-member with no hours reads as a sentence with how much to buy and a link to buy it.
Screenshots go to ``.artifacts/conversation/`` (gitignored)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devstack.jwt_local import mint
from tests.support import browser as fixtures

site, call, browser, new_page = fixtures.site, fixtures.call, fixtures.browser, fixtures.new_page

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "conversation"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, role: str, account: str | None = None) -> None:
    page.goto("/portal/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/local-auth/oauth2/authorize?*")
    page.get_by_label("Sign in as").select_option(role)
    if account:
        page.get_by_label("Account id (customers)").fill(account)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/**")
    page.locator("#sign-out").wait_for()


def new_account(call: Callable[..., Any], name: str, plan: str = "member", grant: int = 600) -> str:
    billing = mint("billing")
    email = f"convo.{uuid.uuid4().hex[:8]}@convo.example"
    account = call("POST", "/accounts", {"name": name, "email": email, "plan": plan}, token=billing)
    assert account.status == 201, account
    if grant:
        granted = call(
            "POST",
            f"/accounts/{account.body['account_id']}/adjustments",
            {"minutes": grant, "kind": "grant", "reason": "conversation test hours"},
            token=billing,
        )
        assert granted.status == 201, granted
    return account.body["account_id"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_W5_a_customer_raises_a_ticket_and_a_technician_answers_and_notes(new_page, call, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    account = new_account(call, f"Harbor Dental {size}")
    title = f"Printer jams {uuid.uuid4().hex[:6]}"

    # 1. The customer raises a ticket from the portal's navigation; urgent is explained before choosing.
    customer = new_page(viewport)
    sign_in(customer, "customer", account)
    customer.get_by_role("link", name="Raise a ticket").first.click()
    assert "stops all your users and there is no workaround" in customer.locator("#raise-priority").inner_text()
    customer.get_by_label("What is the problem, in a line?").fill(title)
    customer.get_by_label("What happened").fill("Tray 2 jams on every print.\nSince Monday.")
    shot(customer, f"{size}-1-raise")
    customer.get_by_role("button", name="Raise ticket").click()
    customer.locator("#conversation").wait_for()
    assert customer.get_by_role("heading", name=title).is_visible()
    assert "Since Monday." in customer.locator("#description").inner_text()
    customer.get_by_label("Your reply").fill("It jams on tray 3 too.")
    customer.get_by_role("button", name="Send reply").click()
    customer.locator("li.message", has_text="It jams on tray 3 too.").wait_for()
    ticket_id = customer.evaluate("location.hash").split("/")[-1]

    # 2. A technician writes to the customer and leaves an internal note, on the ticket's page.
    tech = new_page(viewport)
    sign_in(tech, "technician")
    tech.goto(f"/portal/#/tickets/{ticket_id}")
    tech.locator("#conversation li.message", has_text="tray 3").wait_for()
    assert "(customer)" in tech.locator("li.message", has_text="tray 3").inner_text()
    tech.get_by_label("Write to the customer").fill("I will bring a new roller at 3 pm.")
    tech.get_by_role("button", name="Send to the customer").click()
    tech.locator("li.message", has_text="new roller").wait_for()
    tech.get_by_label("Internal note").fill("Roller part no. 4411 is in the van.")
    tech.get_by_role("button", name="Save note").click()
    note = tech.locator("li.message.internal", has_text="4411")
    note.wait_for()
    assert "Internal note — the customer does not see this" in note.inner_text()
    tech.locator("#sla", has_text="first response").wait_for()  # S1: the message was the first response
    shot(tech, f"{size}-2-desk")

    # 3. The customer reads the answer, never the note.
    customer.reload()
    customer.locator("li.message", has_text="new roller").wait_for()
    text = customer.locator("#conversation").inner_text()
    assert "(technician)" in text and "4411" not in text and "Internal note" not in text
    assert customer.get_by_label("Internal note").count() == 0
    shot(customer, f"{size}-3-answered")
    assert customer.js_errors == [] and tech.js_errors == []


def test_C4_a_non_member_with_no_hours_is_told_how_much_to_buy(new_page, call):
    account = new_account(call, "Corner Bakery", plan="non_member", grant=0)
    page = new_page(PHONE)
    sign_in(page, "customer", account)
    page.goto(f"/portal/#/accounts/{account}/raise")
    page.get_by_label("What is the problem, in a line?").fill("Laptop will not start")
    page.get_by_role("button", name="Raise ticket").click()
    refused = page.locator("#raise-refused")
    refused.wait_for()
    assert "no support time left" in refused.inner_text() and "Buy at least 1 h" in refused.inner_text()
    assert refused.get_by_role("link").get_attribute("href") == f"/?account={account}"
    shot(page, "phone-4-no-hours")
