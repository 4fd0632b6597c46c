"""Integration fixtures: the API functions against DynamoDB Local, tables from template.yaml."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal

import boto3
import pytest

from scripts.localdev.lambda_client import LambdaClient, Reply, claims
from scripts.localdev.template import load_template

TICKETS_OPENED_AT = "2026-01-05T08:00:00-05:00"


@pytest.fixture(scope="module")
def tables(tables: dict[str, str], dynamodb_local) -> Iterator[dict[str, str]]:
    """Each module on tables of its own, after the session's set-up (``tables`` of the root conftest: outbox,
    queues, payment settings). ``snapshot()`` reads every item of every table, so a refused request's check
    costs the module's data, not everything the suite wrote before it (thousands of items by the end)."""
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions
    from scripts.localdev import lambda_runtime
    from scripts.localdev.template import create_tables, table_env

    def refresh() -> None:  # settings and models read the env afresh; handlers that cached it start cold
        get_settings.cache_clear()
        transactions.bind()
        lambda_runtime.retire_environments()

    names = create_tables(dynamodb_local.client(), f"i{secrets.token_hex(3)}")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in table_env(names).items():
            mp.setenv(key, value)
        refresh()
        yield names
    refresh()


@pytest.fixture(scope="module")
def api(tables) -> LambdaClient:
    # The calendar the template deploys with (its parameter defaults), so tests rate as production does.
    params = load_template()["Parameters"]
    os.environ["COMPANY_TIMEZONE"] = params["CompanyTimezone"]["Default"]
    os.environ["BUSINESS_HOURS"] = params["BusinessHours"]["Default"]
    os.environ["HOLIDAYS"] = params["Holidays"]["Default"]
    from hourbank.ports.settings import get_settings
    from hourbank.store import transactions

    get_settings.cache_clear()
    transactions.bind()
    return LambdaClient()


@pytest.fixture(scope="session")
def billing() -> dict:
    return claims("billing", sub="billing-staff")


@pytest.fixture(scope="session")
def tech() -> dict:
    return claims("technician", sub="tech-1")


@pytest.fixture
def make_account(api, billing) -> Callable[..., str]:
    """Create an account on ``plan`` with ``minutes`` of purchased credit; returns its id."""

    def make(plan: str = "member", minutes: int = 0, **extra) -> str:
        # SPEC O7: one e-mail, one account - every account of the suite gets its own address.
        email = f"it-{secrets.token_hex(6)}@example.test"
        reply = api.post("/accounts", {"name": f"{plan} customer", "email": email, "plan": plan, **extra}, as_=billing)
        assert reply.status == 201, reply
        account_id = reply.body["account_id"]
        if minutes:
            reply = api.post(
                f"/accounts/{account_id}/adjustments",
                {"minutes": minutes, "kind": "purchase", "reason": "bought by phone"},
                as_=billing,
            )
            assert reply.status == 201, reply
        return account_id

    return make


@pytest.fixture
def open_ticket(api, tech) -> Callable[..., str]:
    def open_(account_id: str, title: str = "Server offline", priority: str = "normal", **extra) -> str:
        # Recorded as opened well before the fixed dates the tests log time at (SPEC T8: no work before
        # the ticket was opened).
        extra = {"opened_at": TICKETS_OPENED_AT, **extra}
        if extra["opened_at"] is None:  # opened now (SPEC S1 tests of a running clock)
            del extra["opened_at"]
        reply = api.post(
            "/tickets", {"account_id": account_id, "title": title, "priority": priority, **extra}, as_=tech
        )
        assert reply.status == 201, reply
        return reply.body["ticket_id"]

    return open_


@pytest.fixture
def log_time(api, tech) -> Callable[..., Reply]:
    def log(
        ticket_id: str,
        started_at: str,
        minutes: int,
        work_type: str = "remote",
        note: str = "work done",
        expect: int | None = 201,
    ) -> Reply:
        reply = api.post(
            f"/tickets/{ticket_id}/time-entries",
            {"work_type": work_type, "started_at": started_at, "minutes": minutes, "note": note},
            as_=tech,
        )
        if expect is not None:
            assert reply.status == expect, reply
        return reply

    return log


def ledger_items(account_id: str) -> list[dict]:
    from hourbank.store.models import LedgerModel

    return [e.attribute_values for e in LedgerModel.query(account_id, consistent_read=True)]


def assert_c7(account_id: str) -> int:
    """SPEC C7: balance = Σ ledger, entries numbered 1..N without gaps, each balance_after a running sum."""
    from hourbank.store.models import AccountModel

    account = AccountModel.get(account_id, consistent_read=True)
    entries = sorted(ledger_items(account_id), key=lambda e: e["seq"])
    running = 0
    for n, entry in enumerate(entries, start=1):
        assert entry["seq"] == n, f"ledger sequence has a gap before {entry['seq']}"
        running += entry["minutes"]
        assert entry["balance_after"] == running, entry
    assert account.balance_minutes == running, f"balance {account.balance_minutes} != Σ ledger {running}"
    assert account.ledger_seq == len(entries)
    assert account.available_minutes == account.balance_minutes - account.committed_minutes
    return running


def snapshot(*, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """Every item of every table (test data is small): proves a refused request wrote nothing.
    ``skip`` leaves tables out by setting name: ``("orders",)`` for events that only mark or flag an order,
    ``("idempotency",)`` for a webhook event whose only trace is its dedupe record."""
    client = boto3.client("dynamodb")
    out: dict[str, list] = {}
    from hourbank.ports.settings import get_settings

    s = get_settings()
    tables = {
        "accounts": s.accounts_table,
        "tickets": s.tickets_table,
        "ledger": s.ledger_table,
        "charges": s.charges_table,
        "orders": s.orders_table,
        "idempotency": s.idempotency_table,
        "reviews": s.reviews_table,
    }
    for name in (table for key, table in tables.items() if key not in skip):
        items: list = []
        kwargs: dict = {"TableName": name, "ConsistentRead": True}
        while True:
            page = client.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        out[name] = sorted(items, key=repr)
    return out


@pytest.fixture
def unchanged():
    """``with unchanged(): <refused request>`` asserts that no table changed."""
    from contextlib import contextmanager

    @contextmanager
    def guard(*, skip: tuple[str, ...] = ()):
        before = snapshot(skip=skip)
        yield
        assert snapshot(skip=skip) == before, "a refused request wrote something"

    return guard


__all__ = ["Decimal", "assert_c7", "ledger_items", "snapshot"]
