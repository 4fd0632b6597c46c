"""Issue 20: one description per entity's shape. The response models of ``hourbank.api.responses`` build what the
routes answer and openapi.json is generated from them, so a body holds no field the document does not describe
and every field the document requires - including the null ones (``closed_at: null``) - while a field a view
sets only where it applies (a ticket's ``entries``, a visit's ``checkout_url``) is absent elsewhere.

Before the models built the bodies, the views wrote dicts by hand next to separate descriptions: a visit's
``booked_hours`` and ``orders``, a ticket's S1 fields and ``visit_id``, an order's O7 ``message`` were answered
but not in openapi.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hourbank.api import responses as R
from hourbank.orders.pricing import Quote, price_table
from hourbank.plans.catalogue import catalogue
from hourbank.store.models import (
    AccountModel,
    AutoTopUp,
    CreditBackMap,
    DisputeMap,
    EmergencyChangeMap,
    LedgerModel,
    OrderModel,
    PauseMap,
    PriorityChangeMap,
    ResponseModel,
    ReviewModel,
    SegmentMap,
    TicketModel,
    TimeEntryModel,
    VisitModel,
)
from hourbank.tickets.closing import CloseResult, CreditBack

pytestmark = pytest.mark.unit

SCHEMAS = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())["components"]["schemas"]
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

ACCOUNT = AccountModel(
    "acc_1", name="Ann", email="ann@example.test", plan="member", plan_version="v1", currency="USD", created_at="c"
)
ACCOUNT_WATCHED = AccountModel(
    "acc_2",
    name="Bo",
    email="bo@example.test",
    plan="member",
    plan_version="v1",
    currency="USD",
    balance_minutes=150,
    auto_top_up=AutoTopUp(enabled=True, threshold_minutes=30, amount_minutes=240),
    pending_top_up="inv_1",
    flags={"b", "a"},
    awaiting={"tk_2": "2026-02-01", "tk_1": "2026-01-01"},
    created_at="c",
)
LEDGER = LedgerModel("acc_1", 3, entry_id="le_3", at="a", kind="purchase", minutes=60, balance_after=90)
ENTRY = TimeEntryModel(
    "tk_1",
    "ENTRY#e1",
    entry_id="e1",
    work_type="remote",
    started_at="2026-11-24T09:00:00-05:00",
    started_at_utc="2026-11-24T14:00:00+00:00",
    minutes=45,
    note="did it",
    technician="tech-1",
    recorded_at="r",
    weighted_minutes=60,
    segments=[SegmentMap(started_at="2026-11-24T09:00:00-05:00", minutes=45, multiplier=2, reasons=["emergency"])],
    dispute=DisputeMap(status="open", reason="too long", raised_by="owner", raised_at="r"),
)
_TICKET = {
    "account_id": "acc_1",
    "title": "Server offline",
    "priority": "normal",
    "status": "open",
    "opened_at": "2026-11-24T14:00:00+00:00",
    "opened_at_given": "2026-11-24T09:00:00-05:00",
    "opened_recorded_at": "r",
    "opened_by": "tech-1",
    "plan": "member",
}
TICKET = TicketModel("tk_0", **_TICKET)
TICKET_BUSY = TicketModel(
    "tk_1",
    **_TICKET | {"status": "closed"},
    emergency_changes=[
        EmergencyChangeMap(at="a", at_utc="2026-11-24T14:00:00+00:00", active=True, by="t", recorded_at="r")
    ],
    entry_count=1,
    weighted_minutes=60,
    closed_at="d",
    consumed_minutes=60,
    debited_minutes=60,
    postpay_minutes=0,
    credit_backs=[CreditBackMap(at="a", by="b", minutes=20, from_postpay=5, to_balance=15, reason="why")],
    response_due_at="2026-11-24T15:00:00+00:00",
    first_response_at="2026-11-24T14:30:00+00:00",
    sla_target_minutes=60,
    sla_clock="wall",
    pauses=[PauseMap(start="s", start_given="sg", by="x", recorded_at="r")],
    priority_changes=[PriorityChangeMap(at="a", before="low", after="urgent", by="b")],
    visit_id="vis_1",
)
_ORDER = {"account_id": "acc_1", "kind": "one_time", "minutes": 90, "rate_minor": 12000, "amount_minor": 18000}
ORDER = OrderModel("ord_0", **_ORDER, currency="USD", created_at="c", opens_account=True)
ORDER_EXISTING = OrderModel("ord_1", **_ORDER, currency="USD", created_at="c", credits_existing=True)
ORDER_VISIT = OrderModel(
    "ord_3", **_ORDER, currency="USD", created_at="c", visit_id="vis_1", visit_hours=2, title="Onsite"
)
VISIT = VisitModel(
    "tk_v",
    visit_id="vis_1",
    account_ref="acc_1",
    state="completed",
    scheduled_at="s",
    scheduled_at_utc="s",
    address="1 Main St",
    estimate_hours=2,
    base_fee_minor=35000,
    rate_minor=15000,
    increment_minor=1,
    currency="USD",
    price_minor=50000,
    booked_hours=3,
    prepaid_hours=3,
    used_minutes=70,
    orders={"ord_b": {"kind": "booking", "hours": 2, "status": "paid", "amount_minor": 50000}},
    refunds={"re_1": {"refund_id": "re_1", "order_id": "ord_b", "amount_minor": 15000, "at": "a"}},
    booking_order_id="ord_b",
    created_at="c",
    created_by="b",
)
REVIEW = ReviewModel(
    review_id="rev_1",
    at="a",
    recorded_at="r",
    reason="no order",
    event_id="evt_1",
    event_type="checkout.session.completed",
    status="resolved",
    resolved_by="billing",
    resolved_at="t",
    resolution_note="settled by phone",
)
RESPONSE = ResponseModel(
    "tk_1", "RESP#1", response_id="r1", at="a", at_utc="a", note="on it", by="tech-1", recorded_at="r"
)
RECORD = CreditBackMap(at="a", by="b", minutes=20, from_postpay=20, to_balance=0, reason="why")

BODIES: list[tuple[str, R.View]] = [
    ("account", R.Account.of(ACCOUNT)),
    ("account watched", R.Account.of(ACCOUNT_WATCHED)),
    ("ledger entry", R.LedgerEntry.of(LEDGER)),
    ("entry", R.RatedEntry.of(ENTRY)),
    ("ticket", R.Ticket.of(TICKET, now=NOW)),
    ("ticket with entries", R.Ticket.of(TICKET_BUSY, [ENTRY], now=NOW)),
    ("ticket summary", R.TicketSummary.of(TICKET_BUSY, NOW)),
    ("close", R.CloseResult.of(CloseResult("tk_1", "closed", 60, 60, 0, 30))),
    ("credit-back to the balance", R.CreditBackResult.of(CreditBack("acc_1", "tk_1", 20, 5, 15, LEDGER, RECORD))),
    ("credit-back off post-pay", R.CreditBackResult.of(CreditBack("acc_1", "tk_1", 20, 20, 0, None, RECORD))),
    ("quote", R.Quote.of(Quote(90, 12000, 18000, 0, 18000, "USD", "one_time"), "member")),
    ("order", R.Order.of(ORDER, ACCOUNT_WATCHED)),
    ("order for an existing address", R.Order.of(ORDER_EXISTING)),
    ("visit order", R.Order.of(ORDER_VISIT)),
    ("visit", R.Visit.of(VISIT)),
    ("visit awaiting payment", R.Visit.of(VISIT, ORDER_VISIT)),
    ("visit extension", R.VisitExtension.of(ORDER_VISIT)),
    ("review", R.Review.of(REVIEW)),
    ("response", R.ResponseRecord.of(RESPONSE, True)),
    ("price table", R.PriceTable.model_validate(price_table(catalogue()))),
]


def _documented(view: R.View) -> dict[str, Any]:
    name = type(view).__name__
    return SCHEMAS.get(name) or SCHEMAS[f"{name}-Output"]


def _check(body: Any, schema: dict[str, Any], where: str) -> None:
    """``body`` holds every field ``schema`` requires and none it does not describe, all the way down."""
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        kinds = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if body is not None:
            _check(body, kinds[0], where)
        return
    if isinstance(body, dict) and "properties" in schema:
        assert set(schema.get("required", [])) <= set(body), (where, set(schema["required"]) - set(body))
        assert set(body) <= set(schema["properties"]), (where, set(body) - set(schema["properties"]))
        for name, value in body.items():
            _check(value, schema["properties"][name], f"{where}.{name}")
    elif isinstance(body, list) and "items" in schema:
        for i, item in enumerate(body):
            _check(item, schema["items"], f"{where}[{i}]")


@pytest.mark.parametrize(("case", "view"), BODIES, ids=[case for case, _ in BODIES])
def test_every_body_is_what_openapi_json_describes(case, view):
    body = view.out()
    _check(body, _documented(view), case)
    assert type(view).model_validate(body).out() == body  # what a test reads back is the same shape


def test_fields_set_only_where_they_apply_are_absent_elsewhere_and_nulls_stay():
    plain = R.Ticket.of(TICKET, now=NOW).out()
    assert {"entries", "disputed_entries", "fair_use", "visit_id"}.isdisjoint(plain)
    assert plain["closed_at"] is None and plain["consumed_minutes"] is None and plain["sla_status"] is None
    busy = R.Ticket.of(TICKET_BUSY, [ENTRY], now=NOW).out()
    assert busy["visit_id"] == "vis_1" and busy["disputed_entries"] == 1 and len(busy["entries"]) == 1
    assert busy["priority_changes"] == [{"at": "a", "from": "low", "to": "urgent", "by": "b"}]  # "from": a keyword
    assert "checkout_url" not in R.Visit.of(VISIT).out()
    assert R.Visit.of(VISIT, ORDER_VISIT).out()["checkout_url"] is None
    existing = R.Order.of(ORDER_EXISTING).out()  # SPEC O7: nothing about the account but that it exists
    assert existing["account_id"] is None and existing["credits_existing_account"] is True
    assert {"new_account", "balance_minutes", "visit_id"}.isdisjoint(existing)
    assert R.Order.of(ORDER_VISIT).out()["hours"] == "2" and R.VisitExtension.of(ORDER_VISIT).out()["hours"] == 2
    off_postpay = R.CreditBackResult.of(CreditBack("acc_1", "tk_1", 20, 20, 0, None, RECORD)).out()
    assert off_postpay["entry_id"] is None and off_postpay["minutes"] == 0 and off_postpay["ref"] == "tk_1"


def test_a_view_cannot_answer_a_field_the_document_does_not_describe():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        R.LedgerEntry.model_validate(R.LedgerEntry.of(LEDGER).out() | {"secret": "x"})
    assert SCHEMAS["LedgerEntry"]["additionalProperties"] is True  # clients still accept fields added later


def test_priming_builds_what_a_route_answers_with_and_the_models_inside():
    """SnapStart (issue 15): the priming's requests are refused before any view runs, so it builds the route's
    response models itself (``hourbank.api.priming``); a restored environment then builds none in a request."""
    built = set(R.build(R.doc(200, R.DisputeOutcome, 404)))
    assert {R.DisputeOutcome, R.RatedEntry, R.Segment, R.EntryDispute, R.LedgerEntry, R.Error, R.ErrorDetail} <= built
    assert all(model.__pydantic_complete__ for model in built)
