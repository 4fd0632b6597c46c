"""One page of an account's items of one kind in the Charges table (``<prefix><when>#<ref>`` sort keys), newest
first: one Query, and a signed cursor bound to the list and the account (``hourbank.store.cursors``). The payments
(SPEC W1) and the visits (W1) lists read their pages here."""

from __future__ import annotations

from typing import Any, TypeVar

from hourbank.store import cursors

M = TypeVar("M")


def newest_first(
    model: type[M], account_id: str, prefix: str, *, list_name: str, limit: int, cursor: str | None
) -> tuple[list[M], str | None]:
    bound = {"account": account_id}
    start = cursors.decode(
        cursor,
        list_name=list_name,
        bound=bound,
        names=frozenset({"account_id", "charge_key"}),
        pinned={"account_id": account_id},
    )
    typed: Any = model  # a pynamodb Model of the Charges table with a charge_key range key
    page = typed.query(
        account_id,
        typed.charge_key.startswith(prefix),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
    )
    items = list(page)
    return items, cursors.encode(page.last_evaluated_key, list_name=list_name, bound=bound)
