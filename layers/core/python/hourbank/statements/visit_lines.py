"""The month's onsite-visit money on the statement (SPEC V1, M3): each payment of a visit's booking or
extension and each refund, as recorded with the visit change that made it (``VisitChargeModel``, Charges
table, prefix ``visit#<yyyy-mm>#``: one Query by key). Money, not minutes: the balance never moves."""

from __future__ import annotations

from typing import Any

from hourbank.store.models import VisitChargeModel

WHAT = {"visit": "onsite visit booked", "visit_extension": "onsite visit extended", "refund": "onsite visit refund"}


def visit_lines(account_id: str, month: str) -> list[dict[str, Any]]:
    rows = VisitChargeModel.query(
        account_id, VisitChargeModel.charge_key.startswith(f"visit#{month}#"), consistent_read=True
    )
    out = []
    for c in sorted(rows, key=lambda c: (c.at, c.charge_key)):
        hours = f", {int(c.hours)} h" if c.hours else ""
        out.append(
            {
                "visit_id": c.visit_id,
                "kind": c.what,
                "at": c.at,
                "order_id": c.order_id,
                "ref": c.ref,
                "hours": int(c.hours) if c.hours else None,
                "description": f"{WHAT.get(c.what, c.what)} ({c.visit_id}){hours}",
                "amount": {"currency": c.currency, "amount_minor": int(c.amount_minor)},
            }
        )
    return out
