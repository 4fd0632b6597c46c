"""SPEC W1: an account's onsite visits, newest first: one Query of the visit pointers (Charges table,
``visits#<scheduled>#<visit_id>``, put with the booking) and one BatchGetItem of the visits themselves, plus one
of the booking orders of visits still awaiting payment (their ``checkout_url``)."""

from __future__ import annotations

from hourbank.kernel.identity import Actor
from hourbank.store.account_pages import newest_first
from hourbank.store.models import VISIT_LIST_PREFIX, VISIT_SK, OrderModel, VisitListModel, VisitModel

LIST = "account_visits"


def list_visits(
    actor: Actor, account_id: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[tuple[VisitModel, OrderModel | None]], str | None]:
    """Each visit with its booking order while it awaits payment (None otherwise), newest first."""
    actor.require_visible(account_id, "account")
    pointers, next_cursor = newest_first(
        VisitListModel, account_id, VISIT_LIST_PREFIX, list_name=LIST, limit=limit, cursor=cursor
    )
    found = {v.ticket_id: v for v in VisitModel.batch_get([(p.ticket_ref, VISIT_SK) for p in pointers])}
    visits = [found[p.ticket_ref] for p in pointers if p.ticket_ref in found]  # an expired visit is gone for good
    unpaid = [v.booking_order_id for v in visits if v.state == "awaiting_payment"]
    orders = {o.order_id: o for o in OrderModel.batch_get(unpaid)} if unpaid else {}
    return [(v, orders.get(v.booking_order_id)) for v in visits], next_cursor
