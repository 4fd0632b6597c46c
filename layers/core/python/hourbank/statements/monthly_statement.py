"""The monthly statement (SPEC M3, seed 001's itemised report) and what the month costs (SPEC M1).

One computation, three readers: ``GET /accounts/{id}/statements/{yyyy-mm}`` (JSON), its CSV form, and the
month-end run, which invoices exactly the ``charges`` a statement lists - so the three cannot disagree.

A month is read through keys only, never a Scan: the ledger's ``by_time`` index for the opening balance
(the last entry before the month) and the month's entries, the Charges table's ``<yyyy-mm>#`` prefix for
the tickets closed in the month (every close is listed there), and each such ticket's partition for its
entries. The numbers add up by construction and are checked: closing = opening + Σ ledger of the month.

Month-end charges by plan (catalogue defaults). A month is split by the plans the account had in it
(``plan_changes``): monthly fees and included hours are prorated by calendar days on each plan (the day of
opening or of a change counts for the new plan), and each close is charged under the plan it closed on.

* overdraft plans (member): the post-pay minutes of the month's closes at the post-pay rate (C2), one
  line per ticket, each rounded once (U2);
* ``business_priority``: the monthly package fee; post-pay minutes beyond the included minutes at the
  post-pay rate, 5 units/h lower for packages of at least 60 h (seed 001);
* ``unlimited_remote``: the flat monthly fee; remote minutes past the fair-use allowance on any day (the
  entry's start date in the company timezone) at the fair-use rate (seed 003).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import iso
from hourbank.kernel.errors import InvalidInput, NotFound
from hourbank.ledger.balance_writer import CONSUMPTION
from hourbank.plans.catalogue import Plan, get_plan
from hourbank.rating.consumption import hours_text, price_minor
from hourbank.store.models import ENTRY_SK_PREFIX, AccountModel, ChargeModel, LedgerModel, TimeEntryModel

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Line:
    """One priced line of the month's charges (an invoice line)."""

    kind: str  # postpay | package_fee | overage | monthly_fee | fair_use
    description: str
    minutes: int
    rate_minor: int
    amount_minor: int
    ref: str | None = None


@dataclass
class Statement:
    account_id: str
    name: str
    plan: str
    currency: str
    month: str
    period_start: str  # ISO, company timezone
    period_end: str
    opening_balance_minutes: int
    closing_balance_minutes: int
    ledger: list[dict] = field(default_factory=list)  # every balance change of the month, in order
    top_ups: list[dict] = field(default_factory=list)  # the ledger's credits and corrections (not consumption)
    tickets: list[dict] = field(default_factory=list)
    consumption_minutes: int = 0  # what the month's closed tickets used (T5, T6)
    debited_minutes: int = 0  # of which taken from the balance
    postpay_minutes: int = 0  # of which post-pay (C2)
    charges: list[Line] = field(default_factory=list)
    invoice_kind: str | None = None  # postpay | plan | None (nothing to invoice)
    sla: dict = field(default_factory=dict)  # SPEC S1: tickets that fell due in the month, met and breached
    visits: list[dict] = field(default_factory=list)  # SPEC V1: visits' payments and refunds (money, not minutes)

    @property
    def charges_total_minor(self) -> int:
        return sum(line.amount_minor for line in self.charges)

    @property
    def ledger_total_minutes(self) -> int:
        return sum(int(e["minutes"]) for e in self.ledger)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["charges"] = [asdict(line) for line in self.charges]
        out["charges_total"] = {"currency": self.currency, "amount_minor": self.charges_total_minor}
        out["ledger_total_minutes"] = self.ledger_total_minutes
        for name in ("opening_balance", "closing_balance", "consumption", "debited", "postpay"):
            out[f"{name}_hours"] = hours_text(out[f"{name}_minutes"])
        return out


# -- months ------------------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text or "")
    if not match:
        raise InvalidInput(f"month: {text!r} is not a month written yyyy-mm (e.g. 2026-11)")
    return int(match.group(1)), int(match.group(2))


def month_bounds(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the company timezone."""
    year, mon = parse_month(month)
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def previous_month(at: datetime, tz: ZoneInfo) -> str:
    first = at.astimezone(tz).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def next_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def require_past_or_current(month: str, now: datetime, tz: ZoneInfo) -> None:
    start, _ = month_bounds(month, tz)
    if start > now.astimezone(tz):
        raise InvalidInput(f"month: {month} has not started yet")


def require_ended(month: str, now: datetime, tz: ZoneInfo) -> None:
    """SPEC M1: a month is closed only once it has ended (company timezone). Closing the running month
    would invoice only what was used so far and checkpoint it, so later post-pay would never be invoiced."""
    _, end = month_bounds(month, tz)
    if end > now.astimezone(tz):
        current = now.astimezone(tz).strftime("%Y-%m")
        which = "the running month" if month == current else "a future month"
        raise InvalidInput(
            f"month: {month} is {which}; a month can be closed only once it has ended "
            f"(the latest that can be closed now is {previous_month(now, tz)})"
        )


# -- reading a month ---------------------------------------------------------------------------------


def build(
    account_id: str, month: str, tz: ZoneInfo, *, with_entries: bool | str = True, account: AccountModel | None = None
) -> Statement:
    if account is None:
        account = _get_account(account_id)
    start, end = month_bounds(month, tz)
    lo, hi = iso(start), iso(end)
    opening = balance_before(account_id, lo)
    ledger = _month_ledger(account_id, lo, hi)
    closing = ledger[-1]["balance_after"] if ledger else opening
    if closing != opening + sum(e["minutes"] for e in ledger):
        raise RuntimeError(f"{account_id} {month}: the ledger does not add up (C7)")
    closes = list(ChargeModel.query(account_id, ChargeModel.charge_key.startswith(f"{month}#"), consistent_read=True))
    statement = Statement(
        account_id=account_id,
        name=account.name,
        plan=account.plan,
        currency=account.currency,
        month=month,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        opening_balance_minutes=opening,
        closing_balance_minutes=closing,
        ledger=ledger,
        top_ups=[e for e in ledger if e["kind"] != CONSUMPTION],
    )
    entries_by_ticket = _add_tickets(statement, closes, with_entries, account)
    statement.charges = [
        _itemised(line, statement.tickets, tz) for line in _charges(account, closes, entries_by_ticket, start, end, tz)
    ]
    if with_entries != INVOICED:  # SPEC S1: the statement shows breaches; the invoice prices none
        from hourbank.statements.sla_section import month_sla

        statement.sla = month_sla(account_id, start, end)
    if statement.charges:
        fees = any(line.kind in ("package_fee", "monthly_fee") for line in statement.charges)
        statement.invoice_kind = "plan" if fees else "postpay"
    if with_entries is True:  # the statement itself; the month-end invoice has nothing of a visit to bill
        from hourbank.statements.visit_lines import visit_lines

        statement.visits = visit_lines(account_id, month)
    return statement


def _get_account(account_id: str) -> AccountModel:
    try:
        return AccountModel.get(account_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("account not found") from None


def balance_before(account_id: str, at_utc: str) -> int:
    """The balance after the account's last ledger entry before ``at_utc`` (0 before the first one): a month's
    opening balance (M3). The index is an LSI, so this read can be (and is) consistent like the rest."""
    before = list(
        LedgerModel.by_time.query(
            account_id, LedgerModel.at < at_utc, scan_index_forward=False, limit=1, consistent_read=True
        )
    )
    return int(before[0].balance_after) if before else 0


def _month_ledger(account_id: str, lo: str, hi: str) -> list[dict[str, Any]]:
    """The ledger entries from ``lo`` (included) to ``hi`` (excluded), in ``seq`` order."""
    ledger: list[dict[str, Any]] = []
    for entry in LedgerModel.by_time.query(account_id, LedgerModel.at.between(lo, hi), consistent_read=True):
        if entry.at >= hi:
            break
        ledger.append(
            {
                "entry_id": entry.entry_id,
                "seq": int(entry.seq),
                "at": entry.at,
                "kind": entry.kind,
                "minutes": int(entry.minutes),
                "balance_after": int(entry.balance_after),
                "ref": entry.ref,
                "note": entry.note,
            }
        )
    ledger.sort(key=lambda e: e["seq"])
    return ledger


def consumed_minutes(close: ChargeModel) -> int:
    """What a close used (T5, T6); a close recorded before ``consumed_minutes`` was kept: its post-pay minutes."""
    return int(close.consumed_minutes if close.consumed_minutes is not None else close.minutes)


def _add_tickets(
    statement: Statement, closes: list[ChargeModel], with_entries: bool | str, account: AccountModel
) -> dict[str, list[TimeEntryModel]]:
    """List the month's closes on ``statement``, in the order they closed, and add up what they used.
    Returns each ticket's entries (the ones read: see ``_needs_entries``)."""
    entries_by_ticket: dict[str, list[TimeEntryModel]] = {}
    read = _entries_of([c.ticket_id for c in closes if _needs_entries(with_entries, c, account)])
    for close in sorted(closes, key=lambda c: c.at):
        entries = read.get(close.ticket_id, [])
        entries_by_ticket[close.ticket_id] = entries
        ticket = _ticket_row(close, entries)
        statement.consumption_minutes += ticket["consumed_minutes"]
        statement.debited_minutes += ticket["debited_minutes"]
        statement.postpay_minutes += ticket["postpay_minutes"]
        statement.tickets.append(ticket)
    return entries_by_ticket


def _ticket_row(close: ChargeModel, entries: list[TimeEntryModel]) -> dict[str, Any]:
    return {
        "ticket_id": close.ticket_id,
        "title": close.title,
        "opened_at": close.opened_at,
        "closed_at": close.at,
        "consumed_minutes": consumed_minutes(close),
        "debited_minutes": int(close.debited_minutes or 0),
        "postpay_minutes": int(close.minutes),
        # SPEC C6: post-pay minutes a credit-back took off before invoicing (the rest is a ledger entry)
        "postpay_credited_back_minutes": int(close.credited_back_minutes or 0),
        "weighted_minutes": int(close.weighted_minutes)
        if close.weighted_minutes is not None
        else sum(int(e.weighted_minutes) for e in entries),
        "entries": [_entry_view(e) for e in entries],
    }


INVOICED = "invoiced"  # with_entries: only the entries an invoice shows or prices


def _needs_entries(with_entries: bool | str, close: ChargeModel, account: AccountModel) -> bool:
    """The statement shows every entry; the month-end invoice needs them only where it itemises a post-pay
    line (a close with post-pay minutes on a plan without a monthly fee) or prices fair use."""
    plan = get_plan(close.plan or account.plan)
    if plan.fair_use_remote_minutes_per_day:
        return True
    if with_entries == INVOICED:
        return bool(int(close.minutes)) and not plan.monthly_fee_minor
    return bool(with_entries)


PARALLEL_READS = 8  # one Query per ticket: a month of 2,500 tickets must fit a Lambda answer's time (issue 23)


def _entries_of(ticket_ids: list[str]) -> dict[str, list[TimeEntryModel]]:
    """Each ticket's entries (one Query each); many tickets are read ``PARALLEL_READS`` at a time, so a large
    month's statement takes seconds rather than the sum of thousands of round trips."""
    if len(ticket_ids) <= PARALLEL_READS:
        return {t: _entries(t) for t in ticket_ids}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(PARALLEL_READS) as pool:
        return dict(zip(ticket_ids, pool.map(_entries, ticket_ids), strict=True))


def _entries(ticket_id: str) -> list[TimeEntryModel]:
    """The ticket's entries that count: a voided one counts for nothing (SPEC T9), fair use included."""
    entries = TimeEntryModel.query(ticket_id, TimeEntryModel.sk.startswith(ENTRY_SK_PREFIX), consistent_read=True)
    return sorted((e for e in entries if e.voided is None), key=lambda e: e.started_at_utc)


def _entry_view(e: TimeEntryModel) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "started_at": e.started_at,
        "minutes": int(e.minutes),
        "work_type": e.work_type,
        "weighted_minutes": int(e.weighted_minutes),
        "note": e.note,
        "technician": e.technician,
        "multipliers": [
            {
                "started_at": s.started_at,
                "minutes": int(s.minutes),
                "multiplier": int(s.multiplier),
                "reasons": list(s.reasons or []),
            }
            for s in (e.segments or [])
        ],
    }


def _itemised(line: Line, tickets: list[dict], tz: ZoneInfo) -> Line:
    """A post-pay line says what it pays for (seed 001): the ticket's title and dates, and each entry's
    time, work type, multipliers and note - the same words on the statement, its CSV and the invoice."""
    ticket = next((t for t in tickets if t["ticket_id"] == line.ref), None)
    if line.kind != "postpay" or ticket is None:
        return line

    def day(at: str | None) -> str:
        return datetime.fromisoformat(at).astimezone(tz).strftime("%d %b") if at else "?"

    parts = [
        f"{ticket['title']} ({day(ticket['opened_at'])}-{day(ticket['closed_at'])}): "
        f"{hours_text(line.minutes)} h post-pay of {hours_text(ticket['consumed_minutes'])} h used"
    ]
    for e in ticket["entries"]:
        when = datetime.fromisoformat(e["started_at"]).astimezone(tz).strftime("%d %b %H:%M")
        multipliers = "+".join(f"{m['minutes']}x{m['multiplier']}" for m in e["multipliers"])
        parts.append(f"{when} {e['work_type']} {e['minutes']} min [{multipliers}] {e['note']}")
    text = "; ".join(parts)
    return Line(
        line.kind,
        text if len(text) <= 500 else text[:497] + "...",
        line.minutes,
        line.rate_minor,
        line.amount_minor,
        line.ref,
    )


def plan_periods(account: AccountModel, start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[str, int]]:
    """(plan, days) for each plan the account had during the month, by calendar days in the company
    timezone; the day of a change (or of opening the account) counts for the new plan."""
    history = [(p.plan, p.since) for p in account.plan_changes or []] or [(account.plan, account.created_at)]
    first_day, end_day = start.date(), end.date()
    out: list[tuple[str, int]] = []
    for i, (plan, since) in enumerate(history):
        begin = max(datetime.fromisoformat(since).astimezone(tz).date(), first_day)
        until = (
            end_day
            if i + 1 == len(history)
            else min(datetime.fromisoformat(history[i + 1][1]).astimezone(tz).date(), end_day)
        )
        if until > begin:
            out.append((plan, (until - begin).days))
    return out


def _share(amount: int, days: int, month_days: int) -> int:
    """U2: a monthly amount for ``days`` of the month, half-up once."""
    return (2 * amount * days + month_days) // (2 * month_days)


def _charges(
    account: AccountModel,
    closes: list[ChargeModel],
    entries: dict[str, list[TimeEntryModel]],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> list[Line]:
    """The month's priced lines. Fees and included hours follow the days on each plan (split, prorated);
    each close is charged under the plan it closed on (recorded with it)."""
    month_days = (end.date() - start.date()).days
    lines: list[Line] = []
    included: dict[str, int] = defaultdict(int)
    for plan_id, days in plan_periods(account, start, end, tz):
        fee = _monthly_fee(get_plan(plan_id), days, month_days)
        if fee is not None:
            included[plan_id] += fee.minutes
            lines.append(fee)
    closes_by_plan: dict[str, list[ChargeModel]] = defaultdict(list)
    for c in closes:
        closes_by_plan[c.plan or account.plan].append(c)
    for plan_id, plan_closes in closes_by_plan.items():
        plan = get_plan(plan_id)
        if plan.monthly_fee_minor and plan.included_minutes:
            lines += _overage(plan, plan_closes, included[plan_id])
        elif plan.monthly_fee_minor:
            lines += _fair_use(plan, [e for c in plan_closes for e in entries.get(c.ticket_id, [])], tz)
        else:
            lines += _postpay(plan_closes)
    return lines


def _monthly_fee(plan: Plan, days: int, month_days: int) -> Line | None:
    """The fee for ``days`` of the month on ``plan``, with the included minutes of those days (U2: prorated,
    rounded once); None for a plan without a monthly fee."""
    if not plan.monthly_fee_minor:
        return None
    part = "" if days == month_days else f" ({days} of {month_days} days)"
    fee = _share(plan.monthly_fee_minor, days, month_days)
    if plan.included_minutes:  # business_priority (seed 001)
        included = _share(plan.included_minutes, days, month_days)
        title = f"{plan.title}: monthly package of {hours_text(plan.included_minutes)} h{part}"
        return Line("package_fee", title, included, 0, fee)
    return Line("monthly_fee", f"{plan.title}: monthly fee{part}", 0, 0, fee)  # unlimited_remote (seed 003)


def _overage(plan: Plan, closes: list[ChargeModel], included: int) -> list[Line]:
    """business_priority (seed 001): post-pay minutes beyond the included ones at the post-pay rate, 5 units/h
    lower for packages of at least 60 h."""
    over = max(0, sum(int(c.minutes) for c in closes) - included)
    if not over:
        return []
    rate = int(plan.postpay_rate_minor or 0)
    if plan.large_package_minutes and plan.included_minutes >= plan.large_package_minutes:
        rate -= plan.large_package_discount_minor
    return [Line("overage", f"Support beyond the package: {hours_text(over)} h", over, rate, price_minor(rate, over))]


def _fair_use(plan: Plan, entries: list[TimeEntryModel], tz: ZoneInfo) -> list[Line]:
    """unlimited_remote (seed 003): remote minutes past the fair-use allowance on any day at the fair-use rate."""
    from hourbank.rating.fair_use import remote_minutes_by_day  # the ticket view counts days the same

    per_day = remote_minutes_by_day(
        ((datetime.fromisoformat(e.started_at_utc), int(e.minutes), e.work_type) for e in entries), tz
    )
    allowance = plan.fair_use_remote_minutes_per_day
    over = sum(max(0, used - allowance) for used in per_day.values())
    rate = plan.fair_use_overage_rate_minor
    if not (over and rate):
        return []
    return [
        Line(
            "fair_use",
            f"Remote time past {allowance} min a day: {hours_text(over)} h",
            over,
            rate,
            price_minor(rate, over),
        )
    ]


def _postpay(closes: list[ChargeModel]) -> list[Line]:
    """C2: post-pay, one line per ticket, each rounded once (U2) when it closed."""
    return [
        Line(
            "postpay",
            f"{c.title or c.ticket_id}: {hours_text(int(c.minutes))} h post-pay",
            int(c.minutes),
            int(c.rate_minor),
            int(c.amount_minor),
            c.ticket_id,
        )
        for c in closes
        if int(c.minutes)
    ]


# -- CSV ---------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "section",
    "at",
    "ref",
    "description",
    "work_type",
    "minutes",
    "weighted_minutes",
    "multiplier",
    "balance_after",
    "amount_minor",
    "currency",
)


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet splits a row at its locale's list separator, which is not always ours: Excel in much of Europe
# opens CSV with ";", and a text cell of ours holding "safe text;=1+1" is then two cells, the second a formula
# (issue 23). Quoting does not help: a parser of another separator does not honour quotes that open mid-field.
# So every place a cell could begin under any separator (the start, or after "," ";" or a tab), past any
# whitespace (which spreadsheets may trim), must not begin with a trigger.
_CELL_STARTS = re.compile(r"([,;\t])(\s*)(?=[=+\-@\t\r])")


def csv_cell(value: Any) -> Any:
    """CSV injection (OWASP): a spreadsheet runs a text cell starting with = + - @ tab or CR as a formula.
    Such a text cell gets a leading ``'``, as does one whose first non-blank character is one; and so does
    each part of it after a list separator that would start a cell in a spreadsheet splitting there
    (``safe text;'=1+1``). Only text is touched: minutes and amounts are ints here, and a negative one
    (-30, a correction) must stay a number; "-30" typed into a title is text and is quoted."""
    if not isinstance(value, str):
        return value
    value = _CELL_STARTS.sub(lambda m: f"{m.group(1)}{m.group(2)}'", value)
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def to_csv(statement: Statement) -> str:
    """The same statement as rows (spreadsheets): one row per ledger change, ticket, entry and charge."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for values in _csv_rows(statement):
        writer.writerow({name: csv_cell(values.get(name, "")) for name in CSV_COLUMNS})
    return out.getvalue()


def _csv_rows(statement: Statement) -> Iterator[dict[str, Any]]:
    """The statement's rows in reading order, each a dict of some of ``CSV_COLUMNS``."""
    yield {"section": "account", "ref": statement.account_id, "description": statement.name}
    yield {"section": "opening_balance", "at": statement.period_start, "minutes": statement.opening_balance_minutes}
    for e in statement.ledger:
        yield {
            "section": "ledger",
            "at": e["at"],
            "ref": e["ref"] or e["entry_id"],
            "description": f"{e['kind']}: {e['note'] or ''}",
            "minutes": e["minutes"],
            "balance_after": e["balance_after"],
        }
    for t in statement.tickets:
        yield from _ticket_csv_rows(t)
    for line in statement.charges:
        yield {
            "section": "charge",
            "ref": line.ref or line.kind,
            "description": line.description,
            "minutes": line.minutes,
            "amount_minor": line.amount_minor,
            "currency": statement.currency,
        }
    if statement.sla:
        from hourbank.statements.sla_section import csv_rows

        yield from csv_rows(statement.sla)
    for v in statement.visits:  # SPEC V1: money paid and refunded for onsite visits
        yield {
            "section": "visit",
            "at": v["at"],
            "ref": v["ref"] or v["visit_id"],
            "description": v["description"],
            "amount_minor": v["amount"]["amount_minor"],
            "currency": v["amount"]["currency"],
        }
    yield {"section": "closing_balance", "at": statement.period_end, "minutes": statement.closing_balance_minutes}


def _ticket_csv_rows(t: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A closed ticket's row, then one row per entry with its multipliers (minutes x multiplier, joined by +)."""
    yield {
        "section": "ticket",
        "at": t["closed_at"],
        "ref": t["ticket_id"],
        "description": t["title"] or "",
        "minutes": t["consumed_minutes"],
        "weighted_minutes": t["weighted_minutes"],
    }
    for e in t["entries"]:
        yield {
            "section": "entry",
            "at": e["started_at"],
            "ref": e["entry_id"],
            "description": e["note"],
            "work_type": e["work_type"],
            "minutes": e["minutes"],
            "weighted_minutes": e["weighted_minutes"],
            "multiplier": "+".join(f"{m['minutes']}x{m['multiplier']}" for m in e["multipliers"]),
        }
