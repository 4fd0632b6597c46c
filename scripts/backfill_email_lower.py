"""One-off migration for issue 12: give accounts opened before the ``by_email`` index their ``email_lower``
(SPEC W2: staff find an account by e-mail), so they appear in ``GET /accounts?email=``.

    python scripts/backfill_email_lower.py            # the tables the environment names (ACCOUNTS_TABLE, ...)

It pages through the Accounts table once (a Scan: a migration, never a request path), and sets the attribute
only where it is missing (condition ``attribute_not_exists``), so running it twice, or next to new accounts
being opened, changes nothing twice. Accounts opened since issue 12 have it already. It also claims each
address for its account (SPEC O7) where no claim exists yet; `scripts/email_duplicates.py` reports the
accounts that share one.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def backfill() -> int:
    from pynamodb.exceptions import PutError, UpdateError

    from hourbank.accounts.account_service import CLAIM_PREFIX, email_key
    from hourbank.store.models import AccountModel, EmailClaimModel
    from hourbank.store.transactions import ensure_bound

    ensure_bound()
    done = 0
    # Accounts only: the e-mail claims (SPEC O7) share the table and have no ``email``.
    for account in AccountModel.scan(
        AccountModel.email_lower.does_not_exist() & AccountModel.email.exists(),
        page_size=200,
        attributes_to_get=["account_id", "email", "created_at"],
    ):
        key = email_key(account.email)
        try:
            account.update(
                [AccountModel.email_lower.set(key)],
                condition=AccountModel.email_lower.does_not_exist() & AccountModel.account_id.exists(),
            )
            done += 1
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:  # SPEC O7: the address is claimed for the account that had it first; a second is a duplicate
            EmailClaimModel(
                CLAIM_PREFIX + key, owner_account_id=account.account_id, created_at=account.created_at
            ).save(condition=EmailClaimModel.account_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    return done


def main() -> int:
    print(f"email_lower set on {backfill()} account(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
