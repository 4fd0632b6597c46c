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

import logging
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.ledger.balance_writer import ADJUSTMENT, PURCHASE, LedgerLine, write_account
from hourbank.store import cursors
from hourbank.store.models import AccountModel, LedgerModel, ReviewModel
from hourbank.store.transactions import Tx, commit_or_retry, saved_if, updated_if, with_retries

log = logging.getLogger(__name__)
PARTITION = "review"
MAX_MINUTES = 100_000
# SPEC O8: deliveries of one event failing the same way before it is kept for review and answered 200.
# Stripe retries a failed delivery with exponential backoff for three days: the third comes within hours.
POISON_AFTER = 3
FAILURE_TTL_S = 4 * 24 * 3600  # Stripe retries for three days
STATUSES = ("open", "resolved")


def review_id(event: dict) -> str:
    created = event.get("created")
    at = int(created) if isinstance(created, int | float) and not isinstance(created, bool) else 0
    return f"rev_{max(at, 0):010d}_{str(event.get('id') or '?')[:100]}"


def count_failure(event: dict, error: BaseException, *, clock: Clock = SYSTEM_CLOCK) -> int:
    """SPEC O8: count one more failure of ``event`` with ``error``'s signature (its type and message) and
    return how many there were. One conditional ADD (``failure#<event id>#<signature>``), never
    read-then-write: concurrent deliveries each count once. The condition stops counting at
    ``POISON_AFTER``: a delivery after that finds the count there and keeps the event for review again
    (once: ``record`` is keyed by the event)."""
    import hashlib
    import re

    from hourbank.store.models import FailureModel

    text = error_text(error)
    # Numbers (times, counts, request ids) vary between deliveries of one failure: they do not make it another.
    signature = hashlib.sha256(re.sub(r"\d+", "#", text).encode()).hexdigest()[:16]
    item = FailureModel(f"failure#{str(event.get('id') or '?')[:200]}#{signature}")
    counted = updated_if(
        item,
        [
            FailureModel.failures.add(1),
            FailureModel.error.set(text),
            FailureModel.expiration.set(int(clock.now().timestamp()) + FAILURE_TTL_S),
        ],
        FailureModel.id.does_not_exist() | (FailureModel.failures < POISON_AFTER),
    )
    # refused: counted to the end already, and the event is kept for review
    return int(item.failures) if counted else POISON_AFTER


def error_text(error: BaseException) -> str:
    """What a review says about a failure: the exception's type and message (no traceback, no event data)."""
    return f"{type(error).__name__}: {error}"[:500]


def record(
    event: dict,
    *,
    reason: str,
    order_id: str | None,
    at: datetime,
    clock: Clock = SYSTEM_CLOCK,
    payment_ref: str | None = None,
) -> str:
    """Keep a payment for review, once per event. Returns the review id. ``payment_ref``: the payment an
    event that could not be applied would credit (SPEC O8), so that billing's credit takes its place."""
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
        payment_ref=payment_ref[:200] if payment_ref else None,
        status="open",
    )
    saved_if(review, ReviewModel.review_id.does_not_exist())  # or kept already: the event was redelivered
    return review.review_id


def _account_of(order_id: str | None) -> str | None:
    from pynamodb.exceptions import AttributeDeserializationError

    from hourbank.orders.payment_settlement import load_order
    from hourbank.store.models import OrderModel

    try:
        order = load_order(order_id) if order_id else None
    except AttributeDeserializationError:  # SPEC O8: an order whose stored data is what failed: its account alone
        try:
            return OrderModel.get(order_id, consistent_read=True, attributes_to_get=["account_id"]).account_id
        except (AttributeDeserializationError, DoesNotExist):
            return None
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
    bound = {"status": status}
    start = cursors.decode(
        cursor,
        list_name="reviews",
        bound=bound,
        names=frozenset({"pk", "review_id"}),
        pinned={"pk": PARTITION},
    )
    result = ReviewModel.query(
        PARTITION,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
        consistent_read=True,
        filter_condition=(ReviewModel.status == status) if status else None,
    )
    items = list(result)
    return items, cursors.encode(result.last_evaluated_key, list_name="reviews", bound=bound)


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
            entry = _adjust(tx, actor, current, target, minutes, note.strip(), now)
            actions += [
                ReviewModel.adjustment_account_id.set(target),
                ReviewModel.adjustment_minutes.set(minutes),
                ReviewModel.adjustment_entry_id.set(entry.entry_id),
            ]
        tx.update("review", current, actions, condition=ReviewModel.status == "open")
        _settle_order(tx, current, minutes, now, target)
        # refused review: resolved meanwhile, the next look says by whom (409)
        if commit_or_retry(tx, unless=("idempotency",)) is not None:
            raise Conflict(f"the payment {current.payment_ref} was credited meanwhile (a later delivery of its event)")
        return get_review(rid), entry

    review, entry = with_retries(attempt)
    if entry is not None and minutes and minutes > 0:
        from hourbank.tickets.closing import settle_awaiting

        settle_awaiting(entry.account_id, clock=clock)
    return review, entry


def _settle_order(tx: Tx, review: ReviewModel, minutes: int | None, now: str, credited_to: str | None) -> None:
    """SPEC O8, W4: settling a review settles its order, in the same transaction - paid when billing credited it
    (the payment then on the account's payments list, W1), else cancelled - unless it is no longer pending (a
    later delivery paid it). An order whose stored data cannot be read (what kept the payment, O8) is left."""
    from pynamodb.exceptions import AttributeDeserializationError
    from pynamodb.expressions.update import Action

    from hourbank.orders.payment_settlement import load_order
    from hourbank.store.models import OrderModel

    try:
        order = load_order(review.order_id)
    except AttributeDeserializationError:
        return
    if order is None or order.status != "pending":
        return
    ref = review.payment_ref or review.payment_object or review.review_id
    credited = minutes is not None and minutes > 0
    actions: list[Action] = [OrderModel.status.set("paid" if credited else "cancelled")]
    listed = credited and review.amount_minor is not None and bool(review.currency)
    if credited:
        record = {"credited": minutes, "debited": 0, "refunded_minor": 0, "at": review.at, "listed": listed}
        actions += [OrderModel.credited_minutes.add(minutes), OrderModel.payments[ref].set(record)]
    tx.update("order", order, actions, condition=OrderModel.status == "pending")
    if listed:
        from hourbank.receipts import payment_book

        payment_book.record(
            tx,
            payment_book.Paid(
                account_id=credited_to or order.account_id,
                at=review.at,
                ref=ref,
                kind="order",
                amount_minor=int(review.amount_minor or 0),
                currency=str(review.currency),
                minutes=minutes,
                description=f"Payment settled by billing (review of {now[:10]})",
                order_id=order.order_id,
            ),
        )


def _payment_marker(review: ReviewModel):
    """SPEC O8: a review of an event that could not be applied names the payment it would have credited; a
    credit by billing writes that payment's marker (``orders.payment_settlement.settle_paid``, the same one),
    so whichever comes second - billing's credit or a later delivery that succeeds - credits nothing."""
    if not (review.payment_ref and review.order_id):
        return None
    from hourbank.ledger.balance_writer import Idempotency, fingerprint

    return Idempotency("payment", "stripe", review.payment_ref, fingerprint(review.order_id))


def _adjust(
    tx: Tx, actor: Actor, review: ReviewModel, account_id: str, minutes: int, note: str, now: str
) -> LedgerModel:
    """The review's ledger entry on ``account_id`` (SPEC C6, C7): credited (+) as a purchase, taken back (-)
    as an adjustment, referring to the review. A credit takes the place of the payment the review kept (O8)."""
    rid = review.review_id
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise InvalidInput("account_id: no such account") from None
    kind = PURCHASE if minutes > 0 else ADJUSTMENT
    line = LedgerLine(minutes, kind, now, actor.subject, ref=rid, note=f"review {rid}: {note}"[:1000])
    marker = _payment_marker(review) if minutes > 0 else None
    entry = write_account(tx, account, idempotency=marker, line=line)
    assert entry is not None  # minutes is never 0 (checked by resolve)
    return entry


__all__ = ["list_reviews", "record", "resolve", "review_id"]
