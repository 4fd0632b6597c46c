"""An account's contacts: the people who sign in to it (SPEC W1), each address held by one account (SPEC O7).

* The account's own address is its first contact, the **owner**, with no item of its own: it is read from the
  account (``owner_contact``), so every account opened before contacts existed has its owner without a
  migration. An item under the owner's id appears only to record when the owner signed in.
* Every other contact is a ``ContactModel`` item, put in one transaction with the claim of its address
  (``EmailClaimModel``, the claim ``open_account`` writes for an account's own address): an address any
  account or contact holds is refused (409), trimmed and case-insensitively, however many requests race.
* A contact's id follows from the account and the address (``contact_id_for``): the same person invited
  twice at once is one key, and the token of whoever asks names their contact by its ``email``.
* Billing or the account's owner (the customer signed in with the account's own address) invite, resend and
  remove; every customer of the account and staff may list. The owner cannot be removed, so the last contact
  never is (409). Removing deletes the person's sign-in (``ports.invitations``) first, then the contact and its
  claim, which frees the address.

``account_for_address`` and ``recipients`` answer, for mail in and out, whose an address is and who reads an
account's mail.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hourbank.accounts.account_service import CLAIM_PREFIX, email_key, email_owner, get_account
from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, Forbidden, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import CONTACT_SK_PREFIX, CONTACTS_PREFIX, AccountModel, ContactModel, EmailClaimModel
from hourbank.store.transactions import Tx, commit_or_retry, updated_if, with_retries

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

SIGN_IN_WINDOW_S = 300  # a token signed in this recently notes the sign-in (the portal's first read after it)


class AddressTaken(Conflict):
    """SPEC O7: the address belongs to an account or a contact; which one is never said."""

    code = "email_taken"


class LastContact(Conflict):
    code = "last_contact"


@dataclass(frozen=True)
class Contact:
    contact_id: str
    name: str
    email: str
    owner: bool
    invited_at: str | None
    signed_in_at: str | None


def contact_id_for(account_id: str, email: str) -> str:
    """The id of the contact with ``email`` on ``account_id``: a digest of both, so it says nothing readable."""
    digest = hashlib.sha256(f"{account_id}\n{email_key(email)}".encode()).digest()
    return "ctc_" + base64.b32encode(digest).decode("ascii").lower().rstrip("=")[:26]


def _key(account_id: str, contact_id: str) -> tuple[str, str]:
    return CONTACTS_PREFIX + account_id, CONTACT_SK_PREFIX + contact_id


def owner_contact(account: AccountModel, noted: ContactModel | None = None) -> Contact:
    """The account's own address as its first contact, invited when the account was opened."""
    return Contact(
        contact_id=contact_id_for(account.account_id, account.email),
        name=account.name,
        email=account.email.strip(),
        owner=True,
        invited_at=(noted.invited_at if noted and noted.invited_at else None) or account.created_at,
        signed_in_at=noted.signed_in_at if noted else None,
    )


def _contact(item: ContactModel) -> Contact:
    return Contact(item.contact_id, item.name or "", item.email or "", False, item.invited_at, item.signed_in_at)


def _stored(account_id: str) -> list[ContactModel]:
    return list(ContactModel.query(CONTACTS_PREFIX + account_id, consistent_read=True))


def _all(account: AccountModel) -> list[Contact]:
    owner_id = contact_id_for(account.account_id, account.email)
    items = _stored(account.account_id)
    noted = next((i for i in items if i.contact_id == owner_id), None)
    others = sorted((_contact(i) for i in items if i.contact_id != owner_id and i.email), key=_invited_order)
    return [owner_contact(account, noted), *others]


def _invited_order(c: Contact) -> tuple[str, str]:
    return c.invited_at or "", c.contact_id


def list_contacts(actor: Actor, account_id: str) -> list[Contact]:
    """``GET /accounts/{id}/contacts`` (staff, the account's customers): the owner first, then by invitation."""
    return _all(get_account(actor, account_id))


def _manageable(actor: Actor, account_id: str, action: str) -> AccountModel:
    """SPEC W1: billing or the account's owner - the customer signed in with the account's own address. Other
    contacts and technicians see the contacts (403 here); another tenant's account is a 404."""
    account = get_account(actor, account_id)
    if BILLING in actor.roles:
        return account
    if actor.is_customer and actor.email and email_key(actor.email) == account.email_lower:
        return account
    raise Forbidden(f"only billing or the account's owner ({account.email.strip()}) may {action}")


def invite(actor: Actor, account_id: str, *, name: str, email: str, clock: Clock = SYSTEM_CLOCK) -> Contact:
    """``POST /accounts/{id}/contacts``: SPEC O7 - the claim of the address and the contact are one transaction,
    both conditioned on not existing, so of two invitations of one address (to one account or two) one wins and
    the other is a 409. The invitation is e-mailed once the contact exists; if it cannot be sent the contact is
    taken back (the address freed) and the failure answered, so a retry starts afresh."""
    account = _manageable(actor, account_id, "invite contacts")
    address = email.strip()
    contact_id = contact_id_for(account_id, address)
    now = iso(clock.now())
    item = ContactModel(
        *_key(account_id, contact_id),
        contact_id=contact_id,
        contact_account_id=account_id,
        name=name.strip(),
        email=address,
        invited_at=now,
        invited_by=actor.subject,
        invitations=1,
    )
    claim = EmailClaimModel(CLAIM_PREFIX + email_key(address), owner_account_id=account_id, created_at=now)

    def attempt() -> None:
        tx = Tx()
        tx.put("claim", claim, condition=EmailClaimModel.account_id.does_not_exist())
        tx.put("contact", item, condition=ContactModel.sk.does_not_exist())
        if commit_or_retry(tx, unless=("claim", "contact")) is not None:
            raise _taken(account_id, address)

    with_retries(attempt)
    from hourbank.ports.invitations import ContactInvitation, contact_port

    try:
        contact_port().invite_contact(ContactInvitation(account_id, account.name, item.name or "", address))
    except Exception:
        _forget(item)
        raise
    return _contact(item)


def _taken(account_id: str, address: str) -> Conflict:
    if email_owner(address) == account_id:
        return AddressTaken(f"{address} is already a contact of this account")
    return AddressTaken(
        f"{address} already belongs to another Hourbank account (an address belongs to one account): "
        "invite another address, or ask the person which account they sign in to"
    )


def _forget(item: ContactModel) -> None:
    """Take back a contact and its claim (an invitation that failed, or a removal)."""
    account_id = item.contact_account_id

    def attempt() -> None:
        tx = Tx()
        tx.delete("contact", item, condition=ContactModel.sk.exists())
        claim = EmailClaimModel(CLAIM_PREFIX + email_key(item.email or ""))
        tx.delete("claim", claim, condition=EmailClaimModel.owner_account_id == account_id)
        refused = commit_or_retry(tx, unless=("contact", "claim"))
        if refused is not None and "contact" not in refused:  # no claim of this account's (data from by hand)
            item.delete(condition=ContactModel.sk.exists())

    with_retries(attempt)


def _find(account: AccountModel, contact_id: str) -> tuple[Contact, ContactModel | None]:
    """The contact ``contact_id`` of ``account`` (the owner, or an item), else 404."""
    if contact_id == contact_id_for(account.account_id, account.email):
        noted = _get(account.account_id, contact_id)
        return owner_contact(account, noted), noted
    item = _get(account.account_id, contact_id)
    if item is None or not item.email:
        raise NotFound("contact not found")
    return _contact(item), item


def _get(account_id: str, contact_id: str) -> ContactModel | None:
    try:
        return ContactModel.get(*_key(account_id, contact_id), consistent_read=True)
    except ContactModel.DoesNotExist:
        return None


def remove(actor: Actor, account_id: str, contact_id: str) -> None:
    """``DELETE /accounts/{id}/contacts/{contact_id}``: the person's sign-in is deleted first (so a failure after
    it leaves a contact a retry removes, never a removed contact who can still sign in), then the contact and its
    claim in one transaction. The owner - the account's own address - stays: so the last contact is never
    removed (SPEC W1)."""
    account = _manageable(actor, account_id, "remove contacts")
    contact, item = _find(account, contact_id)
    if contact.owner:
        if len(_all(account)) == 1:
            raise LastContact("the last contact cannot be removed: an account needs someone who can sign in to it")
        raise LastContact(
            f"{contact.email} is the account's own address (its owner) and cannot be removed; the other contacts can be"
        )
    from hourbank.ports.invitations import contact_port

    contact_port().remove_user(contact.email)
    assert item is not None
    _forget(item)


def resend(actor: Actor, account_id: str, contact_id: str, *, clock: Clock = SYSTEM_CLOCK) -> Contact:
    """``POST /accounts/{id}/contacts/{contact_id}/invitation``: the invitation e-mailed again (a new temporary
    password in AWS), unless the person has signed in already (409)."""
    from hourbank.ports.invitations import AlreadySignedIn, ContactInvitation, already_signed_in, contact_port

    account = _manageable(actor, account_id, "send invitations")
    contact, item = _find(account, contact_id)
    if contact.signed_in_at:
        raise AlreadySignedIn(already_signed_in(contact.email))
    sent = int(item.invitations or 1) + 1 if item is not None else 2
    invitation = ContactInvitation(account_id, account.name, contact.name, contact.email, resend=True, sent=sent)
    contact_port().invite_contact(invitation)
    now = iso(clock.now())
    if item is None:  # the owner's first note
        item = ContactModel(*_key(account_id, contact.contact_id), contact_id=contact.contact_id)
    actions: list[Action] = [
        ContactModel.invited_at.set(now),
        ContactModel.invitations.set(sent),
        ContactModel.contact_id.set(contact.contact_id),
        ContactModel.contact_account_id.set(account_id),
    ]
    if contact.owner:
        actions.append(ContactModel.owner.set(True))
    # A contact removed meanwhile is not brought back (its item must still be there, unless it is the owner's).
    condition = None if contact.owner else ContactModel.sk.exists()
    if condition is None:
        item.update(actions)
    elif not updated_if(item, actions, condition):
        raise NotFound("contact not found")
    return Contact(contact.contact_id, contact.name, contact.email, contact.owner, now, contact.signed_in_at)


def note_sign_in(actor: Actor, account: AccountModel, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """SPEC W1 (``signed_in_at``): a customer's token signed in within ``SIGN_IN_WINDOW_S`` notes the sign-in on
    their contact - the portal's first read of the account after signing in; later reads write nothing. A
    contact removed meanwhile is not brought back (the condition)."""
    auth_time = actor.auth_time
    if not (actor.is_customer and actor.email and auth_time):
        return
    if clock.now().timestamp() - auth_time > SIGN_IN_WINDOW_S:
        return
    at = iso(datetime.fromtimestamp(auth_time, tz=UTC))
    contact_id = contact_id_for(account.account_id, actor.email)
    is_owner = email_key(actor.email) == account.email_lower
    item = ContactModel(*_key(account.account_id, contact_id), contact_id=contact_id)
    actions: list[Action] = [
        ContactModel.signed_in_at.set(at),
        ContactModel.contact_id.set(contact_id),
        ContactModel.contact_account_id.set(account.account_id),
    ]
    if is_owner:
        actions.append(ContactModel.owner.set(True))
    newer = ContactModel.signed_in_at.does_not_exist() | (ContactModel.signed_in_at < at)
    updated_if(item, actions, newer if is_owner else newer & ContactModel.email.exists())


def account_for_address(email: str) -> str | None:
    """The account an address belongs to - its own address or one of its contacts' (SPEC O7) - or None: one
    consistent read of the address's claim. For mail received (SPEC E1) and orders by e-mail."""
    return email_owner(email)


def recipients(account_id: str) -> list[str]:
    """Everyone who signs in to ``account_id``: the account's own address first, then each contact's (SPEC W1,
    N1). An account that does not exist has none."""
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except AccountModel.DoesNotExist:
        return []
    return [c.email for c in _all(account)]


__all__ = [
    "AddressTaken",
    "Contact",
    "LastContact",
    "account_for_address",
    "contact_id_for",
    "invite",
    "list_contacts",
    "note_sign_in",
    "recipients",
    "remove",
    "resend",
]
