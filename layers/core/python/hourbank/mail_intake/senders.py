"""Who wrote (SPEC E1, O7): a mail's sender address → the account it belongs to.

The one lookup the intake makes of a sender, so that contacts (SPEC W1: several people per account) extend it
here alone. Today: the address's O7 claim (``email#<address>`` in the Accounts table, written with the account in
one transaction), read by key and consistently - the same answer ``GET /accounts?email=`` gives through the
``by_email`` index, without the index's lag - then the account.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from hourbank.accounts.account_service import email_owner
from hourbank.store.models import AccountModel


def account_for(address: str) -> AccountModel | None:
    """The account ``address`` belongs to (compared trimmed and case-insensitively, O7), or None."""
    owner = email_owner(address)
    if owner is None:
        return None
    try:
        return AccountModel.get(owner, consistent_read=True)
    except DoesNotExist:
        return None
