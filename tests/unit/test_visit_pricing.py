"""SPEC V1 (seed 002) pricing as tables, the whole-hour count, the refund of unused hours, and the Stripe
refund adapter at the HTTP level (as tests/unit/test_payments_stripe.py checks Checkout)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbank.plans.catalogue import catalogue
from hourbank.visits.whole_hours import VisitTerms, extension_minor, prepayment_minor, refund_due_minor, used_hours

pytestmark = pytest.mark.unit

DEFAULT = VisitTerms(35_000, 15_000, 2_500, "USD")


def terms(rate: int, base: int = 35_000) -> VisitTerms:
    return VisitTerms(base, rate, 2_500, "USD")


def test_catalogue_defaults_are_seed_002s_V1():
    visits = catalogue().visits
    assert (visits.base_fee_minor, visits.increment_minor) == (35_000, 2_500)  # $350 base fee, $25 increments
    assert visits.additional_hour_rate_minor == 15_000


@pytest.mark.parametrize(
    ("rule", "rate", "hours", "price"),
    [
        ("V1 base fee covers the trip and the first hour", 15_000, 1, 35_000),
        ("V1 rate already in $25 steps: 350 + 2 x 150", 15_000, 3, 65_000),
        ("V1 rounded up to $25: 350 + ceil(110/25) x 25 = 475", 11_000, 2, 47_500),
        ("V1 rounded up once over the estimate: 350 + ceil(220/25) x 25 = 575", 11_000, 3, 57_500),
        ("V1 one cent over a step is a whole step: 350 + 25", 2_501, 2, 40_000),
        ("V1 a rate of exactly one step", 2_500, 5, 45_000),
        ("V1 minor units only: 350 + ceil(99.99/25) x 25", 9_999, 2, 45_000),
    ],
)
def test_prepayment_V1(rule, rate, hours, price):
    assert prepayment_minor(terms(rate), hours) == price, rule


def test_a_staff_override_of_the_base_fee_V1():
    assert prepayment_minor(terms(11_000, base=42_000), 2) == 54_500


@pytest.mark.parametrize(
    ("rule", "rate", "booked", "add", "price"),
    [
        ("V1 extension at the visit's rate, steps on the total: 575 - 475", 11_000, 2, 1, 10_000),
        ("V1 the next hour: 700 - 575", 11_000, 3, 1, 12_500),
        ("V1 two hours at once cost what one and one cost", 11_000, 2, 2, 22_500),
        ("V1 whole $25 rate", 15_000, 1, 3, 45_000),
    ],
)
def test_extension_V1(rule, rate, booked, add, price):
    assert extension_minor(terms(rate), booked, add) == price, rule


@given(st.integers(1, 100_000), st.integers(1, 23), st.lists(st.integers(1, 5), min_size=1, max_size=5))
def test_extensions_never_cost_more_than_booking_the_hours_up_front_V1(rate, estimate, extensions):
    """Splitting hours into extensions adds up exactly to V1's price of the total: the $25 rounding is
    paid once per visit, never once per payment."""
    t = terms(rate)
    paid, booked = prepayment_minor(t, estimate), estimate
    for add in extensions:
        paid += extension_minor(t, booked, add)
        booked += add
    assert paid == prepayment_minor(t, booked)


@pytest.mark.parametrize(
    ("rule", "minutes", "hours"),
    [
        ("V1 no onsite time", 0, 0),
        ("V1 any part of an hour is an hour", 1, 1),
        ("V1 exactly an hour", 60, 1),
        ("V1 61 minutes are two hours", 61, 2),
        ("V1 whole hours over the visit, not per entry (45 + 45 = 90 -> 2)", 90, 2),
    ],
)
def test_used_hours_V1(rule, minutes, hours):
    assert used_hours(minutes) == hours, rule


@pytest.mark.parametrize(
    ("rule", "paid", "used", "refund"),
    [
        ("V1 all used: nothing back", 65_000, 3, 0),
        ("V1 3 prepaid, 1 used: the two additional hours back", 65_000, 1, 30_000),
        ("V1 nothing used: the base fee is the trip's and the first hour's, kept", 65_000, 0, 30_000),
        ("V1 estimate 2 + extension 2 at $110, 3 used: 700 - 575", 70_000, 3, 12_500),
    ],
)
def test_refund_of_unused_prepaid_hours_V1(rule, paid, used, refund):
    rate = 11_000 if paid == 70_000 else 15_000
    assert refund_due_minor(terms(rate), paid, used) == refund, rule


def test_an_estimate_below_one_hour_is_not_a_visit():
    with pytest.raises(ValueError):
        prepayment_minor(DEFAULT, 0)


def test_stripe_refund_request_carries_the_payment_amount_and_idempotency_key():
    from devstack.adapters import LocalRefunds  # installed by tests/conftest.py
    from hourbank.payments.stripe_refunds import StripeRefunds, select_refunds
    from tests.unit.test_payments_stripe import API_KEY, RecordingHTTPClient

    http = RecordingHTTPClient(
        {("POST", "/v1/refunds"): {"id": "re_1Qvisit", "object": "refund", "amount": 12_500, "status": "succeeded"}}
    )
    port = StripeRefunds(API_KEY, http_client=http, max_network_retries=0)
    refund_id = port.refund(
        "pi_1Qpaid", 12_500, idempotency_key="visit-vis_1-refund-pi_1Qpaid#12500", metadata={"visit_id": "vis_1"}
    )
    assert refund_id == "re_1Qvisit"
    (request,) = http.requests
    assert request["form"]["payment_intent"] == "pi_1Qpaid" and request["form"]["amount"] == "12500"
    assert request["form"]["metadata[visit_id]"] == "vis_1"
    assert request["headers"]["Idempotency-Key"] == "visit-vis_1-refund-pi_1Qpaid#12500"
    assert isinstance(select_refunds(""), LocalRefunds) and isinstance(select_refunds(API_KEY), StripeRefunds)
    local = LocalRefunds()
    assert local.refund("pi_x", 1, idempotency_key="k", metadata={}) == local.refund(
        "pi_x", 1, idempotency_key="k", metadata={}
    )


def test_the_price_table_prices_each_visit_length_as_booking_does_V1():
    """Billing's page shows a visit's price before confirming (issue 24, W4) from GET /plans: each whole number of
    hours priced by prepayment_minor itself, and an extension as the difference of two totals (extension_minor)."""
    from hourbank.orders.pricing import price_table

    cat = catalogue()
    table = price_table(cat)["visits"]
    v = cat.visits
    terms = VisitTerms(v.base_fee_minor, v.additional_hour_rate_minor, v.increment_minor, cat.currency)
    assert len(table["prices_minor"]) == v.max_hours == table["max_hours"]
    assert table["prices_minor"][:3] == [35_000, 50_000, 65_000]  # $350, + $150 an hour
    for hours, price in enumerate(table["prices_minor"], start=1):
        assert price == prepayment_minor(terms, hours)
    assert table["prices_minor"][4] - table["prices_minor"][2] == extension_minor(terms, 3, 2)
