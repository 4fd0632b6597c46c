"""Onsite visits (SPEC V1, seed 002): booked by staff, paid in money through Stripe Checkout like an
order, worked in whole hours on the visit's own ticket, extended before work goes past what is paid,
completed by closing that ticket, cancelled (and refunded) before work starts, or expired unpaid.

Where things are kept: the visit is an item of its ticket's partition (``VisitModel``, sk ``VISIT``), so
the entry gate (``visits.gate``) and the completion (``visits.completion``) change it in the same
transaction as the ticket. Ids share one body: ``vis_<b>.acc_<a>`` is the visit of ticket
``tkt_<b>.acc_<a>``, whose booking order is ``ord_<b>``; no lookup is needed to go from one to the other.
Money never touches the balance (C7's ledger is minutes): payments and refunds are recorded on the visit
and, for the statement, as ``VisitChargeModel`` lines.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, as_given, iso
from hourbank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from hourbank.kernel.identity import Actor
from hourbank.kernel.ids import new_id
from hourbank.plans.catalogue import catalogue, get_plan
from hourbank.store.models import (
    TICKET_SK,
    VISIT_EXPIRY_PREFIX,
    VISIT_SK,
    AccountModel,
    OrderModel,
    TicketModel,
    VisitExpiryModel,
    VisitModel,
    map_of,
)
from hourbank.store.transactions import Tx, TxFailed, commit_or_retry, transact_get, with_retries
from hourbank.visits.whole_hours import VisitTerms, extension_minor, prepayment_minor, used_hours

if TYPE_CHECKING:
    from hourbank.orders.placing import CheckoutPort

BOOKING, EXTENSION = "visit", "visit_extension"  # OrderModel.kind of a visit's payments
EXPIRY_GRACE = timedelta(hours=1)  # past the Checkout Session's own 24 h, so no payment can still land


# -- ids -----------------------------------------------------------------------------------------------


def ticket_of(visit_id: str) -> str:
    head, sep, account_id = visit_id.partition(".")
    if not sep or not head.startswith("vis_") or not account_id.startswith("acc_") or len(visit_id) > 120:
        raise NotFound("visit not found")
    return f"tkt_{head[4:]}.{account_id}"


def account_of_visit(visit_id: str) -> str:
    return ticket_of(visit_id).partition(".")[2]


def expiry_key(expires_at: str, visit_id: str) -> tuple[str, str]:
    return f"{VISIT_EXPIRY_PREFIX}{expires_at[:10]}", f"{expires_at}#{visit_id}"


def terms_of(visit: VisitModel) -> VisitTerms:
    return VisitTerms(int(visit.base_fee_minor), int(visit.rate_minor), int(visit.increment_minor), visit.currency)


def load_visit(ticket_id: str) -> VisitModel | None:
    try:
        return VisitModel.get(ticket_id, VISIT_SK, consistent_read=True)
    except DoesNotExist:
        return None


def summary(visit: VisitModel) -> dict:
    """Hours as the visit stands: used (whole hours, V1) and what is left of the prepaid hours."""
    used = used_hours(int(visit.used_minutes))
    return {
        "used_hours": used,
        "unused_hours": max(int(visit.prepaid_hours) - max(used, 1), 0) if int(visit.prepaid_hours) else 0,
    }


# -- booking -------------------------------------------------------------------------------------------


def book(
    actor: Actor,
    *,
    checkout: CheckoutPort,
    account_id: str,
    scheduled_at: datetime,
    address: str,
    estimate_hours: int,
    additional_hour_rate_minor: int | None = None,
    base_fee_minor: int | None = None,
    opened_at: datetime | None = None,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[VisitModel, OrderModel]:
    """SPEC V1: staff book a visit for an account (member or not): its ticket, its booking order (the
    prepayment) and its Checkout link. The same Idempotency-Key books the same visit once."""
    actor.require_visible(account_id, "account")  # another tenant's account is a 404, then staff only (403)
    if not actor.is_staff:
        raise Forbidden("only staff may book an onsite visit")
    defaults = catalogue().visits
    if not 1 <= estimate_hours <= defaults.max_hours:
        raise InvalidInput(f"estimate_hours: must be a whole number of hours from 1 to {defaults.max_hours}")
    now = clock.now()
    if opened_at is not None and opened_at > now:
        raise InvalidInput("opened_at: must not be in the future")
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("account not found") from None
    plan = get_plan(account.plan)
    if "onsite" not in plan.work_types:
        raise InvalidInput(f"account_id: the {plan.title} plan has no onsite work (SPEC T1)")
    terms = VisitTerms(
        base_fee_minor or defaults.base_fee_minor,
        additional_hour_rate_minor or defaults.additional_hour_rate_minor,
        defaults.increment_minor,
        account.currency,
    )
    price = prepayment_minor(terms, estimate_hours)  # SPEC V1
    if idempotency_key:
        digest = hashlib.sha256(f"{account_id}\0{idempotency_key}".encode()).hexdigest()
        body = "k" + digest[:25]
    else:
        body = new_id("vis")[4:]
    visit_id, ticket_id, order_id = f"vis_{body}.{account_id}", f"tkt_{body}.{account_id}", f"ord_{body}"
    at = opened_at or now
    expires = iso(now + timedelta(hours=defaults.payment_window_hours) + EXPIRY_GRACE)
    title = f"Onsite visit: {address}"
    ticket = TicketModel(
        ticket_id,
        TICKET_SK,
        account_id=account_id,
        title=title[:200],
        priority="normal",
        status="open",
        opened_at=iso(at),
        opened_at_given=as_given(at),
        opened_recorded_at=iso(now),
        opened_by=actor.subject,
        visit_id=visit_id,
    )
    order = OrderModel(
        order_id,
        account_id=account_id,
        kind=BOOKING,
        minutes=0,
        rate_minor=terms.additional_hour_rate_minor,
        amount_minor=price,
        currency=terms.currency,
        created_at=iso(now),
        created_by=actor.subject,
        visit_id=visit_id,
        visit_hours=estimate_hours,
        title=f"Onsite visit: base fee and {estimate_hours} h",
    )
    visit = VisitModel(
        ticket_id,
        VISIT_SK,
        visit_id=visit_id,
        account_ref=account_id,
        state="awaiting_payment",
        scheduled_at=as_given(scheduled_at),
        scheduled_at_utc=iso(scheduled_at),
        address=address,
        estimate_hours=estimate_hours,
        base_fee_minor=terms.base_fee_minor,
        rate_minor=terms.additional_hour_rate_minor,
        increment_minor=terms.increment_minor,
        currency=terms.currency,
        price_minor=price,
        booked_hours=estimate_hours,
        orders={
            order_id: {
                "kind": BOOKING,
                "hours": estimate_hours,
                "amount_minor": price,
                "status": "pending",
                "refunded_minor": 0,
            }
        },
        booking_order_id=order_id,
        expires_at=expires,
        created_at=iso(now),
        created_by=actor.subject,
    )
    marker = VisitExpiryModel(*expiry_key(expires, visit_id), visit_id=visit_id)
    tx = Tx()
    tx.check("account", AccountModel, account_id, condition=AccountModel.account_id.exists())
    tx.put("visit", visit, condition=VisitModel.sk.does_not_exist())
    tx.put("ticket", ticket, condition=TicketModel.sk.does_not_exist())
    tx.put("order", order, condition=OrderModel.order_id.does_not_exist())
    tx.put("expiry", marker)
    # Not commit_or_retry: not an optimistic attempt; only a replayed booking (same key) is answered here.
    try:
        tx.commit()
    except TxFailed as exc:
        if "visit" not in exc.refused or not idempotency_key:
            raise
        visit = _same_booking(ticket_id, estimate_hours, price, scheduled_at, address)
        order = OrderModel.get(order_id, consistent_read=True)
    return visit, with_checkout(order, checkout, account)


def _same_booking(ticket_id: str, hours: int, price: int, scheduled_at: datetime, address: str) -> VisitModel:
    existing = load_visit(ticket_id)
    if existing is None:  # expired and removed since: the key is spent
        raise Conflict("this Idempotency-Key booked a visit that has since expired unpaid")
    same = (int(existing.estimate_hours), int(existing.price_minor), existing.scheduled_at_utc, existing.address) == (
        hours,
        price,
        iso(scheduled_at),
        address,
    )
    if not same:
        raise Conflict("this Idempotency-Key was already used for a different visit")
    return existing


def with_checkout(order: OrderModel, checkout: CheckoutPort, account: AccountModel | None = None) -> OrderModel:
    """The order's Checkout Session, created once (the port is idempotent per order, as for top-ups)."""
    if not order.checkout_url:
        if account is None:
            account = AccountModel.get(order.account_id, consistent_read=True)
        session_id, url = checkout.create_checkout(order, account)
        order.update([OrderModel.checkout_session_id.set(session_id), OrderModel.checkout_url.set(url)])
    return order


# -- reading -------------------------------------------------------------------------------------------


def get_visit(actor: Actor, visit_id: str) -> VisitModel:
    ticket_id = ticket_of(visit_id)
    actor.require_visible(account_of_visit(visit_id), "visit")
    visit = load_visit(ticket_id)
    if visit is None:
        raise NotFound("visit not found")
    return visit


def booking_order(visit: VisitModel) -> OrderModel | None:
    try:
        return OrderModel.get(visit.booking_order_id, consistent_read=True)
    except DoesNotExist:
        return None


# -- extensions ----------------------------------------------------------------------------------------


def extend(
    actor: Actor,
    visit_id: str,
    hours: int,
    *,
    checkout: CheckoutPort,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[VisitModel, OrderModel]:
    """SPEC V1: further hours at the visit's rate (``pricing.extension_minor``); once paid, they raise
    ``prepaid_hours``. The same Idempotency-Key orders the same extension once."""
    ticket_id = ticket_of(visit_id)
    actor.require_visible(account_of_visit(visit_id), "visit")
    if not actor.is_staff:
        raise Forbidden("only staff may extend an onsite visit")
    max_hours = catalogue().visits.max_hours
    order_id = new_id("ord")
    if idempotency_key:
        order_id = "ord_x" + hashlib.sha256(f"{visit_id}\0{idempotency_key}".encode()).hexdigest()[:25]

    def attempt() -> tuple[VisitModel, OrderModel]:
        visit = load_visit(ticket_id)
        if visit is None:
            raise NotFound("visit not found")
        known = map_of(visit.orders).get(order_id)
        if known is not None:  # a retry of this extension
            if int(known["hours"]) != hours:
                raise Conflict("this Idempotency-Key was already used for a different extension")
            return visit, OrderModel.get(order_id, consistent_read=True)
        if visit.state == "awaiting_payment":
            raise Conflict("the visit's booking is not paid yet: pay it before adding hours")
        if visit.state != "confirmed":
            raise Conflict(f"the visit is {visit.state}; it can no longer be extended")
        booked = int(visit.booked_hours)
        if not 1 <= hours <= max_hours - booked:
            raise InvalidInput(
                f"hours: must be a whole number from 1 to {max_hours - booked} "
                f"(a visit is at most {max_hours} h; {booked} h are booked)"
            )
        price = extension_minor(terms_of(visit), booked, hours)
        now = clock.now()
        order = OrderModel(
            order_id,
            account_id=visit.account_ref,
            kind=EXTENSION,
            minutes=0,
            rate_minor=int(visit.rate_minor),
            amount_minor=price,
            currency=visit.currency,
            created_at=iso(now),
            created_by=actor.subject,
            visit_id=visit.visit_id,
            visit_hours=hours,
            title=f"Onsite visit: {hours} more h",
        )
        tx = Tx()
        tx.put("order", order, condition=OrderModel.order_id.does_not_exist())
        tx.update(
            "visit",
            visit,
            [
                VisitModel.booked_hours.set(booked + hours),
                VisitModel.orders[order_id].set(
                    {"kind": EXTENSION, "hours": hours, "amount_minor": price, "status": "pending", "refunded_minor": 0}
                ),
            ],
            condition=(VisitModel.booked_hours == booked) & (VisitModel.state == "confirmed"),
        )
        commit_or_retry(tx)
        return visit, order

    visit, order = with_retries(attempt)
    return visit, with_checkout(order, checkout)


# -- cancellation --------------------------------------------------------------------------------------


def cancel(actor: Actor, visit_id: str, reason: str, *, clock: Clock = SYSTEM_CLOCK) -> VisitModel:
    """Before the visit (no time logged on its ticket): an unpaid visit is simply cancelled; a paid one is
    refunded in full, base fee included (``visits.refund_issuing``: exactly once per payment). Its ticket closes
    with nothing consumed. Cancelling a cancelled visit returns it unchanged."""
    ticket_id = ticket_of(visit_id)
    actor.require_visible(account_of_visit(visit_id), "visit")
    if not actor.is_staff:
        raise Forbidden("only staff may cancel an onsite visit")

    def attempt() -> VisitModel:
        found = transact_get((TicketModel, ticket_id, TICKET_SK), (VisitModel, ticket_id, VISIT_SK))
        ticket, visit = cast(TicketModel | None, found[0]), cast(VisitModel | None, found[1])
        if ticket is None or visit is None:
            raise NotFound("visit not found")
        if visit.state == "cancelled":
            return visit
        if visit.state == "completed":
            raise Conflict("the visit is completed; it can no longer be cancelled")
        if int(ticket.entry_count or 0) or ticket.status != "open":
            raise Conflict(
                "time is logged on the visit's ticket: close the ticket to complete the visit "
                "(prepaid hours not used are refunded)"
            )
        from hourbank.tickets.closing import close_update  # lazily: the visits API loads no tickets code at Init

        now = clock.now()
        tx = Tx()
        balance = int(AccountModel.get(ticket.account_id).balance_minutes)
        # Its ticket closes consuming nothing (the visit was paid in money), as long as no time was logged.
        close_update(
            tx,
            ticket,
            actor.subject,
            now,
            consumed=0,
            debited=0,
            postpay=0,
            balance_after=balance,
            also=TicketModel.entry_count == 0,
        )
        end_visit(
            tx,
            visit,
            "cancelled",
            now,
            refund_due=int(visit.paid_minor),
            actions=[VisitModel.cancelled_at.set(iso(now)), VisitModel.cancel_reason.set(reason)],
        )
        commit_or_retry(tx)
        return visit

    with_retries(attempt)
    from hourbank.visits.refund_issuing import issue_refunds

    issue_refunds(ticket_id, clock=clock)
    visit = load_visit(ticket_id)
    assert visit is not None
    return visit


def end_visit(tx: Tx, visit: VisitModel, state: str, now: datetime, *, refund_due: int, actions: list) -> None:
    """Completed or cancelled: the refund owed is fixed here, in the same transaction as the state, so
    ``visits.refund_issuing`` pays exactly that however often it runs. An unpaid visit leaves the sweep's list."""
    updates = [VisitModel.state.set(state), VisitModel.refund_due_minor.set(refund_due), *actions]
    if visit.state == "awaiting_payment":
        updates.append(VisitModel.expires_at.remove())
        booking = visit.booking_order_id
        updates.append(VisitModel.orders[booking]["status"].set("cancelled"))
        tx.update(
            "order", OrderModel(booking), [OrderModel.status.set("cancelled")], condition=OrderModel.status == "pending"
        )
        if visit.expires_at:
            tx.delete("expiry", VisitExpiryModel(*expiry_key(visit.expires_at, visit.visit_id)))
    tx.update(
        "visit",
        visit,
        updates,
        condition=(VisitModel.state == visit.state)
        & (VisitModel.used_minutes == int(visit.used_minutes))
        & (VisitModel.paid_minor == int(visit.paid_minor)),
    )
