"""What a top-up order costs (SPEC O1, P1, O6, U2): the plan's rate for the kind of order, the bulk
discount, in integer minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from hourbank.kernel.errors import InvalidInput
from hourbank.plans.catalogue import Catalogue, Plan
from hourbank.rating.consumption import price_minor

MIN_HOURS = Decimal(1)
MAX_HOURS = Decimal(500)
STEP_HOURS = Decimal("0.5")
KINDS = ("one_time", "recurring")


@dataclass(frozen=True)
class Quote:
    minutes: int
    rate_minor: int  # per hour
    gross_minor: int
    discount_minor: int
    amount_minor: int
    currency: str
    kind: str


def parse_hours(hours: object) -> Decimal:
    """SPEC P1: at least 1 h, in 30-minute steps; at most 500 h in one order."""
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise InvalidInput("hours: must be a number such as 2 or 2.5") from None
    if isinstance(hours, bool) or not value.is_finite():
        raise InvalidInput("hours: must be a number such as 2 or 2.5")
    if value < MIN_HOURS or value > MAX_HOURS:
        raise InvalidInput(f"hours: must be between {MIN_HOURS} and {MAX_HOURS}")
    if value % STEP_HOURS:
        raise InvalidInput("hours: must be in half-hour steps (e.g. 1, 1.5, 2)")
    return value


def quote(catalogue: Catalogue, plan: Plan, hours: object, kind: str) -> Quote:
    if kind not in KINDS:
        raise InvalidInput(f"kind: must be one of {', '.join(KINDS)}")
    minutes = int(parse_hours(hours) * 60)
    if kind == "recurring":
        if plan.recurring_rate_minor is None:
            raise InvalidInput(f"kind: recurring pre-pay is for members; the {plan.title} plan cannot have it")
        rate = plan.recurring_rate_minor  # SPEC O6: members' recurring rate (20% off)
    else:
        if plan.prepay_rate_minor is None:
            raise InvalidInput(f"hours: the {plan.title} plan does not sell pre-paid time")
        rate = plan.prepay_rate_minor
    gross = price_minor(rate, minutes)
    bulk = catalogue.bulk_discount
    discount = 0
    if minutes >= bulk.min_minutes and bulk.percent:
        discount = (gross * bulk.percent * 2 + 100) // 200  # U2: half-up, once
    return Quote(minutes, rate, gross, discount, gross - discount, catalogue.currency, kind)


CREDIT_MINUTES = 30  # seed 000: one credit is half an hour; credits never expire


def price_table(catalogue: Catalogue) -> dict:
    """What the order form shows before anyone types (seed 000's price table): every plan's rates - pre-pay,
    post-pay, recurring, monthly fee and what it includes - and the bulk discount (P1), from the catalogue
    itself so the page and the prices charged cannot disagree."""
    plans = []
    for plan_id, plan in catalogue.plans.items():
        plans.append(
            {
                "plan": plan_id,
                "title": plan.title,
                "prepay_rate_minor": plan.prepay_rate_minor,
                "recurring_rate_minor": plan.recurring_rate_minor,
                "postpay_rate_minor": plan.postpay_rate_minor,
                "monthly_fee_minor": plan.monthly_fee_minor,
                "included_minutes": plan.included_minutes or None,
                "fair_use_remote_minutes_per_day": plan.fair_use_remote_minutes_per_day or None,
                "onsite_minimum_minutes": plan.onsite_minimum_minutes or None,
                "work_types": list(plan.work_types),
                "at_zero": plan.at_zero,
            }
        )
    return {
        "version": catalogue.version,
        "currency": catalogue.currency,
        "credit_minutes": CREDIT_MINUTES,
        "credits_expire": False,
        "order_hours": {"min": int(MIN_HOURS), "max": int(MAX_HOURS), "step": float(STEP_HOURS)},
        "bulk_discount": {
            "min_minutes": catalogue.bulk_discount.min_minutes,
            "percent": catalogue.bulk_discount.percent,
        },
        "plans": plans,
        "visits": visit_prices(catalogue),
    }


def visit_prices(catalogue: Catalogue) -> dict:
    """SPEC V1: what an onsite visit costs at the catalogue's terms, for each whole number of hours a visit may
    be booked for - priced by ``visits.whole_hours`` (the one place V1's price is computed), so billing's page
    shows the price of a booking, or of an extension (the difference of two totals), before confirming it."""
    from hourbank.visits.whole_hours import VisitTerms, prepayment_minor

    v = catalogue.visits
    terms = VisitTerms(v.base_fee_minor, v.additional_hour_rate_minor, v.increment_minor, catalogue.currency)
    return {
        "base_fee_minor": v.base_fee_minor,
        "additional_hour_rate_minor": v.additional_hour_rate_minor,
        "increment_minor": v.increment_minor,
        "max_hours": v.max_hours,
        "prices_minor": [prepayment_minor(terms, h) for h in range(1, v.max_hours + 1)],
    }
