"""Who may do what, from one table (API.md "Errors" and "Routes"; issue 11): every route x every kind of
caller -> the status API.md gives, through the local gateway with real tokens.

401: no token or an expired one (API Gateway's JWT authorizer, or the order function's own bearer check).
403: the caller may see the object but may not do this to it (a technician setting auto top-up).
404: the caller may not see the object at all (another customer's account or ticket).

A route added later is one more line in ``MATRIX`` (and ``test_every_template_route_is_in_the_matrix``
fails until it is there). Each caller expected to succeed gets a world of its own, so a success (a close,
a credit-back) never changes what the next caller meets; every refusal must write nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from devstack.lambda_client import routes

pytestmark = pytest.mark.e2e

CALLERS = ("none", "technician", "billing", "own", "other", "expired")
AT = "2026-11-16T10:00:00-05:00"  # a Monday in business hours, in the past
MONTH = "2026-11"


@dataclass
class World:
    """One member account with credit, owned by ``own``; an open ticket with one entry; a closed ticket
    (60 min consumed) whose entry is disputed; an order; the ids the paths need."""

    account: str
    ticket: str
    entry: str
    closed: str
    disputed_entry: str
    order: str
    visit: str
    review: str  # a review id no payment was kept under
    nonce: str  # makes the e-mail of an account a caller opens its own (SPEC O7: one e-mail, one account)
    contact: str = ""  # SPEC W1: a contact invited to the account (not its owner)
    month: str = MONTH  # an ended month (SPEC M1): its month-end run (issue 24)
    mail: str = "mail_" + "0" * 32  # SPEC E1: a received mail's id that names no mail


# method, path, body, expected status per caller (none, technician, billing, own, other, expired)
ACCOUNT = {"name": "Matrix Co", "email": "matrix-{nonce}@example.test", "plan": "member"}
VISIT = {
    "account_id": "{account}",
    "scheduled_at": "2026-12-20T10:00:00-05:00",
    "address": "1 Main St",
    "estimate_hours": 2,
}
ORDER = {"account_id": "{account}", "hours": 2}
MATRIX: list[tuple[str, str, dict | None, tuple[int, int, int, int, int, int]]] = [
    ("POST", "/accounts", ACCOUNT, (401, 403, 201, 403, 403, 401)),
    ("GET", "/accounts/{account}", None, (401, 200, 200, 200, 404, 401)),
    (
        "PUT",
        "/accounts/{account}/auto-top-up",
        {"enabled": False, "threshold_minutes": 60, "amount_minutes": 120},
        (401, 403, 200, 200, 404, 401),
    ),
    ("PUT", "/accounts/{account}/plan", {"plan": "member"}, (401, 403, 200, 403, 404, 401)),
    ("GET", "/accounts/{account}/notifications", None, (401, 403, 200, 200, 404, 401)),  # SPEC N1
    (
        "PUT",
        "/accounts/{account}/notifications",
        {"ticket_updates": True, "receipts": True, "statements": True},
        (401, 403, 200, 200, 404, 401),
    ),
    ("GET", "/accounts/{account}/ledger", None, (401, 200, 200, 200, 404, 401)),
    (
        "POST",
        "/accounts/{account}/adjustments",
        {"minutes": 30, "kind": "grant", "reason": "goodwill"},
        (401, 403, 201, 403, 404, 401),
    ),
    ("GET", "/accounts/{account}/invoices", None, (401, 200, 200, 200, 404, 401)),
    ("GET", "/accounts/{account}/statements/" + MONTH, None, (401, 200, 200, 200, 404, 401)),
    (
        "POST",
        "/tickets",
        {"account_id": "{account}", "title": "Printer", "priority": "low"},
        (401, 201, 201, 201, 404, 401),
    ),
    ("GET", "/tickets/{ticket}", None, (401, 200, 200, 200, 404, 401)),
    ("POST", "/tickets/{ticket}/emergency", {"active": True}, (401, 200, 200, 200, 404, 401)),
    (
        "POST",
        "/tickets/{ticket}/time-entries",
        {"work_type": "remote", "started_at": AT, "minutes": 30, "note": "checked the backups"},
        (401, 201, 403, 403, 404, 401),
    ),
    # SPEC T9 (issue 21): staff void an entry of an open ticket; voiding it again returns it unchanged
    (
        "POST",
        "/tickets/{ticket}/time-entries/{entry}/void",
        {"reason": "logged on the wrong ticket"},
        (401, 200, 200, 403, 404, 401),
    ),
    # SPEC W3 (issue 21): the ticket's timer, kept server-side (technicians run it)
    ("POST", "/tickets/{ticket}/timer", {"action": "start"}, (401, 200, 403, 403, 404, 401)),
    ("DELETE", "/tickets/{ticket}/timer", None, (401, 200, 403, 403, 404, 401)),
    ("POST", "/tickets/{ticket}/close", None, (401, 200, 403, 403, 404, 401)),
    ("POST", "/tickets/{closed}/credit-back", {"minutes": 30, "reason": "vendor bug"}, (401, 403, 201, 403, 404, 401)),
    (
        "POST",
        "/tickets/{ticket}/time-entries/{entry}/dispute",
        {"reason": "I was not there"},
        (401, 200, 200, 200, 404, 401),
    ),
    (
        "POST",
        "/tickets/{closed}/time-entries/{disputed_entry}/resolve",
        {"outcome": "rejected", "note": "logs agree"},
        (401, 403, 200, 403, 404, 401),
    ),
    # Public routes (Auth: NONE): the order function checks a bearer token itself.
    ("POST", "/orders", ORDER, (401, 403, 201, 201, 404, 401)),
    ("POST", "/orders/quote", ORDER, (401, 403, 200, 200, 404, 401)),
    ("GET", "/orders/{order}", None, (200, 200, 200, 200, 200, 401)),
    # Stripe's route: a bearer token authorizes nothing there; without a Stripe-Signature it is a 400.
    (
        "POST",
        "/webhooks/stripe",
        {"id": "evt_1", "type": "charge.refunded", "data": {"object": {}}},
        (400, 400, 400, 400, 400, 400),
    ),
    # SPEC W1, W2 (issue 12)
    ("GET", "/accounts?plan=member&limit=5", None, (401, 200, 200, 403, 403, 401)),
    ("GET", "/accounts?name=matrix&limit=5", None, (401, 200, 200, 403, 403, 401)),  # SPEC W2 (issue 21)
    ("GET", "/accounts/{account}/tickets", None, (401, 200, 200, 200, 404, 401)),
    ("GET", "/accounts/{account}/usage?from=2026-10&to=2026-11", None, (401, 200, 200, 200, 404, 401)),
    ("GET", "/plans", None, (200, 200, 200, 200, 200, 200)),  # public, reads no token: the price table
    # SPEC O8 (issue 10)
    ("GET", "/reviews", None, (401, 403, 200, 403, 403, 401)),
    ("POST", "/reviews/{review}/resolve", {"note": "settled by phone"}, (401, 403, 404, 403, 403, 401)),  # none kept
    # SPEC S1 (issue 13)
    ("GET", "/tickets?status=open", None, (401, 200, 200, 403, 403, 401)),
    ("POST", "/tickets/{ticket}/responses", {"note": "called back"}, (401, 201, 201, 403, 404, 401)),
    ("PUT", "/tickets/{ticket}/waiting", {"waiting": True}, (401, 200, 200, 403, 404, 401)),
    ("PUT", "/tickets/{ticket}/priority", {"priority": "urgent"}, (401, 200, 200, 403, 404, 401)),
    # SPEC W5 (issue 22): the conversation; internal notes are staff only
    ("GET", "/tickets/{ticket}/messages", None, (401, 200, 200, 200, 404, 401)),
    ("POST", "/tickets/{ticket}/messages", {"text": "any news?"}, (401, 201, 201, 201, 404, 401)),
    ("POST", "/tickets/{ticket}/messages", {"text": "vpn", "visibility": "internal"}, (401, 201, 201, 403, 404, 401)),
    # SPEC V1 (issue 14)
    ("POST", "/visits", VISIT, (401, 201, 201, 403, 404, 401)),
    ("GET", "/visits/{visit}", None, (401, 200, 200, 200, 404, 401)),
    ("POST", "/visits/{visit}/extensions", {"hours": 1}, (401, 409, 409, 403, 404, 401)),  # not paid yet
    ("POST", "/visits/{visit}/cancel", {"reason": "no longer needed"}, (401, 200, 200, 403, 404, 401)),
    # SPEC W1, O7 (issue 24): contacts. "own" is a customer of the account who is not its owner (their token's
    # e-mail is not the account's own address): they list, only billing or the owner manage.
    ("GET", "/accounts/{account}/contacts", None, (401, 200, 200, 200, 404, 401)),
    (
        "POST",
        "/accounts/{account}/contacts",
        {"name": "Matrix Person", "email": "person-{nonce}@example.test"},
        (401, 403, 201, 403, 404, 401),
    ),
    ("POST", "/accounts/{account}/contacts/{contact}/invitation", None, (401, 403, 202, 403, 404, 401)),
    ("DELETE", "/accounts/{account}/contacts/{contact}", None, (401, 403, 204, 403, 404, 401)),
    # SPEC W1, W4, O6, M1 (issue 24)
    ("GET", "/accounts/{account}/payments", None, (401, 200, 200, 200, 404, 401)),
    ("GET", "/accounts/{account}/visits", None, (401, 200, 200, 200, 404, 401)),
    ("GET", "/accounts/{account}/agreements", None, (401, 200, 200, 200, 404, 401)),
    (  # the order is not a recurring one: no agreement (404 for billing, who may end one)
        "POST",
        "/accounts/{account}/agreements/{order}/end",
        {"when": "term_end", "reason": "moving away"},
        (401, 403, 404, 403, 404, 401),
    ),
    ("POST", "/accounts/{account}/billing-portal", None, (401, 403, 409, 409, 404, 401)),  # no Stripe customer yet
    ("GET", "/disputes", None, (401, 403, 200, 403, 403, 401)),
    ("GET", "/month-ends/{month}", None, (401, 403, 200, 403, 403, 401)),
    ("POST", "/month-ends/{month}/run", None, (401, 403, 202, 403, 403, 401)),
    # SPEC E1 (issue 22): received mail is for staff; assigning a mail that was never received is a 404
    ("GET", "/inbox", None, (401, 200, 200, 403, 403, 401)),
    ("POST", "/inbox/{mail}/assign", {"account_id": "{account}"}, (401, 404, 404, 403, 403, 401)),
]


def test_every_template_route_is_in_the_matrix():
    listed = {(method, path.split("{")[0].split("?")[0]) for method, path, _, _ in MATRIX}
    for route in routes():
        assert (route.method, route.path.split("{")[0]) in listed, f"{route.method} {route.path} has no matrix row"


@pytest.fixture(scope="module")
def world_factory(http, token) -> Callable[[], World]:
    billing, tech = token("billing", sub="matrix-billing"), token("technician", sub="matrix-tech")

    def ok(status_body, expected=(200, 201)):
        status, body = status_body
        assert status in expected, body
        return body

    def make() -> World:
        account = ok(
            http("POST", "/accounts", {**ACCOUNT, "email": f"matrix-{uuid.uuid4().hex}@example.test"}, token=billing)
        )["account_id"]
        ok(
            http(
                "POST",
                f"/accounts/{account}/adjustments",
                {"minutes": 600, "kind": "purchase", "reason": "phone"},
                token=billing,
            )
        )
        entry_body = {"work_type": "remote", "started_at": AT, "minutes": 60, "note": "work"}
        tickets = []
        for _ in range(2):
            ticket = ok(
                http(
                    "POST",
                    "/tickets",
                    {
                        "account_id": account,
                        "title": "T",
                        "priority": "normal",
                        "opened_at": "2026-11-16T09:00:00-05:00",
                    },
                    token=tech,
                )
            )["ticket_id"]
            tickets.append(
                (ticket, ok(http("POST", f"/tickets/{ticket}/time-entries", entry_body, token=tech))["entry_id"])
            )
        (ticket, entry), (closed, disputed) = tickets
        ok(http("POST", f"/tickets/{closed}/close", token=tech))
        ok(http("POST", f"/tickets/{closed}/time-entries/{disputed}/dispute", {"reason": "too long"}, token=billing))
        order = ok(http("POST", "/orders", {"account_id": account, "hours": 2}, token=billing))["order_id"]
        visit = ok(http("POST", "/visits", {**VISIT, "account_id": account}, token=tech))["visit_id"]
        person = {"name": "Matrix Contact", "email": f"contact-{uuid.uuid4().hex}@example.test"}
        contact = ok(http("POST", f"/accounts/{account}/contacts", person, token=billing))["contact_id"]
        return World(
            account, ticket, entry, closed, disputed, order, visit, f"rev_{uuid.uuid4().hex}", uuid.uuid4().hex, contact
        )

    return make


def _fill(value, world: World):
    if isinstance(value, str):
        return value.format(**world.__dict__)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_authorization_matrix(http, token, world_factory, method, path, body, expected):
    shared = world_factory()
    other = world_factory().account
    got = {}
    for caller, status in zip(CALLERS, expected, strict=True):
        world = world_factory() if 200 <= status < 300 and method != "GET" else shared
        bearer = {
            "none": None,
            "technician": token("technician", sub="matrix-tech-2"),
            "billing": token("billing", sub="matrix-billing-2"),
            "own": token("customer", account_id=world.account),
            "other": token("customer", account_id=other),
            "expired": token("billing", ttl_s=3600, now=time.time() - 7200),
        }[caller]
        got[caller], reply = http(method, _fill(path, world), _fill(body, world), token=bearer)
        if got[caller] >= 400 and not path.startswith("/webhooks"):
            assert set(reply) in ({"error"}, {"message"}), reply  # API.md's shape, or API Gateway's own 401
    assert tuple(got[c] for c in CALLERS) == expected, got
