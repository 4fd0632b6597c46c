"""One-off migration for issue 21: give accounts opened before the ``by_name_word`` index their name-word items
(SPEC W2: staff find an account by the beginning of any word of its name), so they appear in
``GET /accounts?name=``.

    python -m ops.backfill_name_words            # the tables the environment names (ACCOUNTS_TABLE, ...)

It pages through the Accounts table once (a Scan: a migration, never a request path) and puts each word's item
only where it does not exist yet (condition ``attribute_not_exists``), so running it twice, or next to accounts
being opened (which write theirs in their creation transaction), changes nothing twice.
"""

from __future__ import annotations

import sys


def backfill() -> int:
    """The number of name-word items written."""
    from hourbank.accounts.name_words import word_items
    from hourbank.store.models import AccountModel, NameWordModel
    from hourbank.store.transactions import ensure_bound, saved_if

    ensure_bound()
    done = 0
    # Accounts only: the e-mail claims (SPEC O7) and the name words themselves share the table, with no ``email``.
    for account in AccountModel.scan(
        AccountModel.email.exists() & AccountModel.name.exists(),
        page_size=200,
        attributes_to_get=["account_id", "name"],
    ):
        for item in word_items(account.account_id, account.name):
            done += saved_if(item, NameWordModel.account_id.does_not_exist())
    return done


def main() -> int:
    print(f"{backfill()} name-word item(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
