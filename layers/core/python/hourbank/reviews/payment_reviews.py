"""SPEC O8: payments Hourbank cannot match are kept for review, where billing sees and settles them.

The webhook records one review per Stripe event whose outcome is ``review`` (unknown order, amount or currency
not the order's, an object that names no order): ``record`` puts it with "does not exist" under an id derived
from the event, so a redelivery - or two deliveries at once - keeps one. ``GET /reviews`` (billing) lists them
newest first, one Query of the Reviews table's single partition with an opaque cursor (never a Scan). Billing
resolves one with a note and, if money is owed, a credit (or correction) of the account: the ledger entry
(``ref`` = the review) and the resolution are one transaction, conditioned on the review still being open, so
it is settled once and says who settled it, when and how.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.ledger.balance_writer import ADJUSTMENT, PURCHASE, LedgerLine, write_account
from hourbank.store.models import AccountModel, LedgerModel, ReviewModel
from hourbank.store.transactions import Tx, commit_or_retry, saved_if, with_retries

log = logging.getLogger(__name__)
PARTITION = "review"
MAX_MINUTES = 100_000
STATUSES = ("open", "resolved")


def review_id(event: dict) -> str:
    created = event.get("created")
    at = int(created) if isinstance(created, int | float) and not isinstance(created, bool) else 0
    return f"rev_{max(at, 0):010d}_{str(event.get('id') or '?')[:100]}"


def record(event: dict, *, reason: str, order_id: str | None, at: datetime, clock: Clock = SYSTEM_CLOCK) -> str:
    """Keep a payment for review, once per event. Returns the review id."""
    obj = ((event.get("data") or {}).get("object")) or {}
    obj = obj if isinstance(obj, dict) else {}
    account_id = _account_of(order_id) or _metadata(obj).get("account_id")
    amount = next(
        (
            obj[k]
            for k in ("amount_total", "amount_paid", "amount_refunded", "amount")
            if isinstance(obj.get(k), int) and not isinstance(obj.get(k), bool)
        ),
        None,
    )
    currency = obj.get("currency")
    review = ReviewModel(
        PARTITION,
        review_id(event),
        at=iso(at),
        recorded_at=iso(clock.now()),
        reason=reason[:1000],
        event_id=str(event.get("id") or "")[:200],
        event_type=str(event.get("type") or "")[:100],
        payment_object=str(obj.get("id"))[:200] if obj.get("id") else None,
        order_id=order_id,
        account_id=str(account_id)[:100] if account_id else None,
        amount_minor=amount,
        currency=str(currency).upper()[:3] if isinstance(currency, str) and currency else None,
        status="open",
    )
    saved_if(review, ReviewModel.review_id.does_not_exist())  # or kept already: the event was redelivered
    return review.review_id


def _account_of(order_id: str | None) -> str | None:
    from hourbank.orders.payment_settlement import load_order

    order = load_order(order_id) if order_id else None
    return order.account_id if order is not None else None


def _metadata(obj: dict) -> dict:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def list_reviews(
    actor: Actor, *, limit: int = 50, cursor: str | None = None, status: str | None = None
) -> tuple[list[ReviewModel], str | None]:
    """Newest first, a page at a time (``cursor`` is opaque); ``status`` keeps open or resolved ones."""
    actor.require(BILLING, action="see payments kept for review")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    start = _decode(cursor) if cursor else None
    result = ReviewModel.query(
        PARTITION,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
        filter_condition=(ReviewModel.status == status) if status else None,
    )
    items = list(result)
    last = result.last_evaluated_key
    return items, _encode(last) if last else None


def _encode(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps({"r": key["review_id"]["S"]}).encode()).decode()


def _decode(cursor: str) -> dict:
    try:
        rid = json.loads(base64.urlsafe_b64decode(cursor.encode()))["r"]
        if not isinstance(rid, str) or not rid.startswith("rev_"):
            raise ValueError(rid)
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("cursor: not a cursor this API returned") from None
    return {"pk": {"S": PARTITION}, "review_id": {"S": rid}}


def get_review(rid: str) -> ReviewModel:
    if not rid.startswith("rev_"):
        raise NotFound("review not found")
    try:
        return ReviewModel.get(PARTITION, rid, consistent_read=True)
    except DoesNotExist:
        raise NotFound("review not found") from None


def resolve(
    actor: Actor,
    rid: str,
    *,
    note: str,
    minutes: int | None = None,
    account_id: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[ReviewModel, LedgerModel | None]:
    """Billing settles a review: a note, and optionally ``minutes`` credited (+, a purchase) or taken back
    (-, an adjustment) on ``account_id`` (default: the review's account), in one transaction with the
    resolution. A review already resolved is a 409; nothing is written twice."""
    actor.require(BILLING, action="resolve payments kept for review")
    if not note.strip():
        raise InvalidInput("note: say how the payment was settled")
    if minutes is not None and (minutes == 0 or abs(minutes) > MAX_MINUTES):
        raise InvalidInput(f"minutes: must be non-zero and at most {MAX_MINUTES} either way")
    review = get_review(rid)
    target = account_id or review.account_id
    if minutes is not None and not target:
        raise InvalidInput("account_id: this payment names no account; say which account to credit")

    def attempt() -> tuple[ReviewModel, LedgerModel | None]:
        current = get_review(rid)
        if current.status != "open":
            raise Conflict(f"this review was already resolved by {current.resolved_by} at {current.resolved_at}")
        now = iso(clock.now())
        tx = Tx()
        entry = None
        actions = [
            ReviewModel.status.set("resolved"),
            ReviewModel.resolved_by.set(actor.subject),
            ReviewModel.resolved_at.set(now),
            ReviewModel.resolution_note.set(note.strip()),
        ]
        if minutes is not None:
            entry = _adjust(tx, actor, rid, target, minutes, note.strip(), now)
            actions += [
                ReviewModel.adjustment_account_id.set(target),
                ReviewModel.adjustment_minutes.set(minutes),
                ReviewModel.adjustment_entry_id.set(entry.entry_id),
            ]
        tx.update("review", current, actions, condition=ReviewModel.status == "open")
        commit_or_retry(tx)  # refused review: resolved meanwhile, the next look says by whom (409)
        return get_review(rid), entry

    review, entry = with_retries(attempt)
    if entry is not None and minutes and minutes > 0:
        from hourbank.tickets.closing import settle_awaiting

        settle_awaiting(entry.account_id, clock=clock)
    return review, entry


def _adjust(tx: Tx, actor: Actor, rid: str, account_id: str, minutes: int, note: str, now: str) -> LedgerModel:
    """The review's ledger entry on ``account_id`` (SPEC C6, C7): credited (+) as a purchase, taken back (-)
    as an adjustment, referring to the review."""
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise InvalidInput("account_id: no such account") from None
    kind = PURCHASE if minutes > 0 else ADJUSTMENT
    line = LedgerLine(minutes, kind, now, actor.subject, ref=rid, note=f"review {rid}: {note}"[:1000])
    entry = write_account(tx, account, line=line)
    assert entry is not None  # minutes is never 0 (checked by resolve)
    return entry


def view(r: ReviewModel) -> dict[str, Any]:
    return {
        "review_id": r.review_id,
        "at": r.at,
        "recorded_at": r.recorded_at,
        "reason": r.reason,
        "event_id": r.event_id,
        "event_type": r.event_type,
        "payment_object": r.payment_object,
        "order_id": r.order_id,
        "account_id": r.account_id,
        "amount": None if r.amount_minor is None else {"currency": r.currency, "amount_minor": int(r.amount_minor)},
        "status": r.status,
        "resolution": None
        if r.status != "resolved"
        else {
            "by": r.resolved_by,
            "at": r.resolved_at,
            "note": r.resolution_note,
            "account_id": r.adjustment_account_id,
            "minutes": int(r.adjustment_minutes) if r.adjustment_minutes is not None else None,
            "ledger_entry_id": r.adjustment_entry_id,
        },
    }


__all__ = ["list_reviews", "record", "resolve", "review_id", "view"]
