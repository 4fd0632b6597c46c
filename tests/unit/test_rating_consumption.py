"""SPEC U1, U2, T4, T5, T6 as tables: weighted minutes -> consumption, minutes -> hours text and money."""

from __future__ import annotations

import pytest

from hourbank.rating.consumption import STEP_MINUTES, hours_text, price_minor, round_up_to_step, ticket_consumption

pytestmark = pytest.mark.unit


def test_U1_one_credit_is_30_minutes() -> None:
    assert STEP_MINUTES == 30


# --- T5: round up to the next 30 minutes, minimum 30; no time consumes 0 -------------------------------

T5_ROUNDING = [
    pytest.param(0, 0, id="T5-no-time-consumes-0"),
    pytest.param(1, 30, id="T5-1-min-minimum-30"),
    pytest.param(15, 30, id="T5-15-min-minimum-30"),
    pytest.param(29, 30, id="T5-29->30"),
    pytest.param(30, 30, id="T5-30-exact-step"),
    pytest.param(31, 60, id="T5-31-rounds-up-60"),
    pytest.param(45, 60, id="T5-45->60"),
    pytest.param(59, 60, id="T5-59->60"),
    pytest.param(60, 60, id="T5-60-exact"),
    pytest.param(61, 90, id="T5-61->90"),
    pytest.param(95, 120, id="T5-per-ticket-45+45+5"),
    pytest.param(120, 120, id="T5-120-exact"),
    pytest.param(121, 150, id="T5-121->150"),
    pytest.param(1439, 1440, id="T5-1439->1440"),
    pytest.param(1440, 1440, id="T5-a-day-exact"),
    pytest.param(-5, 0, id="T5-negative-consumes-0"),
]


@pytest.mark.parametrize(("weighted", "expected"), T5_ROUNDING)
def test_T5_round_up_to_step(weighted: int, expected: int) -> None:
    assert round_up_to_step(weighted) == expected


@pytest.mark.parametrize(("weighted", "expected"), T5_ROUNDING)
def test_T5_ticket_consumption_without_onsite(weighted: int, expected: int) -> None:
    assert ticket_consumption(weighted, 0, 0) == expected
    # T6 only touches tickets with onsite work: a remote-only non-member ticket rounds the same way.
    assert ticket_consumption(weighted, 0, 240) == expected


@pytest.mark.parametrize(
    ("entries", "per_ticket", "per_entry_sum"),
    [
        # SPEC T5 says "not 3 x 60"; per-entry T5 rounding would be 60 + 60 + 30 = 150 (5 min -> minimum 30).
        pytest.param([45, 45, 5], 120, 150, id="T5-per-ticket-not-per-entry-45+45+5"),
        pytest.param([10, 10, 10], 30, 90, id="T5-per-ticket-10+10+10"),
        pytest.param([30, 30], 60, 60, id="T5-per-ticket-exact-steps-equal"),
        pytest.param([1], 30, 30, id="T5-per-ticket-single-entry"),
    ],
)
def test_T5_rounding_is_per_ticket(entries: list[int], per_ticket: int, per_entry_sum: int) -> None:
    assert ticket_consumption(sum(entries), 0, 0) == per_ticket
    assert sum(round_up_to_step(e) for e in entries) == per_entry_sum


# --- T6: non-member onsite minimum ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weighted", "onsite_weighted", "onsite_minimum", "expected"),
    [
        pytest.param(120, 120, 240, 240, id="T6-onsite-120-counts-as-240"),
        pytest.param(30, 30, 240, 240, id="T6-onsite-30-counts-as-240"),
        pytest.param(240, 240, 240, 240, id="T6-onsite-exactly-240"),
        pytest.param(300, 300, 240, 300, id="T6-onsite-300-above-minimum-untouched"),
        pytest.param(250, 250, 240, 270, id="T6-above-minimum-still-T5-rounded"),
        pytest.param(90, 0, 240, 90, id="T6-no-onsite-untouched"),
        pytest.param(0, 0, 240, 0, id="T6-T5-empty-ticket-consumes-0"),
        pytest.param(120, 120, 0, 120, id="T6-member-minimum-0-untouched"),
        pytest.param(30, 30, 0, 30, id="T6-member-short-onsite-untouched"),
        pytest.param(180, 120, 240, 300, id="T6-remote-60+onsite-120->60+240"),
        pytest.param(90, 30, 240, 300, id="T6-remote-60+onsite-30->60+240"),
        pytest.param(105, 60, 240, 300, id="T6-remote-45+onsite-60->45+240-T5-rounded"),
        pytest.param(240, 240, 240, 240, id="T6-T2-after-hours-onsite-120-weighted-240"),
        pytest.param(600, 480, 240, 600, id="T6-T3-emergency-onsite-240-weighted-480"),
    ],
)
def test_T6_onsite_minimum(weighted: int, onsite_weighted: int, onsite_minimum: int, expected: int) -> None:
    assert ticket_consumption(weighted, onsite_weighted, onsite_minimum) == expected


# --- U1: hours for people ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        pytest.param(150, "2.5", id="U1-150->2.5"),
        pytest.param(60, "1", id="U1-60->1-no-trailing-zeros"),
        pytest.param(0, "0", id="U1-0->0"),
        pytest.param(20, "0.33", id="U1-20->0.33-two-decimals"),
        pytest.param(40, "0.67", id="U1-40->0.67-rounded"),
        pytest.param(10, "0.17", id="U1-10->0.17"),
        pytest.param(1, "0.02", id="U1-1->0.02"),
        pytest.param(30, "0.5", id="U1-30->0.5"),
        pytest.param(45, "0.75", id="U1-45->0.75"),
        pytest.param(90, "1.5", id="U1-90->1.5"),
        pytest.param(600, "10", id="U1-600->10-not-exponent"),
        pytest.param(6000, "100", id="U1-6000->100-not-exponent"),
        pytest.param(1440, "24", id="U1-1440->24"),
        pytest.param(-90, "-1.5", id="U1-negative-90->-1.5"),
        pytest.param(-20, "-0.33", id="U1-negative-20->-0.33"),
        pytest.param(-60, "-1", id="U1-negative-60->-1"),
    ],
)
def test_U1_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text


# --- U2: money in integer minor units, half-up once per line -------------------------------------------


@pytest.mark.parametrize(
    ("rate", "minutes", "expected"),
    [
        pytest.param(15000, 90, 22500, id="U2-member-15000x90->22500-C2-scenario-8"),
        pytest.param(15000, 60, 15000, id="U2-one-hour-is-the-rate"),
        pytest.param(30000, 1, 500, id="U2-non-member-30000x1->500"),
        pytest.param(30000, 240, 120000, id="U2-non-member-T6-minimum-240"),
        pytest.param(12000, 150, 30000, id="U2-recurring-12000x150"),
        pytest.param(15000, 1, 250, id="U2-15000x1->250"),
        pytest.param(1, 30, 1, id="U2-half-0.5-rounds-up"),
        pytest.param(3, 10, 1, id="U2-half-3x10-0.5-rounds-up"),
        pytest.param(1, 90, 2, id="U2-half-1.5-rounds-up"),
        pytest.param(7, 30, 4, id="U2-half-3.5-rounds-up"),
        pytest.param(1, 29, 0, id="U2-below-half-0.483-rounds-down"),
        pytest.param(1, 31, 1, id="U2-above-half-0.517-rounds-up"),
        pytest.param(1, 10, 0, id="U2-0.167-rounds-down"),
        pytest.param(999, 1, 17, id="U2-16.65-rounds-up"),
        pytest.param(1001, 1, 17, id="U2-16.683-rounds-up"),
        pytest.param(30000, 0, 0, id="U2-no-minutes-no-money"),
        pytest.param(0, 60, 0, id="U2-zero-rate"),
        pytest.param(1, -30, -1, id="U2-negative-half-symmetric"),
        pytest.param(3, -10, -1, id="U2-negative-half-3x10-symmetric"),
        pytest.param(1, -29, 0, id="U2-negative-below-half-symmetric"),
        pytest.param(15000, -90, -22500, id="U2-negative-credit-back-symmetric"),
    ],
)
def test_U2_price_minor_half_up(rate: int, minutes: int, expected: int) -> None:
    got = price_minor(rate, minutes)
    assert type(got) is int  # U2: never floats
    assert got == expected
