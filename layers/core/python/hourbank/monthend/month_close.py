"""Month end (SPEC M1, M2): close the previous month for one account.

``close_month`` is what the worker runs per account; the planner fans the accounts out in pages
(``plan_pages``: the Accounts ``by_plan`` index, keys only - never a Scan). For one account and month:

0. a closing marker ``monthclosing#<account>#<month>`` is written first: from then on the month's post-pay
   is this run's to invoice, so a credit-back (SPEC C6) can no longer take minutes off it - it goes to the
   balance instead - and nothing the statement read can change before the invoice is written;
1. the statement (``hourbank.statements``) says what the month costs: post-pay (C2), the
   business_priority package and overage, the unlimited_remote fee and fair-use overage;
2. that becomes one invoice, id ``inv_<yyyy-mm>_<kind>``, put with "does not exist" (the invoice stream
   turns it into a Stripe invoice);
3. a member plan's free credits for the new month are one ledger grant carrying an idempotency marker
   ``grant#monthly#<account>#<new month>`` in the same transaction (P2: kept by kind);
4. a checkpoint marker ``monthend#<account>#<month>`` is written last.

M2: a rerun skips accounts with a checkpoint; a crash anywhere before it is repaired by running again,
because every write is conditional on its own deterministic id - nothing is created twice.
Recurring pre-pay (O6) is a Stripe subscription charged by Stripe itself each month; its ``invoice.paid``
credits the hours (``hourbank.orders.payment_matching``), so the run has nothing to do for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hourbank.kernel.clock import SYSTEM_CLOCK as SYSTEM_CLOCK  # the month-end functions read it here; tests replace it
from hourbank.kernel.clock import iso
from hourbank.ledger.balance_writer import GRANT, Idempotency, LedgerLine, fingerprint, write_account
from hourbank.monthend import month_runs
from hourbank.plans.catalogue import get_plan, plan_ids
from hourbank.ports import metrics
from hourbank.rating.consumption import hours_text
from hourbank.statements import monthly_statement
from hourbank.store.models import AccountModel, IdempotencyModel, InvoiceLine, InvoiceModel
from hourbank.store.transactions import Tx, commit_or_retry, ensure_bound, saved_if, transact_get, with_retries

CHECKPOINT_TTL_S = 3 * 366 * 24 * 3600
# The clock the planner, the worker and scripts/ops/month_end.py read "now" from (STYLE 9): SPEC M1 compares the
# month with it, so a test closes the month its tickets closed in by moving this clock past the month's end.


@dataclass(frozen=True)
class Closed:
    account_id: str
    month: str
    outcome: str  # closed | already | missing
    invoice_id: str | None = None
    invoice_minor: int = 0
    granted_minutes: int = 0


def checkpoint_id(account_id: str, month: str) -> str:
    return f"monthend#{account_id}#{month}"


def closing_id(account_id: str, month: str) -> str:
    return f"monthclosing#{account_id}#{month}"


def closing_started(account_id: str, month: str) -> bool:
    """Whether the month-end run has begun closing ``month`` for the account (its closing marker, or - for a
    month closed before the marker existed - its checkpoint): the month's post-pay is then being invoiced."""
    keys = [closing_id(account_id, month), checkpoint_id(account_id, month)]
    return any(True for _ in IdempotencyModel.batch_get(keys, consistent_read=True))


def invoice_id(month: str, kind: str) -> str:
    return f"inv_{month}_{kind}"


def close_month(account_id: str, month: str, tz: ZoneInfo, *, now: datetime) -> Closed:
    monthly_statement.parse_month(month)
    # SPEC M1: the worker (and anything else closing a month) refuses the running and future months before
    # it reads or writes anything: a page for such a month fails, is retried, then dead-letters.
    monthly_statement.require_ended(month, now, tz)
    checkpoint, account = transact_get(
        (IdempotencyModel, checkpoint_id(account_id, month), None), (AccountModel, account_id, None)
    )
    if checkpoint is not None:
        return Closed(account_id, month, "already")
    if not isinstance(account, AccountModel):
        return Closed(account_id, month, "missing")
    # SPEC C6 with M1: the marker before the read. A credit-back committed before it is in the statement (read
    # consistently, after it); one that comes after it finds the marker and credits the balance instead.
    _marker(closing_id(account_id, month), "monthclosing", account_id, now)
    # Itemised invoices need the entries of post-pay tickets (and fair use), not of every close.
    statement = monthly_statement.build(account_id, month, tz, with_entries=monthly_statement.INVOICED, account=account)
    made_invoice, amount = None, 0
    if statement.invoice_kind and statement.charges_total_minor > 0:
        made_invoice, amount = _invoice(statement, now), statement.charges_total_minor
    granted = _monthly_grant(account, month, now)
    # SPEC W4, M2: counted on the month's run record once, before the checkpoint (a crash in between counts on
    # the retry, which the done# item keeps from counting twice).
    month_runs.closed_one(
        month,
        account_id,
        account.name,
        now,
        invoice_kind=statement.invoice_kind if made_invoice else None,
        invoice_id=made_invoice,
        amount_minor=amount,
        currency=statement.currency,
    )
    _marker(checkpoint_id(account_id, month), "monthend", account_id, now)
    metrics.emit({metrics.MONTH_END_ACCOUNTS_CLOSED: 1})
    return Closed(account_id, month, "closed", made_invoice, amount, granted)


def _invoice(statement: monthly_statement.Statement, now: datetime) -> str:
    kind = statement.invoice_kind or "postpay"
    inv_id = invoice_id(statement.month, kind)
    title = {"postpay": "post-pay support", "plan": "support plan"}[kind]
    invoice = InvoiceModel(
        statement.account_id,
        inv_id,
        kind=kind,
        status="draft",
        minutes=sum(line.minutes for line in statement.charges if line.kind != "package_fee"),
        amount_minor=statement.charges_total_minor,
        currency=statement.currency,
        description=f"{statement.month} {title}",
        reason=f"statement {statement.month}: {len(statement.charges)} line(s)",
        lines=[
            InvoiceLine(description=line.description, minutes=line.minutes, amount_minor=line.amount_minor)
            for line in statement.charges
        ],
        created_at=iso(now),
    )
    saved_if(invoice, InvoiceModel.invoice_id.does_not_exist())  # or saved by an earlier run
    return inv_id


def _monthly_grant(account: AccountModel, month: str, now: datetime) -> int:
    """Member free credits for the new month (SPEC plans table, P2): one grant, however often run."""
    minutes = get_plan(account.plan).monthly_free_minutes
    if not minutes:
        return 0
    new_month = monthly_statement.next_month(month)
    idem = Idempotency(
        "grant", "monthly", f"{account.account_id}#{new_month}", fingerprint(account.account_id, new_month, minutes)
    )

    def attempt() -> int:
        current = AccountModel.get(account.account_id, consistent_read=True)
        tx = Tx()
        write_account(
            tx,
            current,
            idempotency=idem,
            line=LedgerLine(
                minutes,
                GRANT,
                iso(now),
                "month-end",
                ref=f"free-{new_month}",
                note=f"free credits for {new_month}: {hours_text(minutes)} h",
            ),
        )
        if commit_or_retry(tx, unless=("idempotency",)) is not None:
            return 0  # granted by an earlier run
        return minutes

    return with_retries(attempt)


def _marker(marker_id: str, kind: str, account_id: str, now: datetime) -> None:
    """A month-end marker (closing, checkpoint), written once: a rerun finds it there and goes on."""
    marker = IdempotencyModel(
        marker_id,
        fingerprint=kind,
        account_id=account_id,
        ledger_seq=0,
        at=iso(now),
        expiration=int(time.time()) + CHECKPOINT_TTL_S,
    )
    saved_if(marker, IdempotencyModel.id.does_not_exist())


# -- fan-out -----------------------------------------------------------------------------------------

PAGE_SIZE = 100


def plan_pages(page_size: int = PAGE_SIZE) -> Iterator[list[str]]:
    """Every account id, a page at a time, through the ``by_plan`` index (keys only, never a Scan)."""
    for plan in plan_ids():
        page: list[str] = []
        for key in AccountModel.by_plan.query(plan, page_size=page_size):
            page.append(key.account_id)
            if len(page) == page_size:
                yield page
                page = []
        if page:
            yield page


# -- the scheduled run: the planner's and the worker's use cases -------------------------------------


def month_to_close(month: str | None = None, scheduled_at: str | None = None) -> str:
    """The month a run closes (SPEC M1): the one given (an operator's rerun), else the one before the
    schedule's time (``scheduled_at``, ISO; else now) in the company timezone - only ever an ended month."""
    from hourbank.ports.settings import get_settings

    tz = get_settings().calendar().tz
    now = SYSTEM_CLOCK.now()
    if month:
        monthly_statement.parse_month(month)
        monthly_statement.require_ended(month, now, tz)  # SPEC M1
        return month
    at = datetime.fromisoformat(scheduled_at.replace("Z", "+00:00")) if scheduled_at else now
    chosen = monthly_statement.previous_month(at, tz)
    monthly_statement.require_ended(chosen, now, tz)  # SPEC M1: an event dated ahead plans nothing
    return chosen


def plan_month(month: str, send: Callable[[list[dict]], object]) -> dict[str, str | int]:
    """The planner: every account, a page per message (``{"month", "account_ids"}``), handed to ``send`` up
    to a queue batch at a time. Reads keys only and writes nothing but messages: a rerun is harmless (M2)."""
    from hourbank.ports.queue import SQS_BATCH

    ensure_bound()
    month_runs.started(month, SYSTEM_CLOCK.now())  # SPEC W4: the run is seen from its first page on
    pages = accounts = 0
    batch: list[dict] = []
    for page in plan_pages():
        batch.append({"month": month, "account_ids": page})
        pages, accounts = pages + 1, accounts + len(page)
        if len(batch) == SQS_BATCH:
            send(batch)
            batch = []
    if batch:
        send(batch)
    month_runs.planned(month, accounts)
    metrics.emit({metrics.MONTH_END_ACCOUNTS_PLANNED: accounts})
    return {"month": month, "pages": pages, "accounts": accounts}


def plan_again(month: str) -> dict[str, str | int]:
    """SPEC W4, M2: billing's rerun, planned by the worker from one queued message (``month_runs.request_run``):
    the same pages the planner sends, to the same queue; accounts already closed are skipped."""
    from hourbank.ports import queue
    from hourbank.ports.settings import get_settings

    url = get_settings().month_end_queue_url
    return plan_month(month, lambda bodies: queue.send(url, bodies))


def close_page(month: str, account_ids: list[str]) -> dict[str, int]:
    """The worker: close ``month`` for each account of one page (SPEC M1, M2); how many ended which way
    (closed, already, missing). An account that fails raises: the page comes back and skips those done."""
    from hourbank.ports.settings import get_settings

    ensure_bound()
    tz = get_settings().calendar().tz
    monthly_statement.parse_month(month)
    monthly_statement.require_ended(month, SYSTEM_CLOCK.now(), tz)  # SPEC M1: refused before anything is written
    outcomes: dict[str, int] = {}
    for account_id in account_ids:
        now = SYSTEM_CLOCK.now()
        try:
            closed = close_month(account_id, month, tz, now=now)
        except Exception as exc:  # SPEC W4: billing sees which account failed and why; the page comes back
            month_runs.failed_one(month, account_id, f"{type(exc).__name__}: {exc}", now)
            raise
        if closed.outcome != "closed":  # closed before (or gone): counted once on this run's record (M2)
            month_runs.closed_one(
                month, account_id, None, now, invoice_kind=None, invoice_id=None, amount_minor=0, currency=""
            )
        outcomes[closed.outcome] = outcomes.get(closed.outcome, 0) + 1
    metrics.emit({metrics.MONTH_END_ACCOUNTS_SETTLED: len(account_ids)})  # closed, already closed or gone
    return outcomes
