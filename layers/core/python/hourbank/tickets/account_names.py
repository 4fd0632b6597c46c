"""SPEC W2: lists name accounts, never an id alone. A ticket carries its account's name from its opening
(``TicketModel.account_name``); tickets opened before that was kept get theirs here, with one BatchGetItem per
page for all the accounts the page lacks, never a read per item."""

from __future__ import annotations

from collections.abc import Iterable

from hourbank.store.models import AccountModel, TicketModel

BATCH_KEYS = 100  # BatchGetItem's limit per request


def account_names(tickets: Iterable[TicketModel]) -> dict[str, str]:
    """account_id -> name for the tickets without ``account_name`` (empty, and no read, when all have it)."""
    missing = sorted({t.account_id for t in tickets if not t.account_name})
    if not missing:
        return {}
    names: dict[str, str] = {}
    for start in range(0, len(missing), BATCH_KEYS):
        chunk = missing[start : start + BATCH_KEYS]
        for account in AccountModel.batch_get(chunk, attributes_to_get=["account_id", "name"]):
            names[account.account_id] = account.name
    return names
