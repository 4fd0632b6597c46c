"""What each operation answers, for openapi.json (API.md: "the full reference"; issue 11): the response
models of ``hourbank.api.views`` and the error body, and ``doc()``, which turns "201 Account, may refuse
with 400, 403, 404" into Powertools' ``responses=`` for a route.

These models describe; they do not build responses (the views do) - tests/e2e/test_conformance.py checks
the two agree by running schemathesis against the local stack. Fields a client may find empty are
``X | None``; extra fields are allowed, so a field added to a view is not a break.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import (
        OpenAPIResponse,
        OpenAPIResponseContentModel,
        OpenAPIResponseContentSchema,
    )


class _Out(BaseModel):
    # Built only when openapi.json is generated: these models never run in a request (cold start, STYLE 10).
    model_config = ConfigDict(extra="allow", defer_build=True)


class ErrorDetail(_Out):
    code: str
    message: str
    details: dict[str, Any] | None = None


class Error(_Out):
    """API.md's error body: ``{"error": {"code": "snake_case_code", "message": "a sentence to act on"}}``."""

    error: ErrorDetail


# What API Gateway itself answers before a function runs (401 from the JWT authorizer): AWS's shape.
GATEWAY_MESSAGE = {
    "type": "object",
    "title": "GatewayMessage",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}


class Money(_Out):
    currency: str
    amount_minor: int


class AutoTopUp(_Out):
    enabled: bool
    threshold_minutes: int
    amount_minutes: int
    pending_invoice_id: str | None = None
    paused_until: int | None = None


class PlanPeriod(_Out):
    plan: str
    since: str


class Account(_Out):
    account_id: str
    name: str
    email: str
    plan: str
    plan_version: str | None = None
    plan_changes: list[PlanPeriod] = []
    currency: str
    timezone: str | None = None
    balance_minutes: int
    balance_hours: str
    available_minutes: int
    committed_minutes: int
    auto_top_up: AutoTopUp
    notify_low_balance: bool
    flags: list[str]
    awaiting_credit: list[str]
    created_at: str | None = None


class LedgerEntry(_Out):
    entry_id: str
    seq: int
    at: str
    kind: str
    minutes: int
    balance_after: int
    ref: str | None = None
    note: str | None = None
    by: str | None = None


class LedgerPage(_Out):
    items: list[LedgerEntry]
    cursor: str | None = None


class Segment(_Out):
    started_at: str
    minutes: int
    multiplier: int
    reasons: list[str]


class EntryDispute(_Out):
    status: str
    reason: str | None = None
    raised_by: str | None = None
    raised_by_role: Literal["customer", "staff"] | None = None  # who raised_by is; null on older disputes
    raised_at: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution_note: str | None = None
    credited_minutes: int


class RatedEntry(_Out):
    entry_id: str
    ticket_id: str
    work_type: str
    started_at: str
    minutes: int
    note: str | None = None
    technician: str | None = None
    recorded_at: str | None = None
    weighted_minutes: int
    segments: list[Segment]
    dispute: EntryDispute | None = None


class EmergencyPeriod(_Out):
    start: str
    end: str | None = None


class EmergencyChangeRecord(_Out):
    at: str
    active: bool
    by: str | None = None
    recorded_at: str | None = None


class CreditBackRecord(_Out):
    """SPEC C6: one credit-back on the ticket - who, when, why, and where its minutes went."""

    at: str
    by: str
    minutes: int
    postpay_reduced_minutes: int
    balance_credited_minutes: int
    reason: str
    entry_id: str | None = None


class Ticket(_Out):
    ticket_id: str
    account_id: str
    title: str
    priority: str
    status: str
    opened_at: str
    opened_recorded_at: str | None = None
    opened_by: str | None = None
    emergency: bool
    emergency_periods: list[EmergencyPeriod]
    emergency_changes: list[EmergencyChangeRecord]
    entry_count: int
    weighted_minutes: int
    projected_consumption_minutes: int
    projected_consumption_hours: str
    close_requested_at: str | None = None
    closed_at: str | None = None
    consumed_minutes: int | None = None
    debited_minutes: int | None = None
    postpay_minutes: int | None = None
    credited_back_minutes: int
    credit_backs: list[CreditBackRecord] = []
    postpay_credited_back_minutes: int = 0
    disputed_entries: int | None = None
    entries: list[RatedEntry] | None = None


class CloseResult(_Out):
    ticket_id: str
    status: str
    consumed_minutes: int
    consumed_hours: str
    debited_minutes: int
    postpay_minutes: int
    balance_minutes: int


class DisputeOutcome(_Out):
    entry: RatedEntry
    ledger_entry: LedgerEntry | None = None


class Quote(_Out):
    plan: str
    kind: str
    minutes: int
    hours: str
    rate: Money
    discount: Money
    price: Money


class Order(_Out):
    order_id: str
    account_id: str | None = None
    status: str
    kind: str
    minutes: int
    hours: str
    rate: Money
    discount: Money
    price: Money
    checkout_url: str | None = None
    credited_minutes: int
    debited_minutes: int
    created_at: str | None = None
    balance_minutes: int | None = None
    balance_hours: str | None = None
    new_account: bool | None = None


class Invoice(_Out):
    invoice_id: str
    account_id: str
    kind: str
    status: str
    minutes: int
    hours: str
    price: Money
    description: str | None = None
    reason: str | None = None
    order_id: str | None = None
    stripe_invoice_id: str | None = None
    payment_url: str | None = None
    attempts: int
    last_failure: str | None = None
    created_at: str | None = None
    paid_at: str | None = None


class InvoiceList(_Out):
    items: list[Invoice]


class Statement(_Out):
    """SPEC M3; the full object is the statement module's ``as_dict`` (every ledger change, ticket, entry and
    charge); ``Accept: text/csv`` gives the same as CSV."""

    account_id: str
    name: str
    plan: str
    currency: str
    month: str
    period_start: str
    period_end: str
    opening_balance_minutes: int
    closing_balance_minutes: int
    ledger: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    charges_total: Money


class AccountPage(_Out):
    """SPEC W2: ``GET /accounts?email=&plan=``."""

    items: list[Account]
    cursor: str | None = None


class TicketSummary(_Out):
    """A ticket in a list: an account's tickets (W1, W2) or the staff queue (S1, W2)."""

    ticket_id: str
    account_id: str | None = None
    title: str
    status: str
    priority: str
    opened_at: str
    closed_at: str | None = None
    weighted_minutes: int
    projected_consumption_minutes: int
    consumed_minutes: int | None = None
    response_due_at: str | None = None
    first_response_at: str | None = None
    sla_status: str | None = None


class TicketPage(_Out):
    items: list[TicketSummary]
    cursor: str | None = None


class UsageMonth(_Out):
    month: str
    consumed_minutes: int
    weighted_minutes_by_work_type: dict[str, int]
    credited_minutes: int
    closing_balance_minutes: int


class Usage(_Out):
    """SPEC W1: ``GET /accounts/{id}/usage``, one row per month."""

    months: list[UsageMonth]


class PlanPrices(_Out):
    plan: str
    title: str | None = None
    prepay_rate_minor: int | None = None
    recurring_rate_minor: int | None = None
    postpay_rate_minor: int | None = None
    monthly_fee_minor: int | None = None
    work_types: list[str]


class PriceTable(_Out):
    """Seed 000's price table from the plan catalogue (P1, P2, U1)."""

    version: str
    currency: str
    credit_minutes: int
    credits_expire: bool
    bulk_discount: dict[str, int]
    plans: list[PlanPrices]


class Review(_Out):
    """SPEC O8: a payment kept for review."""

    review_id: str
    at: str
    reason: str
    event_id: str | None = None
    order_id: str | None = None
    account_id: str | None = None
    amount: Money | None = None
    status: str
    resolution: dict[str, Any] | None = None


class ReviewPage(_Out):
    items: list[Review]
    cursor: str | None = None


class ReviewResolved(_Out):
    review: Review
    ledger_entry: LedgerEntry | None = None


class CreditBackResult(_Out):
    """SPEC C6: the ledger entry for what reached the balance (none when it all came off post-pay)."""

    entry_id: str | None = None
    kind: str
    minutes: int
    balance_after: int | None = None
    at: str | None = None
    by: str | None = None
    note: str | None = None
    ticket_id: str
    credited_back_minutes: int
    postpay_reduced_minutes: int
    balance_credited_minutes: int


class ResponseRecord(_Out):
    """SPEC S1: a staff response; ``first`` when it set the ticket's first response."""

    response_id: str
    ticket_id: str
    at: str
    note: str
    first: bool


class Visit(_Out):
    """SPEC V1: an onsite visit, its prepaid and used hours and its money."""

    visit_id: str
    account_id: str
    ticket_id: str
    status: str
    scheduled_at: str
    address: str
    estimate_hours: int
    prepaid_hours: int
    used_hours: int
    price: Money
    paid: Money
    refund_due: Money
    refunded: Money
    order_id: str
    checkout_url: str | None = None


class VisitExtension(_Out):
    """SPEC V1: the order that pays for more hours of a visit."""

    order_id: str
    visit_id: str
    hours: int
    price: Money
    checkout_url: str | None = None


WHY = {
    400: "invalid_input (the message names the field and what to enter), or a body that is not UTF-8 JSON "
    "within the request edge's bounds; nothing written",
    401: 'no token, a bad or an expired one (API Gateway\'s own {"message"} body before the function runs)',
    402: "insufficient_credit: the message says how much to top up; nothing written",
    403: "forbidden: the caller may see the object but not do this to it",
    404: "not_found: no such object, or another tenant's",
    409: "conflict with the object's state (e.g. ticket_closed); nothing written",
    503: "service_unavailable (the database cannot be reached) or contention; retry later",
}


def doc(
    status: int, model: type[BaseModel] | None, *refusals: int, description: str = "", csv: bool = False
) -> dict[int, OpenAPIResponse]:
    """Powertools ``responses=`` for a route: its success and each refusal it can give, always with 400,
    401 and 503 (the request edge, the token and the database apply to every route)."""
    content: dict[str, Any] = {"application/json": {"model": model}} if model is not None else {}
    if csv:
        content["text/csv"] = {"schema": {"type": "string", "description": "the same statement as CSV rows"}}
    out: dict[int, OpenAPIResponse] = {status: {"description": description or "OK", "content": content}}
    for code in sorted({400, 401, 503, *refusals}):
        schema: OpenAPIResponseContentModel | OpenAPIResponseContentSchema = {"model": Error}
        if code == 401:  # the function's own error body, or API Gateway's
            schema = {"schema": {"anyOf": [{"$ref": "#/components/schemas/Error"}, GATEWAY_MESSAGE]}}
        out[code] = {"description": WHY[code], "content": {"application/json": schema}}
    return out


__all__ = ["WHY", "doc"]
