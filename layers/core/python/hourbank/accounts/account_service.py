"""Accounts: creation, reads, the ledger listing and staff adjustments (SPEC C6, P2)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.kernel.ids import new_id
from hourbank.ledger.balance_writer import (
    ADJUSTMENT,
    PURCHASE,
    STAFF_KINDS,
    Idempotency,
    LedgerLine,
    fingerprint,
    replay,
    write_account,
)
from hourbank.plans.catalogue import catalogue
from hourbank.store import cursors
from hourbank.store.models import AccountModel, EmailClaimModel, InvoiceModel, LedgerModel, PlanPeriod
from hourbank.store.transactions import Tx, TxFailed, commit_or_retry, with_retries

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

MAX_ADJUSTMENT_MINUTES = 100_000
CLAIM_PREFIX = "email#"  # SPEC O7: the Accounts table item that says which account an address belongs to


class EmailTaken(Conflict):
    """SPEC O7: the address already belongs to an account (``owner``); never shown to an anonymous caller."""

    code = "email_taken"

    def __init__(self, owner: str) -> None:
        super().__init__("an account with this e-mail address already exists (an address belongs to one account)")
        self.owner = owner


def email_key(email: str) -> str:
    """SPEC O7: addresses are compared trimmed and case-insensitively."""
    return email.strip().lower()


def email_owner(email: str) -> str | None:
    """The account an address belongs to (its claim), or None: one consistent read by key."""
    try:
        return EmailClaimModel.get(CLAIM_PREFIX + email_key(email), consistent_read=True).owner_account_id
    except DoesNotExist:
        return None


def open_account(
    *,
    name: str,
    email: str,
    plan: str,
    created_by: str,
    account_id: str | None = None,
    timezone: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AccountModel:
    """The one place an account is opened - by billing (``POST /accounts``) or by the settlement of a first
    paid order. SPEC O7: the account and its e-mail claim are one transaction, the claim conditioned on not
    existing, so an address can never get two accounts however many requests race. With ``account_id``
    given (an order's), opening again is harmless: the account already opened under it is returned.
    Raises ``EmailTaken`` naming the owner when the address belongs to another account."""
    cat = catalogue()
    account = AccountModel(
        account_id or new_id("acc"),
        name=name,
        email=email.strip(),
        email_lower=email_key(email),
        plan=plan,
        plan_version=cat.version,
        currency=cat.currency,
        timezone=timezone,
        created_at=iso(clock.now()),
        created_by=created_by,
    )
    # Every plan the account has had, from the start (month-end fees follow it), whoever opened it.
    account.plan_changes = [PlanPeriod(plan=plan, since=account.created_at)]
    tx = Tx()
    tx.put("account", account, condition=AccountModel.account_id.does_not_exist())
    tx.put(
        "claim",
        EmailClaimModel(
            CLAIM_PREFIX + account.email_lower, owner_account_id=account.account_id, created_at=account.created_at
        ),
        condition=EmailClaimModel.account_id.does_not_exist(),
    )
    from hourbank.accounts.name_words import word_items

    for n, item in enumerate(word_items(account.account_id, name)):  # SPEC W2: found by any word of its name
        tx.put(f"name:{n}", item)
    # Not commit_or_retry: not an optimistic attempt; a refused claim or account is answered here (taken, or
    # opened already by a retry), anything else fails.
    try:
        tx.commit()
    except TxFailed as exc:
        if "claim" not in exc.refused and "account" not in exc.refused:
            raise
        owner = email_owner(email)
        if owner is not None and owner != account.account_id:
            raise EmailTaken(owner) from None
        account = AccountModel.get(account.account_id, consistent_read=True)  # opened already, by a retry
    from hourbank.ports.invitations import invite_customer

    invite_customer(account)  # SPEC W1: every customer has a sign-in; once per account (a marker), retries too
    return account


def create_account(
    actor: Actor,
    *,
    name: str,
    email: str,
    plan: str,
    currency: str | None = None,
    timezone: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AccountModel:
    actor.require(BILLING, action="create accounts")
    cat = catalogue()
    if plan not in cat.plans:
        raise InvalidInput(f"plan: must be one of {', '.join(cat.plans)}")
    if currency is not None and currency != cat.currency:
        raise InvalidInput(f"currency: plans are priced in {cat.currency}")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"timezone: {timezone!r} is not an IANA timezone such as America/New_York") from None
    return open_account(name=name, email=email, plan=plan, created_by=actor.subject, timezone=timezone, clock=clock)


def change_plan(actor: Actor, account_id: str, plan: str, *, clock: Clock = SYSTEM_CLOCK) -> AccountModel:
    """``PUT /accounts/{id}/plan`` (billing). From now on closes follow the new plan; the month-end run
    splits the month's fees by the days on each plan. Auto top-up is turned off on a plan that does not
    buy pre-paid time."""
    actor.require(BILLING, action="change plans", on=account_id)
    cat = catalogue()
    if plan not in cat.plans:
        raise InvalidInput(f"plan: must be one of {', '.join(cat.plans)}")
    account = get_account(actor, account_id)
    if account.plan == plan:
        return account
    history = [p.as_dict() for p in account.plan_changes or []] or [{"plan": account.plan, "since": account.created_at}]
    actions: list[Action] = [
        AccountModel.plan.set(plan),
        AccountModel.plan_version.set(cat.version),
        # plain maps for PlanPeriod items: pynamodb serialises them (its stubs want PlanPeriod objects)
        AccountModel.plan_changes.set([*history, {"plan": plan, "since": iso(clock.now())}]),  # type: ignore[list-item]
    ]
    if cat.plans[plan].prepay_rate_minor is None and account.auto_top_up and account.auto_top_up.enabled:
        actions.append(AccountModel.auto_top_up.enabled.set(False))  # type: ignore[attr-defined]  # a nested path
    account.update(actions, condition=AccountModel.plan == account.plan)
    return account


def get_account(actor: Actor, account_id: str) -> AccountModel:
    actor.require_visible(account_id, "account")
    try:
        return AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("account not found") from None


def list_ledger(
    actor: Actor, account_id: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[LedgerModel], str | None]:
    """Newest first, a page at a time; ``cursor`` is opaque to clients."""
    get_account(actor, account_id)
    bound = {"account_id": account_id}
    start = cursors.decode(
        cursor,
        list_name="ledger",
        bound=bound,
        names=frozenset({"account_id", "seq"}),
        pinned={"account_id": account_id},
    )
    result = LedgerModel.query(
        account_id, scan_index_forward=False, limit=limit, last_evaluated_key=start, consistent_read=True
    )
    items = list(result)
    return items, cursors.encode(result.last_evaluated_key, list_name="ledger", bound=bound)


def adjust(
    actor: Actor,
    account_id: str,
    *,
    minutes: int,
    kind: str,
    reason: str,
    amount: dict | None = None,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> LedgerModel:
    """SPEC C6/P2: credits bought by phone (purchase), goodwill (grant) and corrections (adjustment),
    each one ledger entry with its reason. Positive credit may complete closes waiting for it (C3).
    ``amount`` (``{currency, amount_minor}``): the money received for a purchase by phone, on the account's
    payments list (W1) in the same transaction as the entry."""
    actor.require(BILLING, action="adjust balances", on=account_id)
    _check_adjustment(minutes, kind, reason, amount)

    idem = None
    if idempotency_key:
        idem = Idempotency("adjust", account_id, idempotency_key, fingerprint(minutes, kind, reason.strip(), amount))

    def attempt() -> LedgerModel:
        account = get_account(actor, account_id)
        if amount is not None and str(amount["currency"]).upper() != account.currency:
            raise InvalidInput(f"amount: the account is billed in {account.currency}; record the money in it")
        tx = Tx()
        now = iso(clock.now())
        entry = write_account(
            tx,
            account,
            line=LedgerLine(minutes, kind, now, actor.subject, note=reason.strip()),
            idempotency=idem,
        )
        if amount is not None and entry is not None:
            _phone_payment(tx, account, entry, int(amount["amount_minor"]), minutes, reason.strip())
        if commit_or_retry(tx, unless=("idempotency",) if idem is not None else ()) is not None and idem is not None:
            return replay(idem)  # a retry: the first request's entry, nothing posted twice
        assert entry is not None
        return entry

    entry = with_retries(attempt)
    if minutes > 0:
        from hourbank.tickets.closing import settle_awaiting

        settle_awaiting(account_id, clock=clock)
    return entry


def _check_adjustment(minutes: int, kind: str, reason: str, amount: dict | None) -> None:
    if kind not in STAFF_KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(STAFF_KINDS)}")
    if minutes == 0 or abs(minutes) > MAX_ADJUSTMENT_MINUTES:
        raise InvalidInput(f"minutes: must be non-zero and at most {MAX_ADJUSTMENT_MINUTES} either way")
    if kind != ADJUSTMENT and minutes < 0:
        raise InvalidInput(f"minutes: a {kind} adds credit; use kind adjustment to take credit away")
    if not reason.strip():
        raise InvalidInput("reason: say why the balance changes")
    if amount is not None and kind != PURCHASE:
        raise InvalidInput("amount: only a purchase is paid for; a grant or an adjustment has no amount")


def _phone_payment(
    tx: Tx, account: AccountModel, entry: LedgerModel, amount_minor: int, minutes: int, why: str
) -> None:
    """SPEC W1, W4: a purchase by phone on the account's payments list, with the money received."""
    from hourbank.receipts import payment_book

    payment_book.record(
        tx,
        payment_book.Paid(
            account_id=account.account_id,
            at=entry.at,
            ref=entry.entry_id,
            kind="phone",
            amount_minor=amount_minor,
            currency=account.currency,
            minutes=minutes,
            description=f"Purchase by phone: {why}"[:500],
        ),
    )


# -- SPEC O4, O5: the balance watch's settings ---------------------------------------------------------

MIN_TOP_UP_MINUTES = 60
TOP_UP_STEP_MINUTES = 30
MAX_TOP_UP_MINUTES = 30_000  # 500 h, the most one order may buy (P1)
MAX_THRESHOLD_MINUTES = 10_000


def set_watch(
    actor: Actor,
    account_id: str,
    *,
    enabled: bool,
    threshold_minutes: int,
    amount_minutes: int,
    notify_low_balance: bool | None = None,
) -> AccountModel:
    """``PUT /accounts/{id}/auto-top-up`` (billing or the owner). The watch reacts to the change itself:
    turning auto top-up on below the threshold is a crossing (one invoice), like the balance falling."""
    account = get_account(actor, account_id)
    if not (actor.is_customer or BILLING in actor.roles):
        # A technician may read the account but not manage its billing settings: 403, not 404 (API.md).
        raise Forbidden("only billing or the account's owner may change auto top-up")
    if not 0 <= threshold_minutes <= MAX_THRESHOLD_MINUTES:
        raise InvalidInput(f"threshold_minutes: must be between 0 and {MAX_THRESHOLD_MINUTES}")
    if not MIN_TOP_UP_MINUTES <= amount_minutes <= MAX_TOP_UP_MINUTES:
        raise InvalidInput(f"amount_minutes: must be between {MIN_TOP_UP_MINUTES} and {MAX_TOP_UP_MINUTES}")
    if amount_minutes % TOP_UP_STEP_MINUTES:
        raise InvalidInput(f"amount_minutes: must be a multiple of {TOP_UP_STEP_MINUTES} (half hours)")
    if enabled:
        from decimal import Decimal

        from hourbank.orders.pricing import quote
        from hourbank.plans.catalogue import get_plan

        plan = get_plan(account.plan)
        if plan.prepay_rate_minor is None:
            raise InvalidInput(f"enabled: the {plan.title} plan does not buy pre-paid time, so it has no auto top-up")
        quote(catalogue(), plan, Decimal(amount_minutes) / 60, "one_time")
    notify = bool(account.notify_low_balance) if notify_low_balance is None else notify_low_balance
    actions: list[Action] = [
        AccountModel.auto_top_up.set(
            {"enabled": enabled, "threshold_minutes": threshold_minutes, "amount_minutes": amount_minutes}
        ),
        AccountModel.notify_low_balance.set(notify),
        AccountModel.watch_version.add(1),
    ]
    if enabled:  # a person turning it on again ends a back-off after a voided invoice
        actions.append(AccountModel.top_up_paused_until.remove())
    account.update(actions, condition=AccountModel.account_id.exists())
    return account


def list_invoices(actor: Actor, account_id: str, *, limit: int = 100) -> list[InvoiceModel]:
    """Newest first."""
    get_account(actor, account_id)
    items = list(InvoiceModel.query(account_id, consistent_read=True))
    return sorted(items, key=lambda i: (i.created_at, i.invoice_id), reverse=True)[:limit]


def statement(actor: Actor, account_id: str, month: str, *, clock: Clock = SYSTEM_CLOCK):
    """SPEC M3 for staff or the owner: any month that has started (the current one so far)."""
    from hourbank.ports.settings import get_settings
    from hourbank.statements import monthly_statement

    tz = get_settings().calendar().tz
    monthly_statement.parse_month(month)
    account = get_account(actor, account_id)
    monthly_statement.require_past_or_current(month, clock.now(), tz)
    return monthly_statement.build(account_id, month, tz, account=account)
