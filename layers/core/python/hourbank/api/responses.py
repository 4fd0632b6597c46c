"""What the API answers (API.md; issue 20): one pydantic model per shape, and how it is built from what the
store holds. A route answers ``Model.of(...).out()``; openapi.json is generated from the same classes (``doc()``
names a route's models), and the tests validate bodies against them - so a field is spelled here once.

Presence follows the model: a field without a default is in every body (null where it says ``| None``); a field
defaulting to None is in a body only when its view sets it - a ticket's ``entries`` when read with them, an
order's ``balance_minutes`` - since ``out()`` leaves unset fields out. Minutes are integers; hours a decimal
string for people (SPEC U1); money integer minor units with its currency (U2).

Light on purpose (STYLE 10: every API function imports this module): pydantic and the rating's ``hours_text``
only. What one view needs beyond that (a ticket's S1 status and fair use, a visit's hours) it imports itself,
so a function loads the domain code of its own routes and no other's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field

from hourbank.rating.consumption import hours_text

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import (
        OpenAPIResponse,
        OpenAPIResponseContentModel,
        OpenAPIResponseContentSchema,
    )

    from hourbank.orders.pricing import Quote as PricedQuote
    from hourbank.store.models import (
        AccountModel,
        InvoiceModel,
        LedgerModel,
        MessageModel,
        OrderModel,
        ResponseModel,
        ReviewModel,
        TicketModel,
        TimeEntryModel,
        VisitModel,
    )
    from hourbank.tickets.closing import CloseResult as ClosedTicket
    from hourbank.tickets.closing import CreditBack


class View(BaseModel):
    """A response body. Built on its first use, or by the SnapStart priming of the routes that answer with it
    (``hourbank.api.priming``), not at import: most functions answer with a few of these models.

    ``extra="forbid"``: a view cannot answer a field this module does not describe. The document still says
    ``additionalProperties: true`` - a client must accept fields added later (adding one is not a break)."""

    model_config = ConfigDict(
        extra="forbid", defer_build=True, validate_by_name=True, json_schema_extra={"additionalProperties": True}
    )

    def out(self) -> dict[str, Any]:
        """The JSON body: what the view set, null included; what it left unset, absent."""
        return self.model_dump(exclude_unset=True, by_alias=True)

    @classmethod
    def read(cls, row: Any, **others: Any) -> Self:
        """The model of a store row (or a domain result): ``others`` gives the fields the row keeps under another
        name or not at all; every other field the model always answers is the row's attribute of that name.
        So a field is spelled once, here in its model - not again in a dict that copies it."""
        same = {name for name, field in cls.model_fields.items() if field.is_required() and name not in others}
        return cls(**{name: getattr(row, name) for name in same}, **others)


# -- errors -----------------------------------------------------------------------------------------------


class ErrorDetail(View):
    code: str
    message: str
    details: dict[str, Any] | None = None


class Error(View):
    """API.md's error body: ``{"error": {"code": "snake_case_code", "message": "a sentence to act on"}}``
    (written by ``hourbank.kernel.errors.error_body``, which the domain's stream and queue functions share)."""

    error: ErrorDetail


# What API Gateway itself answers before a function runs (401 from the JWT authorizer): AWS's shape.
GATEWAY_MESSAGE = {
    "type": "object",
    "title": "GatewayMessage",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}


class Money(View):
    """SPEC U2: money is integer minor units with its currency."""

    currency: str
    amount_minor: int

    @classmethod
    def of(cls, amount_minor: int | float, currency: str) -> Money:
        return cls(currency=currency, amount_minor=int(amount_minor))


# -- accounts and their ledger ------------------------------------------------------------------------------


class AutoTopUp(View):
    enabled: bool
    threshold_minutes: int
    amount_minutes: int
    pending_invoice_id: str | None  # SPEC O4: none is created while this one is unpaid
    paused_until: int | None


class PlanPeriod(View):
    plan: str
    since: str


class MailProblem(View):
    """SPEC N1: SES reported the account's address bouncing or complaining; mail to it stops (a permanent one)."""

    kind: Literal["bounce", "transient_bounce", "complaint"]
    at: str
    address: str
    detail: str | None = None


class Notifications(View):
    """SPEC N1, API.md ``GET/PUT /accounts/{id}/notifications``: what the customer chose (all on by default)."""

    ticket_updates: bool
    receipts: bool
    statements: bool


class Account(View):
    account_id: str
    name: str
    email: str
    plan: str
    plan_version: str | None
    plan_changes: list[PlanPeriod]
    currency: str
    timezone: str | None
    balance_minutes: int
    balance_hours: str
    available_minutes: int
    committed_minutes: int
    auto_top_up: AutoTopUp
    notify_low_balance: bool
    flags: list[str]
    awaiting_credit: list[str]  # SPEC C3: the tickets waiting for credit to close, the first waiting first
    created_at: str | None
    mail_problem: MailProblem | None = None  # SPEC N1: present once SES reported a bounce or complaint

    @classmethod
    def of(cls, a: AccountModel) -> Account:
        awaiting = a.awaiting.as_dict() if a.awaiting is not None else {}
        top_up = a.auto_top_up
        return cls.read(
            a,
            plan_changes=[PlanPeriod.read(p) for p in a.plan_changes or []],
            balance_hours=hours_text(int(a.balance_minutes)),
            auto_top_up=AutoTopUp(
                enabled=bool(top_up.enabled) if top_up else False,
                threshold_minutes=int(top_up.threshold_minutes) if top_up else 60,
                amount_minutes=int(top_up.amount_minutes) if top_up else 120,
                pending_invoice_id=a.pending_top_up,
                paused_until=int(a.top_up_paused_until) if a.top_up_paused_until else None,
            ),
            notify_low_balance=bool(a.notify_low_balance),
            flags=sorted(a.flags or []),
            awaiting_credit=[t for t, _ in sorted(awaiting.items(), key=lambda kv: kv[1])],
            **_mail_problem(a),
        )


def _mail_problem(a: AccountModel) -> dict[str, Any]:
    problem = a.mail_problem.as_dict() if a.mail_problem is not None else {}
    return {"mail_problem": MailProblem.model_validate(problem)} if problem else {}


class AccountPage(View):
    """SPEC W2: ``GET /accounts?email=&plan=``."""

    items: list[Account]
    cursor: str | None


class LedgerEntry(View):
    entry_id: str
    seq: int
    at: str
    kind: str
    minutes: int
    balance_after: int
    ref: str | None
    note: str | None
    by: str | None

    @classmethod
    def of(cls, e: LedgerModel) -> LedgerEntry:
        return cls.read(e)


class LedgerPage(View):
    items: list[LedgerEntry]
    cursor: str | None


class Invoice(View):
    invoice_id: str
    account_id: str
    kind: str
    status: str
    minutes: int
    hours: str
    price: Money
    description: str | None
    reason: str | None
    order_id: str | None  # auto top-up: the order its payment credits
    stripe_invoice_id: str | None
    payment_url: str | None
    attempts: int
    last_failure: str | None
    created_at: str | None
    paid_at: str | None

    @classmethod
    def of(cls, i: InvoiceModel) -> Invoice:
        return cls.read(
            i,
            hours=hours_text(int(i.minutes)),
            price=Money.of(i.amount_minor, i.currency),
            attempts=int(i.attempts or 0),
        )


class InvoiceList(View):
    items: list[Invoice]


class Statement(View):
    """SPEC M3; the full object is the statement module's ``as_dict`` (every ledger change, ticket, entry and
    charge); ``Accept: text/csv`` gives the same as CSV. Described, not built here: the statement is a domain
    object that also writes its CSV (``hourbank.statements.monthly_statement``)."""

    model_config = ConfigDict(extra="allow")

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


class UsageMonth(View):
    month: str
    consumed_minutes: int
    weighted_minutes_by_work_type: dict[str, int]
    credited_minutes: int
    closing_balance_minutes: int


class Usage(View):
    """SPEC W1: ``GET /accounts/{id}/usage``, one row per month (``hourbank.portal.portal_reads.usage``)."""

    months: list[UsageMonth]


# -- tickets and their time entries ---------------------------------------------------------------------------


class Segment(View):
    started_at: str
    minutes: int
    multiplier: int
    reasons: list[str]


class EntryDispute(View):
    status: str
    reason: str | None
    raised_by: str | None
    raised_by_role: Literal["customer", "staff"] | None  # who raised_by is; null on older disputes
    raised_at: str | None
    raised_by_name: str | None = None  # SPEC W2: a staff member's name as it was then (absent: older, or none)
    resolved_by: str | None
    resolved_by_name: str | None = None
    resolved_at: str | None
    resolution_note: str | None
    credited_minutes: int


class EntryVoid(View):
    """SPEC T9: the entry was voided - when, by whom (and their name then, W2), why. It counts for nothing."""

    at: str
    by: str
    by_name: str | None
    reason: str


class RatedEntry(View):
    entry_id: str
    ticket_id: str
    work_type: str
    started_at: str
    minutes: int
    note: str | None
    technician: str | None
    technician_name: str | None  # SPEC W2: as it was when the entry was made; null on entries made before
    recorded_at: str | None
    weighted_minutes: int
    segments: list[Segment]
    dispute: EntryDispute | None
    voided: EntryVoid | None  # SPEC T9

    @classmethod
    def of(cls, e: TimeEntryModel) -> RatedEntry:
        d, v = e.dispute, e.voided
        dispute = None
        if d is not None:
            names = {k: getattr(d, k) for k in ("raised_by_name", "resolved_by_name") if getattr(d, k)}
            dispute = EntryDispute.read(d, credited_minutes=int(d.credited_minutes or 0), **names)
        return cls.read(
            e,
            segments=[Segment.read(s, reasons=list(s.reasons or [])) for s in e.segments or []],
            dispute=dispute,
            voided=None if v is None else EntryVoid.read(v),
        )


class EmergencyPeriod(View):
    start: str
    end: str | None


class EmergencyChangeRecord(View):
    at: str
    active: bool
    by: str | None
    recorded_at: str | None


class CreditBackRecord(View):
    """SPEC C6: one credit-back on the ticket - who, when, why, and where its minutes went."""

    at: str
    by: str
    by_name: str | None  # SPEC W2: null on credit-backs recorded before names were kept
    minutes: int
    postpay_reduced_minutes: int
    balance_credited_minutes: int
    reason: str
    entry_id: str | None


class ResponseTarget(View):
    """SPEC S1: the ticket's response target, kept as it was when the ticket was opened."""

    minutes: int
    clock: str | None  # business | wall
    business_hours: str | None  # the business clock's hours; null on a wall clock
    timezone: str | None


class WaitingPeriod(View):
    """SPEC S1: a time the ticket waited on the customer (its clock paused), as given."""

    start: str
    end: str | None
    by: str


class PriorityChangeRecord(View):
    at: str
    from_: str = Field(alias="from")
    to: str
    by: str


class FairUseDay(View):
    date: str
    remote_minutes: int
    over_minutes: int


class FairUse(View):
    """Seed 003: on a flat-fee plan, the days whose remote time passed the plan's daily allowance."""

    allowance_minutes_per_day: int
    days: list[FairUseDay]
    exceeded: bool


class TicketTimer(View):
    """SPEC W3: the ticket's running timer, kept server-side (hourbank's own route, docs/API.md)."""

    started_at: str
    by: str
    by_name: str | None


class Ticket(View):
    ticket_id: str
    reference: str | None  # short and unique, readable on the phone; null on tickets opened before it existed
    account_id: str
    account_name: str | None  # SPEC W2: as it was when the ticket was opened; null on older tickets
    title: str
    description: str | None
    priority: str
    status: str
    opened_at: str
    opened_recorded_at: str | None
    opened_by: str | None
    opened_by_name: str | None  # SPEC W2
    emergency: bool
    emergency_periods: list[EmergencyPeriod]
    emergency_changes: list[EmergencyChangeRecord]
    entry_count: int
    voided_entries: int  # SPEC T9: of entry_count, voided (they count for nothing)
    timer: TicketTimer | None  # SPEC W3
    weighted_minutes: int
    projected_consumption_minutes: int
    projected_consumption_hours: str
    close_requested_at: str | None
    closed_at: str | None
    consumed_minutes: int | None
    debited_minutes: int | None
    postpay_minutes: int | None
    credited_back_minutes: int
    # SPEC C6: each credit-back (who, when, why, where its minutes went), and how much of the post-pay above
    # they took off before it was invoiced (what the month's statement and invoice bill is the rest).
    credit_backs: list[CreditBackRecord]
    postpay_credited_back_minutes: int
    # SPEC S1 (the service levels): the response clock and what moved it.
    response_due_at: str | None
    first_response_at: str | None
    sla_status: str | None  # null on a ticket without a response target
    waiting: bool
    waiting_since: str | None
    response_count: int
    response_target: ResponseTarget | None
    waiting_periods: list[WaitingPeriod]
    priority_changes: list[PriorityChangeRecord]
    visit_id: str | None = None  # SPEC V1: only on a ticket opened for an onsite visit (GET /visits/{visit_id})
    disputed_entries: int | None = None  # the two fields of a ticket read with its entries
    entries: list[RatedEntry] | None = None
    fair_use: FairUse | None = None  # with the entries, on a plan with a fair-use allowance (seed 003)

    @classmethod
    def of(cls, t: TicketModel, entries: list[TimeEntryModel] | None = None, now: datetime | None = None) -> Ticket:
        # The ticket views alone need the T3 periods and the S1 status: imported here, not by every function.
        from hourbank.rating.segments import emergency_periods
        from hourbank.tickets.service import changes_of
        from hourbank.tickets.service_levels import status_of

        periods = emergency_periods(changes_of(t))
        where: dict[str, Any] = {}  # the fields a ticket answers only where they apply
        if t.visit_id:
            where["visit_id"] = t.visit_id
        if entries is not None:
            from hourbank.api.sla_schemas import fair_use_of

            where["disputed_entries"] = sum(1 for e in entries if e.dispute is not None and e.dispute.status == "open")
            where["entries"] = [RatedEntry.of(e) for e in entries]
            fair_use = fair_use_of(t, entries)
            if fair_use is not None:
                where["fair_use"] = fair_use
        return cls.read(
            t,
            opened_at=t.opened_at_given,
            voided_entries=int(t.voided_count or 0),
            timer=None if t.timer is None else TicketTimer.read(t.timer),
            emergency=bool(periods) and periods[-1].end is None,
            emergency_periods=[
                EmergencyPeriod(start=p.start.isoformat(), end=p.end.isoformat() if p.end else None) for p in periods
            ],
            emergency_changes=[EmergencyChangeRecord.read(c) for c in t.emergency_changes or []],
            projected_consumption_hours=hours_text(int(t.projected_consumption_minutes)),
            credited_back_minutes=int(t.credited_back_minutes or 0),
            credit_backs=[
                CreditBackRecord.read(r, postpay_reduced_minutes=r.from_postpay, balance_credited_minutes=r.to_balance)
                for r in t.credit_backs or []
            ],
            postpay_credited_back_minutes=sum(int(r.from_postpay) for r in t.credit_backs or []),
            sla_status=status_of(t, now or datetime.now(UTC)),
            waiting=t.waiting_since is not None,
            response_count=int(t.response_count or 0),
            response_target=None
            if t.sla_target_minutes is None
            else ResponseTarget(
                minutes=int(t.sla_target_minutes),
                clock=t.sla_clock,
                business_hours=t.sla_business_hours if t.sla_clock == "business" else None,
                timezone=t.sla_timezone,
            ),
            waiting_periods=[WaitingPeriod(start=p.start_given, end=p.end_given, by=p.by) for p in t.pauses or []],
            priority_changes=[
                PriorityChangeRecord(at=c.at, from_=c.before, to=c.after, by=c.by) for c in t.priority_changes or []
            ],
            **where,
        )


class TicketSummary(View):
    """A ticket in a list: an account's tickets (W1, W2) or the staff queue (S1, W2). ``response_due_at`` and
    ``first_response_at`` belong to the service levels (SPEC S1): null on tickets that have none."""

    ticket_id: str
    reference: str | None
    account_id: str
    account_name: str | None  # SPEC W2: the account's name (null only for an account that no longer exists)
    title: str
    status: str
    priority: str
    opened_at: str
    closed_at: str | None
    entry_count: int
    weighted_minutes: int
    projected_consumption_minutes: int
    consumed_minutes: int | None
    response_due_at: str | None
    first_response_at: str | None
    sla_status: str | None  # SPEC S1: where the response clock stands
    waiting: bool
    opened_by: str  # who opened it: the desk's "mine" (SPEC W3)
    opened_by_name: str | None  # SPEC W2: their name as it was then (null on tickets from before names)

    @classmethod
    def of(cls, t: TicketModel, now: datetime | None = None, names: dict[str, str] | None = None) -> TicketSummary:
        """``names``: account names read for tickets opened before they carried theirs (SPEC W2)."""
        from hourbank.tickets.service_levels import status_of

        return cls.read(
            t,
            account_name=t.account_name or (names or {}).get(t.account_id),
            opened_at=t.opened_at_given,
            weighted_minutes=int(t.weighted_minutes or 0),
            projected_consumption_minutes=int(t.projected_consumption_minutes or 0),
            sla_status=status_of(t, now or datetime.now(UTC)),
            waiting=t.waiting_since is not None,
        )


class TicketPage(View):
    items: list[TicketSummary]
    cursor: str | None


class CloseResult(View):
    ticket_id: str
    status: str  # closed | awaiting_credit (SPEC C3)
    consumed_minutes: int
    consumed_hours: str
    debited_minutes: int
    postpay_minutes: int
    balance_minutes: int

    @classmethod
    def of(cls, r: ClosedTicket) -> CloseResult:
        return cls.read(r, consumed_hours=hours_text(r.consumed_minutes))


class CreditBackResult(View):
    """SPEC C6: the ledger entry for what reached the balance (API.md: 201 ledger entry), and how much came off
    the ticket's post-pay not yet invoiced. All of it off post-pay: no entry (its ids null), ``minutes`` 0."""

    entry_id: str | None
    seq: int | None
    at: str | None
    kind: str
    minutes: int
    balance_after: int | None
    ref: str | None
    note: str | None
    by: str | None
    by_name: str | None  # SPEC W2
    ticket_id: str
    credited_back_minutes: int
    postpay_reduced_minutes: int
    balance_credited_minutes: int

    @classmethod
    def of(cls, c: CreditBack) -> CreditBackResult:
        record = c.record
        entry: dict[str, Any] = (
            LedgerEntry.of(c.entry).out()
            if c.entry is not None
            else {
                "entry_id": None,
                "seq": None,
                "at": record.at if record else None,
                "kind": "credit_back",
                "minutes": 0,
                "balance_after": None,
                "ref": c.ticket_id,
                "note": record.reason if record else None,
                "by": record.by if record else None,
            }
        )
        return cls(
            **entry,
            by_name=record.by_name if record else None,
            ticket_id=c.ticket_id,
            credited_back_minutes=c.minutes,
            postpay_reduced_minutes=c.from_postpay,
            balance_credited_minutes=c.to_balance,
        )


class DisputeOutcome(View):
    entry: RatedEntry
    ledger_entry: LedgerEntry | None  # SPEC C6: the credit of an upheld dispute


class ResponseRecord(View):
    """SPEC S1: a staff response; ``first`` when it set the ticket's first response."""

    response_id: str
    ticket_id: str
    at: str
    note: str
    by: str
    by_name: str | None  # SPEC W2
    recorded_at: str
    first: bool

    @classmethod
    def of(cls, r: ResponseModel, first: bool) -> ResponseRecord:
        return cls.read(r, first=first)


class MessageAuthor(View):
    role: Literal["customer", "technician", "billing", "system"]
    name: str


class Message(View):
    """SPEC W5: one message of a ticket's conversation."""

    message_id: str
    ticket_id: str
    at: str  # UTC ISO
    author: MessageAuthor
    visibility: Literal["public", "internal"]
    via: Literal["portal", "email", "staff"]
    text: str

    @classmethod
    def of(cls, m: MessageModel) -> Message:
        author = MessageAuthor(role=m.author.role, name=m.author.name)  # never the subject: people, not ids
        return cls.read(m, at=m.at_utc, author=author)


class MessagePage(View):
    """SPEC W5: ``GET /tickets/{ticket_id}/messages``, oldest first."""

    items: list[Message]
    cursor: str | None


# -- orders, prices and visits --------------------------------------------------------------------------


class Quote(View):
    plan: str
    kind: str
    minutes: int
    hours: str
    rate: Money
    discount: Money
    price: Money

    @classmethod
    def of(cls, q: PricedQuote, plan: str) -> Quote:
        return cls(
            plan=plan,
            kind=q.kind,
            minutes=q.minutes,
            hours=hours_text(q.minutes),
            rate=Money.of(q.rate_minor, q.currency),
            discount=Money.of(q.discount_minor, q.currency),
            price=Money.of(q.amount_minor, q.currency),
        )


# SPEC O7: the whole answer about an account an order for an existing address gets.
EXISTING_ACCOUNT_MESSAGE = (
    "This e-mail address already has an account: the hours will be added to it once paid. Sign in to see its balance."
)


class _OrderFields(View):
    order_id: str
    account_id: str | None  # null for an order whose address already has an account (SPEC O7)
    status: str
    kind: str
    minutes: int
    rate: Money
    discount: Money
    price: Money
    checkout_url: str | None
    credited_minutes: int
    debited_minutes: int
    created_at: str | None
    # Each of these only where it applies:
    credits_existing_account: bool | None = None  # SPEC O7: true - the order credits an existing account
    message: str | None = None  # SPEC O7: what to do instead of seeing that account here
    new_account: bool | None = None  # SPEC O7, W1: its payment opens the account and sends the invitation
    visit_id: str | None = None  # SPEC V1: the visit whose hours it books or extends
    title: str | None = None  # a visit's order: what it pays for
    balance_minutes: int | None = None  # the account's balance, for the page Checkout returns to
    balance_hours: str | None = None


class Order(_OrderFields):
    hours: str  # the hours bought (U1); whole hours of a visit (V1)

    @classmethod
    def of(cls, o: OrderModel, balance: AccountModel | None = None) -> Order:
        fields: dict[str, Any] = {
            "hours": hours_text(int(o.minutes)),
            "rate": Money.of(o.rate_minor, o.currency),
            "discount": Money.of(o.discount_minor or 0, o.currency),
            "price": Money.of(o.amount_minor, o.currency),
            "credited_minutes": int(o.credited_minutes or 0),
            "debited_minutes": int(o.debited_minutes or 0),
        }
        if o.credits_existing:
            # SPEC O7: the address has an account; the order credits it once paid, and says nothing else about it.
            return cls.read(
                o, **fields, account_id=None, credits_existing_account=True, message=EXISTING_ACCOUNT_MESSAGE
            )
        if o.opens_account is not None:  # SPEC O7, W1: the order opening its account (True until paid, then False)
            fields["new_account"] = True
        if o.visit_id:  # SPEC V1: a visit's booking or extension is hours of a visit, not minutes of credit
            fields.update(visit_id=o.visit_id, hours=str(int(o.visit_hours or 0)), title=o.title)
        if balance is not None:
            fields.update(
                balance_minutes=int(balance.balance_minutes), balance_hours=hours_text(int(balance.balance_minutes))
            )
        return cls.read(o, **fields)


class PlanPrices(View):
    """A plan's prices and rules (P1, P2, seed 000): rates per hour in minor units, null where the plan has none."""

    plan: str
    title: str | None
    prepay_rate_minor: int | None
    recurring_rate_minor: int | None
    postpay_rate_minor: int | None
    monthly_fee_minor: int | None
    included_minutes: int | None
    fair_use_remote_minutes_per_day: int | None  # seed 003
    onsite_minimum_minutes: int | None
    work_types: list[str]
    at_zero: Literal["stop", "overdraft", "included"]  # what a close does when the balance is short (C3, C4)


class OrderHours(View):
    """SPEC P1: the hours one order may buy."""

    min: int
    max: int
    step: float


class BulkDiscount(View):
    """SPEC P1: the discount from this many minutes in one order."""

    min_minutes: int
    percent: int


class VisitPrices(View):
    """SPEC V1: the catalogue's visit terms and the price of a visit of 1..max_hours whole hours (index 0: 1 h)."""

    base_fee_minor: int
    additional_hour_rate_minor: int
    increment_minor: int
    max_hours: int
    prices_minor: list[int]


class PriceTable(View):
    """Seed 000's price table from the plan catalogue (P1, P2, U1), as ``hourbank.orders.pricing`` builds it."""

    version: str
    currency: str
    credit_minutes: int
    credits_expire: bool
    order_hours: OrderHours
    bulk_discount: BulkDiscount
    plans: list[PlanPrices]
    visits: VisitPrices


class VisitOrder(View):
    """An order of a visit: its booking or an extension (SPEC V1)."""

    order_id: str
    kind: str
    hours: int
    status: str
    price: Money
    refunded: Money


class VisitRefund(View):
    refund_id: str
    order_id: str
    amount: Money
    at: str


class Visit(View):
    """SPEC V1: an onsite visit, its prepaid and used hours and its money."""

    visit_id: str
    account_id: str
    ticket_id: str
    status: str
    scheduled_at: str
    address: str
    estimate_hours: int
    booked_hours: int
    prepaid_hours: int
    used_minutes: int
    used_hours: int  # whole hours, the first one the base fee's
    onsite_hours: str
    unused_hours: int
    base_fee: Money
    additional_hour_rate: Money
    price: Money
    paid: Money
    refund_due: Money
    refunded: Money
    unused_hours_policy: str  # SPEC V1: what happens to prepaid hours not used is shown on the visit
    orders: list[VisitOrder]
    refunds: list[VisitRefund]
    flags: list[str]
    order_id: str
    created_at: str
    expires_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    cancel_reason: str | None
    checkout_url: str | None = None  # while the booking waits for its payment

    @classmethod
    def of(cls, v: VisitModel, booking: OrderModel | None = None) -> Visit:
        from hourbank.visits.booking import map_of, summary

        def money(minor: int | float) -> Money:  # every amount of a visit is in its currency
            return Money.of(minor, v.currency)

        hours = summary(v)
        return cls.read(
            v,
            account_id=v.account_ref,
            status=v.state,
            used_hours=hours["used_hours"],
            onsite_hours=hours_text(int(v.used_minutes)),
            unused_hours=hours["unused_hours"],
            base_fee=money(v.base_fee_minor),
            additional_hour_rate=money(v.rate_minor),
            price=money(v.price_minor),
            paid=money(v.paid_minor),
            refund_due=money(v.refund_due_minor),
            refunded=money(v.refunded_minor),
            unused_hours_policy="refunded to the card that paid, when the visit's ticket is closed",
            orders=[
                VisitOrder(
                    order_id=oid,
                    kind=o["kind"],
                    hours=int(o["hours"]),
                    status=o["status"],
                    price=money(o["amount_minor"]),
                    refunded=money(o.get("refunded_minor", 0)),
                )
                for oid, o in sorted(map_of(v.orders).items())
            ],
            refunds=[
                VisitRefund(
                    refund_id=r["refund_id"], order_id=r["order_id"], amount=money(r["amount_minor"]), at=r["at"]
                )
                for r in sorted(map_of(v.refunds).values(), key=lambda r: r["at"])
            ],
            flags=sorted(v.flags or []),
            order_id=v.booking_order_id,
            **({} if booking is None else {"checkout_url": booking.checkout_url}),
        )


class VisitExtension(_OrderFields):
    """SPEC V1: the order that pays for more hours of a visit."""

    hours: int  # whole hours more, at the visit's rate
    visit_id: str

    @classmethod
    def of(cls, o: OrderModel) -> VisitExtension:
        return cls.model_validate(Order.of(o).out() | {"visit_id": o.visit_id, "hours": int(o.visit_hours or 0)})


# -- payments kept for review ------------------------------------------------------------------------------


class ReviewSettlement(View):
    """How billing settled a review (SPEC O8): who, when, the note, and the credit or correction if any."""

    by: str | None
    at: str | None
    note: str | None
    account_id: str | None
    minutes: int | None
    ledger_entry_id: str | None


class Review(View):
    """SPEC O8: a payment kept for review."""

    review_id: str
    at: str
    recorded_at: str | None
    reason: str
    event_id: str | None
    event_type: str | None
    payment_object: str | None  # the Stripe object's id (cs_, in_, ch_, du_)
    order_id: str | None
    account_id: str | None
    amount: Money | None
    status: str  # open | resolved
    resolution: ReviewSettlement | None

    @classmethod
    def of(cls, r: ReviewModel) -> Review:
        return cls.read(
            r,
            amount=None if r.amount_minor is None else Money.of(r.amount_minor, r.currency or ""),
            resolution=None
            if r.status != "resolved"
            else ReviewSettlement(
                by=r.resolved_by,
                at=r.resolved_at,
                note=r.resolution_note,
                account_id=r.adjustment_account_id,
                minutes=int(r.adjustment_minutes) if r.adjustment_minutes is not None else None,
                ledger_entry_id=r.adjustment_entry_id,
            ),
        )


class ReviewPage(View):
    items: list[Review]
    cursor: str | None


class ReviewResolved(View):
    review: Review
    ledger_entry: LedgerEntry | None


# -- an account's contacts (SPEC W1) -----------------------------------------------------------------------


class Contact(View):
    """A person who signs in to the account: the owner (its own address) first."""

    contact_id: str
    name: str
    email: str
    owner: bool
    invited_at: str | None
    signed_in_at: str | None = None

    @classmethod
    def of(cls, c: Any) -> Contact:  # hourbank.accounts.contacts.Contact
        view = cls.read(c)
        if c.signed_in_at:
            view.signed_in_at = c.signed_in_at
        return view


class ContactList(View):
    items: list[Contact]


class MailAttachment(View):
    """SPEC E1: an attachment of a received mail - kept (in the mail bucket) or not, and why not."""

    name: str
    content_type: str
    size: int
    kept: bool
    why: str | None


class InboxItem(View):
    """SPEC E1 (API.md GET /inbox): a received mail and what became of it. Its text is never HTML."""

    mail_id: str
    received_at: str
    from_: str | None = Field(alias="from")  # the sender's address (null: none could be read)
    from_name: str | None
    subject: str
    status: str  # unmatched | ticket | message | refused (processing: being received)
    reason: str | None
    ticket_id: str | None
    reference: str | None
    account_id: str | None
    text: str | None
    attachments: list[MailAttachment]
    assigned_by_name: str | None
    assigned_at: str | None

    @classmethod
    def of(cls, m: Any) -> InboxItem:
        return cls.read(
            m,
            from_=m.sender,
            from_name=m.sender_name,
            attachments=[
                MailAttachment(name=a.name, content_type=a.content_type, size=int(a.size), kept=a.kept, why=a.why)
                for a in m.attachments or []
            ],
        )


class InboxPage(View):
    items: list[InboxItem]
    cursor: str | None


# -- the document: each route's success and refusals ---------------------------------------------------------

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


def build(responses: dict[int, Any]) -> list[type[BaseModel]]:
    """Build the models a route's ``responses=`` names, and the models inside them (each is built on its first
    use otherwise): the SnapStart priming calls this, so no restored environment builds one in a request."""
    todo = [c["model"] for r in responses.values() for c in (r.get("content") or {}).values() if "model" in c]
    built: list[type[BaseModel]] = []
    while todo:
        model = todo.pop()
        if model in built or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        model.model_rebuild()
        built.append(model)
        for field in model.model_fields.values():
            todo.extend(_inner_types(field.annotation))
    return built


def _inner_types(annotation: Any) -> list[Any]:
    args = get_args(annotation)
    return [annotation] if not args else [t for a in args for t in _inner_types(a)]


# -- payments, visits, agreements, disputes and month-end runs (SPEC W1, W4, O6, M1) --------------------------


class Payment(View):
    """SPEC W1: one payment the account made or got back, with Stripe's receipt where Stripe has one."""

    payment_id: str
    at: str
    kind: Literal["order", "visit", "extension", "invoice", "phone"]
    description: str | None
    amount: Money
    refunded: Money
    minutes: int | None
    hours: str | None
    status: Literal["paid", "refunded", "partially_refunded", "disputed"]
    receipt_url: str | None
    order_id: str | None
    invoice_id: str | None
    visit_id: str | None

    @classmethod
    def of(cls, p: Any) -> Payment:
        minutes = int(p.minutes) if p.minutes is not None else None
        return cls.read(
            p,
            amount=Money.of(p.amount_minor, p.currency),
            refunded=Money.of(p.refunded_minor or 0, p.currency),
            minutes=minutes,
            hours=hours_text(minutes) if minutes is not None else None,
        )


class PaymentPage(View):
    items: list[Payment]
    cursor: str | None


class VisitPage(View):
    """SPEC W1: an account's visits, newest first; one awaiting payment carries its ``checkout_url``."""

    items: list[Visit]
    cursor: str | None


class Agreement(View):
    """SPEC O6: a recurring pre-pay agreement - hours a month at the recurring rate, charged by Stripe."""

    agreement_id: str
    account_id: str
    kind: Literal["recurring"]
    hours_per_month: str
    minutes_per_month: int
    rate: Money
    monthly_price: Money
    started_at: str
    term_ends_at: str | None
    next_charge_at: str | None
    status: Literal["active", "ending", "ended"]
    ended_at: str | None
    end_reason: str | None

    @classmethod
    def of(cls, a: Any) -> Agreement:
        return cls.read(
            a,
            kind="recurring",
            hours_per_month=hours_text(int(a.minutes_per_month)),
            minutes_per_month=int(a.minutes_per_month),
            rate=Money.of(a.rate_minor, a.currency),
            monthly_price=Money.of(a.amount_minor, a.currency),
        )


class AgreementList(View):
    items: list[Agreement]


class PortalSession(View):
    """SPEC W1: where the customer manages the card and sees the invoices (Stripe's customer portal)."""

    url: str


class DisputeItem(View):
    """SPEC W4: a disputed entry on billing's list, with the account's name and the ticket's title (W2)."""

    ticket_id: str
    entry_id: str
    account_id: str
    account_name: str | None
    ticket_title: str | None
    minutes: int | None
    raised_at: str
    raised_by_role: str | None
    raised_by_name: str | None
    reason: str
    status: str
    resolved_at: str | None
    resolved_by_name: str | None
    credited_minutes: int | None

    @classmethod
    def of(cls, d: Any) -> DisputeItem:
        return cls.read(
            d,
            minutes=int(d.minutes) if d.minutes is not None else None,
            credited_minutes=int(d.credited_minutes) if d.credited_minutes is not None else None,
        )


class DisputePage(View):
    items: list[DisputeItem]
    cursor: str | None


class MonthEndAccounts(View):
    planned: int | None
    closed: int
    failed: int


class MonthEndInvoices(View):
    kind: str
    count: int
    total: Money


class MonthEndFailure(View):
    account_id: str
    account_name: str | None
    reason: str
    at: str | None


class MonthEnd(View):
    """SPEC M1, M2, W4: what the month's run did - accounts planned, closed and failed (with why), invoices."""

    month: str
    status: Literal["not_run", "running", "done", "failed"]
    started_at: str | None
    requested_by: str | None
    accounts: MonthEndAccounts
    invoices: list[MonthEndInvoices]
    failures: list[MonthEndFailure]

    @classmethod
    def of(cls, month: str, run: Any, failures: list[Any], status: str) -> MonthEnd:
        counts = dict(run.invoice_counts.as_dict() if run is not None and run.invoice_counts else {})
        totals = dict(run.invoice_totals.as_dict() if run is not None and run.invoice_totals else {})
        invoices = []
        for key in sorted(counts):
            kind, _, currency = key.partition("#")
            invoices.append(
                MonthEndInvoices(kind=kind, count=int(counts[key]), total=Money.of(totals.get(key, 0), currency))
            )
        return cls(
            month=month,
            status=status,  # type: ignore[arg-type]
            started_at=run.started_at if run is not None else None,
            requested_by=run.requested_by if run is not None else None,
            accounts=MonthEndAccounts(
                planned=int(run.planned) if run is not None and run.planned is not None else None,
                closed=int(run.closed or 0) if run is not None else 0,
                failed=len(failures),
            ),
            invoices=invoices,
            failures=[
                MonthEndFailure(
                    account_id=str(f.subject_account), account_name=f.account_name, reason=str(f.reason), at=f.at
                )
                for f in failures
            ],
        )


class MonthEndRun(View):
    """SPEC W4, M2: a rerun was asked for; the run's page says how it goes."""

    month: str
    status: Literal["running"]
