"""SPEC "Plans" (with T1, T6, C2, C3, U2): the shipped catalogue and the models that validate it."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from hourbank.plans.catalogue import ONSITE_WORK, WORK_TYPES, Catalogue, Plan, catalogue, get_plan, plan_ids

pytestmark = pytest.mark.unit


def shipped_raw() -> dict[str, Any]:
    """The catalogue.json as data, with ids filled in the way catalogue() does."""
    raw = json.loads(resources.files("hourbank.plans").joinpath("catalogue.json").read_text(encoding="utf-8"))
    for plan_id, plan in raw["plans"].items():
        plan["id"] = plan_id
    return raw


def test_Plans_shipped_catalogue_validates() -> None:
    cat = catalogue()
    assert isinstance(cat, Catalogue)
    assert cat.version
    assert cat.currency == "USD"
    assert set(plan_ids()) == {"non_member", "member", "business_priority", "unlimited_remote"}
    for plan_id in plan_ids():
        assert get_plan(plan_id).id == plan_id
    assert Catalogue.model_validate(shipped_raw()) == cat


def test_U2_catalogue_has_no_floats() -> None:
    def walk(value: Any) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(shipped_raw())


def test_Plans_unknown_plan_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        get_plan("platinum")


@pytest.mark.parametrize(
    ("plan_id", "field", "expected"),
    [
        pytest.param("non_member", "prepay_rate_minor", 30000, id="Plans-non_member-prepay-300/h"),
        pytest.param("non_member", "recurring_rate_minor", None, id="Plans-non_member-no-recurring"),
        pytest.param("non_member", "postpay_rate_minor", None, id="Plans-non_member-no-postpay"),
        pytest.param("non_member", "at_zero", "stop", id="Plans-C3-non_member-stops-at-zero"),
        pytest.param("non_member", "onsite_minimum_minutes", 240, id="Plans-T6-non_member-onsite-minimum-240"),
        pytest.param("member", "prepay_rate_minor", 15000, id="Plans-member-prepay-150/h"),
        pytest.param("member", "recurring_rate_minor", 12000, id="Plans-O6-member-recurring-120/h"),
        pytest.param("member", "postpay_rate_minor", 15000, id="Plans-C2-member-postpay-150/h"),
        pytest.param("member", "at_zero", "overdraft", id="Plans-C2-member-overdraft"),
        pytest.param("member", "onsite_minimum_minutes", 0, id="Plans-T6-member-no-onsite-minimum"),
        pytest.param("business_priority", "at_zero", "overdraft", id="Plans-business_priority-overdraft"),
        pytest.param("business_priority", "prepay_rate_minor", None, id="Plans-business_priority-no-prepay"),
        pytest.param("business_priority", "large_package_minutes", 3600, id="Plans-business_priority-H>=60h-is-large"),
        pytest.param(
            "business_priority",
            "large_package_discount_minor",
            500,
            id="Plans-business_priority-large-overage-5-units-lower",
        ),
        pytest.param("unlimited_remote", "at_zero", "included", id="Plans-unlimited_remote-included"),
        pytest.param(
            "unlimited_remote", "fair_use_remote_minutes_per_day", 30, id="Plans-unlimited_remote-fair-use-30/day"
        ),
        pytest.param("unlimited_remote", "prepay_rate_minor", None, id="Plans-unlimited_remote-no-prepay"),
    ],
)
def test_Plans_table_defaults(plan_id: str, field: str, expected: object) -> None:
    assert getattr(get_plan(plan_id), field) == expected


def test_Plans_member_recurring_is_20_percent_off() -> None:
    member = get_plan("member")
    assert member.prepay_rate_minor is not None and member.recurring_rate_minor is not None
    assert member.recurring_rate_minor * 100 == member.prepay_rate_minor * 80


@pytest.mark.parametrize(
    ("plan_id", "stops"),
    [
        pytest.param("non_member", True, id="Plans-C3-non_member-stops"),
        pytest.param("member", False, id="Plans-C2-member-overdraft-does-not-stop"),
        pytest.param("business_priority", False, id="Plans-business_priority-does-not-stop"),
        pytest.param("unlimited_remote", False, id="Plans-unlimited_remote-does-not-stop"),
    ],
)
def test_Plans_stops_at_zero(plan_id: str, stops: bool) -> None:
    assert get_plan(plan_id).stops_at_zero is stops


@pytest.mark.parametrize(
    ("plan_id", "work_types"),
    [
        pytest.param("non_member", {"remote", "onsite", "travel"}, id="Plans-T1-non_member-no-lab"),
        pytest.param("member", {"remote", "lab", "onsite", "travel"}, id="Plans-T1-member-allows-lab"),
        pytest.param(
            "business_priority", {"remote", "lab", "onsite", "travel"}, id="Plans-T1-business_priority-all-work"
        ),
        pytest.param("unlimited_remote", {"remote"}, id="Plans-T1-unlimited_remote-remote-only-no-onsite"),
    ],
)
def test_Plans_T1_work_types(plan_id: str, work_types: set[str]) -> None:
    assert set(get_plan(plan_id).work_types) == work_types


def test_T1_T6_work_types_and_onsite_work() -> None:
    assert set(WORK_TYPES) == {"remote", "lab", "onsite", "travel"}
    assert ONSITE_WORK == {"onsite", "travel"}  # T6: travel counts as onsite technician time


# --- invalid catalogues are refused --------------------------------------------------------------------


def _overdraft_without_postpay(raw: dict[str, Any]) -> None:
    del raw["plans"]["member"]["postpay_rate_minor"]


def _unknown_at_zero(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["at_zero"] = "negative"


def _extra_plan_field(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["discount_percent"] = 20


def _extra_catalogue_field(raw: dict[str, Any]) -> None:
    raw["owner"] = "sales"


def _stop_without_prepay(raw: dict[str, Any]) -> None:
    del raw["plans"]["non_member"]["prepay_rate_minor"]


def _unknown_work_type(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["work_types"] = ["remote", "bench"]


def _zero_rate(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["prepay_rate_minor"] = 0


def _negative_rate(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["postpay_rate_minor"] = -15000


def _fractional_rate(raw: dict[str, Any]) -> None:
    raw["plans"]["member"]["prepay_rate_minor"] = 150.5


def _negative_onsite_minimum(raw: dict[str, Any]) -> None:
    raw["plans"]["non_member"]["onsite_minimum_minutes"] = -240


def _lowercase_currency(raw: dict[str, Any]) -> None:
    raw["currency"] = "usd"


def _missing_title(raw: dict[str, Any]) -> None:
    del raw["plans"]["member"]["title"]


def _missing_version(raw: dict[str, Any]) -> None:
    del raw["version"]


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(_overdraft_without_postpay, id="Plans-C2-overdraft-plan-without-postpay-rate"),
        pytest.param(_unknown_at_zero, id="Plans-unknown-at_zero"),
        pytest.param(_extra_plan_field, id="Plans-extra-plan-field"),
        pytest.param(_extra_catalogue_field, id="Plans-extra-catalogue-field"),
        pytest.param(_stop_without_prepay, id="Plans-C3-stop-plan-without-prepay-rate"),
        pytest.param(_unknown_work_type, id="Plans-T1-unknown-work-type"),
        pytest.param(_zero_rate, id="Plans-U2-zero-rate"),
        pytest.param(_negative_rate, id="Plans-U2-negative-rate"),
        pytest.param(_fractional_rate, id="Plans-U2-fractional-minor-units"),
        pytest.param(_negative_onsite_minimum, id="Plans-T6-negative-onsite-minimum"),
        pytest.param(_lowercase_currency, id="Plans-U2-currency-not-ISO"),
        pytest.param(_missing_title, id="Plans-missing-title"),
        pytest.param(_missing_version, id="Plans-missing-version"),
    ],
)
def test_Plans_invalid_catalogue_refused(break_it: Any) -> None:
    raw = copy.deepcopy(shipped_raw())
    Catalogue.model_validate(raw)  # the baseline is valid
    break_it(raw)
    with pytest.raises(ValidationError):
        Catalogue.model_validate(raw)


def test_Plans_overdraft_error_names_C2() -> None:
    with pytest.raises(ValidationError, match="C2"):
        Plan(title="x", at_zero="overdraft", work_types=("remote",), prepay_rate_minor=100)


def test_Plans_are_frozen() -> None:
    with pytest.raises(ValidationError):
        get_plan("member").prepay_rate_minor = 1  # type: ignore[misc]
