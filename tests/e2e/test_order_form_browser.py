"""The order form and the local payment page as a buyer meets them (issue 4; SPEC O1, O2, P1; API.md
``POST /orders``): a real browser (Debian's chromium, driven by Playwright) on the local gateway serving
``web/`` and the stand-in for Stripe Checkout (``scripts/devstack/web.py``), the template's real functions
on DynamoDB Local behind it. The page pays by posting a signed, Stripe-shaped event to the real webhook.

Without /usr/bin/chromium the browser tests skip on a developer's machine and fail in CI (``.ci/run``
installs it). The plain-HTTP tests need no browser.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from devstack.http_client import Reply
from devstack.jwt_local import mint
from tests.support import browser as fixtures

pytestmark = pytest.mark.e2e

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 720}
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "order-form"  # as the portal's browser tests


# ------------------------------------------------------------------------------------------ fixtures


site, call, browser = fixtures.site, fixtures.call, fixtures.browser  # the shared browser-test fixtures


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context = browser.new_context(base_url=site, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def order_requests(page: Any) -> list[Any]:
    """Every POST /orders the page sends (not the quotes)."""
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and urlsplit(r.url).path == "/orders" else None)
    return sent


def balance_minutes(call: Callable[..., Reply], account_id: str) -> int:
    reply = call("GET", f"/accounts/{account_id}", token=mint("billing"))
    assert reply.status == 200, reply
    return reply.body["balance_minutes"]


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page: Any, selector: str) -> None:
    """The element is on screen without scrolling sideways (a phone's 390 px)."""
    box = page.locator(selector).bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box, width)


def page_assets(html: bytes) -> list[str]:
    """The same-site files a page loads: its scripts' ``src`` and its stylesheets' and preloads' ``href``."""
    text = html.decode("utf-8")
    return re.findall(r'<script[^>]*\ssrc="(/[^"]+)"', text) + re.findall(r'<link[^>]*\shref="(/[^"]+)"', text)


def new_order(call: Callable[..., Reply], hours: float, name: str = "Pay Twice Ltd") -> dict:
    reply = call("POST", "/orders", {"name": name, "email": "it@paytwice.example", "hours": hours})
    assert reply.status == 201, reply
    return reply.body


# --------------------------------------------------------------------------------------- plain HTTP


def test_the_site_is_served_and_nothing_outside_web_is(call):
    index = call("GET", "/")
    assert index.status == 200
    assert index.headers["content-type"].startswith("text/html")
    assert b"<title>Buy support hours - Hourbank</title>" in index.raw
    # The page's own script (the Vite build's entry and chunks), its stylesheet, config.js and the paid page.
    scripts = [p for p in page_assets(index.raw) if p.endswith(".js")]
    assert any(re.fullmatch(r"/assets/order-[\w-]+\.js", p) for p in scripts), scripts
    for path, content_type in [
        *((p, "text/javascript") for p in scripts),
        ("/style.css", "text/css"),
        ("/config.js", "text/javascript"),
        ("/paid.html", "text/html"),
    ]:
        reply = call("GET", path)
        assert (reply.status, reply.headers["content-type"].split(";")[0]) == (200, content_type), path
    assert b'window.HOURBANK_API_URL = ""' in call("GET", "/config.js").raw

    for path in [
        "/../template.yaml",
        "/%2e%2e/template.yaml",
        "/..%2ftemplate.yaml",
        "/web/../template.yaml",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/.git/config",
        "/missing.html",
        "/web",
    ]:
        reply = call("GET", path)
        assert reply.status == 404, (path, reply)
        assert b"AWSTemplateFormatVersion" not in reply.raw and b"root:" not in reply.raw


def test_template_routes_are_never_shadowed_by_pages(call):
    # A route of the template answers as its function does (API.md errors), not as a page would.
    assert call("GET", "/orders/ord_missing").body == {"error": {"code": "not_found", "message": "order not found"}}
    assert call("GET", "/accounts/acc_x").status == 401  # still behind the JWT authorizer
    wrong_method = call("DELETE", "/orders")
    assert wrong_method.status == 405 and "POST" in wrong_method.headers["allow"]
    assert call("POST", "/").body == {"message": "Not Found"}  # a page is GET only


def test_the_payment_page_only_opens_the_session_the_order_was_given(call):
    order = new_order(call, 1, name="Wrong Session Co")
    checkout = urlsplit(order["checkout_url"])
    page = call("GET", f"{checkout.path}?{checkout.query}")
    assert page.status == 200
    assert b"Local stand-in for Stripe Checkout" in page.raw and b"300.00 USD" in page.raw

    other = new_order(call, 1, name="Other Session Co")
    foreign = f"{checkout.path}?order={other['order_id']}"  # a session id that is not this order's
    assert call("GET", foreign).status == 404
    assert (
        call(
            "POST",
            f"{checkout.path}/pay",
            f"order={other['order_id']}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status
        == 404
    )
    assert call("GET", f"/orders/{other['order_id']}").body["status"] == "pending"


def test_pay_clicked_twice_credits_once_O2(call):
    order = new_order(call, 2)
    checkout = urlsplit(order["checkout_url"])
    assert parse_qs(checkout.query)["order"] == [order["order_id"]]

    def pay(_: int) -> Reply:
        return call(
            "POST",
            f"{checkout.path}/pay",
            f"order={order['order_id']}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(pay, range(2)))
    replies.append(pay(3))  # and once more after both finished: the back button, then Pay again
    for reply in replies:
        assert reply.status == 303, reply
        assert reply.headers["location"] == f"/paid.html?order={order['order_id']}"

    paid = call("GET", f"/orders/{order['order_id']}").body
    assert (paid["status"], paid["credited_minutes"], paid["balance_minutes"]) == ("paid", 120, 120)
    assert balance_minutes(call, order["account_id"]) == 120


# ------------------------------------------------------------------------------------------ browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_new_customer_orders_pays_and_sees_the_balance_O1_O2_P1(page, call, viewport):
    page.set_viewport_size(viewport)
    sent = order_requests(page)
    page.goto("/")
    page.get_by_label("Company or your name").fill("Corner Bakery")
    page.get_by_label("E-mail").fill(f"owner-{viewport['width']}@bakery.example")  # a new customer each time
    page.get_by_label("Hours").fill("10")
    # The API's quote before paying: non-member 10 h, P1 volume discount included = 285000 minor units.
    page.locator("#quote").filter(has_text="$2,850.00").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # nothing scrolls sideways

    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/local-pay/cs_local_*?order=ord_*")
    assert "Local stand-in for Stripe Checkout" in page.content()
    assert "2,850.00 USD" in page.locator("#total").inner_text()
    assert len(sent) == 1 and UUID.match(sent[0].headers["idempotency-key"])

    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.locator("#balance").filter(has_text="10 h").wait_for()
    assert "Paid: 10 h credited" in page.locator("#status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"paid-{viewport['width']}")

    order_id = parse_qs(urlsplit(page.url).query)["order"][0]
    order = call("GET", f"/orders/{order_id}").body
    assert (order["status"], order["credited_minutes"], order["balance_minutes"]) == ("paid", 600, 600)
    assert order["price"] == {"currency": "USD", "amount_minor": 285_000}
    assert balance_minutes(call, order["account_id"]) == 600


def test_a_signed_in_member_is_quoted_a_monthly_top_up_with_their_token_O6(page, call):
    account = call(
        "POST",
        "/accounts",
        {"name": "Member Co", "email": "it@member.example", "plan": "member"},
        token=mint("billing"),
    )
    assert account.status == 201, account
    account_id = account.body["account_id"]
    page.goto("/")
    page.get_by_label("I already have an account").check()
    page.get_by_label("Account id").fill(account_id)
    page.get_by_label("Hours").fill("5")
    page.get_by_label("Every month (members only)").check()
    assert "Enter your details" in page.locator("#quote").inner_text()  # no token yet: no quote asked

    page.get_by_label("Sign-in token").fill("not-a-token")
    page.locator("#token-error").filter(has_text="not accepted").wait_for()
    page.get_by_label("Sign-in token").fill(mint("customer", account_id=account_id))
    page.locator("#quote").filter(has_text="$600.00").wait_for()  # member recurring $120/h (O6), 5 h
    assert "every month" in page.locator("#quote").inner_text()


@pytest.mark.parametrize("hours", ["0.75", "600"])
def test_hours_the_api_refuses_are_shown_and_nothing_is_ordered_P1(page, hours):
    sent = order_requests(page)
    page.goto("/")
    page.get_by_label("Company or your name").fill("Too Much Ltd")
    page.get_by_label("E-mail").fill("it@toomuch.example")
    page.get_by_label("Hours").fill(hours)
    # The API's own words, next to the field (POST /orders/quote validates as POST /orders does).
    page.locator("#hours-error").filter(has_text="hours: must be between 1 and 500").wait_for()
    assert page.get_by_label("Hours").get_attribute("aria-invalid") == "true"

    page.get_by_role("button", name="Continue to payment").click()
    page.locator("#errors").filter(has_text="correct").wait_for()
    assert page.locator("#hours-error").inner_text() == "hours: must be between 1 and 500"
    assert sent == [] and urlsplit(page.url).path == "/"


def test_an_order_for_an_address_with_an_account_credits_it_and_shows_nothing_of_it_O7(page, call):
    """Issue 10: the address already has an account - the paid page says the hours went to it, no balance."""
    email = f"it-{uuid.uuid4().hex[:10]}@known.example"
    account = call(
        "POST", "/accounts", {"name": "Known Co", "email": email, "plan": "member"}, token=mint("billing")
    ).body["account_id"]
    page.goto("/")
    page.get_by_label("Company or your name").fill("Someone Else")
    page.get_by_label("E-mail").fill(email.upper())
    page.get_by_label("Hours").fill("2")
    page.locator("#quote").filter(has_text="$600.00").wait_for()  # priced as any anonymous order
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Continue to payment at $600.00").click()  # the choice the form offers
    page.wait_for_url("**/local-pay/cs_local_*?order=ord_*")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.locator("#status").filter(has_text="credited to the account of this e-mail address").wait_for()
    assert page.locator("#balance").count() == 0 and "undefined" not in page.locator("#status").inner_text()
    assert balance_minutes(call, account) == 120


# ------------------------------------------------------------------- issue 11: messages and page headers


def test_an_email_the_browser_accepts_but_the_api_refuses_says_what_to_enter(page):
    """``a@b`` passes the browser's type=email check; the API's 400 is shown in words a buyer can act on,
    not the validator's ("String should match pattern '^[^@\\s]+@…'")."""
    page.goto("/")
    page.get_by_label("Company or your name").fill("No Dot Ltd")
    page.get_by_label("E-mail").fill("it@nodot")
    page.get_by_label("Hours").fill("2")
    slot = page.locator("#email-error")
    slot.filter(has_text="email: enter an address like name@example.com").wait_for()
    assert "should" not in slot.inner_text() and "pattern" not in slot.inner_text()


def test_pages_carry_the_security_headers_and_run_under_their_csp(page, call):
    """Every served page sends the one header set (hosting/security-headers.json, which the AWS hosting
    sends too) and works under its Content-Security-Policy: no inline script is refused, nothing breaks."""
    from devstack.web import security_headers

    expected = {k.lower(): v for k, v in security_headers().items()}
    assert "frame-ancestors 'none'" in expected["content-security-policy"]
    assert "'unsafe-inline'" not in expected["content-security-policy"]
    order = new_order(call, 2, name="Headers Ltd")
    session = urlsplit(order["checkout_url"]).path
    script = next(p for p in page_assets(call("GET", "/").raw) if p.endswith(".js"))  # the built order form's
    for path in ("/", "/index.html", "/paid.html", script, "/style.css", f"{session}?order={order['order_id']}"):
        reply = call("GET", path)
        assert reply.status == 200, (path, reply)
        for name, value in expected.items():
            assert reply.headers.get(name) == value, (path, name, reply.headers.get(name))

    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/")
    page.get_by_label("Company or your name").fill("Headers Ltd")
    page.get_by_label("E-mail").fill("it@headers.example")
    page.get_by_label("Hours").fill("2")
    page.locator("#quote").filter(has_text="$").wait_for()  # the order form's script ran and fetched the quote
    page.goto(f"/paid.html?order={order['order_id']}")
    page.goto(f"{session}?order={order['order_id']}")
    page.get_by_role("button", name=re.compile("^Pay")).wait_for()
    assert refused == []


def test_the_paid_page_promises_an_invitation_only_to_the_order_that_opened_the_account_O7_W1(page, call):
    """Found trying the stack by hand: an existing customer's order (and an onsite visit's payment) ended on
    "We have e-mailed an invitation to sign in", which only the first order of a new customer does."""
    account = call(
        "POST",
        "/accounts",
        {"name": "Has An Account", "email": "it@has-account.example", "plan": "member"},
        token=mint("billing"),
    )
    assert account.status == 201, account
    account_id = account.body["account_id"]
    order = call(
        "POST",
        "/orders",
        {"account_id": account_id, "hours": 2, "kind": "one_time"},
        token=mint("customer", account_id=account_id),
    )
    assert order.status == 201, order
    page.goto(order.body["checkout_url"])
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.locator("#balance").filter(has_text="2 h").wait_for()
    assert page.locator("#signin-hint").is_hidden()
    assert "invitation" not in page.locator("main").inner_text()

    page.goto("/")
    page.get_by_label("Company or your name").fill("First Order Ltd")
    page.get_by_label("E-mail").fill("owner@first-order.example")
    page.get_by_label("Hours").fill("1")
    page.locator("#quote").filter(has_text="$300.00").wait_for()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/local-pay/cs_local_*?order=ord_*")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.locator("#balance").filter(has_text="1 h").wait_for()
    assert page.locator("#signin-hint").is_visible()
    assert "invitation" in page.locator("#signin-hint").inner_text()


# ------------------------------------------------- found in a new-user trial: what the form tells a buyer


def test_back_from_checkout_the_form_says_what_became_of_the_order_O1(page, call):
    """``/?cancelled=ID`` (Checkout's cancel link) said "not paid and nothing was charged" for any id, even
    an order paid already (paid in another tab, or the back button after paying): the form asks the order."""
    order = new_order(call, 1, name="Back Button Ltd")
    page.goto(order["checkout_url"])
    page.get_by_role("link", name="Cancel and go back").click()  # the cancel link of a pending order
    notice = page.locator("#cancelled")
    notice.filter(has_text="was not paid and nothing was charged").wait_for()
    assert order["order_id"] in notice.inner_text() and notice.get_attribute("role") == "status"

    page.goto(order["checkout_url"])
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.wait_for_url("**/paid.html?order=ord_*")
    page.goto(f"/?cancelled={order['order_id']}")  # e.g. the back button, or the cancel link in another tab
    notice.filter(has_text="already paid").wait_for()
    assert "nothing was charged" not in notice.inner_text() and "cancelled" not in notice.inner_text()
    link = notice.get_by_role("link", name="See the paid order")
    assert link.get_attribute("href") == f"paid.html?order={order['order_id']}"  # as Checkout's success URL
    shot(page, "cancelled-but-paid")
    page.set_viewport_size(PHONE)
    fits(page, "#cancelled")
    shot(page, "cancelled-but-paid-phone")
    link.click()
    page.wait_for_url(f"**/paid.html?order={order['order_id']}")
    page.locator("#status").filter(has_text="Paid: 1 h credited").wait_for()

    with page.expect_response(lambda r: urlsplit(r.url).path == "/orders/ord_nosuchorder"):
        page.goto("/?cancelled=ord_nosuchorder")  # an id the API does not know: no claim about it
    page.locator("#quote").wait_for()
    assert notice.is_hidden() and "nothing was charged" not in page.locator("main").inner_text()


def test_an_address_with_an_account_is_offered_sign_in_before_checkout_O7(page, call):
    """A member ordering by name and e-mail was sent straight to Checkout at the anonymous price; the API's
    answer said ``credits_existing_account``, unseen. The form stops, shows the API's message (and nothing
    else about the account) and offers the two ways on: sign in, or pay the price quoted."""
    email = f"it-{uuid.uuid4().hex[:10]}@member-trial.example"
    account = call(
        "POST", "/accounts", {"name": "Member Trial Co", "email": email, "plan": "member"}, token=mint("billing")
    )
    assert account.status == 201, account
    account_id = account.body["account_id"]
    sent = order_requests(page)
    page.goto("/")

    def order_two_hours_as_the_member() -> None:
        page.get_by_label("Company or your name").fill("Member Trial Co")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Hours").fill("2")
        page.locator("#quote").filter(has_text="$600.00").wait_for()
        page.get_by_role("button", name="Continue to payment").click()

    order_two_hours_as_the_member()

    notice = page.get_by_role("status").filter(has_text="already has an account")
    notice.wait_for()
    assert urlsplit(page.url).path == "/" and len(sent) == 1  # stopped before Checkout
    assert page.evaluate("document.activeElement.id") == "existing-account"  # focus moves to the notice
    text = notice.inner_text()
    assert "the hours will be added to it once paid" in text  # the API's message
    assert account_id not in text and "member" not in text.lower() and "balance_" not in text
    sign_in = notice.get_by_role("link", name="Sign in to your portal")
    assert sign_in.get_attribute("href") == "portal/"
    go_on = notice.get_by_role("button", name="Continue to payment at $600.00")
    assert page.locator("#submit").is_hidden()  # one way to pay while the choice is open
    shot(page, "existing-account-choice")
    page.set_viewport_size(PHONE)
    for selector in ("#existing-account", "#existing-account-sign-in", "#existing-account-continue"):
        fits(page, selector)
    shot(page, "existing-account-choice-phone")

    page.get_by_label("Hours").fill("3")  # a different order: the choice goes, the form's button is back
    assert notice.is_hidden() and page.locator("#submit").is_visible()
    page.get_by_label("Hours").fill("2")
    page.locator("#quote").filter(has_text="$600.00").wait_for()
    page.get_by_role("button", name="Continue to payment").click()
    go_on.click()
    page.wait_for_url("**/local-pay/cs_local_*?order=ord_*")
    assert "600.00 USD" in page.locator("#total").inner_text()

    page.goto("/")
    order_two_hours_as_the_member()
    sign_in.click()
    page.wait_for_url("**/portal/")
    page.get_by_role("button", name="Sign in").wait_for()  # the portal's sign-in, then its "Buy hours"
