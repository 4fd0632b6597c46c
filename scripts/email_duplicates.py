"""Accounts that share an e-mail address (SPEC O7: an address belongs to at most one account).

    python scripts/email_duplicates.py          # every account, compared trimmed and case-insensitively

New accounts cannot share an address (each claims it in the transaction that opens it); this finds the ones
opened before that rule, so billing can merge them by hand. It reads keys and pages only - the Accounts
``by_plan`` index (keys only), then the pages' items by key (BatchGetItem, the e-mail alone) - never a Scan.
Prints one line per shared address and exits 1 when there is any, 0 when there is none.

Works against the running local stack (``scripts/local.py up``) or, when none runs, the data it keeps in
.local/dynamodb, as ``scripts/month_end.py`` does; in AWS, run it with the stack's table names in the
environment (``ACCOUNTS_TABLE`` and the others the functions get).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]


def duplicates(pages: Iterable[list[str]]) -> dict[str, list[str]]:
    """address (trimmed, lower-cased) -> the ids of the accounts holding it, where more than one does."""
    from hourbank.accounts.account_service import email_key
    from hourbank.store.models import AccountModel

    holders: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        for account in AccountModel.batch_get(page, attributes_to_get=["account_id", "email"]):
            holders[email_key(account.email)].append(account.account_id)
    return {email: sorted(ids) for email, ids in sorted(holders.items()) if len(ids) > 1}


def report(found: dict[str, list[str]], out: TextIO = sys.stdout) -> int:
    for email, ids in found.items():
        print(f"{email}: {len(ids)} accounts: {', '.join(ids)}", file=out)
    print(f"email duplicates: {len(found)} address(es) held by more than one account", file=out)
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="scripts/email_duplicates.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    from scripts.local import _specs, attached

    with attached() as tables:
        _specs(tables)
        from hourbank.monthend import month_close

        return report(duplicates(month_close.plan_pages()))


if __name__ == "__main__":
    raise SystemExit(main())
