"""Orders (SPEC O1-O3, O6, P1): priced, placed, sent to checkout; each Stripe event matched to its order and
payment, and settled.
"""
