"""SPEC N1 in the browser, at desktop and phone size: a customer chooses which e-mails come (the three switches on
the portal's settings page, saved through ``PUT /accounts/{id}/notifications``), and staff read in words that SES
reported the account's address bouncing (the MailFeedbackFunction given a real-shaped SES notice). Screenshots go
to ``.artifacts/notifications/``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from devstack.jwt_local import mint
from tests.e2e.test_portal_browser import every_control_is_labelled, sign_in
from tests.support import browser as fixtures

site, call, browser, new_page = fixtures.site, fixtures.call, fixtures.browser, fixtures.new_page

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "notifications"
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def bounce(address: str) -> None:
    """SES says mail to ``address`` bounced for good: the notice through the function, as SNS would deliver it."""
    from devstack.lambda_runtime import functions, invoke

    event = json.loads((ROOT / "events" / "mail_feedback-bounce.json").read_text())
    sns = event["Records"][0]["Sns"]
    sns["Message"] = sns["Message"].replace("customer@example.test", address)
    assert invoke(functions(strict=False)["MailFeedbackFunction"], event, source="test")["marked"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_customer_chooses_their_e_mails_and_staff_see_a_bounce_in_words_N1(new_page, call, size):
    address = f"n1.{uuid.uuid4().hex[:8]}@choices.example"
    account = call(
        "POST", "/accounts", {"name": "Choices Ltd", "email": address, "plan": "member"}, token=mint("billing")
    ).body["account_id"]
    page = new_page(PHONE if size == "phone" else None)
    sign_in(page, "customer", account)
    page.locator("#balance").wait_for()
    page.get_by_role("link", name="Settings").click()
    receipts = page.get_by_label("Receipts")
    assert receipts.is_checked() and page.get_by_label("Ticket updates").is_checked()
    assert "always come" in page.locator("#mail-choices").locator("xpath=preceding-sibling::p[1]").inner_text()
    receipts.uncheck()
    page.get_by_role("button", name="Save e-mail choices").click()
    page.locator("#mail-choices .form-result.ok").filter(has_text="we will e-mail ticket updates").wait_for()
    every_control_is_labelled(page)
    shot(page, f"settings-{size}")
    chosen = call("GET", f"/accounts/{account}/notifications", token=mint("billing")).body
    assert chosen == {"ticket_updates": True, "receipts": False, "statements": True}
    page.reload()
    page.get_by_label("Receipts").wait_for()
    assert not page.get_by_label("Receipts").is_checked()  # kept
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll

    bounce(address)
    staff = new_page(PHONE if size == "phone" else None)
    sign_in(staff, "billing")
    staff.goto(f"/portal/#/accounts/{account}")
    notice = staff.locator("#mail-problem")
    notice.wait_for()
    assert f"Mail to {address} bounced on" in notice.inner_text()
    assert "Hourbank no longer e-mails it; correct the address or add another contact." in notice.inner_text()
    shot(staff, f"account-mail-problem-{size}")
    assert page.js_errors == [] and staff.js_errors == []
