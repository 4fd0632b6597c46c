"""The balance watch (SPEC O4 auto top-up, O5 low-balance e-mail)."""
