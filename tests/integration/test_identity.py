"""Roles and tenants from the verified JWT claims (API.md "Identity", "Errors", "Recording the past").

401 without an identity, 403 for a role that may not act, 404 (never 403) for another tenant's objects -
with the very body a nonexistent object gets, so a customer cannot learn what exists. Refusals write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devstack.lambda_client import claims

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"  # Monday, business hours, in the past
OPENED = "2026-11-16T09:00:00-05:00"
UNKNOWN_ACCOUNT = "acc_00000000000000000000000000"
UNKNOWN_TICKET = f"tkt_00000000000000000000000000.{UNKNOWN_ACCOUNT}"
ENTRY = {"work_type": "remote", "started_at": AT, "minutes": 60, "note": "reset the router"}
NEW_ACCOUNT = {"name": "Acme", "email": "it@acme.test", "plan": "member"}


def ok(reply, status: int = 200):
    assert reply.status == status, reply
    return reply.body


def assert_error(reply, status: int, code: str) -> dict:
    assert reply.status == status, reply
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code, reply
    return reply.body["error"]


def recent(stamp: str) -> bool:
    """A recording stamp: an aware time within the last few minutes."""
    at = datetime.fromisoformat(stamp)
    return at.tzinfo is not None and timedelta(0) <= datetime.now(UTC) - at < timedelta(minutes=5)


class Tenant:
    """An account with an open ticket (with time) and a closed ticket, and its customer's claims."""

    def __init__(self, api, tech, billing, name: str) -> None:
        body = {**NEW_ACCOUNT, "name": name, "email": f"it@{name}.acme.test"}  # SPEC O7: one address each
        self.account = ok(api.post("/accounts", body, as_=billing), 201)["account_id"]
        ok(
            api.post(
                f"/accounts/{self.account}/adjustments",
                {"minutes": 600, "kind": "purchase", "reason": "phone"},
                as_=billing,
            ),
            201,
        )
        self.open = self._ticket(api, tech)
        ok(api.post(f"/tickets/{self.open}/time-entries", ENTRY, as_=tech), 201)
        self.closed = self._ticket(api, tech)
        ok(api.post(f"/tickets/{self.closed}/time-entries", ENTRY, as_=tech), 201)
        ok(api.post(f"/tickets/{self.closed}/close", as_=tech))
        self.customer = claims("customer", account_id=self.account, sub=f"customer-{name}")

    def _ticket(self, api, tech) -> str:
        body = {"account_id": self.account, "title": "VPN down", "priority": "normal", "opened_at": OPENED}
        return ok(api.post("/tickets", body, as_=tech), 201)["ticket_id"]


@pytest.fixture(scope="module")
def a(api, tech, billing) -> Tenant:
    return Tenant(api, tech, billing, "a")


@pytest.fixture(scope="module")
def b(api, tech, billing) -> Tenant:
    return Tenant(api, tech, billing, "b")


# ------------------------------------------------------------------ 401: no identity

ROUTES = [
    # (id, method, path template, body)
    ("POST-accounts", "POST", "/accounts", NEW_ACCOUNT),
    ("GET-account", "GET", "/accounts/{account}", None),
    ("GET-ledger", "GET", "/accounts/{account}/ledger", None),
    (
        "POST-adjustments",
        "POST",
        "/accounts/{account}/adjustments",
        {"minutes": 30, "kind": "grant", "reason": "goodwill"},
    ),
    ("POST-tickets", "POST", "/tickets", {"account_id": "{account}", "title": "Help", "priority": "low"}),
    ("GET-ticket", "GET", "/tickets/{open}", None),
    ("POST-emergency", "POST", "/tickets/{open}/emergency", {"active": True}),
    ("POST-time-entries", "POST", "/tickets/{open}/time-entries", ENTRY),
    ("POST-close", "POST", "/tickets/{open}/close", None),
    ("POST-credit-back", "POST", "/tickets/{closed}/credit-back", {"minutes": 30, "reason": "vendor bug"}),
]


def fill(value, tenant: Tenant):
    names = {"account": tenant.account, "open": tenant.open, "closed": tenant.closed}
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, tenant) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("identity", "headers"),
    [
        pytest.param({}, None, id="no-claims"),
        pytest.param({"cognito:groups": "[billing]", "custom:account_id": "x"}, None, id="claims-without-sub"),
        # API.md: the Lambda never trusts a header the caller sets.
        pytest.param(
            {},
            {"x-user-sub": "billing-staff", "cognito:groups": "[billing]", "x-amzn-oidc-identity": "billing-staff"},
            id="identity-only-in-headers",
        ),
    ],
)
@pytest.mark.parametrize(("method", "path", "body"), [pytest.param(*r[1:], id=r[0]) for r in ROUTES])
def test_no_identity_is_401_on_every_route(api, a, unchanged, identity, headers, method, path, body):
    with unchanged():
        reply = api.request(method, fill(path, a), fill(body, a), as_=identity, headers=headers)
    assert_error(reply, 401, "unauthorized")


@pytest.mark.parametrize(
    ("method", "path", "body"), [pytest.param(*r[1:], id=r[0]) for r in ROUTES if r[3] is not None]
)
def test_no_identity_is_401_even_with_a_bad_body(api, a, unchanged, method, path, body):
    with unchanged():
        reply = api.request(method, fill(path, a), raw_body="", as_={})
    assert_error(reply, 401, "unauthorized")


# ------------------------------------------------------------------ 403: the role may not do this


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        pytest.param("customer", "POST", "/tickets/{open}/time-entries", ENTRY, id="customer-posts-time"),
        pytest.param("customer", "POST", "/tickets/{open}/close", None, id="customer-closes"),
        pytest.param("customer", "POST", "/accounts", NEW_ACCOUNT, id="customer-creates-account"),
        pytest.param(
            "customer",
            "POST",
            "/accounts/{account}/adjustments",
            {"minutes": 600, "kind": "grant", "reason": "free time"},
            id="customer-adjusts-own-balance",
        ),
        pytest.param(
            "customer",
            "POST",
            "/tickets/{closed}/credit-back",
            {"minutes": 60, "reason": "please"},
            id="customer-credits-back-own-ticket",
        ),
        pytest.param("technician", "POST", "/accounts", NEW_ACCOUNT, id="technician-creates-account"),
        pytest.param(
            "technician",
            "POST",
            "/accounts/{account}/adjustments",
            {"minutes": 30, "kind": "grant", "reason": "goodwill"},
            id="technician-adjusts",
        ),
        pytest.param(
            "technician",
            "POST",
            "/tickets/{closed}/credit-back",
            {"minutes": 30, "reason": "bug"},
            id="technician-credits-back",
        ),
        pytest.param("billing", "POST", "/tickets/{open}/time-entries", ENTRY, id="billing-posts-time"),
        pytest.param("billing", "POST", "/tickets/{open}/close", None, id="billing-closes"),
    ],
)
def test_role_may_not_act_is_403(api, tech, billing, a, unchanged, who, method, path, body):
    identity = {"customer": a.customer, "technician": tech, "billing": billing}[who]
    with unchanged():
        reply = api.request(method, fill(path, a), fill(body, a), as_=identity)
    assert_error(reply, 403, "forbidden")


# ------------------------------------------------------------------ 404: another tenant's objects


@pytest.mark.parametrize(
    ("method", "path", "body", "nonexistent"),
    [
        pytest.param("GET", "/accounts/{account}", None, f"/accounts/{UNKNOWN_ACCOUNT}", id="read-account"),
        pytest.param(
            "GET", "/accounts/{account}/ledger", None, f"/accounts/{UNKNOWN_ACCOUNT}/ledger", id="read-ledger"
        ),
        pytest.param("GET", "/tickets/{open}", None, f"/tickets/{UNKNOWN_TICKET}", id="read-ticket"),
        pytest.param("GET", "/tickets/{closed}", None, f"/tickets/{UNKNOWN_TICKET}", id="read-closed-ticket"),
        pytest.param(
            "POST",
            "/tickets",
            {"account_id": "{account}", "title": "Mine now", "priority": "urgent"},
            "/tickets",
            id="open-ticket-on-their-account",
        ),
        pytest.param(
            "POST",
            "/tickets/{open}/emergency",
            {"active": True},
            f"/tickets/{UNKNOWN_TICKET}/emergency",
            id="upgrade-their-ticket",
        ),
        pytest.param(
            "POST",
            "/tickets/{open}/emergency",
            {"active": False},
            f"/tickets/{UNKNOWN_TICKET}/emergency",
            id="downgrade-their-ticket",
        ),
    ],
)
def test_another_tenants_objects_are_404_like_nonexistent_ones(
    api, tech, a, b, unchanged, method, path, body, nonexistent
):
    other_body = fill(body, b)
    missing_body = {**other_body, "account_id": UNKNOWN_ACCOUNT} if path == "/tickets" else other_body
    with unchanged():
        theirs = api.request(method, fill(path, b), other_body, as_=a.customer)
        missing = api.request(method, nonexistent, missing_body, as_=a.customer)
        missing_for_staff = api.request(method, nonexistent, missing_body, as_=tech)
    assert_error(theirs, 404, "not_found")
    assert theirs.body == missing.body == missing_for_staff.body


def test_a_ticket_id_relabelled_with_ones_own_account_is_404(api, a, b, unchanged):
    """The ticket id names its account; swapping in one's own account id finds nothing."""
    head, _, _ = b.open.partition(".")
    with unchanged():
        reply = api.get(f"/tickets/{head}.{a.account}", as_=a.customer)
    assert_error(reply, 404, "not_found")
    assert reply.body == api.get(f"/tickets/{UNKNOWN_TICKET}", as_=a.customer).body


def test_a_customer_without_an_account_claim_sees_no_account(api, a, unchanged):
    nobody = claims("customer", sub="customer-without-account")
    with unchanged():
        for path in (f"/accounts/{a.account}", f"/accounts/{a.account}/ledger", f"/tickets/{a.open}"):
            assert_error(api.get(path, as_=nobody), 404, "not_found")


def test_a_customers_past_emergency_change_is_refused_alike_for_any_ticket(api, a, b, unchanged):
    """A customer may never give ``at``; the refusal is the same whether the ticket is theirs, another
    tenant's or nonexistent, so it tells them nothing about what exists."""
    body = {"active": True, "at": AT}
    with unchanged():
        replies = [api.post(f"/tickets/{t}/emergency", body, as_=a.customer) for t in (a.open, b.open, UNKNOWN_TICKET)]
    assert replies[1].body == replies[2].body
    assert all(r.status in (403, 404) for r in replies), replies


# ------------------------------------------------------------------ customers on their own account


def test_customer_reads_own_account_ledger_and_ticket(api, a):
    account = ok(api.get(f"/accounts/{a.account}", as_=a.customer))
    assert account["account_id"] == a.account and account["balance_minutes"] == 540
    ledger = ok(api.get(f"/accounts/{a.account}/ledger", as_=a.customer))
    assert [(e["kind"], e["minutes"]) for e in ledger["items"]] == [("consumption", -60), ("purchase", 600)]
    ticket = ok(api.get(f"/tickets/{a.open}", as_=a.customer))
    assert ticket["ticket_id"] == a.open and [e["minutes"] for e in ticket["entries"]] == [60]
    assert ok(api.get(f"/tickets/{a.closed}", as_=a.customer))["status"] == "closed"


def test_customer_opens_a_ticket_and_upgrades_it_now_T3(api, a):
    opened = ok(
        api.post("/tickets", {"account_id": a.account, "title": "Email down", "priority": "urgent"}, as_=a.customer),
        201,
    )
    assert (opened["account_id"], opened["status"], opened["opened_by"]) == (a.account, "open", a.customer["sub"])
    assert recent(opened["opened_at"]) and recent(opened["opened_recorded_at"])
    upgraded = ok(api.post(f"/tickets/{opened['ticket_id']}/emergency", {"active": True}, as_=a.customer))
    assert upgraded["emergency"] is True
    (change,) = upgraded["emergency_changes"]
    assert change["by"] == a.customer["sub"] and change["active"] is True
    assert recent(change["at"]) and recent(change["recorded_at"])  # a customer's change is always "now"
    assert upgraded["emergency_periods"][0]["end"] is None


def test_customer_may_not_record_the_past(api, a, unchanged):
    with unchanged():
        opened = api.post(
            "/tickets",
            {"account_id": a.account, "title": "Yesterday's outage", "priority": "normal", "opened_at": OPENED},
            as_=a.customer,
        )
        upgraded = api.post(f"/tickets/{a.open}/emergency", {"active": True, "at": AT}, as_=a.customer)
    for reply in (opened, upgraded):
        assert "staff" in assert_error(reply, 403, "forbidden")["message"]


# ------------------------------------------------------------------ the groups claim in either form


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param("[technicians]", id="flattened-string"),
        pytest.param(["technicians"], id="json-list"),
        pytest.param("[customers technicians]", id="flattened-several"),
        pytest.param(["customers", "technicians"], id="json-list-several"),
    ],
)
def test_technicians_group_in_either_form(api, make_account, groups):
    account = make_account("member", 60)
    tech = {"sub": "tech-groups", "cognito:groups": groups}
    ticket = ok(
        api.post(
            "/tickets",
            {"account_id": account, "title": "Groups", "priority": "low", "opened_at": "2026-11-02T08:00:00-05:00"},
            as_=tech,
        ),
        201,
    )
    ok(api.post(f"/tickets/{ticket['ticket_id']}/time-entries", ENTRY, as_=tech), 201)
    assert ok(api.post(f"/tickets/{ticket['ticket_id']}/close", as_=tech))["status"] == "closed"


@pytest.mark.parametrize(
    "groups", [pytest.param("[customers]", id="flattened-string"), pytest.param(["customers"], id="json-list")]
)
def test_customers_group_in_either_form(api, a, b, unchanged, groups):
    customer = {"sub": "customer-groups", "cognito:groups": groups, "custom:account_id": a.account}
    assert ok(api.get(f"/accounts/{a.account}", as_=customer))["account_id"] == a.account
    with unchanged():
        assert_error(api.get(f"/accounts/{b.account}", as_=customer), 404, "not_found")
        assert_error(api.post(f"/tickets/{a.open}/time-entries", ENTRY, as_=customer), 403, "forbidden")


# ------------------------------------------------------------------ staff record the past, kept as given


@pytest.mark.parametrize(
    ("opened_at", "at", "started_at"),
    [
        pytest.param(
            "2026-11-16T08:50:00-05:00", "2026-11-16T08:55:00-05:00", "2026-11-16T09:00:00-05:00", id="company-offset"
        ),
        pytest.param(
            "2026-11-16T19:20:00+05:30", "2026-11-16T19:25:00+05:30", "2026-11-16T19:30:00+05:30", id="other-offset"
        ),
        pytest.param("2026-11-16T13:50:00+00:00", "2026-11-16T13:55:00+00:00", "2026-11-16T14:00:00+00:00", id="utc"),
    ],
)
def test_staff_given_times_are_kept_as_given_and_stamped(api, tech, a, opened_at, at, started_at):
    opened = ok(
        api.post(
            "/tickets",
            {"account_id": a.account, "title": "Phoned in", "priority": "urgent", "opened_at": opened_at},
            as_=tech,
        ),
        201,
    )
    ticket = opened["ticket_id"]
    assert opened["opened_at"] == opened_at
    assert recent(opened["opened_recorded_at"])
    upgraded = ok(api.post(f"/tickets/{ticket}/emergency", {"active": True, "at": at}, as_=tech))
    (change,) = upgraded["emergency_changes"]
    assert (change["at"], change["by"]) == (at, tech["sub"]) and recent(change["recorded_at"])
    entry = ok(
        api.post(f"/tickets/{ticket}/time-entries", {**ENTRY, "started_at": started_at, "minutes": 30}, as_=tech), 201
    )
    assert entry["started_at"] == started_at and recent(entry["recorded_at"])
    assert entry["weighted_minutes"] == 60  # inside the emergency period that began at ``at`` (T3)
    view = ok(api.get(f"/tickets/{ticket}", as_=tech))
    assert (view["opened_at"], view["emergency_changes"][0]["at"], view["entries"][0]["started_at"]) == (
        opened_at,
        at,
        started_at,
    )
    assert view["opened_recorded_at"] == opened["opened_recorded_at"]
    assert datetime.fromisoformat(view["emergency_periods"][0]["start"]) == datetime.fromisoformat(at)
