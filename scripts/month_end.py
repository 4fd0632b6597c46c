"""Month end by hand, on this machine (SPEC M1, M2, C7):

    python scripts/month_end.py run --month 2026-11     # close a month for every account, with a progress bar
    python scripts/month_end.py reconcile                # balance = Σ ledger for every account? prints any difference

Both work against the running local stack (``scripts/local.py up``) or, when none runs, the data it keeps
in .local/dynamodb. ``run`` does in one process what the schedule does in AWS (planner → queue → workers):
the same ``hourbank.monthend.month_close.close_month`` per account, so a rerun closes nothing twice (M2).
``reconcile`` exits 1 when any account's balance differs from the sum of its ledger, or its ledger has a gap.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

BAR_WIDTH = 30


class Progress:
    """A one-line progress bar on stderr (a terminal) or a line every 10% (a log)."""

    def __init__(self, label: str, total: int | None = None, stream=sys.stderr) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.done, self.started, self._last = 0, time.perf_counter(), -1
        self.tty = stream.isatty()

    def step(self, n: int = 1, note: str = "") -> None:
        self.done += n
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        if self.total:
            share = self.done / self.total
            filled = int(share * BAR_WIDTH)
            text = (
                f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total} "
                f"{rate:,.0f}/s {note}"
            )
            tenth = int(share * 10)
        else:
            text, tenth = f"{self.label} {self.done} {rate:,.0f}/s {note}", self.done // 100
        if self.tty:
            self.stream.write("\r" + text.ljust(100))
            self.stream.flush()
        elif tenth != self._last:
            self._last = tenth
            self.stream.write(text + "\n")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()


def _count(plan_pages) -> int:
    return sum(len(page) for page in plan_pages())


def cmd_run(args: argparse.Namespace) -> int:
    from scripts.local import _specs, attached

    with attached() as tables:
        _specs(tables)  # the functions' environment: tables, timezone, catalogue
        from hourbank.monthend import month_close
        from hourbank.ports.settings import get_settings
        from hourbank.statements import monthly_statement

        tz = get_settings().calendar().tz
        now = month_close.SYSTEM_CLOCK.now()
        month = args.month or monthly_statement.previous_month(now, tz)
        monthly_statement.parse_month(month)
        monthly_statement.require_ended(month, now, tz)  # SPEC M1: nothing written for a month not ended
        bar = Progress(f"month end {month}", _count(month_close.plan_pages))
        outcomes: dict[str, int] = {}
        invoiced = 0
        for page in month_close.plan_pages():
            for account_id in page:
                closed = month_close.close_month(account_id, month, tz, now=month_close.SYSTEM_CLOCK.now())
                outcomes[closed.outcome] = outcomes.get(closed.outcome, 0) + 1
                invoiced += closed.invoice_minor
                bar.step(note=f"closed {outcomes.get('closed', 0)} already {outcomes.get('already', 0)}")
        bar.close()
        summary = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        print(
            f"{month}: {sum(outcomes.values())} accounts - {summary}; invoiced {invoiced / 100:,.2f} "
            "(minor units / 100) in invoices the invoice stream now sends"
        )
        return 0


def cmd_reconcile(_args: argparse.Namespace) -> int:
    from scripts.local import _specs, attached

    with attached() as tables:
        _specs(tables)
        from hourbank.monthend import month_close

        bar = Progress("reconcile", _count(month_close.plan_pages))
        problems = differences(month_close.plan_pages(), bar)
        bar.close()
        for line in problems:
            print(line)
        print(f"reconcile: {bar.done} accounts, {len(problems)} difference(s)")
        return 1 if problems else 0


def differences(pages, bar: Progress | None = None) -> list[str]:
    """SPEC C7 for every account of ``pages``: balance = Σ ledger, entries 1..N without gaps."""
    from hourbank.store.models import AccountModel, LedgerModel

    problems: list[str] = []
    for page in pages:
        for account_id in page:
            account = AccountModel.get(account_id, consistent_read=True)
            total, expected_seq = 0, 1
            for entry in LedgerModel.query(account_id, consistent_read=True):
                if int(entry.seq) != expected_seq:
                    problems.append(f"{account_id}: ledger entry {expected_seq} is missing (next is {entry.seq})")
                expected_seq = int(entry.seq) + 1
                total += int(entry.minutes)
            if total != int(account.balance_minutes):
                problems.append(
                    f"{account_id}: balance {int(account.balance_minutes)} != Σ ledger {total} "
                    f"(difference {int(account.balance_minutes) - total})"
                )
            if bar is not None:
                bar.step(note=f"differences {len(problems)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/month_end.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="close a month for every account (default: the previous month)")
    run.add_argument("--month", help="yyyy-mm")
    sub.add_parser("reconcile", help="check balance = Σ ledger for every account (SPEC C7)")
    args = parser.parse_args(argv)
    try:
        return cmd_run(args) if args.command == "run" else cmd_reconcile(args)
    except Exception as exc:  # a person ran this: say what is wrong in one line
        from hourbank.kernel.errors import HourbankError

        if isinstance(exc, HourbankError):
            print(f"month_end: {exc.message}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
