"""SPEC U2: money for people - minor units shown once, with the currency's sign ("$400.00", "€12.50")."""

from __future__ import annotations

SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def money_text(minor: int, currency: str) -> str:
    """``40000, "usd"`` -> ``"$400.00"``; an unknown currency keeps its code (``"CHF 12.00"``)."""
    code = str(currency or "").upper()
    amount = int(minor)
    sign, amount = ("-", -amount) if amount < 0 else ("", amount)
    number = f"{amount // 100:,}.{amount % 100:02d}"
    prefix = SIGNS.get(code)
    return f"{sign}{prefix}{number}" if prefix else f"{sign}{code} {number}".strip()
