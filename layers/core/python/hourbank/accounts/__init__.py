"""Accounts (SPEC C6, P2, O7): creation, reads, plan changes, the ledger listing, staff adjustments."""
