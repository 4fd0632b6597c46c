"""What the portal and staff read (SPEC W1, W2): accounts found by e-mail or plan, an account's tickets,
its usage by month. Reads by keys and indexes only, never a Scan; lists paged with opaque cursors
(``hourbank.store.cursors``); another customer's lists are 404 like anything else of theirs.

* ``find_accounts`` - the Accounts ``by_email`` index (key: ``email_key(email)``), ``by_name_word`` (a word's
  beginning, ``accounts.name_words``) or ``by_plan``, then one BatchGetItem for the page's accounts.
* ``account_tickets`` - the Tickets ``by_account`` index, newest ``opened_at`` first, ties by ticket id (its
  creation in milliseconds); ``status`` is a filter on that Query (DynamoDB reads the filtered-out tickets
  too: an account has few).
* ``usage`` - per month: consumed minutes (each close's consumption, from the Charges table's month keys),
  weighted minutes by work type (the same tickets' totals per work type, kept on the ticket like its other
  running totals and copied to its Charge at close - the weighting before per-ticket rounding, T4/T5; a ticket
  closed before they were kept is read from its entries), credited minutes (every ledger change that added minutes,
  other than consumption), the closing balance (the ledger's ``by_time`` index).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hourbank.accounts.account_service import (
    email_key,  # SPEC O7, W2: the one form of an address, as the index holds it
)
from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import InvalidInput
from hourbank.kernel.identity import Actor
from hourbank.ledger.balance_writer import CONSUMPTION
from hourbank.plans.catalogue import WORK_TYPES
from hourbank.store import cursors
from hourbank.store.models import ENTRY_SK_PREFIX, AccountModel, ChargeModel, LedgerModel, TicketModel, TimeEntryModel

MAX_USAGE_MONTHS = 24  # API.md: ``from``..``to`` spans at most 24 months
TICKET_STATUSES = ("open", "awaiting_credit", "closed")


# -- accounts (staff) ---------------------------------------------------------------------------------


def find_accounts(
    actor: Actor,
    *,
    email: str | None = None,
    plan: str | None = None,
    name: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[AccountModel], str | None]:
    """``GET /accounts?email=&plan=&name=`` (staff). At least one of them: listing every account would be a Scan.
    By e-mail (exact), else by name (SPEC W2: the beginning of any word), else by plan; ``plan`` also filters."""
    from hourbank.kernel.errors import Forbidden
    from hourbank.plans.catalogue import plan_ids

    if not actor.is_staff:
        raise Forbidden("only staff may search accounts")
    if plan is not None and plan not in plan_ids():
        raise InvalidInput(f"plan: must be one of {', '.join(plan_ids())}")
    # A cursor is for the search that gave it: the same address, name and plan (issue 23).
    bound = {"email": email_key(email) if email is not None and email.strip() else None, "plan": plan}
    if bound["email"] is None and name is not None:
        return _by_name(name, plan, limit, cursor)
    if bound["email"] is not None:
        key = bound["email"]
        start = cursors.decode(
            cursor,
            list_name="accounts",
            bound=bound,
            names=frozenset({"account_id", "email_lower"}),
            pinned={"email_lower": key},
        )
        result = AccountModel.by_email.query(key, limit=limit, last_evaluated_key=start)
    elif plan is not None:
        start = cursors.decode(
            cursor, list_name="accounts", bound=bound, names=frozenset({"account_id", "plan"}), pinned={"plan": plan}
        )
        result = AccountModel.by_plan.query(plan, limit=limit, last_evaluated_key=start)
    else:
        raise InvalidInput("email: give an e-mail, a name or a plan to search by")
    items = _accounts([k.account_id for k in result], plan)
    return items, cursors.encode(result.last_evaluated_key, list_name="accounts", bound=bound)


def _accounts(ids: list[str], plan: str | None) -> list[AccountModel]:
    """The page's accounts, in its order, in one BatchGetItem. Index entries are eventually consistent; the items
    are read consistently (and the plan filter applies to the other searches: an account may have changed plan)."""
    ids = list(dict.fromkeys(ids))  # one account matched by two of its words is listed once
    found = {a.account_id: a for a in AccountModel.batch_get(ids, consistent_read=True)} if ids else {}
    return [found[i] for i in ids if i in found and (plan is None or found[i].plan == plan)]


def _by_name(name: str, plan: str | None, limit: int, cursor: str | None) -> tuple[list[AccountModel], str | None]:
    """SPEC W2: accounts with a word of their name beginning with each word typed, case-insensitively: one Query
    of the ``by_name_word`` index by the first word typed (``accounts.name_words``), never a Scan."""
    from hourbank.accounts.name_words import MIN_QUERY, matches, words
    from hourbank.store.models import NameWordModel

    wanted = words(name)
    if not wanted or len(wanted[0]) < MIN_QUERY:
        raise InvalidInput(f"name: give at least {MIN_QUERY} letters of a word of the account's name")
    first, bucket = wanted[0], wanted[0][:MIN_QUERY]
    bound = {"name": " ".join(wanted), "plan": plan}
    start = cursors.decode(
        cursor,
        list_name="accounts",
        bound=bound,
        names=frozenset({"account_id", "name_bucket", "name_word"}),
        pinned={"name_bucket": bucket},
    )
    result = NameWordModel.by_name_word.query(
        bucket, NameWordModel.name_word.startswith(first), limit=limit, last_evaluated_key=start
    )
    items = [a for a in _accounts([w.owner_account_id for w in result], plan) if matches(a.name, wanted)]
    return items, cursors.encode(result.last_evaluated_key, list_name="accounts", bound=bound)


# -- an account's tickets (staff, owner) ----------------------------------------------------------------


def account_tickets(
    actor: Actor, account_id: str, *, status: str | None = None, limit: int = 50, cursor: str | None = None
) -> tuple[list[TicketModel], str | None]:
    from hourbank.accounts.account_service import get_account

    if status is not None and status not in TICKET_STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(TICKET_STATUSES)}")
    get_account(actor, account_id)  # 404 for another tenant's, and for none
    bound = {"account_id": account_id, "status": status}
    after = cursors.decode(
        cursor, list_name="account-tickets", bound=bound, names=frozenset({"opened_at", "ticket_id"}), pinned={}
    )
    # Newest first, in one order to the millisecond (issue 23): by opened_at, then by ticket id - whose body
    # begins with its creation time in milliseconds (hourbank.kernel.ids) - both descending. The index orders
    # only by opened_at (seconds, or a time staff gave): tickets with the same one come in no set order. So a
    # page is read on past its last opened_at (the whole tie), sorted here, and the cursor names the last
    # ticket served; the next page starts at its opened_at and skips what was served.
    last = (after["opened_at"]["S"], after["ticket_id"]["S"]) if after else None
    result = TicketModel.by_account.query(
        account_id,
        range_key_condition=(TicketModel.opened_at <= last[0]) if last else None,
        scan_index_forward=False,
        page_size=limit + 1,
        filter_condition=(TicketModel.status == status) if status else None,
    )
    items: list[TicketModel] = []
    for ticket in result:
        if last and (ticket.opened_at, ticket.ticket_id) >= last:
            continue  # served on an earlier page
        if len(items) > limit and ticket.opened_at != items[limit - 1].opened_at:
            break  # a page and its last tie read
        items.append(ticket)
    items.sort(key=lambda t: (t.opened_at, t.ticket_id), reverse=True)
    page = items[:limit]
    if len(items) <= limit:
        return page, None
    key = {"opened_at": {"S": page[-1].opened_at}, "ticket_id": {"S": page[-1].ticket_id}}
    return page, cursors.encode(key, list_name="account-tickets", bound=bound)


# -- usage by month (staff, owner) ---------------------------------------------------------------------


def month_range(first: str, last: str) -> list[str]:
    from hourbank.statements.monthly_statement import next_month, parse_month

    parse_month(first)
    parse_month(last)
    if last < first:
        raise InvalidInput(f"to: {last} is before from {first}")
    months = [first]
    while months[-1] != last:
        months.append(next_month(months[-1]))
        if len(months) > MAX_USAGE_MONTHS:
            raise InvalidInput(f"to: at most {MAX_USAGE_MONTHS} months from {first}")
    return months


def usage(actor: Actor, account_id: str, first: str, last: str, *, clock: Clock = SYSTEM_CLOCK) -> list[dict[str, Any]]:
    from hourbank.accounts.account_service import get_account
    from hourbank.ports.settings import get_settings
    from hourbank.statements.monthly_statement import balance_before, month_bounds, require_past_or_current

    months = month_range(first, last)
    tz = get_settings().calendar().tz
    require_past_or_current(last, clock.now(), tz)
    get_account(actor, account_id)
    starts = [iso(month_bounds(m, tz)[0]) for m in months]
    hi = iso(month_bounds(last, tz)[1])
    balance = balance_before(account_id, starts[0])
    credited, closing = _ledger_by_month(account_id, months, starts, hi)
    consumed, weighted = _closes_by_month(account_id, months)
    out = []
    for month in months:
        balance = closing.get(month, balance)
        out.append(
            {
                "month": month,
                "consumed_minutes": consumed[month],
                "weighted_minutes_by_work_type": weighted[month],
                "credited_minutes": credited[month],
                "closing_balance_minutes": balance,
            }
        )
    return out


def _ledger_by_month(
    account_id: str, months: list[str], starts: list[str], hi: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Per month (``starts``: each month's first instant, up to ``hi``): the minutes credited (every ledger
    change that added minutes, other than consumption) and the balance after its last change (months without
    a change are absent)."""
    credited: dict[str, int] = defaultdict(int)
    closing: dict[str, int] = {}
    for entry in sorted(
        LedgerModel.by_time.query(account_id, LedgerModel.at.between(starts[0], hi), consistent_read=True),
        key=lambda e: int(e.seq),
    ):
        if entry.at >= hi:
            continue
        month = months[_month_index(starts, entry.at)]
        if entry.kind != CONSUMPTION and int(entry.minutes) > 0:
            credited[month] += int(entry.minutes)
        closing[month] = int(entry.balance_after)
    return credited, closing


def _closes_by_month(account_id: str, months: list[str]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Per month: the minutes its closes consumed, and their weighted minutes by work type (T4/T5)."""
    from hourbank.statements.monthly_statement import consumed_minutes

    consumed: dict[str, int] = defaultdict(int)
    weighted: dict[str, dict[str, int]] = {m: dict.fromkeys(WORK_TYPES, 0) for m in months}
    closes = ChargeModel.query(
        account_id, ChargeModel.charge_key.between(f"{months[0]}#", f"{months[-1]}#\uffff"), consistent_read=True
    )
    for close in closes:
        if close.month not in weighted:
            continue
        consumed[close.month] += consumed_minutes(close)
        for work_type, minutes in _weighted_by_work_type(close).items():
            weighted[close.month][work_type] = weighted[close.month].get(work_type, 0) + int(minutes)
    return consumed, weighted


def _weighted_by_work_type(close: ChargeModel) -> dict[str, int]:
    from hourbank.tickets.entries import minutes_by_work_type

    recorded = minutes_by_work_type(close.weighted_by_work_type)
    if recorded is not None:  # recorded at close: no read of the entries
        return recorded
    totals: dict[str, int] = defaultdict(int)  # closed before the totals were kept: one Query of its partition
    for e in TimeEntryModel.query(close.ticket_id, TimeEntryModel.sk.startswith(ENTRY_SK_PREFIX)):
        if e.voided is None:  # SPEC T9
            totals[e.work_type] += int(e.weighted_minutes)
    return totals


def _month_index(starts: list[str], at: str) -> int:
    index = 0
    for i, start in enumerate(starts):
        if at >= start:
            index = i
    return index
