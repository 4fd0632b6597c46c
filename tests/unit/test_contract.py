"""The pieces that must agree: template routes, openapi.json, events/, and the pynamodb models' keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildtools.openapi import public_routes
from devstack.lambda_client import routes
from devstack.template import load_template, table_definitions

ROOT = Path(__file__).resolve().parents[2]

# API.md routes this build serves (the payments, invoices and statements routes come with their issues).
API_MD_ROUTES = {
    ("POST", "/accounts"),
    ("GET", "/accounts/{account_id}"),
    ("GET", "/accounts/{account_id}/ledger"),
    ("POST", "/accounts/{account_id}/adjustments"),
    ("POST", "/tickets"),
    ("GET", "/tickets/{ticket_id}"),
    ("POST", "/tickets/{ticket_id}/emergency"),
    ("POST", "/tickets/{ticket_id}/time-entries"),
    ("POST", "/tickets/{ticket_id}/close"),
    ("POST", "/tickets/{ticket_id}/credit-back"),
    ("POST", "/visits"),  # SPEC V1 (issue 14)
    ("GET", "/visits/{visit_id}"),
    ("POST", "/visits/{visit_id}/extensions"),
    ("GET", "/accounts/{account_id}/payments"),  # SPEC W1, W4, O6, M1 (issue 24)
    ("GET", "/accounts/{account_id}/visits"),
    ("GET", "/accounts/{account_id}/agreements"),
    ("POST", "/accounts/{account_id}/agreements/{agreement_id}/end"),
    ("POST", "/accounts/{account_id}/billing-portal"),
    ("GET", "/disputes"),
    ("GET", "/month-ends/{month}"),
}


def test_template_serves_the_api_md_routes():
    assert {(r.method, r.path) for r in routes()} >= API_MD_ROUTES


def test_openapi_json_is_generated_from_the_code_and_current():
    from buildtools.openapi import render

    committed = (ROOT / "openapi.json").read_text()
    assert committed == render(), "openapi.json is stale: run python -m buildtools.openapi"
    documented = {(m.upper(), p) for p, ops in json.loads(committed)["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in routes()}


EVENT_SOURCES = {"DynamoDB": "aws:dynamodb", "SQS": "aws:sqs", "SNS": "aws:sns", "S3": "aws:s3"}


def _source_types(folder: str) -> set[str]:
    """The event types (HttpApi, DynamoDB, SQS, ScheduleV2) of the function whose CodeUri is ``folder``."""
    for res in load_template()["Resources"].values():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and props.get("CodeUri", "").endswith(f"/{folder}"):
            return {e["Type"] for e in (props.get("Events") or {}).values()}
    return set()


@pytest.mark.parametrize("event_file", sorted((ROOT / "events").glob("*.json")), ids=lambda p: p.stem)
def test_every_event_routes_to_the_function_it_is_named_for(event_file):
    event = json.loads(event_file.read_text())
    folder = event_file.stem.split("-")[0]
    if "routeKey" not in event:  # a stream batch, a queue batch or a schedule's event
        kinds = _source_types(folder)
        if "Records" in event:
            sources = {r.get("eventSource") or r.get("EventSource") for r in event["Records"]}  # SNS: EventSource
            assert sources and sources <= {EVENT_SOURCES[k] for k in kinds if k in EVENT_SOURCES}, (folder, sources)
        else:
            assert "ScheduleV2" in kinds and event["source"] == "aws.scheduler" and event["time"].endswith("Z")
        return
    method, path = event["routeKey"].split(" ", 1)
    owners = {r.code_uri.split("/")[-1] for r in routes() if (r.method, r.path) == (method, path)}
    assert event_file.stem.split("-")[0] in owners
    public = {(path, method) for path, method in public_routes()}
    if (path, method) in public:  # Auth: NONE - API Gateway passes no authorizer context
        assert "authorizer" not in event["requestContext"]
    else:
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]


def test_models_match_the_template_tables():
    """STYLE 8: tests create tables from template.yaml, so the models must name the same keys and indexes."""
    from hourbank.store.models import (
        AccountModel,
        AgreementModel,
        ChargeModel,
        DisputeListModel,
        IdempotencyModel,
        LedgerModel,
        MonthRunModel,
        OrderModel,
        ParkedReceiptModel,
        PaymentModel,
        ResponseModel,
        ReviewModel,
        TicketModel,
        TimeEntryModel,
        VisitListModel,
    )

    tables = table_definitions(load_template())

    def keys(schema):
        return {k["AttributeName"]: k["KeyType"] for k in schema}

    def model_keys(model):
        return {
            name: ("HASH" if attr.is_hash_key else "RANGE")
            for name, attr in model.get_attributes().items()
            if attr.is_hash_key or attr.is_range_key
        }

    pairs = {
        "AccountsTable": [AccountModel],
        "TicketsTable": [TicketModel, TimeEntryModel, ResponseModel],
        "LedgerTable": [LedgerModel],
        "ChargesTable": [ChargeModel, PaymentModel, AgreementModel, VisitListModel, MonthRunModel],
        "IdempotencyTable": [IdempotencyModel],
        "OrdersTable": [OrderModel, ParkedReceiptModel],
        "ReviewsTable": [ReviewModel, DisputeListModel],
    }
    for table, models in pairs.items():
        for model in models:
            assert model_keys(model) == keys(tables[table]["KeySchema"]), (table, model.__name__)
    gsi = {i["IndexName"]: keys(i["KeySchema"]) for i in tables["TicketsTable"]["GlobalSecondaryIndexes"]}
    assert gsi["by_account"] == {"account_id": "HASH", "opened_at": "RANGE"}
    assert TicketModel.by_account.Meta.index_name == "by_account"
    # SPEC S1: the queue by due time and an account's tickets by due time (issue 13)
    assert gsi["by_queue"] == {"queue_status": "HASH", "queue_due": "RANGE"}
    assert gsi["by_account_due"] == {"account_id": "HASH", "response_due_at": "RANGE"}
    for index in (TicketModel.by_queue, TicketModel.by_account_due):
        assert keys(
            tables["TicketsTable"]["GlobalSecondaryIndexes"][
                [i["IndexName"] for i in tables["TicketsTable"]["GlobalSecondaryIndexes"]].index(index.Meta.index_name)
            ]["KeySchema"]
        ) == {n: ("HASH" if a.is_hash_key else "RANGE") for n, a in index.Meta.attributes.items()}
    lsi = {i["IndexName"]: keys(i["KeySchema"]) for i in tables["LedgerTable"]["LocalSecondaryIndexes"]}
    assert lsi == {"by_time": {"account_id": "HASH", "at": "RANGE"}}
    assert LedgerModel.by_time.Meta.index_name == "by_time"
