"""Closing a visit's ticket completes the visit (SPEC V1): the hours used (whole hours) against the
hours paid for, and a refund of what the unused prepaid hours cost.

Why a refund and not pre-paid time: the visit was paid in money at the visit's rate, often by a customer
who holds no balance (a non-member booking one visit), and pre-paid time "at the plan's rate" has no
rate on plans that sell none (business_priority, unlimited_remote) and would turn $25 increments into
odd minutes. Money paid for hours not worked goes back where it came from.

Exactly once: the close fixes ``refund_due_minor`` on the visit in the same transaction that closes the
ticket; ``visits.refund_issuing.issue_refunds`` then pays what is due and not yet recorded, keyed per payment,
and a repeated close (C5) finishes a refund a crash interrupted instead of issuing another.
"""

from __future__ import annotations

from datetime import datetime

from hourbank.kernel.clock import iso
from hourbank.kernel.identity import Actor
from hourbank.ports.settings import get_settings
from hourbank.store.models import AccountModel, ChargeModel, TicketModel, VisitModel
from hourbank.store.transactions import Tx, commit_or_retry
from hourbank.tickets.closing import CloseResult, close_update
from hourbank.visits.booking import end_visit, load_visit, terms_of
from hourbank.visits.refund_issuing import issue_refunds
from hourbank.visits.whole_hours import refund_due_minor, used_hours


def close_visit(actor: Actor, ticket: TicketModel, account: AccountModel, now: datetime) -> CloseResult:
    balance = int(account.balance_minutes)
    visit = load_visit(ticket.ticket_id)
    if ticket.status == "closed" or visit is None or visit.state in ("completed", "cancelled"):
        if visit is not None:  # SPEC C5: the first result; finish a refund a crash interrupted
            issue_refunds(ticket.ticket_id, visit=visit)
        return CloseResult(ticket.ticket_id, "closed", 0, 0, 0, int(ticket.balance_after_close or balance))
    tx = Tx()
    # The visit's ticket closes consuming nothing: the visit was paid in money, not from the balance.
    close_update(tx, ticket, actor.subject, now, consumed=0, debited=0, postpay=0, balance_after=balance)
    if visit.state == "awaiting_payment":  # closed before it was paid: nothing was worked, nothing is owed
        end_visit(
            tx,
            visit,
            "cancelled",
            now,
            refund_due=0,
            actions=[
                VisitModel.cancelled_at.set(iso(now)),
                VisitModel.cancel_reason.set("the visit's ticket was closed before the visit was paid"),
            ],
        )
    else:
        due = refund_due_minor(terms_of(visit), int(visit.paid_minor), used_hours(int(visit.used_minutes)))
        end_visit(tx, visit, "completed", now, refund_due=due, actions=[VisitModel.completed_at.set(iso(now))])
        # Listed with the month's closes (SPEC M3: the statement itemises the visit's ticket and entries);
        # nothing is post-pay and nothing was debited, so the month-end invoice has no line for it.
        month = get_settings().month_of(now)
        tx.put(
            "charge",
            ChargeModel(
                account.account_id,
                f"{month}#{ticket.ticket_id}",
                ticket_id=ticket.ticket_id,
                month=month,
                minutes=0,
                rate_minor=0,
                amount_minor=0,
                currency=account.currency,
                at=iso(now),
                status="none",
                consumed_minutes=0,
                debited_minutes=0,
                title=ticket.title,
                opened_at=ticket.opened_at,
                plan=account.plan,
            ),
            condition=ChargeModel.charge_key.does_not_exist(),
        )
    commit_or_retry(tx)
    issue_refunds(ticket.ticket_id)
    return CloseResult(ticket.ticket_id, "closed", 0, 0, 0, balance)
