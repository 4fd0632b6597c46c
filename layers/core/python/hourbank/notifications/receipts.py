"""SPEC N1: the close receipt's data - the ticket's entries as rated when posted, and its month's charge (what
the close wrote: consumed, debited, post-pay and its rate, the plan it closed under)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from hourbank.notifications.texts import Line, Receipt, Segment
from hourbank.plans.catalogue import get_plan
from hourbank.ports.settings import get_settings
from hourbank.rating.consumption import hours_text
from hourbank.store.models import AccountModel, ChargeModel, TimeEntryModel, VisitModel


def _line(e: TimeEntryModel) -> Line:
    segments = tuple(
        Segment(int(s.minutes), int(s.multiplier), tuple(str(r) for r in s.reasons or ())) for s in e.segments or []
    )
    return Line(
        str(e.started_at),
        str(e.work_type),
        int(e.minutes),
        int(e.weighted_minutes),
        str(e.technician_name or ""),
        str(e.note or ""),
        segments,
        voided=str(e.voided.reason) if e.voided is not None else None,
    )


def entries_of(ticket_id: str) -> tuple[Line, ...]:
    items = TimeEntryModel.query(ticket_id, TimeEntryModel.sk.startswith("ENTRY#"), consistent_read=True)
    lines = [_line(e) for e in items]
    return tuple(sorted(lines, key=lambda line: line.started_at))


def charge_of(account_id: str, ticket_id: str, closed_at: str) -> ChargeModel | None:
    try:
        month = get_settings().month_of(closed_at)
        return ChargeModel.get(account_id, f"{month}#{ticket_id}", consistent_read=True)
    except (DoesNotExist, ValueError):
        return None


def receipt_of(t: dict[str, Any], account: AccountModel | None) -> Receipt:
    """The receipt of a closed ticket's image (the stream's new image, the close's own numbers)."""
    ticket_id, account_id = str(t["ticket_id"]), str(t["account_id"])
    charge = charge_of(account_id, ticket_id, str(t.get("closed_at") or ""))
    plan_id = str((charge.plan if charge else None) or t.get("plan") or (account.plan if account else "member"))
    plan = get_plan(plan_id)
    currency = str(charge.currency if charge else account.currency if account else "USD")
    return Receipt(
        reference=str(t.get("reference") or ""),
        title=str(t.get("title") or ""),
        closed_at=str(t.get("closed_at") or ""),
        lines=entries_of(ticket_id),
        weighted=int(t.get("weighted_minutes") or 0),
        onsite_weighted=int(t.get("onsite_weighted_minutes") or 0),
        onsite_minimum=int(plan.onsite_minimum_minutes or 0),
        consumed=int(t.get("consumed_minutes") or 0),
        debited=int(t.get("debited_minutes") or 0),
        postpay=int(t.get("postpay_minutes") or 0),
        postpay_rate_minor=int(charge.rate_minor) if charge else int(plan.postpay_rate_minor or 0),
        postpay_minor=int(charge.amount_minor) if charge else 0,
        currency=currency,
        balance_after=int(t.get("balance_after_close") or 0),
        included=plan.at_zero == "included",
        visit=bool(t.get("visit_id")),
        zone=str((account.timezone if account else None) or get_settings().company_timezone),
    )


def visit_of(visit_id: str) -> VisitModel | None:
    head, _, account_id = visit_id.partition(".")
    if not head.startswith("vis_") or not account_id.startswith("acc_"):
        return None
    try:
        return VisitModel.get(f"tkt_{head[4:]}.{account_id}", "VISIT", consistent_read=True)
    except DoesNotExist:
        return None


def bought_words(order: dict[str, Any]) -> str:
    kind, minutes = order.get("kind"), int(order.get("minutes") or 0)
    if kind == "visit":
        return "your onsite visit"
    if kind == "visit_extension":
        return f"{int(order.get('visit_hours') or 0)} more hours on your onsite visit"
    what = {"recurring": " (this month's recurring hours)", "auto_top_up": " (auto top-up)"}.get(str(kind), "")
    return f"{hours_text(minutes)} h of support time{what}, added to your balance"
