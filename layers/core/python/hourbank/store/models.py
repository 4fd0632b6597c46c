"""pynamodb models of the template's tables. Key schemas here must match template.yaml (a test checks)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model

TICKET_SK = "TICKET"
ENTRY_SK_PREFIX = "ENTRY#"


class PlanPeriod(MapAttribute):
    plan = UnicodeAttribute()
    since = UnicodeAttribute()  # UTC ISO


class AutoTopUp(MapAttribute):
    enabled = BooleanAttribute(default=False)
    threshold_minutes = NumberAttribute(default=60)
    amount_minutes = NumberAttribute(default=120)


class ByPlanIndex(GlobalSecondaryIndex["AccountModel"]):
    """Every account of a plan, keys only: how the month-end run pages through accounts without a Scan.
    Written only when an account is created or changes plan (balance updates do not touch it)."""

    class Meta:
        index_name = "by_plan"
        projection = KeysOnlyProjection()

    plan = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)


class ByEmailIndex(GlobalSecondaryIndex["AccountModel"]):
    """SPEC W2: staff find an account by its e-mail (trimmed, lower-cased), keys only. Written only when an
    account is created (``email_lower`` never changes), so balance updates cost it nothing."""

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_lower = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)


class AccountModel(Model):
    """One customer account. ``balance_minutes`` = Σ ledger (SPEC C7); ``ledger_seq`` numbers its entries.

    ``committed_minutes`` is the projected consumption of the account's open tickets and
    ``available_minutes`` = balance - committed (SPEC C4), both maintained by every write that changes
    either, so the work gate is one conditional update and never a scan.
    """

    class Meta:
        table_name = "unbound-accounts"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    email_lower = UnicodeAttribute(null=True)  # SPEC O7 (its claim is email#<this>), W2 (the by_email index)
    plan = UnicodeAttribute()
    plan_version = UnicodeAttribute()
    # Every plan the account has had and since when (the first since it was created): month-end fees are
    # split by the days on each plan (SPEC M1, README "Month end").
    plan_changes = ListAttribute(of=PlanPeriod, default=list)
    currency = UnicodeAttribute()
    timezone = UnicodeAttribute(null=True)
    balance_minutes = NumberAttribute(default=0)
    committed_minutes = NumberAttribute(default=0)
    available_minutes = NumberAttribute(default=0)
    ledger_seq = NumberAttribute(default=0)
    # The latest ledger entry's ``at``: a new entry is never dated before it
    # (``hourbank.ledger.balance_writer.write_account``), so the entries of a month are one run of ``seq`` and a
    # statement adds up (C7, M3).
    ledger_at = UnicodeAttribute(null=True)
    # SPEC C3: tickets whose close waits for credit, ticket_id -> when the close was asked for.
    awaiting: MapAttribute[str, Any] = MapAttribute(default=dict)
    auto_top_up = AutoTopUp(default=AutoTopUp)
    notify_low_balance = BooleanAttribute(default=False)
    watch_version = NumberAttribute(default=0)  # +1 per change of the two above: part of a crossing's id
    # SPEC O4: the auto top-up invoice not yet paid (none is created while one is), and after one was
    # voided or left unpaid, no new one before this time (epoch seconds): the balance watch backs off.
    pending_top_up = UnicodeAttribute(null=True)
    top_up_paused_until = NumberAttribute(null=True)
    stripe_customer_id = UnicodeAttribute(null=True)  # created on the first invoice, then reused
    flags = UnicodeSetAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    # SPEC N1: which mails the customer chose (ticket_updates, receipts, statements; absent = on), and the
    # last bounce or complaint SES reported for the account's address ({kind, at, address, detail}).
    notifications: MapAttribute[str, Any] = MapAttribute(null=True)
    mail_problem: MapAttribute[str, Any] = MapAttribute(null=True)

    by_plan = ByPlanIndex()
    by_email = ByEmailIndex()


class EmergencyChangeMap(MapAttribute):
    at = UnicodeAttribute()  # as given (API.md "recording the past")
    at_utc = UnicodeAttribute()
    active = BooleanAttribute()
    by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()


class SegmentMap(MapAttribute):
    started_at = UnicodeAttribute()
    minutes = NumberAttribute()
    multiplier = NumberAttribute()
    reasons = ListAttribute(of=UnicodeAttribute, default=list)


class ByAccountIndex(GlobalSecondaryIndex["TicketModel"]):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    opened_at = UnicodeAttribute(range_key=True)


class PauseMap(MapAttribute):
    """SPEC S1: the ticket waited on the customer from ``start`` to ``end`` (None: still waiting)."""

    start = UnicodeAttribute()  # UTC ISO
    start_given = UnicodeAttribute()  # as given (API.md "recording the past")
    end = UnicodeAttribute(null=True)
    end_given = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()


class VoidMap(MapAttribute):
    """SPEC T9: an entry of an open ticket voided by staff - who (and their name then, W2), when and why."""

    at = UnicodeAttribute()
    by = UnicodeAttribute()
    by_name = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()


class TimerMap(MapAttribute):
    """SPEC W3: the ticket's running timer, kept server-side (a reload or another device sees it)."""

    started_at = UnicodeAttribute()  # UTC ISO
    by = UnicodeAttribute()
    by_name = UnicodeAttribute(null=True)
    timer_id = UnicodeAttribute(null=True)  # this run of the timer: the entry it becomes is keyed by it


class CreditBackMap(MapAttribute):
    """SPEC C6: one credit-back on a closed ticket - who, when, why, and where its minutes went (off the
    post-pay not yet invoiced, to the balance as ledger entry ``entry_id``). Kept on the ticket, so a
    credit-back that all came off post-pay, and so has no ledger entry, still has its record."""

    at = UnicodeAttribute()
    by = UnicodeAttribute()
    by_name = UnicodeAttribute(null=True)  # SPEC W2: who, by name as it was then
    minutes = NumberAttribute()
    from_postpay = NumberAttribute()
    to_balance = NumberAttribute()
    reason = UnicodeAttribute()
    entry_id = UnicodeAttribute(null=True)


class PriorityChangeMap(MapAttribute):
    """SPEC S1: a priority change, who and when; the due time is recomputed from the opening."""

    at = UnicodeAttribute()
    before = UnicodeAttribute()
    after = UnicodeAttribute()
    by = UnicodeAttribute()


class ByQueueIndex(GlobalSecondaryIndex["TicketModel"]):
    """SPEC S1/W2: the staff queue, earliest response due first. Sparse: only tickets not yet closed carry
    ``queue_status`` (open | awaiting_credit); a close removes it. ``queue_due`` is the due time (UTC ISO)
    or, while the ticket waits on the customer and its due time is unknown, ``~waiting#<since>``, which
    sorts after every due time."""

    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_status = UnicodeAttribute(hash_key=True)
    queue_due = UnicodeAttribute(range_key=True)


class ByAccountDueIndex(GlobalSecondaryIndex["TicketModel"]):
    """SPEC S1/M3: an account's tickets by response due time, so a statement finds the tickets that fell due
    in its month with one Query. Sparse: a ticket waiting (due unknown) is out of it until it resumes."""

    class Meta:
        index_name = "by_account_due"
        projection = IncludeProjection(["title", "priority", "first_response_at", "status", "close_requested_at"])

    account_id = UnicodeAttribute(hash_key=True)
    response_due_at = UnicodeAttribute(range_key=True)


class TicketModel(Model):
    """A ticket, with the running totals of its entries so a close never re-reads them (SPEC T4/T5)."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TICKET_SK)
    account_id = UnicodeAttribute()
    # SPEC W2: the account's name when the ticket was opened, so a list names it without reading the account
    # (absent on older tickets: their lists read the names, one BatchGetItem per page).
    account_name = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)  # up to 20,000 characters (API.md POST /tickets)
    reference = UnicodeAttribute(null=True)  # short, unique, readable on the phone (its claim: REF#<it>)
    priority = UnicodeAttribute()
    status = UnicodeAttribute()  # open | awaiting_credit | closed
    opened_at = UnicodeAttribute()  # UTC ISO: sorts in the by_account index
    opened_at_given = UnicodeAttribute()
    opened_recorded_at = UnicodeAttribute()
    opened_by = UnicodeAttribute()
    opened_by_name = UnicodeAttribute(null=True)  # SPEC W2
    emergency_changes = ListAttribute(of=EmergencyChangeMap, default=list)
    weighted_minutes = NumberAttribute(default=0)
    onsite_weighted_minutes = NumberAttribute(default=0)
    entry_count = NumberAttribute(default=0)
    last_entry_end = UnicodeAttribute(null=True)  # UTC ISO of the latest entry end: re-rating needs it
    projected_consumption_minutes = NumberAttribute(default=0)
    version = NumberAttribute(default=0)  # optimistic lock for every change to the totals
    close_requested_at = UnicodeAttribute(null=True)
    close_requested_by = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    consumed_minutes = NumberAttribute(null=True)
    debited_minutes = NumberAttribute(null=True)
    postpay_minutes = NumberAttribute(null=True)
    balance_after_close = NumberAttribute(null=True)
    credited_back_minutes = NumberAttribute(default=0)
    credit_backs = ListAttribute(of=CreditBackMap, default=list)  # SPEC C6: each one's record
    # SPEC S1: the first-response target (a snapshot of the catalogue's at opening or priority change),
    # the due time (UTC ISO, null while waiting), the first response and the waiting periods.
    response_due_at = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    response_count = NumberAttribute(default=0)
    sla_target_minutes = NumberAttribute(null=True)
    sla_clock = UnicodeAttribute(null=True)  # business | wall
    sla_business_hours = UnicodeAttribute(null=True)
    sla_timezone = UnicodeAttribute(null=True)
    waiting_since = UnicodeAttribute(null=True)
    pauses = ListAttribute(of=PauseMap, default=list)
    queue_status = UnicodeAttribute(null=True)
    queue_due = UnicodeAttribute(null=True)
    sla_warned_at = UnicodeAttribute(null=True)  # the one warning before a breach was sent (marker)
    sla_version = NumberAttribute(default=0)  # +1 per waiting or priority change: the due time's inputs
    plan = UnicodeAttribute(null=True)  # the account's plan when opened (fair use on the ticket view)
    priority_changes = ListAttribute(of=PriorityChangeMap, default=list)
    visit_id = UnicodeAttribute(null=True)  # SPEC V1: the onsite visit this ticket was opened for
    # Weighted minutes per work type, a running total like weighted_minutes (the usage chart, SPEC W1);
    # absent on a ticket that had entries before it was kept (its Charge then has none either).
    weighted_by_work_type: MapAttribute[str, Any] = MapAttribute(null=True)
    voided_count = NumberAttribute(default=0)  # SPEC T9: entries voided (still in entry_count)
    timer = TimerMap(null=True)  # SPEC W3: the running timer, if any

    by_account = ByAccountIndex()
    by_queue = ByQueueIndex()
    by_account_due = ByAccountDueIndex()


REFERENCE_SK = "REF"


class TicketReferenceModel(Model):
    """A ticket's short reference claimed (partition ``REF#<reference>``, sk ``REF``), put with "does not exist"
    in the ticket's creation transaction, so two tickets never share one. Its attributes avoid the names the
    Tickets table's indexes key on: it is never in an index."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)  # REF#<reference>
    sk = UnicodeAttribute(range_key=True, default=REFERENCE_SK)
    owner_ticket_id = UnicodeAttribute()


VISIT_SK = "VISIT"
VISIT_EXPIRY_PREFIX = "VISITEXPIRY#"


class VisitModel(Model):
    """An onsite visit (SPEC V1), kept in its ticket's partition (sk ``VISIT``) so a time entry's gate and
    the close read and write it with the ticket in one transaction. Its attributes avoid the names the
    Tickets table's indexes key on (``account_id``, ``opened_at``, ``status``): it is never in an index."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=VISIT_SK)
    visit_id = UnicodeAttribute()
    account_ref = UnicodeAttribute()
    state = UnicodeAttribute()  # awaiting_payment | confirmed | completed | cancelled
    scheduled_at = UnicodeAttribute()  # as given
    scheduled_at_utc = UnicodeAttribute()
    address = UnicodeAttribute()
    estimate_hours = NumberAttribute()
    base_fee_minor = NumberAttribute()
    rate_minor = NumberAttribute()  # per additional hour
    increment_minor = NumberAttribute()
    currency = UnicodeAttribute()
    price_minor = NumberAttribute()  # the booking's prepayment
    booked_hours = NumberAttribute()  # estimate + every extension ordered (paid or not): prices extensions
    prepaid_hours = NumberAttribute(default=0)  # paid for: the entry gate's limit
    used_minutes = NumberAttribute(default=0)  # onsite minutes logged (travel excluded)
    paid_minor = NumberAttribute(default=0)
    refund_due_minor = NumberAttribute(default=0)  # owed back by completion or cancellation
    refunded_minor = NumberAttribute(default=0)  # refunds Hourbank issued
    # order_id -> {kind: visit|visit_extension, hours, amount_minor, status, payment_ref?, refunded_minor}
    orders: MapAttribute[str, Any] = MapAttribute(default=dict)
    # "<purpose>#<payment_ref>" -> {order_id, payment_ref, amount_minor, refund_id, at}
    refunds: MapAttribute[str, Any] = MapAttribute(default=dict)
    booking_order_id = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)  # unpaid: removed for good (with its ticket and order) after
    flags = UnicodeSetAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)


class VisitExpiryModel(Model):
    """An unpaid visit's place in the expiry sweep: partition ``VISITEXPIRY#<yyyy-mm-dd>`` (UTC day it
    expires), sort key ``<expires_at>#<visit_id>``, so the sweep reads due visits by key, never a Scan."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)  # VISITEXPIRY#<day>
    sk = UnicodeAttribute(range_key=True)
    visit_id = UnicodeAttribute()


class DisputeMap(MapAttribute):
    """SPEC C6: a customer questions an entry; it stays disputed until billing resolves it."""

    status = UnicodeAttribute()  # open | upheld | rejected
    reason = UnicodeAttribute()
    raised_by = UnicodeAttribute()
    # customer | staff: who the subject above was, for people reading it (the sub alone is an opaque id);
    # absent on disputes raised before it was recorded.
    raised_by_role = UnicodeAttribute(null=True)
    raised_at = UnicodeAttribute()
    raised_by_name = UnicodeAttribute(null=True)  # SPEC W2: names as they were then
    resolved_by = UnicodeAttribute(null=True)
    resolved_by_name = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolution_note = UnicodeAttribute(null=True)
    credited_minutes = NumberAttribute(default=0)


class TimeEntryModel(Model):
    """A time entry, rated when posted; immutable once its ticket is closed (SPEC T7)."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # ENTRY#<entry_id>
    entry_id = UnicodeAttribute()
    work_type = UnicodeAttribute()
    started_at = UnicodeAttribute()  # as given
    started_at_utc = UnicodeAttribute()
    minutes = NumberAttribute()
    note = UnicodeAttribute()
    technician = UnicodeAttribute()
    technician_name = UnicodeAttribute(null=True)  # SPEC W2: as it was when the entry was made
    recorded_at = UnicodeAttribute()
    weighted_minutes = NumberAttribute()
    segments = ListAttribute(of=SegmentMap, default=list)
    dispute = DisputeMap(null=True)
    voided = VoidMap(null=True)  # SPEC T9: counts for nothing from then on


class ResponseModel(Model):
    """SPEC S1: a staff response on a ticket (sk ``RESPONSE#<id>``, in the ticket's partition)."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    response_id = UnicodeAttribute()
    at = UnicodeAttribute()  # as given
    at_utc = UnicodeAttribute()
    note = UnicodeAttribute()
    by = UnicodeAttribute()
    by_name = UnicodeAttribute(null=True)  # SPEC W2
    recorded_at = UnicodeAttribute()


MESSAGE_SK_PREFIX = "MSG#"
MESSAGE_KEY_PREFIX = "MSGKEY#"


class AuthorMap(MapAttribute):
    role = UnicodeAttribute()  # customer | technician | billing | system
    name = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # the token's subject, when written by a signed-in person


class MessageModel(Model):
    """SPEC W5: a message of a ticket's conversation (sk ``MSG#<at_utc>#<message_id>``, in the ticket's
    partition), so one Query reads the conversation oldest first. A staff public message is also a response
    (S1, ``ResponseModel``; its message_id is the response's id). Its attributes avoid the names the Tickets
    table's indexes key on: it is never in an index."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # MSG#<at_utc>#<message_id>
    message_id = UnicodeAttribute()
    at = UnicodeAttribute()  # as given (staff may record the past, S1)
    at_utc = UnicodeAttribute()
    author = AuthorMap()
    visibility = UnicodeAttribute()  # public | internal
    via = UnicodeAttribute()  # portal | email | staff
    text = UnicodeAttribute()
    recorded_at = UnicodeAttribute()


class MessageKeyModel(Model):
    """A message's id claimed (sk ``MSGKEY#<message_id>``), put with "does not exist" in the message's
    transaction: a retried post (Idempotency-Key) or a mail received twice (its Message-ID) adds one message."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # MSGKEY#<message_id>
    message_sk = UnicodeAttribute()


class ByTimeIndex(LocalSecondaryIndex["LedgerModel"]):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class LedgerModel(Model):
    """One ledger entry: a signed change of the balance, never edited or deleted (SPEC C6, C7)."""

    class Meta:
        table_name = "unbound-ledger"

    account_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    at = UnicodeAttribute()
    kind = UnicodeAttribute()
    minutes = NumberAttribute()
    balance_after = NumberAttribute()
    ref = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    by = UnicodeAttribute(null=True)

    by_time = ByTimeIndex()


class ChargeModel(Model):
    """A ticket closed in a month, keyed ``<yyyy-mm>#<ticket_id>`` so the month-end run and the statement
    read an account's month with one Query by prefix (SPEC M1, M3). ``minutes``/``amount_minor`` are its
    post-pay part (SPEC C2, invoiced at month end); ``consumed``/``debited`` what it used and took from the
    balance (the whole of it on plans whose usage is settled at month end)."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)
    charge_key = UnicodeAttribute(range_key=True)  # <yyyy-mm>#<ticket_id>
    ticket_id = UnicodeAttribute()
    month = UnicodeAttribute()
    minutes = NumberAttribute()
    rate_minor = NumberAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    at = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending (post-pay to invoice) | none
    consumed_minutes = NumberAttribute(null=True)
    debited_minutes = NumberAttribute(null=True)
    title = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    plan = UnicodeAttribute(null=True)  # the account's plan when it closed: its month-end charge follows it
    weighted_minutes = NumberAttribute(null=True)  # the ticket's weighted minutes (T4): the statement's CSV
    credited_back_minutes = NumberAttribute(null=True)  # SPEC C6: post-pay minutes a credit-back took off
    # the ticket's, at close: usage by month reads it (W1)
    weighted_by_work_type: MapAttribute[str, Any] = MapAttribute(null=True)


class VisitChargeModel(Model):
    """Money an onsite visit moved (SPEC V1): a payment or a refund, for the statement (M3). Kept under
    ``visit#<yyyy-mm>#...`` in the Charges table, a prefix the month's ticket closes (``<yyyy-mm>#``) never
    match, written in the same transaction as the visit change it records."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)
    charge_key = UnicodeAttribute(range_key=True)  # visit#<yyyy-mm>#<at>#<visit_id>#<ref>
    visit_id = UnicodeAttribute()
    what = UnicodeAttribute()  # visit | visit_extension | refund
    amount_minor = NumberAttribute()  # signed: a refund is negative
    currency = UnicodeAttribute()
    at = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    ref = UnicodeAttribute(null=True)  # the payment object or the refund
    hours = NumberAttribute(null=True)


class IdempotencyModel(Model):
    """A request already applied: the Idempotency-Key's marker and what it produced."""

    class Meta:
        table_name = "unbound-idempotency"

    id = UnicodeAttribute(hash_key=True)  # <operation>#<scope>#<key>
    fingerprint = UnicodeAttribute()  # hash of the request, so a key reused for another request is a 409
    account_id = UnicodeAttribute()
    ledger_seq = NumberAttribute()
    at = UnicodeAttribute()
    expiration = NumberAttribute()  # epoch seconds: the table's TTL


class FailureModel(Model):
    """SPEC O8: how often one Stripe event failed the same way (``failure#<event id>#<error signature>``), in
    the Idempotency table. Counted by one conditional ADD, never read-then-write, so concurrent deliveries
    count each failure once; ``expiration`` (the table's TTL) drops it after Stripe's retries end."""

    class Meta:
        table_name = "unbound-idempotency"

    id = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    expiration = NumberAttribute(null=True)


class MailMarkerModel(Model):
    """SPEC N1: one e-mail's send-once marker (``mail#<message id>``) in the Idempotency table. A claim
    (``state`` sending, ``token`` of the claimer, ``until`` epoch seconds) is taken by a conditional put; it
    becomes ``sent`` after SES accepted the mail, is released (``until`` 0) when SES refused it (the retry sends),
    and may be taken over once ``until`` has passed (a worker that died mid-send). See
    hourbank.notifications.sending."""

    class Meta:
        table_name = "unbound-idempotency"

    id = UnicodeAttribute(hash_key=True)
    state = UnicodeAttribute()  # sending | sent
    token = UnicodeAttribute()
    until = NumberAttribute()
    kind = UnicodeAttribute(null=True)
    sent_at = UnicodeAttribute(null=True)
    expiration = NumberAttribute()  # the table's TTL: far beyond any redelivery


class OrderModel(Model):
    """A top-up order (SPEC O1/O6): priced when placed, credited only when the payment provider says it
    is paid (O2), debited again by refunds and disputes (O3). Per payment (``payments`` map, keyed by
    the payment object's id) it keeps what was credited and what was taken back."""

    class Meta:
        table_name = "unbound-orders"

    order_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # one_time | recurring | auto_top_up
    invoice_id = UnicodeAttribute(null=True)  # auto_top_up: the invoice that sells it
    minutes = NumberAttribute()
    rate_minor = NumberAttribute()
    discount_minor = NumberAttribute(default=0)
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | paid | failed | refunded | disputed
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    checkout_session_id = UnicodeAttribute(null=True)
    checkout_url = UnicodeAttribute(null=True)
    credited_minutes = NumberAttribute(default=0)
    debited_minutes = NumberAttribute(default=0)
    # payment ref -> {"credited": minutes, "debited": minutes, "refunded_minor": cumulative amount}
    payments: MapAttribute[str, Any] = MapAttribute(default=dict)
    # refunds that arrived before their payment: payment ref -> cumulative amount refunded (minor)
    pending_refunds: MapAttribute[str, Any] = MapAttribute(default=dict)
    review = ListAttribute(of=UnicodeAttribute, default=list)  # why a person should look at it
    # SPEC O7, an order by name and e-mail: who ordered; ``opens_account``: account_id is opened when the
    # payment settles (not before); ``credits_existing``: the address had an account, which it credits.
    customer_name = UnicodeAttribute(null=True)
    customer_email = UnicodeAttribute(null=True)
    opens_account = BooleanAttribute(null=True)
    credits_existing = BooleanAttribute(null=True)
    # SPEC V1: kind visit | visit_extension pays an onsite visit in money: it credits no minutes.
    visit_id = UnicodeAttribute(null=True)
    visit_hours = NumberAttribute(null=True)
    title = UnicodeAttribute(null=True)  # what the checkout line says, when not "Support time"


class PaymentRefModel(Model):
    """SPEC O3: Hourbank's own record of what it credited, in the Orders table under ``payref#<id>``: the
    payment object a credit was keyed by (a PaymentIntent, a Stripe invoice), and the PaymentIntents that
    paid an invoice, each naming the order and the key. Written in the credit's own transaction, so a refund
    or dispute finds its order without metadata on the charge and without asking Stripe."""

    class Meta:
        table_name = "unbound-orders"

    order_id = UnicodeAttribute(hash_key=True)  # payref#<payment object id>
    paid_order_id = UnicodeAttribute()
    payment_ref = UnicodeAttribute()  # the key the credit is kept under in the order's ``payments``
    at = UnicodeAttribute()


class ParkedReceiptModel(Model):
    """SPEC W1: Stripe's receipt link of a payment not recorded yet (``charge.succeeded`` often comes before
    ``checkout.session.completed``), in the Orders table under ``receipt#<payment object id>``: the payment's
    record picks it up when it lands."""

    class Meta:
        table_name = "unbound-orders"

    order_id = UnicodeAttribute(hash_key=True)  # receipt#<payment object id>
    receipt_url = UnicodeAttribute()
    at = UnicodeAttribute()


class EmailClaimModel(Model):
    """SPEC O7: an e-mail address belongs to one account. The claim is an item in the Accounts table keyed
    ``email#<address, trimmed and lower-cased>``, put with "does not exist" in the same transaction as the
    account it names, so two accounts can never hold one address. It has no ``plan`` (nor ``email_lower``),
    so no index of accounts lists it."""

    class Meta:
        table_name = "unbound-accounts"

    account_id = UnicodeAttribute(hash_key=True)  # email#<email_lower>
    owner_account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


CONTACTS_PREFIX = "CONTACTS#"
CONTACT_SK_PREFIX = "CONTACT#"


class ContactModel(Model):
    """SPEC W1: a person who signs in to an account, one item each, in the Tickets table under partition
    ``CONTACTS#<account_id>`` and sort key ``CONTACT#<contact_id>`` (one Query lists an account's contacts). Its
    address is claimed like an account's (``EmailClaimModel``, SPEC O7) in the same transaction. The account's
    own address is its first (owner) contact without any item (``accounts.contacts``); an item with the owner's
    id only records when the owner signed in. Its attributes avoid the names the Tickets table's indexes key on
    (``account_id``, ``opened_at``, ``queue_status``, ``response_due_at``): it is never in an index."""

    class Meta:
        table_name = "unbound-tickets"

    ticket_id = UnicodeAttribute(hash_key=True)  # CONTACTS#<account_id>
    sk = UnicodeAttribute(range_key=True)  # CONTACT#<contact_id>
    contact_id = UnicodeAttribute()
    contact_account_id = UnicodeAttribute()
    owner = BooleanAttribute(default=False)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    invited_at = UnicodeAttribute(null=True)
    invited_by = UnicodeAttribute(null=True)
    invitations = NumberAttribute(default=1)  # how many times it was e-mailed (the first and each resend)
    signed_in_at = UnicodeAttribute(null=True)


class ByNameWordIndex(GlobalSecondaryIndex["NameWordModel"]):
    """SPEC W2: staff find an account by the beginning of any word of its name. ``name_bucket`` is the first two
    letters of a word (lower-cased, accents dropped), ``name_word`` the word itself then ``#<account_id>``: a
    search Queries one bucket with ``begins_with`` on the word typed - never a Scan. Only the name-word items
    carry these attributes (sparse)."""

    class Meta:
        index_name = "by_name_word"
        projection = IncludeProjection(["owner_account_id"])

    name_bucket = UnicodeAttribute(hash_key=True)
    name_word = UnicodeAttribute(range_key=True)


class NameWordModel(Model):
    """One word of an account's name (SPEC W2), in the Accounts table under ``nameword#<account_id>#<n>``,
    written in the account's creation transaction (and by ``scripts/ops/backfill_name_words.py`` for accounts
    opened before). No ``plan`` nor ``email_lower``: no other index of accounts lists it."""

    class Meta:
        table_name = "unbound-accounts"

    account_id = UnicodeAttribute(hash_key=True)  # nameword#<account_id>#<n>
    owner_account_id = UnicodeAttribute()
    name_bucket = UnicodeAttribute()
    name_word = UnicodeAttribute()

    by_name_word = ByNameWordIndex()


class InvoiceLine(MapAttribute):
    description = UnicodeAttribute()
    minutes = NumberAttribute(default=0)
    amount_minor = NumberAttribute()


class InvoiceModel(Model):
    """An invoice to a customer (API.md ``GET /accounts/{id}/invoices``): written by the balance watch (auto
    top-up, SPEC O4) and the month-end run; the invoicing consumer turns a new one into a Stripe invoice."""

    class Meta:
        table_name = "unbound-invoices"

    account_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # auto_top_up | recurring | postpay | plan
    status = UnicodeAttribute(default="draft")  # draft | open | paid | void
    minutes = NumberAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    description = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # auto_top_up: paying it credits this order (settlement)
    lines = ListAttribute(of=InvoiceLine, null=True)  # month end: the statement's priced lines, itemised
    reason = UnicodeAttribute(null=True)  # why it was made, for people: "balance 30 fell below 60"
    stripe_invoice_id = UnicodeAttribute(null=True)
    payment_url = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)  # failed payment attempts Stripe reported
    last_failure = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)


class ReviewModel(Model):
    """SPEC O8: a payment Hourbank could not match (unknown order, amount or currency not the order's), kept
    for billing. One per Stripe event (``review_id`` = rev_<event created, 10 digits>_<event id>, put with
    "does not exist"), newest first by its sort key; resolved once, with who, when, why and any credit."""

    class Meta:
        table_name = "unbound-reviews"

    pk = UnicodeAttribute(hash_key=True, default="review")
    review_id = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()  # when Stripe saw it happen (the event's created)
    recorded_at = UnicodeAttribute()
    reason = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    payment_object = UnicodeAttribute(null=True)  # the Stripe object's id (cs_, in_, ch_, du_)
    order_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    # SPEC O8, an event that failed the same way again: the payment it would credit (as settlement keys it),
    # so a credit by billing and a later successful delivery cannot both land.
    payment_ref = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")  # open | resolved
    resolved_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolution_note = UnicodeAttribute(null=True)
    adjustment_account_id = UnicodeAttribute(null=True)
    adjustment_minutes = NumberAttribute(null=True)
    adjustment_entry_id = UnicodeAttribute(null=True)


PAYMENT_PREFIX = "pay#"
AGREEMENT_PREFIX = "agreement#"
VISIT_LIST_PREFIX = "visits#"
MONTH_RUN_PREFIX = "monthend#"


class PaymentModel(Model):
    """SPEC W1: one payment an account made (or got back), in the Charges table under
    ``pay#<at>#<payment ref>``, so an account's payments newest first are one Query by prefix. Written in the
    same transaction that records the payment (an order credited, a visit paid, an invoice paid, a purchase by
    phone); a refund or dispute updates its ``status`` and ``refunded_minor`` where it is recorded."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)
    charge_key = UnicodeAttribute(range_key=True)  # pay#<at>#<payment ref>
    payment_id = UnicodeAttribute()  # the payment ref (PaymentIntent, Stripe invoice, ledger entry)
    at = UnicodeAttribute()
    kind = UnicodeAttribute()  # order | visit | extension | invoice | phone
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    minutes = NumberAttribute(null=True)
    status = UnicodeAttribute(default="paid")  # paid | refunded | partially_refunded | disputed
    refunded_minor = NumberAttribute(default=0)
    description = UnicodeAttribute(null=True)
    receipt_url = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    visit_id = UnicodeAttribute(null=True)


class AgreementModel(Model):
    """SPEC O6: a recurring pre-pay agreement (a recurring order paid through a Stripe subscription), in the
    Charges table under ``agreement#<order_id>``: written when its first payment lands, moved on by each
    month's payment (``next_charge_at``) and ended by billing (``ending``/``ended``)."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)
    charge_key = UnicodeAttribute(range_key=True)  # agreement#<order_id>
    agreement_id = UnicodeAttribute()  # the recurring order's id
    minutes_per_month = NumberAttribute()
    rate_minor = NumberAttribute()
    amount_minor = NumberAttribute()
    currency = UnicodeAttribute()
    started_at = UnicodeAttribute()
    next_charge_at = UnicodeAttribute(null=True)
    term_ends_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="active")  # active | ending | ended
    subscription_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    ended_at = UnicodeAttribute(null=True)
    end_reason = UnicodeAttribute(null=True)
    ended_by = UnicodeAttribute(null=True)


class VisitListModel(Model):
    """SPEC W1: an account's visits, newest first: a pointer per visit in the Charges table under
    ``visits#<scheduled_at_utc>#<visit_id>``, put with the booking; the list reads the visits themselves (one
    BatchGetItem per page), so it never goes stale."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)
    charge_key = UnicodeAttribute(range_key=True)
    visit_id = UnicodeAttribute()
    ticket_ref = UnicodeAttribute()


class MonthRunModel(Model):
    """SPEC M1/M2, W4: what a month-end run did, in the Charges table's partition ``monthend#<yyyy-mm>``: the
    run (sk ``run``: planned by the planner, counted by the workers), one ``done#<account>`` per account closed
    (put with "does not exist" in one transaction with the counts, so a retry counts nothing twice) and one
    ``fail#<account>`` per account whose close failed (removed when it closes)."""

    class Meta:
        table_name = "unbound-charges"

    account_id = UnicodeAttribute(hash_key=True)  # monthend#<yyyy-mm>
    charge_key = UnicodeAttribute(range_key=True)  # run | done#<account> | fail#<account>
    month = UnicodeAttribute()
    planned = NumberAttribute(null=True)
    closed = NumberAttribute(null=True)
    runs = NumberAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute(null=True)
    # "<kind>#<currency>" -> invoices made / their total (minor units)
    invoice_counts: MapAttribute[str, Any] = MapAttribute(null=True)
    invoice_totals: MapAttribute[str, Any] = MapAttribute(null=True)
    # done# / fail# items
    subject_account = UnicodeAttribute(null=True)
    account_name = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    invoice_id = UnicodeAttribute(null=True)
    amount_minor = NumberAttribute(null=True)


DISPUTE_OPEN = "dispute#open"
DISPUTE_RESOLVED = "dispute#resolved"


class DisputeListModel(Model):
    """SPEC W4: a disputed entry on billing's list, in the Reviews table: partition ``dispute#open`` (sorted by
    ``<raised_at>#<ticket>#<entry>``, oldest first) while open; the resolution moves it to ``dispute#resolved``
    (sorted by when it was resolved) in the resolution's own transaction."""

    class Meta:
        table_name = "unbound-reviews"

    pk = UnicodeAttribute(hash_key=True)
    review_id = UnicodeAttribute(range_key=True)
    ticket_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    account_name = UnicodeAttribute(null=True)
    ticket_title = UnicodeAttribute(null=True)
    raised_at = UnicodeAttribute()
    raised_by_role = UnicodeAttribute(null=True)
    raised_by_name = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # open | upheld | rejected
    minutes = NumberAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolved_by_name = UnicodeAttribute(null=True)
    credited_minutes = NumberAttribute(null=True)


class AttachmentMap(MapAttribute):
    """SPEC E1: one attachment of a received mail - kept in the mail bucket under ``key``, or not (``kept`` False,
    and ``why`` says why: the sender was told)."""

    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    kept = BooleanAttribute()
    key = UnicodeAttribute(null=True)
    why = UnicodeAttribute(null=True)


class InboxByReceivedIndex(GlobalSecondaryIndex["InboxModel"]):
    """SPEC E1: every received mail, newest first (one partition, ``box`` = "inbox": a few hundred a day)."""

    class Meta:
        index_name = "by_received"
        projection = AllProjection()

    box = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class InboxByStatusIndex(GlobalSecondaryIndex["InboxModel"]):
    """SPEC E1: the received mail of one status (``unmatched`` for staff to assign), newest first."""

    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    received_key = UnicodeAttribute(range_key=True)


class InboxModel(Model):
    """SPEC E1: one received mail and what became of it. ``mail_id`` follows from the mail (its Message-ID, else
    its bytes), and the item is put with "does not exist": the same mail delivered twice is one item, one
    effect. ``status``: processing (being handled) | ticket | message | unmatched | refused."""

    class Meta:
        table_name = "unbound-inbox"

    mail_id = UnicodeAttribute(hash_key=True)
    box = UnicodeAttribute(default="inbox")
    received_key = UnicodeAttribute()  # <received_at>#<mail_id>: newest first in both indexes
    received_at = UnicodeAttribute()
    status = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)  # the From address, lower-cased (None: none could be read)
    sender_name = UnicodeAttribute(null=True)
    subject = UnicodeAttribute()
    text = UnicodeAttribute(null=True)  # the body as text (never HTML), at most 20,000 characters
    from_html = BooleanAttribute(default=False)
    header_message_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)  # why it was kept for staff (unmatched, refused)
    account_id = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    attachments = ListAttribute(of=AttachmentMap, default=list)
    bucket = UnicodeAttribute(null=True)  # where SES stored the mail as it came
    object_key = UnicodeAttribute(null=True)
    replied = BooleanAttribute(default=False)  # the sender was told (once: the reply's id follows the mail)
    assigned_by = UnicodeAttribute(null=True)
    assigned_by_name = UnicodeAttribute(null=True)
    assigned_at = UnicodeAttribute(null=True)

    by_received = InboxByReceivedIndex()
    by_status = InboxByStatusIndex()


MODELS: dict[str, type[Model]] = {
    "accounts_table": AccountModel,
    "tickets_table": TicketModel,
    "ledger_table": LedgerModel,
    "charges_table": ChargeModel,
    "idempotency_table": IdempotencyModel,
    "orders_table": OrderModel,
    "invoices_table": InvoiceModel,
    "reviews_table": ReviewModel,
    "inbox_table": InboxModel,
}


def map_of(attribute: Any) -> dict:
    """A stored map (a raw pynamodb ``MapAttribute``, or nothing) as a plain dict."""
    return attribute.as_dict() if attribute is not None and hasattr(attribute, "as_dict") else dict(attribute or {})
