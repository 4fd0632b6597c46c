"""Closing a ticket (SPEC C1-C5), completing closes that wait for credit (C3), credit-back (C6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, InvalidInput
from hourbank.kernel.identity import BILLING, TECHNICIANS, Actor
from hourbank.ledger.balance_writer import (
    CONSUMPTION,
    CREDIT_BACK,
    Idempotency,
    LedgerLine,
    fingerprint,
    put_marker,
    replay,
    write_account,
)
from hourbank.plans.catalogue import Plan, get_plan
from hourbank.ports import metrics
from hourbank.ports.settings import get_settings
from hourbank.rating.consumption import price_minor
from hourbank.store.models import TICKET_SK, AccountModel, ChargeModel, CreditBackMap, LedgerModel, TicketModel
from hourbank.store.transactions import Tx, commit_or_retry, with_retries
from hourbank.tickets.common import Prepaid, account_of, load, prepaid_for
from hourbank.tickets.projection import project

SYSTEM = Actor("system", frozenset({TECHNICIANS, BILLING}))


@dataclass(frozen=True)
class CloseResult:
    ticket_id: str
    status: str  # closed | awaiting_credit
    consumed_minutes: int
    debited_minutes: int
    postpay_minutes: int
    balance_minutes: int


class PrepaidClose(Prepaid, Protocol):
    """How a prepaid ticket closes instead of C1-C3 (SPEC V1: a visit's ticket completes its visit)."""

    def close(self, actor: Actor, ticket: TicketModel, account: AccountModel, now: datetime) -> CloseResult: ...


def close_ticket(
    actor: Actor, ticket_id: str, *, clock: Clock = SYSTEM_CLOCK, prepaid: PrepaidClose | None = None
) -> CloseResult:
    actor.require(TECHNICIANS, action="close tickets", on=account_of(ticket_id), what="ticket")
    result = with_retries(lambda: _close_once(actor, ticket_id, clock, prepaid))
    return result


def _close_once(actor: Actor, ticket_id: str, clock: Clock, prepaid: PrepaidClose | None = None) -> CloseResult:
    ticket, account = load(actor, ticket_id)
    paid_ahead = prepaid_for(prepaid, ticket)
    if paid_ahead:  # SPEC V1: paid in money; closing a visit's ticket completes the visit
        return paid_ahead.close(actor, ticket, account, clock.now())
    if ticket.status == "closed":
        return _result(ticket)  # SPEC C5: the first result, nothing debited again
    plan = get_plan(account.plan)
    # Rounding is per ticket (T5), from the running totals: no entry is read again.
    consumed = project(ticket.weighted_minutes, ticket.onsite_weighted_minutes, plan)
    balance = int(account.balance_minutes)
    now = clock.now()
    split = _debit_and_postpay(plan, balance, consumed)
    if split is None:
        return _await_credit(ticket, account, actor, consumed, now)  # SPEC C3
    debit, postpay = split
    tx = Tx()
    close_update(
        tx, ticket, actor.subject, now, consumed=consumed, debited=debit, postpay=postpay, balance_after=balance - debit
    )
    line = LedgerLine(-debit, CONSUMPTION, iso(now), actor.subject, ref=ticket.ticket_id, note=ticket.title)
    extra = [AccountModel.awaiting[ticket.ticket_id].remove()] if ticket.status == "awaiting_credit" else []
    write_account(tx, account, line=line, committed_delta=-int(ticket.projected_consumption_minutes), actions=extra)
    charge = _month_charge(ticket, account, plan, consumed, debit, postpay, now)
    tx.put("charge", charge, condition=ChargeModel.charge_key.does_not_exist())
    commit_or_retry(tx)  # refused: someone else closed it, or the balance moved: read again
    metrics.emit(
        {
            metrics.MINUTES_CONSUMED: consumed,
            metrics.MINUTES_DEBITED: debit,
            metrics.C3_CLOSES_COMPLETED: int(ticket.status == "awaiting_credit"),
        }
    )
    return CloseResult(ticket.ticket_id, "closed", consumed, debit, postpay, balance - debit)


def close_update(
    tx: Tx,
    ticket: TicketModel,
    by: str,
    now: datetime,
    *,
    consumed: int,
    debited: int,
    postpay: int,
    balance_after: int,
    also: Any = None,
) -> None:
    """Add the one update that closes a ticket to ``tx`` (SPEC C1-C3, C5; a visit's ticket too, V1): what it
    consumed and how that was paid, who asked to close it and when, the next version; it leaves the S1 queue.
    Conditioned on the ticket being as read (version and status), and on ``also`` when given."""
    condition = (TicketModel.version == int(ticket.version)) & (TicketModel.status == ticket.status)
    tx.update(
        "ticket",
        ticket,
        [
            TicketModel.status.set("closed"),
            TicketModel.closed_at.set(iso(now)),
            TicketModel.close_requested_at.set(ticket.close_requested_at or iso(now)),
            TicketModel.close_requested_by.set(ticket.close_requested_by or by),
            TicketModel.consumed_minutes.set(consumed),
            TicketModel.debited_minutes.set(debited),
            TicketModel.postpay_minutes.set(postpay),
            TicketModel.balance_after_close.set(balance_after),
            TicketModel.version.set(int(ticket.version) + 1),
            TicketModel.queue_status.remove(),
            TicketModel.queue_due.remove(),  # SPEC S1: leaves the queue
            TicketModel.timer.remove(),  # SPEC W3: a timer still running is discarded with the close
        ],
        condition=condition if also is None else condition & also,
    )


def _debit_and_postpay(plan: Plan, balance: int, consumed: int) -> tuple[int, int] | None:
    """How a close pays for what the ticket consumed: (minutes debited from the balance, minutes post-paid),
    or None when it must wait for credit (C3)."""
    if plan.at_zero == "included":
        return 0, 0  # flat-fee plan: usage is recorded, fair use is settled at month end
    if balance >= consumed:
        return consumed, 0  # SPEC C1
    if plan.at_zero == "overdraft":
        debit = max(balance, 0)  # SPEC C2: use what there is, the rest is post-pay
        return debit, consumed - debit
    return None


def _month_charge(
    ticket: TicketModel, account: AccountModel, plan: Plan, consumed: int, debit: int, postpay: int, now: datetime
) -> ChargeModel:
    """Every close is listed under its month (SPEC M1, M3): the post-pay part (C2) is invoiced from here,
    and plans settled at month end (business_priority, unlimited_remote) find their usage here."""
    month = get_settings().month_of(now)
    rate = int(plan.postpay_rate_minor or 0) if postpay else 0
    return ChargeModel(
        account.account_id,
        f"{month}#{ticket.ticket_id}",
        ticket_id=ticket.ticket_id,
        month=month,
        minutes=postpay,
        rate_minor=rate,
        amount_minor=price_minor(rate, postpay),
        currency=account.currency,
        at=iso(now),
        status="pending" if postpay else "none",
        consumed_minutes=consumed,
        debited_minutes=debit,
        weighted_minutes=int(ticket.weighted_minutes),
        title=ticket.title,
        opened_at=ticket.opened_at,
        plan=account.plan,
        weighted_by_work_type=ticket.weighted_by_work_type,  # usage by month reads it (SPEC W1)
    )


def _await_credit(
    ticket: TicketModel, account: AccountModel, actor: Actor, consumed: int, now: datetime
) -> CloseResult:
    """SPEC C3: nothing is debited; the close completes by itself when credit covers it."""
    if ticket.status == "awaiting_credit":
        return CloseResult(ticket.ticket_id, "awaiting_credit", consumed, 0, 0, int(account.balance_minutes))
    tx = Tx()
    tx.update(
        "ticket",
        ticket,
        [
            TicketModel.status.set("awaiting_credit"),
            TicketModel.close_requested_at.set(iso(now)),
            TicketModel.close_requested_by.set(actor.subject),
            TicketModel.version.set(int(ticket.version) + 1),
            TicketModel.queue_status.set("awaiting_credit"),  # SPEC S1: the awaiting_credit queue
        ],
        condition=(TicketModel.version == int(ticket.version)) & (TicketModel.status == "open"),
    )
    # Park the close only if no credit landed since the balance was read: a credit moves ledger_seq, and
    # a credit that committed first would have looked for waiting closes before this one was listed.
    write_account(
        tx,
        account,
        actions=[AccountModel.awaiting[ticket.ticket_id].set(iso(now))],
        condition=AccountModel.ledger_seq == int(account.ledger_seq),
    )
    commit_or_retry(tx)
    return CloseResult(ticket.ticket_id, "awaiting_credit", consumed, 0, 0, int(account.balance_minutes))


def _result(ticket: TicketModel) -> CloseResult:
    return CloseResult(
        ticket.ticket_id,
        ticket.status,
        int(ticket.consumed_minutes or 0),
        int(ticket.debited_minutes or 0),
        int(ticket.postpay_minutes or 0),
        int(ticket.balance_after_close or 0),
    )


def close_result(ticket: TicketModel, balance_minutes: int) -> CloseResult:
    if ticket.status == "closed":
        return _result(ticket)
    return CloseResult(
        ticket.ticket_id, ticket.status, int(ticket.projected_consumption_minutes), 0, 0, balance_minutes
    )


def settle_awaiting(account_id: str, *, clock: Clock = SYSTEM_CLOCK) -> list[CloseResult]:
    """SPEC C3: after credit lands, complete waiting closes, oldest request first, while credit covers
    them. Stops at the first that is still short, so a later, smaller ticket never jumps the queue."""
    try:
        account = AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        return []
    awaiting = account.awaiting
    waiting = sorted(
        awaiting.as_dict().items() if hasattr(awaiting, "as_dict") else dict(awaiting or {}).items(),
        key=lambda kv: (kv[1], kv[0]),
    )
    done: list[CloseResult] = []
    for ticket_id, _requested in waiting:
        result = with_retries(partial(_close_once, SYSTEM, ticket_id, clock))
        if result.status != "closed":
            break
        done.append(result)
    return done


@dataclass(frozen=True)
class CreditBack:
    """What a credit-back did (SPEC C6): ``from_postpay`` minutes came off the ticket's post-pay not yet
    invoiced, ``to_balance`` went to the balance as ``entry`` (None when nothing did)."""

    account_id: str
    ticket_id: str
    minutes: int
    from_postpay: int
    to_balance: int
    entry: LedgerModel | None
    record: CreditBackMap | None = None  # who, when and why (None only for a replay that cannot find it)


def credit_back(
    actor: Actor,
    ticket_id: str,
    minutes: int,
    reason: str,
    *,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> CreditBack:
    """SPEC C6 (seed 001: time lost to a vendor's bug is credited back): never an edit; at most what the
    ticket consumed, across all its credit-backs. It reduces the ticket's post-pay not invoiced yet first
    (the customer is never billed for time credited back); only the rest is a ledger entry."""
    actor.require(BILLING, action="credit time back", on=account_of(ticket_id), what="ticket")
    if minutes <= 0:
        raise InvalidInput("minutes: must be positive")
    if not reason.strip():
        raise InvalidInput("reason: say why the time is credited back")

    idem = None
    if idempotency_key:
        idem = Idempotency("credit_back", ticket_id, idempotency_key, fingerprint(minutes, reason.strip()))

    def attempt() -> CreditBack:
        ticket, account = load(actor, ticket_id)
        tx = Tx()
        try:
            done = add_credit_back(
                tx,
                ticket,
                account,
                minutes,
                reason.strip(),
                actor.subject,
                clock.now(),
                idempotency=idem,
                by_name=actor.name,
            )
        except InvalidInput:
            if idem is not None and _applied(idem):
                return _replay(idem, ticket_id, minutes)  # the first request used up what could be credited
            raise
        if commit_or_retry(tx, unless=("idempotency",) if idem is not None else ()) is not None and idem is not None:
            return _replay(idem, ticket_id, minutes)
        return done

    done = with_retries(attempt)
    if done.to_balance:
        settle_awaiting(done.account_id, clock=clock)
    return done


def _applied(idem: Idempotency) -> bool:
    from hourbank.store.models import IdempotencyModel

    try:
        IdempotencyModel.get(idem.id, consistent_read=True)
    except DoesNotExist:
        return False
    return True


def _replay(idem: Idempotency, ticket_id: str, minutes: int) -> CreditBack:
    """The first request's result: its ledger entry, or (ledger_seq 0) none - it all came off post-pay."""
    from hourbank.store.models import IdempotencyModel

    marker = IdempotencyModel.get(idem.id, consistent_read=True)
    if int(marker.ledger_seq) == 0:
        if marker.fingerprint != idem.fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different request")
        return CreditBack(marker.account_id, ticket_id, minutes, minutes, 0, None, _record(ticket_id, marker.at))
    entry = replay(idem)
    return CreditBack(
        entry.account_id,
        ticket_id,
        minutes,
        minutes - int(entry.minutes),
        int(entry.minutes),
        entry,
        _record(ticket_id, entry.at, entry.entry_id),
    )


def _record(ticket_id: str, at: str, entry_id: str | None = None) -> CreditBackMap | None:
    """The ticket's record of the credit-back a replay answers again (the one at its time, with its entry)."""
    ticket = TicketModel.get(ticket_id, TICKET_SK, consistent_read=True)
    found = [r for r in ticket.credit_backs or [] if r.at == at and r.entry_id == entry_id]
    return found[-1] if found else None


def add_credit_back(
    tx: Tx,
    ticket: TicketModel,
    account: AccountModel,
    minutes: int,
    note: str,
    by: str,
    now: datetime,
    idempotency: Idempotency | None = None,
    by_name: str | None = None,
) -> CreditBack:
    """Add a credit-back to ``tx``: the ticket's running credit-back total (conditioned on the value read,
    so two credit-backs can never together exceed the consumption), the reduction of its post-pay not yet
    invoiced (SPEC C6) and the ledger entry for the rest (C7)."""
    if ticket.status != "closed":
        raise Conflict("only a closed ticket's consumption can be credited back")
    already = int(ticket.credited_back_minutes or 0)
    remaining = int(ticket.consumed_minutes or 0) - already
    if minutes > remaining:
        raise InvalidInput(
            f"minutes: at most {remaining} can still be credited back for this ticket "
            f"(consumed {int(ticket.consumed_minutes or 0)}, credited back {already})"
        )
    from_postpay = _reduce_postpay(tx, ticket, minutes, note, by, now, idempotency)
    to_balance = minutes - from_postpay
    entry = write_account(
        tx,
        account,
        line=LedgerLine(to_balance, CREDIT_BACK, iso(now), by, ref=ticket.ticket_id, note=note),
        idempotency=idempotency,
    )
    record = CreditBackMap(
        at=entry.at if entry is not None else iso(now),
        by=by,
        by_name=by_name,  # SPEC W2: the name as it was then
        minutes=minutes,
        from_postpay=from_postpay,
        to_balance=to_balance,
        reason=note,
        entry_id=entry.entry_id if entry is not None else None,
    )
    tx.update(
        "ticket",
        ticket,
        [
            TicketModel.credited_back_minutes.set(already + minutes),
            TicketModel.credit_backs.set([*(ticket.credit_backs or []), record]),
        ],
        condition=TicketModel.credited_back_minutes == already,
    )
    return CreditBack(account.account_id, ticket.ticket_id, minutes, from_postpay, to_balance, entry, record)


def _reduce_postpay(
    tx: Tx, ticket: TicketModel, minutes: int, note: str, by: str, now: datetime, idempotency: Idempotency | None
) -> int:
    """SPEC C6: a credit-back first reduces the ticket's post-pay that is not invoiced yet (its close's charge
    in the month it closed, while that month has not been closed by the month-end run). Returns the minutes
    taken off the post-pay; the charge is conditioned on the minutes read, the month on the month-end run not
    having begun to close it (its closing marker, written before the run reads the month's charges)."""
    if not int(ticket.postpay_minutes or 0) or not ticket.closed_at:
        return 0
    from hourbank.monthend.month_close import closing_id, closing_started
    from hourbank.store.models import IdempotencyModel

    month = get_settings().month_of(ticket.closed_at)
    if closing_started(ticket.account_id, month):
        return 0  # the month is being (or was) invoiced with this post-pay: the credit goes to the balance
    try:
        charge = ChargeModel.get(ticket.account_id, f"{month}#{ticket.ticket_id}", consistent_read=True)
    except DoesNotExist:
        return 0
    pending = int(charge.minutes)
    take = min(minutes, pending)
    if take <= 0:
        return 0
    left = pending - take
    tx.update(
        "charge",
        charge,
        [
            ChargeModel.minutes.set(left),
            ChargeModel.amount_minor.set(price_minor(int(charge.rate_minor), left)),
            ChargeModel.credited_back_minutes.set(int(charge.credited_back_minutes or 0) + take),
            *([ChargeModel.status.set("none")] if not left else []),
        ],
        condition=ChargeModel.minutes == pending,
    )
    tx.check(
        "month_open",
        IdempotencyModel,
        closing_id(ticket.account_id, month),
        condition=IdempotencyModel.id.does_not_exist(),
    )
    if take == minutes and idempotency is not None:
        # No ledger entry carries the marker (nothing reaches the balance): the marker goes on its own,
        # ledger_seq 0, so a retry still finds the first result.
        put_marker(tx, idempotency, ticket.account_id, ledger_seq=0, at=iso(now))
    return take
