"""Demo data for the local stack, loaded through the real HTTP API (so it is rated, gated and ledgered
exactly like a person's requests), then a page of URLs, tokens and curl lines to try it with."""

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
            if minutes:
                _call(
                    url,
                    "POST",
                    f"/accounts/{acc}/adjustments",
                    billing,
                    {"minutes": minutes, "kind": "purchase", "reason": "demo: bought by phone"},
                )
            return acc

        def ticket(acc: str, title: str, priority: str = "normal", opened: float = 0) -> str:
            body = {"account_id": acc, "title": title, "priority": priority, "opened_at": at(opened)}
            return _call(url, "POST", "/tickets", tech, body)["ticket_id"]

        def entry(tkt: str, work_type: str, start: float, minutes: int, note: str) -> None:
            _call(
                url,
                "POST",
                f"/tickets/{tkt}/time-entries",
                tech,
                {"work_type": work_type, "started_at": at(start), "minutes": minutes, "note": note},
            )

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
        entry(t, "onsite", 25.5, 60, "Installed and licensed the imaging suite")
        northwind = accounts["business_priority"] = account("Northwind Logistics", "business_priority", 0)
        t = ticket(northwind, "VPN drops every hour", opened=48)
        entry(t, "remote", 48.5, 75, "Replaced the VPN profile; monitoring")
        if state is not None:
            state.write_text(json.dumps(accounts, indent=2))
    customer = jwt_local.mint("customer", account_id=accounts["member"], sub="demo-customer", ttl_s=43200)
    new_ticket = json.dumps({"account_id": accounts["non_member"], "title": "Printer jam", "priority": "low"})
    lines = [
        "",
        "Demo data (scripts/devstack/seed.py):",
        *(f"  {plan:<18} {acc}" for plan, acc in accounts.items()),
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
