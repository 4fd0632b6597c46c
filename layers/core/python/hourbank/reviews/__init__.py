"""SPEC O8: payments Hourbank cannot match, kept for billing to review and settle."""
