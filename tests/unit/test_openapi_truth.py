"""openapi.json tells the truth (issue 11): each operation's real success code and response model, API.md's
error body on every 4xx it can return, and no 422 (the API answers invalid input with 400, never 422).
The statuses the authorization matrix expects of a route are documented for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_authorization_matrix import MATRIX

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "openapi.json").read_text())
OPERATIONS = [(method.upper(), path, op) for path, ops in DOC["paths"].items() for method, op in ops.items()]
ERROR = {"$ref": "#/components/schemas/Error"}

# API.md: what a success is for the routes that create something.
CREATED = {
    ("POST", "/accounts"),
    ("POST", "/tickets"),
    ("POST", "/tickets/{ticket_id}/time-entries"),
    ("POST", "/tickets/{ticket_id}/credit-back"),
    ("POST", "/accounts/{account_id}/adjustments"),
    ("POST", "/orders"),
    ("POST", "/tickets/{ticket_id}/responses"),
    ("POST", "/visits"),
    ("POST", "/visits/{visit_id}/extensions"),
    ("POST", "/accounts/{account_id}/contacts"),
    ("POST", "/accounts/{account_id}/billing-portal"),  # API.md: 201 {url}, a new portal session
    ("POST", "/tickets/{ticket_id}/messages"),  # API.md: 201 message (SPEC W5)
}
# API.md: a removal answers nothing (204) and an invitation sent again is accepted (202), SPEC W1.
OTHER_SUCCESS = {
    ("DELETE", "/accounts/{account_id}/contacts/{contact_id}"): "204",
    ("POST", "/accounts/{account_id}/contacts/{contact_id}/invitation"): "202",
    ("POST", "/month-ends/{month}/run"): "202",  # a run requested: the month's page follows it (SPEC W4, M2)
}


def test_no_422_anywhere():
    assert all("422" not in op["responses"] for _, _, op in OPERATIONS)
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(DOC["components"]["schemas"])


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_operation_documents_its_success_model_and_its_errors(method, path, op):
    responses = op["responses"]
    successes = sorted(code for code in responses if code.startswith("2"))
    assert successes, responses
    expected_success = "201" if (method, path) in CREATED else OTHER_SUCCESS.get((method, path), "200")
    assert expected_success in successes, (method, path, successes)
    if expected_success != "204":
        schema = responses[expected_success]["content"]["application/json"]["schema"]
        assert schema.get("$ref") or schema.get("properties"), (method, path, schema)
    assert "400" in responses, (method, path)
    for code, response in responses.items():
        if code.startswith("4") or code.startswith("5"):
            got = response["content"]["application/json"]["schema"]
            assert got == ERROR or ERROR in got.get("anyOf", []) or path == "/webhooks/stripe", (method, path, code)


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_statuses_the_matrix_expects_are_documented(method, path, body, expected):
    names = {
        "account": "account_id",
        "ticket": "ticket_id",
        "closed": "ticket_id",
        "entry": "entry_id",
        "disputed_entry": "entry_id",
        "order": "order_id",
        "visit": "visit_id",
        "review": "review_id",
        "contact": "contact_id",
        "month": "month",
        "mail": "mail_id",
    }
    template = "/" + "/".join(
        "{" + names[p[1:-1]] + "}" if p.startswith("{") else p for p in path.split("?")[0].strip("/").split("/")
    )
    template = template.replace("/statements/2026-11", "/statements/{month}")
    template = template.replace("/agreements/{order_id}/", "/agreements/{agreement_id}/")  # an agreement is its order
    documented = DOC["paths"][template][method.lower()]["responses"]
    for status in set(expected):
        assert str(status) in documented, (method, template, status, sorted(documented))
