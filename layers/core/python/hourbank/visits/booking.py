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
from dataclasses import dataclass
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
    VISIT_LIST_PREFIX,
    VISIT_SK,
    AccountModel,
    OrderModel,
    TicketModel,
    VisitExpiryModel,
    VisitListModel,
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


@dataclass(frozen=True)
class _Booking:
    """One booking request: its visit, ticket and booking order share the id body (see the module docstring)."""

    account_id: str
    body: str
    scheduled_at: datetime
    address: str
    hours: int
    terms: VisitTerms
    price: int  # SPEC V1: the prepayment, base fee included
    by: str

    @property
    def visit_id(self) -> str:
        return f"vis_{self.body}.{self.account_id}"

    @property
    def ticket_id(self) -> str:
        return f"tkt_{self.body}.{self.account_id}"

    @property
    def order_id(self) -> str:
        return f"ord_{self.body}"


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
    from hourbank.tickets.common import when_recorded  # lazily: the visits API loads no ticket code at Init

    now = clock.now()
    at = when_recorded(actor, opened_at, now, field="opened_at")
    account = _onsite_account(account_id)
    terms = VisitTerms(
        base_fee_minor or defaults.base_fee_minor,
        additional_hour_rate_minor or defaults.additional_hour_rate_minor,
        defaults.increment_minor,
        account.currency,
    )
    # The same Idempotency-Key gives the same ids: a replay finds the visit it booked.
    body = "k" + _digest(account_id, idempotency_key) if idempotency_key else new_id("vis")[4:]
    price = prepayment_minor(terms, estimate_hours)  # SPEC V1
    b = _Booking(account_id, body, scheduled_at, address, estimate_hours, terms, price, actor.subject)
    expires = iso(now + timedelta(hours=defaults.payment_window_hours) + EXPIRY_GRACE)
    visit = _new_visit(b, expires, now)
    title = f"Onsite visit: base fee and {estimate_hours} h"
    order = _visit_order(visit, b.order_id, BOOKING, estimate_hours, price, title, actor.subject, now)
    tx = Tx()
    tx.check("account", AccountModel, account_id, condition=AccountModel.account_id.exists())
    tx.put("visit", visit, condition=VisitModel.sk.does_not_exist())
    ticket = _visit_ticket(b, at, now)
    ticket.account_name, ticket.opened_by_name = account.name, actor.name  # SPEC W2
    tx.put("ticket", ticket, condition=TicketModel.sk.does_not_exist())
    tx.put("order", order, condition=OrderModel.order_id.does_not_exist())
    tx.put("expiry", VisitExpiryModel(*expiry_key(expires, b.visit_id), visit_id=b.visit_id))
    tx.put("listed", visit_list_item(visit))  # SPEC W1: the account's visits, newest first
    # Not commit_or_retry: not an optimistic attempt; only a replayed booking (same key) is answered here.
    try:
        tx.commit()
    except TxFailed as exc:
        if "visit" not in exc.refused or not idempotency_key:
            raise
        visit = _same_booking(b.ticket_id, estimate_hours, b.price, scheduled_at, address)
        order = OrderModel.get(b.order_id, consistent_read=True)
    return visit, with_checkout(order, checkout, account)


def visit_list_item(visit: VisitModel) -> VisitListModel:
    """The visit's place on its account's list (``visits.visit_list``), by when it is scheduled."""
    return VisitListModel(
        visit.account_ref,
        f"{VISIT_LIST_PREFIX}{visit.scheduled_at_utc}#{visit.visit_id}",
        visit_id=visit.visit_id,
        ticket_ref=visit.ticket_id,
    )


def _onsite_account(account_id: str) -> AccountModel:
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("account not found") from None
    plan = get_plan(account.plan)
    if "onsite" not in plan.work_types:
        raise InvalidInput(f"account_id: the {plan.title} plan has no onsite work (SPEC T1)")
    return account


def _visit_ticket(b: _Booking, at: datetime, now: datetime) -> TicketModel:
    """The visit's own ticket, where its time is logged (SPEC V1)."""
    return TicketModel(
        b.ticket_id,
        TICKET_SK,
        account_id=b.account_id,
        title=f"Onsite visit: {b.address}"[:200],
        priority="normal",
        status="open",
        opened_at=iso(at),
        opened_at_given=as_given(at),
        opened_recorded_at=iso(now),
        opened_by=b.by,
        visit_id=b.visit_id,
    )


def _digest(scope: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"{scope}\0{idempotency_key}".encode()).hexdigest()[:25]


def _visit_order(
    visit: VisitModel, order_id: str, kind: str, hours: int, price: int, title: str, by: str, now: datetime
) -> OrderModel:
    """An order paying in money for ``hours`` of the visit at its rate (SPEC V1): it credits no minutes."""
    return OrderModel(
        order_id,
        account_id=visit.account_ref,
        kind=kind,
        minutes=0,
        rate_minor=int(visit.rate_minor),
        amount_minor=price,
        currency=visit.currency,
        created_at=iso(now),
        created_by=by,
        visit_id=visit.visit_id,
        visit_hours=hours,
        title=title,
    )


def _order_entry(kind: str, hours: int, price: int) -> dict:
    """How the visit keeps one of its orders until it is paid (then refunded, perhaps) - ``VisitModel.orders``."""
    return {"kind": kind, "hours": hours, "amount_minor": price, "status": "pending", "refunded_minor": 0}


def _new_visit(b: _Booking, expires: str, now: datetime) -> VisitModel:
    return VisitModel(
        b.ticket_id,
        VISIT_SK,
        visit_id=b.visit_id,
        account_ref=b.account_id,
        state="awaiting_payment",
        scheduled_at=as_given(b.scheduled_at),
        scheduled_at_utc=iso(b.scheduled_at),
        address=b.address,
        estimate_hours=b.hours,
        base_fee_minor=b.terms.base_fee_minor,
        rate_minor=b.terms.additional_hour_rate_minor,
        increment_minor=b.terms.increment_minor,
        currency=b.terms.currency,
        price_minor=b.price,
        booked_hours=b.hours,
        orders={b.order_id: _order_entry(BOOKING, b.hours, b.price)},
        booking_order_id=b.order_id,
        expires_at=expires,
        created_at=iso(now),
        created_by=b.by,
    )


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
    order_id = "ord_x" + _digest(visit_id, idempotency_key) if idempotency_key else new_id("ord")

    def attempt() -> tuple[VisitModel, OrderModel]:
        visit = load_visit(ticket_id)
        if visit is None:
            raise NotFound("visit not found")
        known = map_of(visit.orders).get(order_id)
        if known is not None:  # a retry of this extension
            if int(known["hours"]) != hours:
                raise Conflict("this Idempotency-Key was already used for a different extension")
            return visit, OrderModel.get(order_id, consistent_read=True)
        booked = _extendable(visit, hours, max_hours)
        price = extension_minor(terms_of(visit), booked, hours)
        title = f"Onsite visit: {hours} more h"
        order = _visit_order(visit, order_id, EXTENSION, hours, price, title, actor.subject, clock.now())
        tx = Tx()
        tx.put("order", order, condition=OrderModel.order_id.does_not_exist())
        tx.update(
            "visit",
            visit,
            [
                VisitModel.booked_hours.set(booked + hours),
                VisitModel.orders[order_id].set(_order_entry(EXTENSION, hours, price)),
            ],
            condition=(VisitModel.booked_hours == booked) & (VisitModel.state == "confirmed"),
        )
        commit_or_retry(tx)
        return visit, order

    visit, order = with_retries(attempt)
    return visit, with_checkout(order, checkout)


def _extendable(visit: VisitModel, hours: int, max_hours: int) -> int:
    """SPEC V1: only a confirmed (paid) visit takes more hours, up to ``max_hours`` in all. Returns the hours
    booked so far."""
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
    return booked


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
    # SPEC V1, W4: a visit that ends closes its extensions not paid: they are no longer due (a payment that still
    # lands on one is paid back in full, ``visits.visit_payments``).
    for order_id, entry in map_of(visit.orders).items():
        if entry.get("kind") == EXTENSION and entry.get("status") == "pending":
            updates.append(VisitModel.orders[order_id]["status"].set("cancelled"))
            tx.update(
                f"extension:{order_id}",
                OrderModel(order_id),
                [OrderModel.status.set("cancelled")],
                condition=OrderModel.status == "pending",
            )
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
