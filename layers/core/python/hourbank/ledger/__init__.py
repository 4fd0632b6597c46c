"""SPEC C7: the one writer of a balance - the ledger entry and the account in one transaction."""
