"""The customer's payments, visits and recurring agreement in a real browser (issue 24; SPEC W1, O6, V1), on the
demo data ``make dev`` loads (``scripts/devstack/seed.py``, run here against the module's own tables): every payment
with its receipt (the local payment page sends Stripe's ``charge.succeeded`` with a receipt link), the visits with the
link of the one not paid, the agreement and the way to the (local stand-in of Stripe's) customer portal - at desktop
and phone size. And the demo's last month: closed, not invoiced, so the month-end run invoices its post-pay.
Screenshots go to ``.artifacts/payments/`` (gitignored)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_portal_browser import sign_in
from tests.support import browser as fixtures

site, call, browser, new_page = fixtures.site, fixtures.call, fixtures.browser, fixtures.new_page

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "payments"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def tables(tables: dict[str, str], dynamodb_local) -> Iterator[dict[str, str]]:
    """Tables of this module's own: the demo data's fixed names and addresses meet nothing another file made."""
    from devstack.template import create_tables, table_env
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    names = create_tables(dynamodb_local.client(), f"p{secrets.token_hex(3)}")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in table_env(names).items():
            mp.setenv(key, value)
        get_settings.cache_clear()
        transactions.bind()
        yield names
    get_settings.cache_clear()
    transactions.bind()


@pytest.fixture(scope="module")
def demo(site: str, tmp_path_factory) -> dict[str, str]:
    from devstack.seed import seed

    state = tmp_path_factory.mktemp("seed") / "seed.json"
    guide = seed(site, state=state)
    assert "month end" in guide
    return json.loads(state.read_text())


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_customer_sees_every_payment_each_visit_and_the_agreement_W1_O6(new_page, demo, size):
    page = new_page(DESKTOP if size == "desktop" else PHONE)
    sign_in(page, "customer", demo["member"])
    page.get_by_role("link", name="Payments").click()
    page.get_by_role("heading", name="Payments").wait_for()
    payments = page.locator("li.payment")
    payments.first.wait_for()
    text = page.locator("ul.payments").inner_text()
    assert "Bought by phone" in text and "$300.00" in text  # a purchase by phone, with the money received
    assert "Recurring pre-pay: 5 h this month" in text and "$600.00" in text
    assert "Onsite visit at 4 Elm Street, Springfield" in text and "$500.00" in text
    assert "$400.00" not in text  # the payment that did not match its order waits for billing (O8)
    assert "Receipt: ask billing (paid by phone)" in text
    receipt = page.get_by_role("link", name=re.compile(r"^Receipt for \$500\.00"))
    assert receipt.get_attribute("href").startswith(f"{page.url.split('/portal')[0]}/local-pay/receipt/")
    no_sideways_scroll(page)
    shot(page, f"payments-{size}")
    page.get_by_role("link", name="Visits").click()
    page.get_by_role("heading", name="Onsite visits").wait_for()
    visits = page.locator("li.visit")
    assert visits.count() == 2
    newest, paid = visits.nth(0).inner_text(), visits.nth(1).inner_text()
    assert "Awaiting payment" in newest and "Price $350.00" in newest
    pay = page.get_by_role("link", name="Pay $350.00 for this visit")
    assert "/local-pay/" in pay.get_attribute("href")
    assert "Paid, booked" in paid and "Hours used: 0 hours of 2 hours prepaid" in paid and "4 Elm Street" in paid
    no_sideways_scroll(page)
    shot(page, f"visits-{size}")
    page.get_by_role("link", name="Agreement").click()
    page.get_by_role("heading", name="Recurring agreement").wait_for()
    agreement = page.locator("section.agreement").inner_text()
    assert "5 h every month" in agreement and "Active" in agreement
    assert "$600.00 a month ($120.00 an hour)" in agreement and "Next charge" in agreement
    no_sideways_scroll(page)
    shot(page, f"agreement-{size}")
    page.get_by_role("button", name="Update card / see invoices").click()
    page.wait_for_url("**/local-pay/portal/**")
    assert "Local stand-in for Stripe's customer portal" in page.inner_text("body")
    assert page.locator("input").count() == 0  # never a card form
    shot(page, f"billing-portal-{size}")
    page.get_by_role("link", name="Return to Hourbank").click()
    page.get_by_role("heading", name="Recurring agreement").wait_for()
    assert page.js_errors == []


def test_the_demos_last_month_is_closed_work_that_month_end_invoices_M1(demo, call):
    """A newcomer's month end invoices something: last month's post-pay of the demo member (C2)."""
    from datetime import UTC, datetime

    from hourbank.monthend import month_close
    from hourbank.ports.settings import get_settings
    from hourbank.statements.monthly_statement import previous_month
    from hourbank.store.models import InvoiceModel

    month = previous_month(datetime.now(UTC), get_settings().calendar().tz)
    riverside = demo["member_last_month"]
    month_close.close_page(month, [riverside])
    [invoice] = list(InvoiceModel.query(riverside))
    # 150 + 45 minutes rounded per ticket (T5): 150 + 60 = 210 min post-pay at $150/h = $525.00
    assert (invoice.kind, int(invoice.minutes), int(invoice.amount_minor)) == ("postpay", 210, 52_500)
