"""A visit never paid expires and leaves nothing behind (SPEC V1).

A booking is payable for the Checkout Session's life (24 h, Stripe's longest); an hour later
(``visits.EXPIRY_GRACE``) no payment can land any more. The hourly sweep (``VisitExpiryFunction``) then
deletes the visit, its ticket, its booking order and its marker in one transaction, each conditioned on
still being unpaid and untouched, so a payment that won the race keeps everything. Markers live in the
Tickets table under ``VISITEXPIRY#<day>`` (``VisitExpiryModel``): the sweep reads them by key - this day
and the ``LOOKBACK_DAYS`` before, so a sweep that did not run for days catches up - never a Scan.

Why not DynamoDB TTL: TTL deletes one item at a time (a visit is four items in two tables), up to days
late, with no condition on a payment that may just have landed; and DynamoDB Local does not expire items,
so the local stack could not show it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hourbank.kernel.clock import iso
from hourbank.store.models import TICKET_SK, VISIT_EXPIRY_PREFIX, OrderModel, TicketModel, VisitExpiryModel, VisitModel
from hourbank.store.transactions import Tx, TxFailed, ensure_bound
from hourbank.visits.booking import load_visit, ticket_of

LOOKBACK_DAYS = 7


def expire_due(now: datetime) -> dict[str, int]:
    """Remove every unpaid visit whose payment window has passed; returns what it did."""
    ensure_bound()
    expired = kept = 0
    cutoff = iso(now)
    for back in range(LOOKBACK_DAYS, -1, -1):
        day = (now - timedelta(days=back)).strftime("%Y-%m-%d")
        for marker in VisitExpiryModel.query(
            f"{VISIT_EXPIRY_PREFIX}{day}", VisitExpiryModel.sk < cutoff, consistent_read=True
        ):
            if _expire(marker):
                expired += 1
            else:
                kept += 1
    return {"expired": expired, "kept": kept}


def _expire(marker: VisitExpiryModel) -> bool:
    ticket_id = ticket_of(marker.visit_id)
    visit = load_visit(ticket_id)
    tx = Tx()
    tx.delete("marker", marker)
    if visit is None or visit.state != "awaiting_payment":
        tx.commit()  # paid or cancelled meanwhile: only the marker goes (normally gone with the payment)
        return False
    tx.delete("visit", visit, condition=(VisitModel.state == "awaiting_payment") & (VisitModel.paid_minor == 0))
    tx.delete(
        "ticket",
        TicketModel(ticket_id, TICKET_SK),
        condition=(TicketModel.status == "open") & (TicketModel.entry_count == 0),
    )
    tx.delete(
        "order", OrderModel(visit.booking_order_id), condition=OrderModel.status == "pending"
    )  # a payment sets "paid" with its record
    # Not commit_or_retry: a refusal is the answer (the visit stays), never "read again".
    try:
        tx.commit()
    except TxFailed as exc:
        if exc.refused:
            return False  # a payment (or a person) got there first: the visit stays
        raise
    return True
