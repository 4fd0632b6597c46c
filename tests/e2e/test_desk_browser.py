"""The technician's desk in a real browser (issue 21; SPEC W3, T9, W2): Debian's chromium, driven by Playwright
by label and role, on the local gateway serving ``web/`` with the template's functions on DynamoDB Local.

A technician signs in, finds the account as they type, opens a ticket for work agreed by phone an hour and a
half ago, logs time with the form (two clicks and a note) and with a timer that survives a reload, declares an
emergency from a past time and sees the next entry rated x2, voids a wrong entry, and closes - seeing first what
the close will consume and after it what was debited. At desktop size and at 390x844; and the log-time form by
keyboard alone. Screenshots go to ``.artifacts/desk/`` (gitignored).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.jwt_local import mint
from tests.support import browser as fixtures

site, call, browser, new_page = (
    fixtures.site,
    fixtures.call,
    fixtures.browser,
    fixtures.new_page,
)  # the shared browser-test fixtures

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "desk"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ZONE = "America/New_York"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in_as_technician(page: Any) -> None:
    page.goto("/portal/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/local-auth/oauth2/authorize?*")
    page.get_by_label("Sign in as").select_option("technician")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/**")
    page.locator("#sign-out").wait_for()  # the code exchanged: a navigation now would abandon the sign-in


def local_input(minutes_ago: int) -> str:
    """A datetime-local value in the browser's zone (the context's), ``minutes_ago`` before now."""
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo(ZONE)) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")


def new_account(call: Callable[..., Any], name: str, plan: str = "member", grant: int = 600) -> tuple[str, str]:
    billing = mint("billing")
    email = f"desk.{uuid.uuid4().hex[:8]}@desk.example"
    account = call("POST", "/accounts", {"name": name, "email": email, "plan": plan}, token=billing)
    assert account.status == 201, account
    account_id = account.body["account_id"]
    if not grant:
        return account_id, email
    granted = call(
        "POST",
        f"/accounts/{account_id}/adjustments",
        {"minutes": grant, "kind": "grant", "reason": "desk test hours"},
        token=billing,
    )
    assert granted.status == 201, granted
    return account_id, email


def minutes_text(minutes: int) -> str:
    """As the pages write minutes (web/src/format.ts duration): 90 -> "1 h 30 min"."""
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if h and m else f"{h} h" if h else f"{m} min"


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways ({width} px)"


def open_ticket(page: Any, typed: str, title: str) -> str:
    """From the navigation: find the account as you type (its e-mail, or the beginnings of words of its name),
    open a ticket for work agreed by phone 90 min ago."""
    page.get_by_role("link", name="Open a ticket").first.click()
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'")  # the view is up
    page.get_by_label("Account (name or e-mail)").press_sequentially(typed, delay=20)
    found = page.get_by_role("list", name="Accounts found").get_by_role("button")
    found.first.wait_for()
    assert found.count() == 1, found.all_inner_texts()
    found.first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description (optional)").fill(
        "Called at 7:40: the office cannot send mail.\nAgreed to look now."
    )
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Opened (work agreed earlier, e.g. by phone)").fill(local_input(90))
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url("**/portal/#/tickets/*")
    page.get_by_role("heading", name=title).wait_for()
    return page.url.split("#/tickets/")[1]


def find_on_queue(page: Any, ticket: str) -> Any:
    """The ticket's row, paging on with "Next page" as a technician would: the suite's other tickets share the
    queue, and many fall due before this one."""
    page.locator("#queue, #queue-empty").first.wait_for()
    row = page.locator(f"#queue tr[data-ticket='{ticket}']")
    for _ in range(200):
        if row.count():
            return row
        following = page.locator("#queue-next")
        assert following.count(), f"{ticket} is on no page of the queue"
        first = page.locator("#queue tbody tr").first.get_attribute("data-ticket")
        following.click()
        page.wait_for_function(
            "(first) => { const r = document.querySelector('#queue tbody tr'); return !!r && r.dataset.ticket !== first; }",
            arg=first,
        )
    raise AssertionError(f"{ticket} not within 200 pages of the queue")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_technician_opens_logs_time_declares_an_emergency_voids_and_closes_W3_T9(new_page, call, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    tag = uuid.uuid4().hex[:6]
    name = f"Harbour Dental {size} {tag}"
    account, _ = new_account(call, name)
    if size == "desktop":  # a busy morning: a page's worth of urgent tickets falls due before the new one
        earlier = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
        for n in range(26):
            body = {"account_id": account, "title": f"Earlier call {n}", "priority": "urgent", "opened_at": earlier}
            assert call("POST", "/tickets", body, token=mint("technician")).status == 201
    page = new_page(viewport)
    sign_in_as_technician(page)
    page.locator("#queue, #queue-empty").first.wait_for()  # staff land on their desk: the finder and the queue
    ticket = open_ticket(page, f"harb dent {tag.upper()}", f"Server down {size}")  # W2: by name, any case
    shot(page, f"{size}-1-opened")
    assert "the office cannot send mail" in page.locator(".description").inner_text()
    assert page.get_by_role("link", name=f"← {name}").is_visible()  # the account by its name

    # The common case: a note and one click - remote, 30 min, started 30 min ago; the rating shows at once
    # (x1 in business hours, x2 after hours: the clock of the run decides, the words say which).
    form = page.locator("#log-time-form")
    form.get_by_label("Note (what was done)").fill("Restarted the mail relay")
    form.get_by_role("button", name="Log time").click()
    rated = re.compile(r"Logged 30 min remote: 30 min × (1|2 \(after hours\)) = (30 min|1 h) weighted\.")
    form.get_by_role("status").filter(has_text=rated).wait_for()
    page.locator("li.entry").first.wait_for()
    shot(page, f"{size}-2-logged")

    # On the queue: the account by its name, the priority, the time logged; back to the ticket by its title.
    page.get_by_role("link", name="Ticket queue").click()
    row = find_on_queue(page, ticket)
    cells = row.inner_text()
    assert name in cells and "urgent" in cells and "acc_" not in cells, cells
    shot(page, f"{size}-2-queue")
    row.get_by_role("link", name=f"Server down {size}").click()
    page.locator("#log-time-form").wait_for()

    # The timer: the ticket's, kept by the service - still running after a reload and seen from another
    # device - and an entry of the minutes it ran when stopped.
    page.get_by_role("button", name="Start timer").click()
    page.locator("#timer-running").wait_for()
    page.reload()
    page.locator("#timer-running").filter(has_text="running since").wait_for()
    if size == "desktop":
        other = new_page(PHONE)
        sign_in_as_technician(other)
        other.goto(f"/portal/#/tickets/{ticket}")
        other.locator("#timer-running").filter(has_text="running since").wait_for()
        assert other.js_errors == []
    page.get_by_label("Note for the timer's entry").fill("Checked the backups")
    page.get_by_role("button", name="Stop timer and log").click()
    stopped = re.compile(r"Timer stopped, logged \d+ min remote: \d+ min × ")
    page.locator("#timer-form").get_by_role("status").filter(has_text=stopped).wait_for()
    page.locator("li.entry").nth(1).wait_for()
    assert call("GET", f"/tickets/{ticket}", token=mint("technician")).body["timer"] is None

    # An emergency from an hour ago: the next entry's time in it counts x2, and why is said.
    emergency = page.locator("#emergency-form")
    emergency.get_by_label("Since").fill(local_input(60))
    emergency.get_by_role("button", name="Declare an emergency").click()
    page.locator("#emergency-changes").filter(has_text="Emergency from").wait_for()
    form.get_by_label("Duration (minutes)").fill("20")
    form.get_by_label("Note (what was done)").fill("Replaced the failed disk")
    form.get_by_role("button", name="Log time").click()
    emergency_rated = re.compile(r"20 min × (2 \(emergency\)|4 \(after hours and emergency\)) = (40 min|1 h 20 min)")
    form.get_by_role("status").filter(has_text=emergency_rated).wait_for()
    page.get_by_role("button", name="End the emergency").click()
    page.get_by_role("button", name="Declare an emergency").wait_for()
    page.locator("#emergency-changes").filter(has_text="Emergency ended").wait_for()
    changes = call("GET", f"/tickets/{ticket}", token=mint("technician")).body["emergency_changes"]
    # the downgrade is now, not the upgrade's time left in the field (the form starts afresh after each change)
    assert [c["active"] for c in changes] == [True, False] and changes[1]["at"] > changes[0]["at"], changes
    shot(page, f"{size}-3-emergency")

    # Void the timer's minute: struck through, with who, when and why; it counts for nothing (T9).
    entries = call("GET", f"/tickets/{ticket}", token=mint("technician")).body["entries"]
    timed = next(e for e in entries if e["note"] == "Checked the backups")
    row = page.locator(f"li.entry[data-entry='{timed['entry_id']}']")
    row.get_by_role("button", name="Void this entry…").click()
    row.get_by_label("Why void it").fill("Logged on the wrong ticket")
    row.get_by_role("button", name="Void entry").click()
    page.locator(f"li.entry.voided[data-entry='{timed['entry_id']}']").wait_for()
    note = row.locator(".voided-note").inner_text()
    assert "Logged on the wrong ticket" in note and "Voided by Local Technician" in note  # a name, not a sub
    assert row.locator("dl").evaluate("(el) => getComputedStyle(el).textDecorationLine") == "line-through"
    assert row.get_by_text("Question this entry").count() == 0  # nothing left to question
    page.get_by_role("heading", name="Time entries (3, 1 voided)").wait_for()
    shot(page, f"{size}-4-voided")

    # Close: first what it will consume (the voided minute left out), then what it debited.
    page.get_by_role("button", name="Close the ticket…").click()
    before = call("GET", f"/tickets/{ticket}", token=mint("technician")).body
    weighted, projected = before["weighted_minutes"], before["projected_consumption_minutes"]
    assert weighted == sum(e["weighted_minutes"] for e in before["entries"] if e["note"] != "Checked the backups")
    projection = page.locator("#close-projection").inner_text()
    expected = f"Weighted {minutes_text(weighted)}; closing consumes {minutes_text(projected)}"
    assert expected in projection, projection
    assert "rounded up to the next half hour" in projection
    no_sideways_scroll(page)
    shot(page, f"{size}-5-confirm")
    page.get_by_role("button", name="Close and bill").click()
    outcome = page.locator("#close-outcome")
    outcome.filter(has_text=f"{minutes_text(projected)} debited from the balance").wait_for()
    assert f"Balance now {minutes_text(600 - projected)}" in outcome.inner_text()
    assert call("GET", f"/tickets/{ticket}", token=mint("technician")).body["status"] == "closed"
    shot(page, f"{size}-6-closed")
    no_sideways_scroll(page)
    assert account in page.get_by_role("link", name=f"← {name}").get_attribute("href")
    technicians = page.locator("li.entry dd").filter(has_text="Local Technician")
    assert technicians.count() == 3  # each entry names its technician (W2)
    assert page.js_errors == []


def test_the_log_time_form_by_keyboard_alone_W3(new_page, call):
    _, email = new_account(call, "Keyboard Co")
    page = new_page(DESKTOP)
    sign_in_as_technician(page)
    open_ticket(page, email, "Printer offline")
    page.locator("h1").focus()
    for _ in range(60):  # from the heading, Tab alone reaches the form
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "log-work-type":
            break
    else:
        pytest.fail("Tab never reached the log-time form's work type")
    page.keyboard.press("ArrowDown")  # remote -> lab
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "log-minutes"
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    page.keyboard.press("Tab")  # the note next; Started (empty: the duration before now) comes after it
    assert page.evaluate("document.activeElement.id") == "log-note"
    page.keyboard.type("Cleaned the feed rollers")
    page.keyboard.press("Enter")
    status = page.locator("#log-time-form").get_by_role("status")
    status.filter(has_text=re.compile(r"Logged 45 min lab: 45 min × ")).wait_for()
    shot(page, "keyboard-logged")
    assert page.js_errors == []


def test_a_refusal_reads_as_a_sentence_with_the_next_step_W3(new_page, call):
    """A start before the ticket was opened (T8) is a 400: the form says so in words, with what to do."""
    _, email = new_account(call, "Refusal Co")
    page = new_page(PHONE)
    sign_in_as_technician(page)
    open_ticket(page, email, "Scanner")
    form = page.locator("#log-time-form")
    form.get_by_label("Started").fill(local_input(600))
    form.get_by_label("Note (what was done)").fill("Too early")
    form.get_by_role("button", name="Log time").click()
    error = form.locator(".form-result.error")
    error.wait_for()
    text = error.inner_text()
    assert "{" not in text and "started_at" not in text, text
    assert text.endswith("Correct it and try again."), text
    shot(page, "phone-refusal")
    assert page.js_errors == []


def test_a_402_says_how_much_to_top_up_and_links_the_account_W3_C4(new_page, call):
    """A non-member without credit: opening a ticket is refused (C4). The form says how much to top up, in hours
    and minutes, and links the account and its order form - no JSON, no code."""
    account, email = new_account(call, "No Credit Co", plan="non_member", grant=0)
    page = new_page(DESKTOP)
    sign_in_as_technician(page)
    page.get_by_role("link", name="Open a ticket").first.click()
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H1'")
    page.get_by_label("Account (name or e-mail)").fill(email)
    page.get_by_role("list", name="Accounts found").get_by_role("button", name="No Credit Co").click()
    page.get_by_label("Title").fill("Laptop will not boot")
    page.get_by_role("button", name="Open ticket").click()
    error = page.locator("#open-ticket-form .form-result.error")
    error.wait_for()
    text = error.inner_text()
    assert re.search(r"top up at least \d+ h", text, re.IGNORECASE), text
    assert text.lower().count("top up") == 1, text  # said once
    assert "insufficient_credit" not in text and "{" not in text, text
    assert error.get_by_role("link", name="Open the account").get_attribute("href") == f"#/accounts/{account}"
    assert error.get_by_role("link", name="its order form").get_attribute("href") == f"/?account={account}"
    shot(page, "desktop-402")
    assert page.js_errors == []


def test_a_close_beyond_the_balance_says_what_went_to_post_pay_W3_C2(new_page, call):
    """A member with 30 min left: closing 1 h says what was debited and what went to post-pay (C2)."""
    _, email = new_account(call, "Postpay Co", grant=30)
    page = new_page(PHONE)
    sign_in_as_technician(page)
    ticket = open_ticket(page, email, "Network audit")
    form = page.locator("#log-time-form")
    form.get_by_label("Duration (minutes)").fill("60")
    form.get_by_label("Started").fill(local_input(61))
    form.get_by_label("Note (what was done)").fill("Walked the racks")
    form.get_by_role("button", name="Log time").click()
    form.get_by_role("status").filter(has_text="Logged 1 h remote").wait_for()
    page.get_by_role("button", name="Close the ticket…").click()
    projected = call("GET", f"/tickets/{ticket}", token=mint("technician")).body["projected_consumption_minutes"]
    page.get_by_role("button", name="Close and bill").click()
    outcome = page.locator("#close-outcome")
    outcome.filter(has_text="went to post-pay").wait_for()
    text = outcome.inner_text()
    assert "30 min debited from the balance" in text, text
    assert f"{minutes_text(projected - 30)} went to post-pay" in text, text
    shot(page, "phone-postpay")
    assert page.js_errors == []
