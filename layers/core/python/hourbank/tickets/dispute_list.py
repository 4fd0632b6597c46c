"""SPEC W4, C6: billing's list of disputed entries - the open ones oldest first (the one waiting longest on top),
the resolved ones newest first - one Query of the Reviews table's ``dispute#open`` or ``dispute#resolved``
partition per page (``tickets.disputes`` keeps them there in the dispute's own transactions)."""

from __future__ import annotations

from hourbank.kernel.errors import InvalidInput
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store import cursors
from hourbank.store.models import DISPUTE_OPEN, DISPUTE_RESOLVED, DisputeListModel

STATUSES = {"open": DISPUTE_OPEN, "resolved": DISPUTE_RESOLVED}


def list_disputes(
    actor: Actor, *, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[DisputeListModel], str | None]:
    actor.require(BILLING, action="see disputes")
    status = status or "open"
    if status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    partition = STATUSES[status]
    bound = {"status": status}
    start = cursors.decode(
        cursor, list_name="disputes", bound=bound, names=frozenset({"pk", "review_id"}), pinned={"pk": partition}
    )
    page = DisputeListModel.query(
        partition,
        scan_index_forward=status == "open",
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
    )
    items = list(page)
    return items, cursors.encode(page.last_evaluated_key, list_name="disputes", bound=bound)
