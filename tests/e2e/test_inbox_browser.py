"""The desk's Inbox in a real browser (SPEC E1): a mail from an address no account holds arrives (the intake
function invoked as S3 invokes it); a technician opens the Inbox from the navigation, sees who sent it, when and
why it waits, reads it (as text: its HTML never renders), finds the account by name as they type and opens a
ticket from it; the inbox then says what became of the mail. At desktop size and at 390x844. Screenshots go to
``.artifacts/inbox/`` (gitignored)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from devstack.adapters import LocalObjects, exports_dir
from devstack.jwt_local import mint
from devstack.lambda_runtime import functions, invoke
from devstack.mail_inbox import s3_event, targets
from tests.e2e.test_desk_browser import DESKTOP, PHONE, new_account, no_sideways_scroll, sign_in_as_technician
from tests.support import browser as fixtures

site, call, browser, new_page = fixtures.site, fixtures.call, fixtures.browser, fixtures.new_page

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "inbox"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def deliver(subject: str, sender: str) -> str:
    """A mail as SES stores it and S3 announces it: the intake function invoked with the object's event."""
    [target] = targets(functions(strict=False))
    mail = EmailMessage()
    mail["From"] = f"{sender.split('.')[0].title()} Stranger <{sender}>"
    mail["Subject"] = subject
    html = "<p>Our <b>Wi-Fi</b> drops every hour.</p><script>document.title='pwned'</script>"
    mail.set_content(html, subtype="html")
    raw, key = mail.as_bytes(), f"{target.prefix}{uuid.uuid4().hex}"
    LocalObjects(exports_dir()).put(target.bucket, key, raw, "message/rfc822")
    result = invoke(target.spec, s3_event(target.bucket, key, raw, datetime.now(UTC)), source="test")
    [received] = result["received"]
    assert received["status"] == "unmatched", received
    return received["mail_id"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_E1_a_technician_assigns_a_mail_from_an_unknown_address_to_an_account(new_page, call, site, size):
    tag = uuid.uuid4().hex[:6]
    name = f"Lakeside Bakery {size} {tag}"
    new_account(call, name)
    subject = f"Wi-Fi keeps dropping {tag}"
    sender = f"sam.{tag}@elsewhere.example"
    mail_id = deliver(subject, sender)

    page = new_page(DESKTOP if size == "desktop" else PHONE)
    sign_in_as_technician(page)
    page.get_by_role("link", name="Inbox").first.click()
    page.get_by_role("heading", name="Inbox").wait_for()
    page.get_by_role("link", name="To assign").click()
    row = page.locator(f'tr[data-mail="{mail_id}"]')
    row.wait_for()
    assert f"Sam Stranger <{sender}>" in row.inner_text()  # who wrote, by name and address
    assert "No account or contact has this address." in row.inner_text()
    row.get_by_text("Read and assign").click()
    text = row.locator(".mail-text")
    assert text.inner_text() == "Our Wi-Fi drops every hour."  # text, never the mail's HTML or its script
    assert page.title() != "pwned"
    shot(page, f"{size}-1-unmatched")
    if size == "phone":
        no_sideways_scroll(page)

    row.get_by_label("Account (name or e-mail)").press_sequentially(f"lakes {tag}", delay=20)
    found = row.get_by_role("list", name="Accounts found").get_by_role("button")
    found.first.wait_for()
    assert found.all_inner_texts() == [name]
    found.first.click()
    row.get_by_role("button", name=f"Open a ticket for {name}").click()
    page.locator("#inbox-notice").get_by_text(f"opened for {name}").wait_for()  # said, whatever the list does
    shot(page, f"{size}-2-assigned")

    page.get_by_role("link", name="New tickets").click()
    done = page.locator(f'tr[data-mail="{mail_id}"]')
    done.wait_for()
    assert "ticket opened" in done.inner_text() and "assigned by" in done.inner_text()
    reference = done.get_by_role("link", name="ticket").inner_text().split()[-1]

    # a colleague from another address writes about the same problem: added to that ticket by its reference
    follow_up = deliver(f"Same Wi-Fi problem {tag}", f"kim.{tag}@elsewhere.example")
    page.get_by_role("link", name="To assign").click()
    row = page.locator(f'tr[data-mail="{follow_up}"]')
    row.wait_for()
    row.get_by_text("Read and assign").click()
    row.get_by_label("Or add it to a ticket (its reference)").fill(reference.lower())
    row.get_by_role("button", name="Add to this ticket").click()
    page.locator("#inbox-notice").get_by_text(f"added to ticket {reference}.").wait_for()
    shot(page, f"{size}-3-added")

    page.get_by_role("link", name="Added to tickets").click()
    added = page.locator(f'tr[data-mail="{follow_up}"]')
    added.wait_for()
    assert "added to a ticket" in added.inner_text()
    added.get_by_role("link", name="ticket").click()
    page.get_by_role("heading", name=subject).wait_for()
    ticket_id = page.url.split("#/tickets/")[1]
    messages = call("GET", f"/tickets/{ticket_id}/messages", token=mint("technician")).body["items"]
    assert [(m["text"], m["via"], m["author"]["name"]) for m in messages] == [
        ("Our Wi-Fi drops every hour.", "email", "Kim Stranger")  # the colleague's mail, now a message on it
    ]
    shot(page, f"{size}-4-ticket")
