"""Paying back what a visit owes (SPEC V1: cancellation, unused prepaid hours), exactly once.

What is owed is fixed on the visit (``refund_due_minor``) in the transaction that completed or cancelled
it. This pays the part not yet refunded, newest payment first, one refund per payment: the refund's key is
``<payment>#<that payment's refunded total after it>``, used both as Stripe's idempotency key and as the
record on the visit (written with a does-not-exist condition, in one transaction with the visit's totals
and the statement line). Running it again - a retried close, a crash between Stripe and the record -
asks Stripe with the same key (the same refund comes back) and records it once.
"""

from __future__ import annotations

from functools import cache

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.payments.stripe_refunds import RefundPort
from hourbank.ports.settings import get_settings
from hourbank.store.models import VISIT_SK, VisitChargeModel, VisitModel, map_of
from hourbank.store.transactions import Tx, TxFailed


@cache
def default_refunds() -> RefundPort:
    """Stripe with the configured key; the installed stand-in without one (once per execution environment)."""
    from hourbank.payments.secrets import stripe_api_key
    from hourbank.payments.stripe_refunds import select_refunds

    return select_refunds(stripe_api_key(get_settings().payments))


def issue_refunds(
    ticket_id: str, *, port: RefundPort | None = None, clock: Clock = SYSTEM_CLOCK, visit: VisitModel | None = None
) -> int:
    """Refund what the visit owes and has not refunded yet; returns the amount refunded now. ``visit``: the
    item as just read consistently, if the caller has it (saves the first read)."""
    refunded_now = 0
    for _ in range(20):  # one refund per payment; a lost race re-reads (bounded: a visit has few payments)
        if visit is None:
            visit = VisitModel.get(ticket_id, VISIT_SK, consistent_read=True)
        due = int(visit.refund_due_minor) - int(visit.refunded_minor)
        newest = _newest_unrefunded(visit)
        if due <= 0 or newest is None:
            return refunded_now
        order_id, paid = newest
        before = int(paid.get("refunded_minor", 0))
        amount = min(due, int(paid["amount_minor"]) - before)
        key = f"{paid['payment_ref']}#{before + amount}"
        refund_id = (port or default_refunds()).refund(
            str(paid["payment_ref"]),
            amount,
            idempotency_key=f"visit-{visit.visit_id}-refund-{key}",
            metadata={"visit_id": visit.visit_id, "order_id": order_id, "account_id": visit.account_ref},
        )
        tx = _recorded(visit, key, order_id, paid, amount, refund_id, iso(clock.now()))
        visit = None  # whatever happens next, read it again
        try:
            tx.commit()
        except TxFailed as exc:  # not commit_or_retry: its own loop reads again (a refund goes out between reads)
            if not exc.refused and not exc.conflict:
                raise
            continue  # recorded by a concurrent run: read again
        refunded_now += amount
        if amount == due:
            return refunded_now  # all that was owed: nothing left to read for
    return refunded_now


def _newest_unrefunded(visit: VisitModel) -> tuple[str, dict] | None:
    """The newest payment of the visit not refunded in full: (its order id, the visit's record of it)."""
    payments = [
        (oid, o)
        for oid, o in map_of(visit.orders).items()
        if o.get("payment_ref") and int(o["amount_minor"]) > int(o.get("refunded_minor", 0))
    ]
    return max(payments, key=lambda kv: (str(kv[1].get("paid_at", "")), kv[0]), default=None)


def _recorded(visit: VisitModel, key: str, order_id: str, paid: dict, amount: int, refund_id: str, now: str) -> Tx:
    """The refund's record on the visit, once per ``key`` and only on the refunded total it was based on, with
    its statement line (SPEC M3)."""
    before = int(paid.get("refunded_minor", 0))
    record = {
        "order_id": order_id,
        "payment_ref": paid["payment_ref"],
        "amount_minor": amount,
        "refund_id": refund_id,
        "at": now,
    }
    tx = Tx()
    tx.update(
        "visit",
        visit,
        [
            VisitModel.refunds[key].set(record),
            VisitModel.refunded_minor.add(amount),
            VisitModel.orders[order_id]["refunded_minor"].set(before + amount),
        ],
        condition=VisitModel.refunds[key].does_not_exist() & (VisitModel.orders[order_id]["refunded_minor"] == before),
    )
    tx.put("charge", statement_line(visit, "refund", -amount, now, order_id=order_id, ref=refund_id))
    if paid.get("listed"):  # SPEC W1: the payment's list item says what was paid back
        from hourbank.receipts import payment_book

        payment_book.taken_back(
            tx,
            visit.account_ref,
            str(paid["paid_at"]),
            str(paid["payment_ref"]),
            amount_minor=int(paid["amount_minor"]),
            refunded_minor=before + amount,
            disputed=False,
        )
    return tx


def statement_line(
    visit: VisitModel,
    what: str,
    amount_minor: int,
    at: str,
    *,
    order_id: str | None,
    ref: str | None,
    hours: int | None = None,
) -> VisitChargeModel:
    """The statement's record of money a visit moved (SPEC M3), under the company-time month it moved in."""
    month = get_settings().month_of(at)
    return VisitChargeModel(
        visit.account_ref,
        f"visit#{month}#{at}#{visit.visit_id}#{ref}",
        visit_id=visit.visit_id,
        what=what,
        amount_minor=amount_minor,
        currency=visit.currency,
        at=at,
        order_id=order_id,
        ref=ref,
        hours=hours,
    )
