"""DynamoDB round trips and items read by a ticket's conversation (SPEC W5; API.md GET/POST
/tickets/{ticket_id}/messages), through the real handlers, as ``bench.desk`` measures the desk's (its item
counter, in-process ``LambdaClient``, DynamoDB Local in memory):

    python -m bench.conversation [--reps 5]

Prints a Markdown section for docs/BENCHMARKS.md; writes nothing (the section is pasted).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Any

from bench.benchlib import command_line, counted_dynamodb, local_env, machine_line
from bench.desk import _ok, _rows
from bench.portal import ItemCounter

OPERATIONS = [
    ("customer_post", "POST …/messages, the customer's reply"),
    ("note_post", "POST …/messages, a staff internal note"),
    ("staff_post", "POST …/messages, staff to the customer (a response, S1)"),
    ("retry_post", "the same POST retried (Idempotency-Key): the first answer"),
    ("staff_list", "GET …/messages?limit=50 as staff (a page of 50 of 60+)"),
    ("customer_list", "GET …/messages?limit=50 as the customer (public only: 40 of 60+)"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    local_env("bench-conversation")
    machine = machine_line()
    samples: dict[str, list[tuple]] = {k: [] for k, _ in OPERATIONS}
    with counted_dynamodb(ItemCounter) as (_engine, _names, counter):
        from devstack.lambda_client import LambdaClient, claims

        api = LambdaClient()
        billing, tech = claims("billing", sub="bench-billing"), claims("technician", sub="bench-tech")
        account = _ok(
            api.post("/accounts", {"plan": "member", "name": "Bench", "email": "c@bench.example"}, as_=billing)
        ).body["account_id"]
        customer = {**claims("customer", account_id=account, sub="bench-customer"), "name": "Dana"}
        ticket = _ok(
            api.post("/tickets", {"account_id": account, "title": "t", "priority": "normal"}, as_=customer)
        ).body["ticket_id"]
        path = f"/tickets/{ticket}/messages"
        for n in range(60):  # two public messages for every internal note
            body = {"text": f"message {n}", "visibility": "internal" if n % 3 == 2 else "public"}
            _ok(api.post(path, body, as_=tech if n % 3 else customer))

        def measure(key: str, call: Any) -> Any:
            counter.reset()
            t0 = time.perf_counter()
            reply = _ok(call())
            ms = (time.perf_counter() - t0) * 1000
            samples[key].append(
                (counter.sends, Counter(counter.calls), counter.returned, counter.scanned, counter.rcu, ms)
            )
            return reply

        for n in range(args.reps + 1):  # the first round warms the handlers up and is dropped
            key = {"idempotency-key": f"k-{n}"}
            measure("customer_post", lambda: api.post(path, {"text": "any news?"}, as_=customer))
            measure("note_post", lambda: api.post(path, {"text": "n", "visibility": "internal"}, as_=tech))
            measure("staff_post", lambda k=key: api.post(path, {"text": "on it"}, as_=tech, headers=k))
            measure("retry_post", lambda k=key: api.post(path, {"text": "on it"}, as_=tech, headers=k))
            measure("staff_list", lambda: api.get(path, query={"limit": "50"}, as_=tech))
            measure("customer_list", lambda: api.get(path, query={"limit": "50"}, as_=customer))
    print("\n".join(["```", command_line(), "```", "", machine, "", *_rows_of(samples)]))
    return 0


def _rows_of(samples: dict[str, list[tuple]]) -> list[str]:
    import bench.desk as desk

    saved = desk.OPERATIONS
    desk.OPERATIONS = OPERATIONS  # the desk's table, these rows
    try:
        return _rows(samples)
    finally:
        desk.OPERATIONS = saved


if __name__ == "__main__":
    sys.exit(main())
