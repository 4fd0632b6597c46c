"""What the portal and staff read (SPEC W1, W2): accounts by e-mail or plan, an account's tickets, its usage by
month.
"""
