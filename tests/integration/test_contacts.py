"""SPEC W1 (contacts: several people sign in to one account) and O7 (one address, one account - its own or a
contact's), on DynamoDB Local through the template's accounts function: invite, list, invite again, remove;
the address claim under concurrency and in any case; the roles; the local user pool the local sign-in reads."""

from __future__ import annotations

import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from devstack.adapters import LocalUsers, read_outbox, users_dir
from devstack.lambda_client import claims
from tests.integration.conftest import snapshot

pytestmark = pytest.mark.integration


def address(tag: str = "c") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.test"


@pytest.fixture
def account(api, billing):
    """An account of its own and its own address (the owner contact)."""
    email = address("owner")
    reply = api.post("/accounts", {"name": "Harbour Clinic", "email": email, "plan": "member"}, as_=billing)
    assert reply.status == 201, reply
    return reply.body["account_id"], email


def customer(account_id: str, email: str | None, *, signed_in_s_ago: int | None = None) -> dict:
    """A customer's verified claims, as Cognito's ID token gives them (``email``, ``auth_time``)."""
    out = claims("customer", account_id=account_id, sub=f"user-{secrets.token_hex(4)}")
    if email:
        out["email"] = email
    if signed_in_s_ago is not None:
        out["auth_time"] = str(int(time.time()) - signed_in_s_ago)
    return out


def invite(api, who, account_id: str, email: str, name: str = "Office Manager"):
    return api.post(f"/accounts/{account_id}/contacts", {"name": name, "email": email}, as_=who)


def contacts(api, who, account_id: str) -> list[dict]:
    reply = api.get(f"/accounts/{account_id}/contacts", as_=who)
    assert reply.status == 200, reply
    return reply.body["items"]


def invitations_to(email: str) -> list[dict]:
    return [m for m in read_outbox(os.environ["OUTBOX_DIR"]) if m["to"] == email and "sign-in" in m["subject"]]


def test_an_account_s_own_address_is_its_owner_contact_without_any_migration_W1(api, billing, tech, account):
    account_id, email = account
    created_at = api.get(f"/accounts/{account_id}", as_=billing).body["created_at"]
    (owner,) = contacts(api, billing, account_id)
    assert owner["owner"] is True and owner["email"] == email and owner["name"] == "Harbour Clinic"
    assert owner["invited_at"] == created_at and "signed_in_at" not in owner
    assert contacts(api, tech, account_id) == [owner]  # staff may list
    assert contacts(api, customer(account_id, email), account_id) == [owner]


def test_billing_invites_a_contact_who_is_mailed_and_becomes_a_local_user_W1(api, billing, account):
    account_id, _ = account
    email = address("manager")
    reply = invite(api, billing, account_id, email, name="  Dana Office  ")
    assert reply.status == 201, reply
    contact = reply.body
    assert contact["name"] == "Dana Office" and contact["email"] == email and contact["owner"] is False
    assert contact["contact_id"].startswith("ctc_") and contact["invited_at"]
    listed = contacts(api, billing, account_id)
    assert [c["owner"] for c in listed] == [True, False] and listed[1] == contact
    (mail,) = invitations_to(email)
    assert "Dana Office" in mail["text"] and account_id in mail["text"] and email in mail["text"]
    user = LocalUsers(users_dir()).get(email)
    assert user == {"email": email, "account_id": account_id, "owner": False}


def test_an_address_any_account_or_contact_holds_is_refused_in_any_case_O7(api, billing, account, make_account):
    account_id, owner_email = account
    other = make_account("member")
    other_owner = api.get(f"/accounts/{other}", as_=billing).body["email"]
    contact_email = address("taken")
    assert invite(api, billing, other, contact_email).status == 201
    before = snapshot(skip=("idempotency",))
    for taken in (other_owner.upper(), f"  {contact_email.title()}", owner_email.upper()):
        reply = invite(api, billing, account_id, taken.strip())
        assert reply.status == 409, (taken, reply)
        assert reply.body["error"]["code"] == "email_taken"
        assert other not in reply.body["error"]["message"]  # which account holds it is never said
    assert "already a contact of this account" in invite(api, billing, account_id, owner_email).body["error"]["message"]
    # A new account for a contact's address is refused too: one address, one account.
    opened = api.post("/accounts", {"name": "Dup", "email": contact_email.upper(), "plan": "member"}, as_=billing)
    assert opened.status == 409
    assert snapshot(skip=("idempotency",)) == before  # nothing written by any refusal


def test_two_accounts_inviting_one_address_at_once_one_wins_O7(api, billing, make_account):
    first, second = make_account("member"), make_account("member")
    email = address("race")
    start = Barrier(6)

    def attempt(n: int):
        start.wait()
        target = (first, second)[n % 2]
        return target, invite(api, billing, target, email.upper() if n % 3 else email)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    won = [(target, r) for target, r in results if r.status == 201]
    assert len(won) == 1, [r for _, r in results]
    assert all(r.status == 409 for _, r in results if r.status != 201), results
    winner = won[0][0]
    loser = second if winner == first else first
    assert [c["email"].lower() for c in contacts(api, billing, winner)][1:] == [email]
    assert len(contacts(api, billing, loser)) == 1  # the other account has only its owner
    from hourbank.accounts.contacts import account_for_address

    assert account_for_address(email.upper()) == winner
    assert len(invitations_to(won[0][1].body["email"])) == 1  # mailed once


def test_the_last_contact_and_the_owner_stay_and_removing_frees_the_address_W1(api, billing, account, make_account):
    account_id, email = account
    (owner,) = contacts(api, billing, account_id)
    last = api.request("DELETE", f"/accounts/{account_id}/contacts/{owner['contact_id']}", as_=billing)
    assert last.status == 409 and last.body["error"]["code"] == "last_contact"
    assert "last contact" in last.body["error"]["message"]
    contact_email = address("leaving")
    contact = invite(api, billing, account_id, contact_email).body
    still_owner = api.request("DELETE", f"/accounts/{account_id}/contacts/{owner['contact_id']}", as_=billing)
    assert still_owner.status == 409 and "own address" in still_owner.body["error"]["message"]
    gone = api.request("DELETE", f"/accounts/{account_id}/contacts/{contact['contact_id']}", as_=billing)
    assert gone.status == 204, gone
    assert [c["email"] for c in contacts(api, billing, account_id)] == [email]
    assert LocalUsers(users_dir()).get(contact_email) is None  # the local sign-in refuses them now
    again = api.request("DELETE", f"/accounts/{account_id}/contacts/{contact['contact_id']}", as_=billing)
    assert again.status == 404
    # The address is free: another account may invite it (and its owner never changed).
    other = make_account("member")
    assert invite(api, billing, other, contact_email).status == 201
    from hourbank.accounts.contacts import account_for_address, recipients

    assert account_for_address(contact_email) == other
    assert recipients(other)[1:] == [contact_email] and recipients(account_id) == [email]


def test_who_may_list_invite_resend_and_remove_W1(api, billing, tech, account, make_account):
    account_id, owner_email = account
    owner = customer(account_id, owner_email.upper())  # the owner's token, in whatever case they typed it
    member = invite(api, owner, account_id, address("member"))
    assert member.status == 201, member
    mate = customer(account_id, member.body["email"])
    stranger = customer(make_account("member"), address("stranger"))
    path = f"/accounts/{account_id}/contacts"
    one = f"{path}/{member.body['contact_id']}"
    assert api.get(path, as_=mate).status == 200  # any contact may list
    assert api.get(path, as_=stranger).status == 404  # another tenant's: as if there were none
    for who, status in ((tech, 403), (mate, 403), (stranger, 404), (customer(account_id, None), 403)):
        assert invite(api, who, account_id, address("x")).status == status, who
        assert api.post(f"{one}/invitation", as_=who).status == status, who
        assert api.request("DELETE", one, as_=who).status == status, who
    assert api.post(f"{one}/invitation", as_=owner).status == 202
    assert api.request("DELETE", f"{path}/ctc_nosuchcontact", as_=owner).status == 404
    assert api.request("DELETE", f"{path}/not-a-contact-id", as_=owner).status == 404
    assert api.request("DELETE", one, as_=owner).status == 204


def test_an_invitation_is_sent_again_until_the_person_signs_in_W1(api, billing, account):
    account_id, _ = account
    email = address("again")
    contact = invite(api, billing, account_id, email).body
    resent = api.post(f"/accounts/{account_id}/contacts/{contact['contact_id']}/invitation", as_=billing)
    assert resent.status == 202 and resent.body["contact_id"] == contact["contact_id"]
    assert resent.body["invited_at"] >= contact["invited_at"]
    assert [("invited again" in m["text"]) for m in invitations_to(email)] == [False, True]
    # The portal's first read after signing in notes it; later reads (an old sign-in) write nothing.
    assert api.get(f"/accounts/{account_id}", as_=customer(account_id, email, signed_in_s_ago=3)).status == 200
    (noted,) = [c for c in contacts(api, billing, account_id) if c["email"] == email]
    assert noted["signed_in_at"]
    before = snapshot()
    assert api.get(f"/accounts/{account_id}", as_=customer(account_id, email, signed_in_s_ago=3600)).status == 200
    assert snapshot() == before
    refused = api.post(f"/accounts/{account_id}/contacts/{contact['contact_id']}/invitation", as_=billing)
    assert refused.status == 409 and refused.body["error"]["code"] == "already_signed_in"
    assert len(invitations_to(email)) == 2


def test_the_owner_signing_in_is_noted_and_their_invitation_can_be_sent_again_W1(api, billing, account):
    account_id, email = account
    (owner,) = contacts(api, billing, account_id)
    again = api.post(f"/accounts/{account_id}/contacts/{owner['contact_id']}/invitation", as_=billing)
    assert again.status == 202 and again.body["owner"] is True
    api.get(f"/accounts/{account_id}", as_=customer(account_id, email, signed_in_s_ago=1))
    (owner,) = contacts(api, billing, account_id)
    assert owner["signed_in_at"] and owner["email"] == email


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Dana", "email": "not an address"},
        {"name": "", "email": "dana@example.test"},
        {"name": "Dana"},
        {"name": "Dana", "email": "dana@example.test", "owner": True},
        {"name": "Dana", "email": "dana\u001d@example.test"},
    ],
)
def test_bad_input_is_a_400_that_writes_nothing_W1(api, billing, account, body):
    account_id, _ = account
    before = snapshot()
    reply = api.post(f"/accounts/{account_id}/contacts", body, as_=billing)
    assert reply.status == 400 and reply.body["error"]["code"] == "invalid_input", reply
    assert snapshot() == before


def test_the_local_sign_in_accepts_an_invited_contact_and_refuses_a_removed_one_W1(api, billing, account):
    from devstack.local_auth import CLIENT_ID, LocalAuth

    account_id, owner_email = account
    email = address("local")
    contact = invite(api, billing, account_id, email).body
    auth = LocalAuth(lambda: "http://127.0.0.1:9")
    form = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:9/portal/",
        "state": "s",
        "code_challenge": "a" * 43,
        "code_challenge_method": "S256",
        "role": "customer",
    }
    status, headers, _ = auth.authorize({**form, "email": email.upper()})
    assert status == 302 and "code=" in dict(headers)["Location"]
    code = next(iter(auth._codes.values()))
    assert (code["account"], code["email"]) == (account_id, email)
    auth.authorize({**form, "account": account_id})  # by the account's id: its owner
    assert [c["email"] for c in auth._codes.values()] == [email, owner_email.lower()]
    api.request("DELETE", f"/accounts/{account_id}/contacts/{contact['contact_id']}", as_=billing)
    status, _, page = auth.authorize({**form, "email": email})
    assert status == 400 and b"cannot sign in" in page
