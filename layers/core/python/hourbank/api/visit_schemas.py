"""Request bodies and the response shape of the visit routes (API.md ``/visits``; SPEC V1)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt

from hourbank.api.schemas import Body, Instant, LongText, Text
from hourbank.api.views import money, order
from hourbank.rating.consumption import hours_text
from hourbank.store.models import OrderModel, VisitModel, map_of
from hourbank.visits.booking import summary


class BookVisit(Body):
    account_id: Text
    scheduled_at: Instant = Field(description="when the technician is due onsite")
    address: LongText
    estimate_hours: StrictInt = Field(ge=1, le=24, description="SPEC V1: whole hours, the first is the base fee's")
    additional_hour_rate_minor: StrictInt | None = Field(
        default=None, gt=0, le=10_000_000, description="per hour past the first; default: the catalogue's"
    )
    base_fee_minor: StrictInt | None = Field(
        default=None, gt=0, le=10_000_000, description="the trip and the first hour; default: the catalogue's ($350)"
    )
    opened_at: Instant | None = Field(default=None, description="when the visit was agreed (recording the past)")


class VisitExtension(Body):
    hours: StrictInt = Field(ge=1, le=24, description="further whole hours, at the visit's rate")


class CancelVisit(Body):
    reason: LongText


def visit(v: VisitModel, booking: OrderModel | None = None) -> dict[str, Any]:
    hours = summary(v)
    out: dict[str, Any] = {
        "visit_id": v.visit_id,
        "account_id": v.account_ref,
        "ticket_id": v.ticket_id,
        "status": v.state,
        "scheduled_at": v.scheduled_at,
        "address": v.address,
        "estimate_hours": int(v.estimate_hours),
        "booked_hours": int(v.booked_hours),
        "prepaid_hours": int(v.prepaid_hours),
        "used_minutes": int(v.used_minutes),
        "used_hours": hours["used_hours"],
        "onsite_hours": hours_text(int(v.used_minutes)),
        "unused_hours": hours["unused_hours"],
        "base_fee": money(int(v.base_fee_minor), v.currency),
        "additional_hour_rate": money(int(v.rate_minor), v.currency),
        "price": money(int(v.price_minor), v.currency),
        "paid": money(int(v.paid_minor), v.currency),
        "refund_due": money(int(v.refund_due_minor), v.currency),
        "refunded": money(int(v.refunded_minor), v.currency),
        # SPEC V1: what happens to prepaid hours not used is shown on the visit.
        "unused_hours_policy": "refunded to the card that paid, when the visit's ticket is closed",
        "orders": [
            {
                "order_id": oid,
                "kind": o["kind"],
                "hours": int(o["hours"]),
                "status": o["status"],
                "price": money(int(o["amount_minor"]), v.currency),
                "refunded": money(int(o.get("refunded_minor", 0)), v.currency),
            }
            for oid, o in sorted(map_of(v.orders).items())
        ],
        "refunds": [
            {
                "refund_id": r["refund_id"],
                "order_id": r["order_id"],
                "amount": money(int(r["amount_minor"]), v.currency),
                "at": r["at"],
            }
            for r in sorted(map_of(v.refunds).values(), key=lambda r: r["at"])
        ],
        "flags": sorted(v.flags or []),
        "order_id": v.booking_order_id,
        "created_at": v.created_at,
        "expires_at": v.expires_at,
        "completed_at": v.completed_at,
        "cancelled_at": v.cancelled_at,
        "cancel_reason": v.cancel_reason,
    }
    if booking is not None:
        out["checkout_url"] = booking.checkout_url
    return out


def extension(o: OrderModel) -> dict[str, Any]:
    return {**order(o), "visit_id": o.visit_id, "hours": int(o.visit_hours or 0)}
