"""DynamoDB round trips per notification (SPEC N1; issue 22): what the NotificationsFunction's use case
(``hourbank.notifications.pipeline.notify``, the whole of a record's work but the SES call) sends to DynamoDB for
each kind of stream record, first delivery and redelivery, counted by ``bench.portal``'s item counter on DynamoDB
Local in memory. The mail is handed to a sender that only counts it (SES is one call per mail on top).

    python -m bench.notifications [--reps 5]

Prints a Markdown section for docs/BENCHMARKS.md; writes nothing (the section is pasted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.benchlib import command_line, counted_dynamodb, local_env, machine_line
from bench.portal import ItemCounter

AT = "2026-11-16T{h:02d}:00:00-05:00"
CASES = [
    ("opened", "ticket opened → received (customer, 2 contacts) + new ticket (technicians)"),
    ("response", "staff response (a public message, W5) → message (customer, 2 contacts)"),
    ("closed", "ticket closed, 3 entries → receipt (customer, 2 contacts)"),
    ("closed_again", "the close redelivered → nothing sent"),
    ("statement", "month closed → statement ready (customer, 2 contacts)"),
]


def _ok(reply: Any) -> Any:
    if reply.status not in (200, 201):
        raise AssertionError(reply)
    return reply.body


def _plain(table: str, key: dict[str, str]) -> dict:
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    typed = {k: {"S": v} for k, v in key.items()}
    item = boto3.client("dynamodb").get_item(TableName=table, Key=typed, ConsistentRead=True)["Item"]
    return {k: TypeDeserializer().deserialize(v) for k, v in item.items()}


def _one_round(api: Any, billing: dict, tech: dict, n: int) -> dict[str, tuple[str, str, dict | None, dict]]:
    """One account (and a contact), a ticket with 3 entries, a response, the close, the month's checkpoint:
    each fact's stream record as (source, name, old, new)."""
    import time as clock

    from hourbank.notifications import events as ev
    from hourbank.ports.settings import get_settings
    from hourbank.store.models import IdempotencyModel

    s = get_settings()
    acc = _ok(
        api.post("/accounts", {"name": f"Bench {n}", "email": f"n{n}@bench.example", "plan": "member"}, as_=billing)
    )
    account = acc["account_id"]
    _ok(api.post(f"/accounts/{account}/adjustments", {"minutes": 600, "kind": "purchase", "reason": "b"}, as_=billing))
    _ok(api.post(f"/accounts/{account}/contacts", {"name": "Colleague", "email": f"c{n}@bench.example"}, as_=billing))
    opened = {"account_id": account, "title": "Printer offline", "priority": "normal", "opened_at": AT.format(h=8)}
    ticket = _ok(api.post("/tickets", opened, as_=tech))["ticket_id"]
    new_ticket = _plain(s.tickets_table, {"ticket_id": ticket, "sk": "TICKET"})
    for h in (9, 10, 11):
        entry = {"work_type": "remote", "started_at": AT.format(h=h), "minutes": 20, "note": "b"}
        _ok(api.post(f"/tickets/{ticket}/time-entries", entry, as_=tech))
    _ok(api.post(f"/tickets/{ticket}/responses", {"note": "On it"}, as_=tech))
    from hourbank.store.models import MessageModel

    (response,) = list(MessageModel.query(ticket, MessageModel.sk.startswith("MSG#")))  # the response's message
    before = _plain(s.tickets_table, {"ticket_id": ticket, "sk": "TICKET"})
    _ok(api.post(f"/tickets/{ticket}/close", as_=tech))
    after = _plain(s.tickets_table, {"ticket_id": ticket, "sk": "TICKET"})
    expires = int(clock.time()) + 3600
    marker = IdempotencyModel(
        f"monthend#{account}#2026-11",
        fingerprint="checkpoint",
        account_id=account,
        ledger_seq=0,
        at="2026-12-01T05:06:00+00:00",
        expiration=expires,
    )  # what month end writes last for the account
    marker.save()
    return {
        "opened": (ev.TICKETS, "INSERT", None, new_ticket),
        "response": (ev.TICKETS, "INSERT", None, _plain(s.tickets_table, {"ticket_id": ticket, "sk": response.sk})),
        "closed": (ev.TICKETS, "MODIFY", before, after),
        "closed_again": (ev.TICKETS, "MODIFY", before, after),
        "statement": (ev.MARKERS, "INSERT", None, _plain(s.idempotency_table, {"id": marker.id})),
    }


def _rows(samples: dict[str, list[tuple]]) -> list[str]:
    rows = [
        "| Record | N | Mails sent | Round trips | per mail | DynamoDB calls | Items read | p50 ms* |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for key, label in CASES:
        runs = samples[key]
        calls: Counter = Counter()
        for r in runs:
            calls.update(r[1])
        text = ", ".join(f"{k} ×{v / len(runs):g}" for k, v in sorted(calls.items())) or "none"
        mails = statistics.fmean(r[2] for r in runs)
        trips = statistics.fmean(r[0] for r in runs)
        per = f"{trips / mails:.1f}" if mails else "—"
        rows.append(
            f"| {label} | {len(runs)} | {mails:g} | {trips:g} | {per} | {text} | "
            f"{statistics.fmean(r[3] for r in runs):g} | {statistics.median(r[4] for r in runs):.1f} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    local_env(
        "bench-notifications", TECHNICIANS_EMAIL="technicians@bench.example", SUPPORT_EMAIL="support@bench.example"
    )
    machine = machine_line()
    samples: dict[str, list[tuple]] = {k: [] for k, _ in CASES}
    with counted_dynamodb(ItemCounter) as (_engine, _names, counter):
        from devstack.lambda_client import LambdaClient, claims
        from hourbank.notifications.pipeline import notify

        api = LambdaClient()
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")
        for n in range(args.reps + 1):  # the first round warms up and is dropped
            records = _one_round(api, billing, tech, n)
            for key, _label in CASES:
                sent: list[Any] = []
                counter.reset()
                t0 = time.perf_counter()
                source, name, old, new = records[key]
                notify(source, name, old, new, sent.append)
                ms = (time.perf_counter() - t0) * 1000
                if n:
                    samples[key].append((counter.sends, Counter(counter.calls), len(sent), counter.scanned, ms))
    print("\n".join(["```", command_line(), "```", "", machine, "", *_rows(samples)]))
    print("\n*ms: in-process on DynamoDB Local; SES is one more call per mail sent.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
