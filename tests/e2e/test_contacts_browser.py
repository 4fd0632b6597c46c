"""An account's contacts in a real browser (SPEC W1, O7; issue 24 item 2): Debian's chromium, driven by Playwright
by label and role, on the local gateway serving ``web/``, the local sign-in and the template's functions on
DynamoDB Local.

Billing opens the account's contacts from the account page and invites the office manager; the owner signs in
with the account's own address and invites a colleague; the office manager signs in with their own address
and sees the account (and that only billing or the owner may invite); an address another account holds is
refused in words; the owner removes the office manager after reading what that does, and the office manager
can no longer sign in. At desktop size and at 390x844. Screenshots go to ``.artifacts/contacts/`` (gitignored).
"""

from __future__ import annotations

import uuid
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
SHOTS = ROOT / ".artifacts" / "contacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_sign_in(page: Any, role: str, email: str | None = None) -> None:
    """The portal's own sign-in, on the local stand-in for the managed login; a customer gives their address."""
    page.goto("/portal/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/local-auth/oauth2/authorize?*")
    page.get_by_label("Sign in as").select_option(role)
    if email:
        page.get_by_label("Or your e-mail address (customers)").fill(email)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Any, role: str, email: str | None = None) -> None:
    open_sign_in(page, role, email)
    page.wait_for_url("**/portal/**")
    page.locator("#sign-out").wait_for()  # the code exchanged: a navigation now would abandon the sign-in


def invite(page: Any, name: str, email: str) -> str:
    form = page.locator("#invite-form")
    form.get_by_label("Their name").fill(name)
    form.get_by_label("Their e-mail address").fill(email)
    form.get_by_role("button", name="Invite").click()
    result = form.locator(".form-result")
    result.filter(has_text=email).or_(form.locator(".form-result.error")).first.wait_for()
    return result.inner_text()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_billing_and_the_owner_invite_a_person_who_signs_in_until_removed_W1_O7(new_page, call, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    tag = uuid.uuid4().hex[:8]
    owner_email, manager_email = f"owner.{tag}@clinic.example", f"manager.{tag}@clinic.example"
    opened = call(
        "POST",
        "/accounts",
        {"name": f"Lakeside Clinic {tag}", "email": owner_email, "plan": "member"},
        token=mint("billing"),
    )
    assert opened.status == 201, opened
    account_id = opened.body["account_id"]
    elsewhere = call(
        "POST",
        "/accounts",
        {"name": f"Other {tag}", "email": f"other.{tag}@else.example", "plan": "member"},
        token=mint("billing"),
    )
    assert elsewhere.status == 201

    # Billing: from the account page to its contacts; the owner is there; invite the office manager.
    billing = new_page(viewport)
    sign_in(billing, "billing")
    billing.goto(f"/portal/#/accounts/{account_id}")
    billing.locator("#contacts-link").click()
    billing.get_by_role("heading", name=f"Who signs in to Lakeside Clinic {tag}").wait_for()
    owner_item = billing.locator(f'#contacts li[data-contact="{owner_email}"]')
    assert "owner" in owner_item.inner_text() and "Invited when the account was opened" in owner_item.inner_text()
    said = invite(billing, "Dana Office", manager_email.upper())
    assert f"Invited Dana Office: the invitation was e-mailed to {manager_email.upper()}." == said
    manager_item = billing.locator("#contacts li").filter(has_text="Dana Office")
    manager_item.wait_for()
    assert "Has not signed in yet." in manager_item.inner_text()
    taken = invite(billing, "Someone Else", f"OTHER.{tag}@else.example")
    assert "already belongs to another Hourbank account" in taken and "Other" not in taken
    shot(billing, f"{size}-1-billing-invited")

    # The owner signs in with the account's own address and invites a colleague from the navigation's Contacts.
    owner = new_page(viewport)
    sign_in(owner, "customer", owner_email)
    owner.locator("#balance").wait_for()
    owner.get_by_role("link", name="Contacts", exact=True).click()
    owner.locator("#invite-form").wait_for()
    assert "Invited Sam Front Desk" in invite(owner, "Sam Front Desk", f"desk.{tag}@clinic.example")
    shot(owner, f"{size}-2-owner-invited")

    # The office manager signs in with their own address: the account is theirs to see, not to manage.
    manager = new_page(viewport)
    sign_in(manager, "customer", manager_email)
    manager.locator("#balance").wait_for()
    assert f"Signed in as {manager_email}" in manager.locator("#user").inner_text()
    assert f"Lakeside Clinic {tag}" in manager.get_by_role("heading", level=1).inner_text()
    manager.get_by_role("link", name="Contacts", exact=True).click()
    note = manager.locator("#contacts-note")
    note.wait_for()
    assert f"Only billing or the account's owner ({owner_email}) can invite or remove people." == note.inner_text()
    assert manager.locator("#invite-form").count() == 0
    shot(manager, f"{size}-3-manager-signed-in")

    # The owner sees the manager signed in, removes them after reading what removing does.
    owner.reload()
    dana = owner.locator("#contacts li").filter(has_text="Dana Office")
    dana.filter(has_text="Signed in").wait_for()
    assert dana.get_by_role("button", name="Send the invitation again to Dana Office").count() == 0
    dana.get_by_role("button", name="Remove Dana Office…").click()
    assert "They will no longer be able to sign in to this account" in dana.locator(".confirm").inner_text()
    shot(owner, f"{size}-4-owner-confirms")
    dana.get_by_role("button", name="Remove Dana Office", exact=True).click()
    owner.locator("#contacts li").filter(has_text="Dana Office").wait_for(state="detached")
    assert owner.locator("#contacts li").count() == 2  # the owner and the colleague
    shot(owner, f"{size}-5-owner-removed")

    # Removed: the manager's next sign-in is refused, in words.
    again = new_page(viewport)
    open_sign_in(again, "customer", manager_email)
    error = again.locator("#signin-error")
    error.filter(has_text="cannot sign in").wait_for()
    assert "Ask the account's owner or billing to invite it." in error.inner_text()
    shot(again, f"{size}-6-removed-refused")
    for page in (billing, owner, manager, again):
        assert page.js_errors == []
