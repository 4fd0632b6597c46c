"""A visit's payments through the Stripe webhook (SPEC V1, O2, O3): the same events, the same
deduplication (by event id in the webhook, by payment object here), but paying credits no minutes
(API.md: "A visit's payment is an order ... paying it credits no minutes").

* paid: the booking confirms the visit; an extension raises ``prepaid_hours``. One transaction: the order's
  ``payments[ref]`` (does-not-exist condition: a payment counts once, whichever event reports it), the
  visit (conditioned on the state read), the statement line, and the expiry marker gone. A payment that
  lands on a visit already cancelled or completed is refunded in full.
* refunded or disputed outside Hourbank (the Stripe dashboard, a chargeback): the hours that payment
  bought are taken back from ``prepaid_hours`` (the next entry past them is refused) and the visit is
  flagged; Hourbank's own refunds (``visits.refund_issuing``) are recognised by their record and change nothing.
"""

from __future__ import annotations

from datetime import datetime

from hourbank.kernel.clock import iso
from hourbank.orders.payment_settlement import Settlement, flag_for_review, load_order
from hourbank.receipts import payment_book
from hourbank.store.models import OrderModel, VisitExpiryModel, VisitModel, map_of
from hourbank.store.transactions import Tx, commit_or_retry, with_retries
from hourbank.visits.booking import BOOKING, expiry_key, load_visit, ticket_of
from hourbank.visits.refund_issuing import issue_refunds, statement_line


def settle_visit_paid(order: OrderModel, *, payment_ref: str, amount_minor: int, at: datetime) -> Settlement:
    refund = []
    first = [order]  # the first attempt uses the order settlement just read; a retry reads again

    def attempt() -> Settlement:
        current = first.pop() if first else load_order(order.order_id)
        assert current is not None
        if payment_ref in map_of(current.payments):
            return Settlement("duplicate", current.order_id, detail=payment_ref)
        visit = load_visit(ticket_of(str(current.visit_id)))
        if visit is None:
            flag_for_review(current, f"paid ({payment_ref}) for a visit that no longer exists")
            return Settlement("review", current.order_id, detail="no such visit")
        hours = int(current.visit_hours or 0)
        live = visit.state in ("awaiting_payment", "confirmed")
        tx = Tx()
        tx.update(
            "order",
            current,
            [
                OrderModel.status.set("paid"),
                OrderModel.payments[payment_ref].set(
                    {"credited": 0, "debited": 0, "refunded_minor": 0, "at": iso(at), "listed": True}
                ),
            ],
            condition=OrderModel.payments[payment_ref].does_not_exist(),
        )
        entry = {
            **map_of(visit.orders).get(current.order_id, {}),
            "kind": current.kind,
            "hours": hours,
            "amount_minor": int(amount_minor),
            "status": "paid",
            "payment_ref": payment_ref,
            "paid_at": iso(at),
            "refunded_minor": 0,
            "listed": True,  # SPEC W1: on the account's payments list (a refund updates it there)
        }
        actions = [VisitModel.paid_minor.add(int(amount_minor)), VisitModel.orders[current.order_id].set(entry)]
        if live:
            actions += [VisitModel.state.set("confirmed"), VisitModel.prepaid_hours.add(hours)]
            if visit.state == "awaiting_payment" and current.kind == BOOKING:
                actions.append(VisitModel.expires_at.remove())
                if visit.expires_at:
                    tx.delete("expiry", VisitExpiryModel(*expiry_key(visit.expires_at, visit.visit_id)))
        else:  # cancelled or completed before this payment landed: it is paid back in full
            actions.append(VisitModel.refund_due_minor.add(int(amount_minor)))
        tx.update("visit", visit, actions, condition=VisitModel.state == visit.state)
        tx.put(
            "charge",
            statement_line(
                visit, current.kind, int(amount_minor), iso(at), order_id=current.order_id, ref=payment_ref, hours=hours
            ),
        )
        payment_book.record(tx, _listed(visit, current, payment_ref, int(amount_minor), iso(at)))
        if commit_or_retry(tx, unless=("order",)) is not None:
            return Settlement("duplicate", current.order_id, detail=payment_ref)
        if not live:
            refund.append(visit.ticket_id)
        return Settlement("recorded", current.order_id, 0, detail=f"visit {visit.visit_id} paid ({hours} h)")

    return _after_paid(with_retries(attempt), order, payment_ref, at, refund)


def _after_paid(result: Settlement, order: OrderModel, payment_ref: str, at: datetime, refund: list) -> Settlement:
    if result.outcome == "recorded":
        payment_book.pick_up_receipt(order.account_id, iso(at), payment_ref)  # SPEC W1: a receipt that came first
    for ticket_id in refund:
        issue_refunds(ticket_id)
    return result


def _listed(visit: VisitModel, order: OrderModel, payment_ref: str, amount_minor: int, at: str) -> payment_book.Paid:
    """SPEC W1: a visit's booking or extension on the account's payments list."""
    booking = order.kind == BOOKING
    hours = int(order.visit_hours or 0)
    return payment_book.Paid(
        account_id=visit.account_ref,
        at=at,
        ref=payment_ref,
        kind="visit" if booking else "extension",
        amount_minor=amount_minor,
        currency=visit.currency,
        description=f"Onsite visit at {visit.address}" + (f": {hours} more h" if not booking else ""),
        order_id=order.order_id,
        visit_id=visit.visit_id,
    )


def settle_visit_take_back(
    order: OrderModel, *, payment_ref: str, refunded_minor: int | None, kind: str, at: datetime
) -> Settlement:
    """SPEC O3 for a visit: ``refunded_minor`` is the charge's cumulative refunded amount (None: a dispute,
    the whole payment)."""

    def attempt() -> Settlement:
        current = load_order(order.order_id)
        assert current is not None
        paid = dict(map_of(current.payments).get(payment_ref) or {})
        if not paid:
            flag_for_review(current, f"{kind} of {payment_ref} before its payment was recorded")
            return Settlement("review", current.order_id, detail=f"{kind} before payment")
        amount = int(current.amount_minor) if refunded_minor is None else int(refunded_minor)
        seen = int(paid.get("refunded_minor", 0))
        if paid.get("disputed") if kind == "dispute" else amount <= seen:
            return Settlement("duplicate", current.order_id, detail=payment_ref)
        visit = load_visit(ticket_of(str(current.visit_id)))
        if visit is None:
            return Settlement("review", current.order_id, detail="no such visit")
        ours = sum(int(r["amount_minor"]) for r in map_of(visit.refunds).values() if r["payment_ref"] == payment_ref)
        external = max(amount - ours, 0)
        hours = int(current.visit_hours or 0)
        # The external share of the payment, in the hours it bought, rounded up (as O3 takes whole minutes).
        take_total = min(hours, -(-hours * external // max(int(current.amount_minor), 1)))
        taken = int(paid.get("hours_taken", 0))
        take = take_total - taken if visit.state == "confirmed" else 0
        new_paid = {**paid, "refunded_minor": max(seen, amount), "hours_taken": taken + max(take, 0)}
        if kind == "dispute":
            new_paid["disputed"] = True
        tx = Tx()
        tx.update(
            "order",
            current,
            [
                OrderModel.payments[payment_ref].set(new_paid),
                OrderModel.status.set(
                    "disputed"
                    if kind == "dispute"
                    else "refunded"
                    if amount >= int(current.amount_minor)
                    else current.status
                ),
            ],
            condition=OrderModel.payments[payment_ref]["refunded_minor"] == seen,
        )
        payment_book.order_taken_back(tx, current, paid, payment_ref, None if kind == "dispute" else max(seen, amount))
        actions = []
        if external:
            actions.append(VisitModel.flags.add({"payment_disputed" if kind == "dispute" else "payment_refunded"}))
        if take > 0:
            actions.append(VisitModel.prepaid_hours.add(-take))
        if actions:
            tx.update("visit", visit, actions, condition=VisitModel.state == visit.state)
        commit_or_retry(tx)
        if not external:
            return Settlement("recorded", current.order_id, detail=f"Hourbank's own refund of {payment_ref}")
        return Settlement("recorded", current.order_id, detail=f"{kind} of {payment_ref}: {max(take, 0)} h taken back")

    return with_retries(attempt)
