"""SPEC N1: what a customer chose to be told (API.md ``GET/PUT /accounts/{id}/notifications``), and who the
account's recipients are.

Three switches, each on unless turned off: ``ticket_updates`` (received, staff messages, a dispute's outcome),
``receipts`` (the close receipt, payment receipts), ``statements`` (the month's statement). Awaiting credit and
payment links are not a choice: they always go (SPEC N1), so they name no switch here.
"""

from __future__ import annotations

from typing import Any

from hourbank.kernel.errors import Forbidden
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import AccountModel, map_of

SWITCHES = ("ticket_updates", "receipts", "statements")
PERMANENT = ("bounce", "complaint")  # a mail_problem of these kinds stops mail to that address


def chosen(account: AccountModel) -> dict[str, bool]:
    stored = map_of(account.notifications)
    return {name: stored.get(name) is not False for name in SWITCHES}


def wants(account: AccountModel, switch: str | None) -> bool:
    """SPEC N1: ``switch`` None is a mail that always goes (awaiting credit, payment links)."""
    return switch is None or chosen(account)[switch]


def recipients(account: AccountModel) -> list[str]:
    """The one answer to "who are the account's recipients" (SPEC N1: each contact of the account): the account's
    own address and each contact's (``hourbank.accounts.contacts.recipients``, W1). An address SES reported as
    bouncing or complaining is left out, so no mail to it is retried forever; staff see the problem on the
    account (``mail_problem``)."""
    from hourbank.accounts.contacts import recipients as contacts_of

    problem = map_of(account.mail_problem)
    blocked = str(problem.get("address") or "").lower() if problem.get("kind") in PERMANENT else ""
    addresses = contacts_of(account.account_id)
    return [a for a in dict.fromkeys(addresses) if a.lower() != blocked]


def read(actor: Actor, account_id: str) -> dict[str, bool]:
    from hourbank.accounts.account_service import get_account

    return chosen(_manage(actor, get_account(actor, account_id)))


def save(actor: Actor, account_id: str, switches: dict[str, Any]) -> dict[str, bool]:
    """``PUT``: the three switches as given (validated by the request body); one update of the account."""
    from hourbank.accounts.account_service import get_account

    account = _manage(actor, get_account(actor, account_id))
    value = {name: bool(switches[name]) for name in SWITCHES}
    account.update([AccountModel.notifications.set(value)], condition=AccountModel.account_id.exists())
    return value


def _manage(actor: Actor, account: AccountModel) -> AccountModel:
    if not (actor.is_customer or BILLING in actor.roles):
        # A technician may read the account but not its owner's choices: 403, not 404 (API.md).
        raise Forbidden("only billing or the account's owner may see or change its notification settings")
    return account
