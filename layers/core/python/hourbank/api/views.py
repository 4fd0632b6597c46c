"""Response shapes (API.md). Minutes are integers; hours a decimal string for people (SPEC U1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hourbank.rating.consumption import hours_text

if TYPE_CHECKING:  # types only: a function imports the domain code of its own routes, not of every view's
    from hourbank.orders.pricing import Quote
    from hourbank.store.models import AccountModel, InvoiceModel, LedgerModel, OrderModel, TicketModel, TimeEntryModel
    from hourbank.tickets.closing import CloseResult, CreditBack


def account(a: AccountModel) -> dict[str, Any]:
    awaiting = a.awaiting.as_dict() if a.awaiting is not None else {}
    top_up = a.auto_top_up
    return {
        "account_id": a.account_id,
        "name": a.name,
        "email": a.email,
        "plan": a.plan,
        "plan_version": a.plan_version,
        "plan_changes": [{"plan": p.plan, "since": p.since} for p in (a.plan_changes or [])],
        "currency": a.currency,
        "timezone": a.timezone,
        "balance_minutes": int(a.balance_minutes),
        "balance_hours": hours_text(int(a.balance_minutes)),
        "available_minutes": int(a.available_minutes),
        "committed_minutes": int(a.committed_minutes),
        "auto_top_up": {
            "enabled": bool(top_up.enabled) if top_up else False,
            "threshold_minutes": int(top_up.threshold_minutes) if top_up else 60,
            "amount_minutes": int(top_up.amount_minutes) if top_up else 120,
            "pending_invoice_id": a.pending_top_up,  # SPEC O4: none is created while this one is unpaid
            "paused_until": int(a.top_up_paused_until) if a.top_up_paused_until else None,
        },
        "notify_low_balance": bool(a.notify_low_balance),
        "flags": sorted(a.flags or []),
        "awaiting_credit": [t for t, _ in sorted(awaiting.items(), key=lambda kv: kv[1])],
        "created_at": a.created_at,
    }


def ledger_entry(e: LedgerModel) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "seq": int(e.seq),
        "at": e.at,
        "kind": e.kind,
        "minutes": int(e.minutes),
        "balance_after": int(e.balance_after),
        "ref": e.ref,
        "note": e.note,
        "by": e.by,
    }


def credit_back(c: CreditBack) -> dict[str, Any]:
    """SPEC C6: the ledger entry for what reached the balance (API.md: 201 ledger entry), and how much came
    off the ticket's post-pay not yet invoiced. All of it off post-pay: no entry, ``minutes`` 0."""
    out: dict[str, Any] = (
        ledger_entry(c.entry)
        if c.entry is not None
        else {
            "entry_id": None,
            "seq": None,
            "at": c.record.at if c.record else None,
            "kind": "credit_back",
            "minutes": 0,
            "balance_after": None,
            "ref": c.ticket_id,
            "note": c.record.reason if c.record else None,
            "by": c.record.by if c.record else None,
        }
    )
    out.update(
        {
            "ticket_id": c.ticket_id,
            "credited_back_minutes": c.minutes,
            "postpay_reduced_minutes": c.from_postpay,
            "balance_credited_minutes": c.to_balance,
        }
    )
    return out


def entry(e: TimeEntryModel) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "ticket_id": e.ticket_id,
        "work_type": e.work_type,
        "started_at": e.started_at,
        "minutes": int(e.minutes),
        "note": e.note,
        "technician": e.technician,
        "recorded_at": e.recorded_at,
        "weighted_minutes": int(e.weighted_minutes),
        "segments": [
            {
                "started_at": s.started_at,
                "minutes": int(s.minutes),
                "multiplier": int(s.multiplier),
                "reasons": list(s.reasons or []),
            }
            for s in e.segments or []
        ],
        "dispute": None
        if e.dispute is None
        else {
            "status": e.dispute.status,
            "reason": e.dispute.reason,
            "raised_by": e.dispute.raised_by,
            "raised_by_role": e.dispute.raised_by_role,
            "raised_at": e.dispute.raised_at,
            "resolved_by": e.dispute.resolved_by,
            "resolved_at": e.dispute.resolved_at,
            "resolution_note": e.dispute.resolution_note,
            "credited_minutes": int(e.dispute.credited_minutes or 0),
        },
    }


def ticket(t: TicketModel, entries: list[TimeEntryModel] | None = None) -> dict[str, Any]:
    from hourbank.api import sla_schemas  # the ticket views alone need the S1 fields and the T3 periods
    from hourbank.rating.segments import emergency_periods
    from hourbank.tickets.service import changes_of

    periods = emergency_periods(changes_of(t))
    out: dict[str, Any] = {
        "ticket_id": t.ticket_id,
        "account_id": t.account_id,
        "title": t.title,
        "priority": t.priority,
        "status": t.status,
        "opened_at": t.opened_at_given,
        "opened_recorded_at": t.opened_recorded_at,
        "opened_by": t.opened_by,
        "emergency": bool(periods) and periods[-1].end is None,
        "emergency_periods": [
            {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None} for p in periods
        ],
        "emergency_changes": [
            {"at": c.at, "active": bool(c.active), "by": c.by, "recorded_at": c.recorded_at}
            for c in t.emergency_changes or []
        ],
        "entry_count": int(t.entry_count),
        "weighted_minutes": int(t.weighted_minutes),
        "projected_consumption_minutes": int(t.projected_consumption_minutes),
        "projected_consumption_hours": hours_text(int(t.projected_consumption_minutes)),
        "close_requested_at": t.close_requested_at,
        "closed_at": t.closed_at,
        "consumed_minutes": None if t.consumed_minutes is None else int(t.consumed_minutes),
        "debited_minutes": None if t.debited_minutes is None else int(t.debited_minutes),
        "postpay_minutes": None if t.postpay_minutes is None else int(t.postpay_minutes),
        "credited_back_minutes": int(t.credited_back_minutes or 0),
        # SPEC C6: each credit-back (who, when, why, where its minutes went), and how much of the post-pay above
        # they took off before it was invoiced (what the month's statement and invoice bill is the rest).
        "credit_backs": [
            {
                "at": r.at,
                "by": r.by,
                "minutes": int(r.minutes),
                "postpay_reduced_minutes": int(r.from_postpay),
                "balance_credited_minutes": int(r.to_balance),
                "reason": r.reason,
                "entry_id": r.entry_id,
            }
            for r in t.credit_backs or []
        ],
        "postpay_credited_back_minutes": sum(int(r.from_postpay) for r in t.credit_backs or []),
    }
    if t.visit_id:  # SPEC V1: opened for an onsite visit, paid in money (GET /visits/{visit_id})
        out["visit_id"] = t.visit_id
    if entries is not None:
        out["disputed_entries"] = sum(1 for e in entries if e.dispute is not None and e.dispute.status == "open")
    if entries is not None:
        out["entries"] = [entry(e) for e in entries]
    out.update(sla_schemas.ticket_fields(t, entries))  # SPEC S1 (and seed 003's fair use)
    return out


def ticket_summary(t: TicketModel) -> dict[str, Any]:
    """A ticket in a list (API.md ``GET /accounts/{id}/tickets`` and the staff queue ``GET /tickets``).
    ``response_due_at``/``first_response_at`` belong to the service levels (SPEC S1): null on tickets that
    have none."""
    from hourbank.api import sla_schemas

    return {
        "ticket_id": t.ticket_id,
        "account_id": t.account_id,
        "title": t.title,
        "status": t.status,
        "priority": t.priority,
        "opened_at": t.opened_at_given,
        "closed_at": t.closed_at,
        "entry_count": int(t.entry_count),
        "weighted_minutes": int(t.weighted_minutes or 0),
        "projected_consumption_minutes": int(t.projected_consumption_minutes or 0),
        "consumed_minutes": None if t.consumed_minutes is None else int(t.consumed_minutes),
        "response_due_at": t.response_due_at,
        "first_response_at": t.first_response_at,
        **sla_schemas.list_fields(t),
    }


def close_result(r: CloseResult) -> dict[str, Any]:
    return {
        "ticket_id": r.ticket_id,
        "status": r.status,
        "consumed_minutes": r.consumed_minutes,
        "consumed_hours": hours_text(r.consumed_minutes),
        "debited_minutes": r.debited_minutes,
        "postpay_minutes": r.postpay_minutes,
        "balance_minutes": r.balance_minutes,
    }


def money(amount_minor: int, currency: str) -> dict[str, Any]:
    """SPEC U2: money is integer minor units with its currency."""
    return {"currency": currency, "amount_minor": int(amount_minor)}


def quote(q: Quote, plan: str) -> dict[str, Any]:
    return {
        "plan": plan,
        "kind": q.kind,
        "minutes": q.minutes,
        "hours": hours_text(q.minutes),
        "rate": money(q.rate_minor, q.currency),
        "discount": money(q.discount_minor, q.currency),
        "price": money(q.amount_minor, q.currency),
    }


def order(o: OrderModel, balance: AccountModel | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "order_id": o.order_id,
        "account_id": o.account_id,
        "status": o.status,
        "kind": o.kind,
        "minutes": int(o.minutes),
        "hours": hours_text(int(o.minutes)),
        "rate": money(int(o.rate_minor), o.currency),
        "discount": money(int(o.discount_minor or 0), o.currency),
        "price": money(int(o.amount_minor), o.currency),
        "checkout_url": o.checkout_url,
        "credited_minutes": int(o.credited_minutes or 0),
        "debited_minutes": int(o.debited_minutes or 0),
        "created_at": o.created_at,
    }
    if o.credits_existing:
        # SPEC O7: the address has an account; the order credits it once paid, and says nothing else about it.
        out["account_id"] = None
        out["credits_existing_account"] = True
        out["message"] = (
            "This e-mail address already has an account: the hours will be added to it once paid. "
            "Sign in to see its balance."
        )
        return out
    if o.opens_account is not None:  # SPEC O7, W1: the order opening its account (True until paid, then False)
        out["new_account"] = True  # its payment opens the account and sends the invitation
    if o.visit_id:  # SPEC V1: a visit's booking or extension is hours of a visit, not minutes of credit
        out.update(visit_id=o.visit_id, hours=str(int(o.visit_hours or 0)), title=o.title)
    if balance is not None:
        out["balance_minutes"] = int(balance.balance_minutes)
        out["balance_hours"] = hours_text(int(balance.balance_minutes))
    return out


def invoice(i: InvoiceModel) -> dict[str, Any]:
    return {
        "invoice_id": i.invoice_id,
        "account_id": i.account_id,
        "kind": i.kind,
        "status": i.status,
        "minutes": int(i.minutes),
        "hours": hours_text(int(i.minutes)),
        "price": money(int(i.amount_minor), i.currency),
        "description": i.description,
        "reason": i.reason,
        "order_id": i.order_id,  # auto top-up: the order its payment credits
        "stripe_invoice_id": i.stripe_invoice_id,
        "payment_url": i.payment_url,
        "attempts": int(i.attempts or 0),
        "last_failure": i.last_failure,
        "created_at": i.created_at,
        "paid_at": i.paid_at,
    }
