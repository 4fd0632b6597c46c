"""Demo data for the local stack, loaded through the real HTTP API (so it is rated, gated and ledgered
exactly like a person's requests), then a page of URLs, tokens and curl lines to try it with.

Issue 24: last month's closed work too, so a newcomer can run last month's close (billing's month-end page, or
``POST /month-ends/<last month>/run``) and see invoices - a member's tickets opened, worked and closed in the previous
month with post-pay (C2). The API closes a ticket "now"; a close dated last month is made with the close's own
domain function and a clock set then (``last_month``), as the month-end tests do. Payments go through the local
payment page and the signed webhook: a recurring agreement (O6), a paid onsite visit and one awaiting payment (V1),
a payment that did not match its order (kept for review, O8), purchases by phone with the money received (W4)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from devstack import jwt_local


def _call(url: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"seed: {method} {path} -> {exc.code} {exc.read()[:300]!r}") from exc


def _last_monday(tz: str) -> datetime:
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).replace(hour=9, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday() + 7)


def seed(url: str, *, state: Path | None = None, timezone: str = "America/New_York") -> str:
    """Create (once, when ``state`` remembers it) three accounts with tickets and time; return the guide."""
    billing = jwt_local.mint("billing", sub="demo-billing")
    tech = jwt_local.mint("technician", sub="demo-tech")
    accounts: dict[str, str]
    if state is not None and state.exists():
        accounts = json.loads(state.read_text())
    else:
        accounts = {}
        day = _last_monday(timezone)

        def at(hours: float) -> str:
            return (day + timedelta(hours=hours)).isoformat()

        def account(name: str, plan: str, minutes: int) -> str:
            acc = _call(
                url,
                "POST",
                "/accounts",
                billing,
                {"name": name, "email": f"it@{name.split()[0].lower()}.example", "plan": plan},
            )["account_id"]
            if minutes:  # W4: a purchase by phone, with the money received at the plan's rate
                rate = {"non_member": 30_000, "member": 15_000}.get(plan, 15_000)
                paid = {"currency": "USD", "amount_minor": rate * minutes // 60}
                _call(
                    url,
                    "POST",
                    f"/accounts/{acc}/adjustments",
                    billing,
                    {"minutes": minutes, "kind": "purchase", "reason": "card taken over the phone", "amount": paid},
                )
            return acc

        def ticket(acc: str, title: str, priority: str = "normal", opened: float = 0) -> str:
            body = {"account_id": acc, "title": title, "priority": priority, "opened_at": at(opened)}
            return _call(url, "POST", "/tickets", tech, body)["ticket_id"]

        def entry(tkt: str, work_type: str, start: float, minutes: int, note: str) -> str:
            return _call(
                url,
                "POST",
                f"/tickets/{tkt}/time-entries",
                tech,
                {"work_type": work_type, "started_at": at(start), "minutes": minutes, "note": note},
            )["entry_id"]

        bakery = accounts["non_member"] = account("Corner Bakery", "non_member", 240)
        t = ticket(bakery, "Card reader offline")
        entry(t, "remote", 0.5, 45, "Reset the payment terminal and re-paired it with the till")
        dental = accounts["member"] = account("Acme Dental", "member", 120)
        t = ticket(dental, "Server won't boot", "urgent")
        _call(url, "POST", f"/tickets/{t}/emergency", tech, {"active": True, "at": at(0.1)})
        entry(t, "remote", 0.25, 90, "Rebuilt the RAID array from the hot spare")
        _call(url, "POST", f"/tickets/{t}/close", tech)
        t = ticket(dental, "Install imaging software", "low", opened=24)
        entry(t, "travel", 25, 30, "Drive to the clinic")
        onsite = entry(t, "onsite", 25.5, 60, "Installed and licensed the imaging suite")
        customer_token = jwt_local.mint("customer", account_id=dental, sub="demo-customer")
        _call(
            url,
            "POST",
            f"/tickets/{t}/time-entries/{onsite}/dispute",
            customer_token,
            {"reason": "We were told 45 minutes"},
        )
        northwind = accounts["business_priority"] = account("Northwind Logistics", "business_priority", 0)
        t = ticket(northwind, "VPN drops every hour", opened=48)
        entry(t, "remote", 48.5, 75, "Replaced the VPN profile; monitoring")
        accounts["member_last_month"] = last_month(url, billing, tech, timezone)
        payments(url, billing, tech, dental)
        if state is not None:
            state.write_text(json.dumps(accounts, indent=2))
    customer = jwt_local.mint("customer", account_id=accounts["member"], sub="demo-customer", ttl_s=43200)
    new_ticket = json.dumps({"account_id": accounts["non_member"], "title": "Printer jam", "priority": "low"})
    lines = [
        "",
        "Demo data (scripts/devstack/seed.py):",
        *(f"  {plan:<18} {acc}" for plan, acc in accounts.items()),
        "",
        "Last month's work is closed but not invoiced: run its month end as billing (the month-end page, or",
        f'  curl -s -X POST {url}/month-ends/<yyyy-mm of last month>/run -H "Authorization: Bearer $BILLING")',
        "",
        "Tokens (valid 12 h; make more with .venv/bin/python -m devstack token):",
        f"  export TECH={jwt_local.mint('technician', sub='demo-tech', ttl_s=43200)}",
        f"  export BILLING={jwt_local.mint('billing', sub='demo-billing', ttl_s=43200)}",
        f"  export CUSTOMER={customer}",
        "",
        "Try:",
        f'  curl -s {url}/accounts/{accounts["member"]} -H "Authorization: Bearer $CUSTOMER"',
        f'  curl -s {url}/accounts/{accounts["member"]}/ledger -H "Authorization: Bearer $BILLING"',
        f"  curl -s -X POST {url}/tickets -H \"Authorization: Bearer $TECH\" -H 'Content-Type: application/json' \\",
        f"       -d '{new_ticket}'",
    ]
    return "\n".join(lines)


def last_month(url: str, billing: str, tech: str, timezone: str) -> str:
    """A member who worked with us all last month, closed last month with post-pay (C2): its month-end invoice."""
    from hourbank.kernel.clock import FixedClock
    from hourbank.kernel.identity import TECHNICIANS, Actor
    from hourbank.store.models import AccountModel, PlanPeriod
    from hourbank.tickets.closing import close_ticket

    tz = ZoneInfo(timezone)
    first = datetime.now(UTC).astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=1)).replace(day=1)  # the 1st of last month
    monday = start + timedelta(days=(7 - start.weekday()) % 7 + 7, hours=9)  # its second Monday, 09:00
    body = {"name": "Riverside Clinic", "email": "it@riverside.example", "plan": "member"}
    acc = _call(url, "POST", "/accounts", billing, body)["account_id"]
    since = start.astimezone(UTC).isoformat(timespec="seconds")  # a customer all last month (its plan since)
    AccountModel(acc).update(
        [AccountModel.created_at.set(since), AccountModel.plan_changes.set([PlanPeriod(plan="member", since=since)])]
    )
    actor = Actor("demo-tech", frozenset({TECHNICIANS}), name="Demo Technician")
    for day, title, minutes, note in (
        (0, "Front desk PC will not start", 150, "Replaced the power supply; restored the profile"),
        (2, "Printer queue stuck", 45, "Cleared the spooler; updated the driver"),
    ):
        opened = monday + timedelta(days=day)
        tkt = _call(
            url,
            "POST",
            "/tickets",
            tech,
            {"account_id": acc, "title": title, "priority": "normal", "opened_at": opened.isoformat()},
        )["ticket_id"]
        started = (opened + timedelta(minutes=15)).isoformat()
        entry = {"work_type": "remote", "started_at": started, "minutes": minutes, "note": note}
        _call(url, "POST", f"/tickets/{tkt}/time-entries", tech, entry)
        close_ticket(actor, tkt, clock=FixedClock(opened + timedelta(hours=5)))  # closed last month, all post-pay
    return acc


def payments(url: str, billing: str, tech: str, member: str) -> None:
    """The member's payments: a recurring agreement (paid on the local payment page), an onsite visit paid and one
    awaiting payment, and an order paid with the wrong amount - kept for review (O8)."""
    customer = jwt_local.mint("customer", account_id=member, sub="demo-customer")
    recurring = _call(url, "POST", "/orders", customer, {"account_id": member, "hours": 5, "kind": "recurring"})
    _pay(recurring["checkout_url"], recurring["order_id"])
    week = (datetime.now(UTC) + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)
    visit = {
        "account_id": member,
        "scheduled_at": week.isoformat(),
        "address": "4 Elm Street, Springfield",
        "estimate_hours": 2,
    }
    paid = _call(url, "POST", "/visits", tech, visit)
    _pay(paid["checkout_url"], paid["order_id"])
    _call(
        url,
        "POST",
        "/visits",
        tech,
        {**visit, "scheduled_at": (week + timedelta(days=7)).isoformat(), "estimate_hours": 1},
    )
    short = _call(url, "POST", "/orders", customer, {"account_id": member, "hours": 4})
    _pay(short["checkout_url"], short["order_id"], amount_minor=40_000)  # $400.00 for a $600.00 order


def _pay(checkout_url: str, order_id: str, *, amount_minor: int | None = None) -> None:
    """What the local payment page's Pay button does - or, with ``amount_minor``, a payment of another amount, as a
    customer's bank might send: a signed checkout.session.completed to the webhook."""
    from urllib.parse import quote, urlsplit

    from devstack import local_env
    from devstack.web import checkout_completed
    from hourbank.payments.webhook_signature import sign_webhook

    parts = urlsplit(checkout_url)
    base, session_id = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/").rsplit("/", 1)[-1]
    if amount_minor is None:  # the Pay button: the charge (with its receipt) and the session's completion
        pay = urllib.request.Request(
            f"{base}{parts.path}/pay",
            data=f"order={quote(order_id)}".encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(pay, timeout=30) as reply:
                reply.read()
        except urllib.error.HTTPError as exc:  # the redirect to the order's page: paid (it may not be built)
            if exc.code not in (303, 404):
                raise
        return
    with urllib.request.urlopen(f"{base}/orders/{quote(order_id)}", timeout=30) as reply:
        order = json.loads(reply.read())
    event = checkout_completed(order, session_id)
    if amount_minor is not None:
        event["data"]["object"]["amount_total"] = event["data"]["object"]["amount_subtotal"] = amount_minor
    payload = json.dumps(event)
    request = urllib.request.Request(
        f"{base}/webhooks/stripe",
        data=payload.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign_webhook(payload, local_env.webhook_secret()),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
