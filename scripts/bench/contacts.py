"""DynamoDB round trips of each contacts route (SPEC W1, O7; issue 24 item 2), through the real handler
(in-process ``LambdaClient``, DynamoDB Local in memory, the local stack's inviter: an e-mail in a temporary
outbox and a file of the local user pool, where AWS makes one Cognito call - AdminCreateUser, AdminDeleteUser):

    python -m bench.contacts [--reps 5]

Prints a Markdown section for docs/BENCHMARKS.md (the calls in order, by table); writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.benchlib import CallCounter, command_line, counted_dynamodb, local_env, machine_line

OPERATIONS = [
    ("list_1", "GET /accounts/{id}/contacts (the owner only)"),
    ("list_6", "GET /accounts/{id}/contacts (the owner and 5 contacts)"),
    ("invite", "POST /accounts/{id}/contacts"),
    ("invite_taken", "POST /accounts/{id}/contacts, an address another account holds (409)"),
    ("resend", "POST /accounts/{id}/contacts/{contact_id}/invitation"),
    ("remove", "DELETE /accounts/{id}/contacts/{contact_id}"),
    ("remove_owner", "DELETE of the owner, the last contact (409)"),
    ("account_signed_in", "GET /accounts/{id} by a customer who signed in a minute ago (notes it)"),
    ("account_later", "GET /accounts/{id} by a customer who signed in an hour ago (nothing written)"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    local_env("bench-contacts")
    machine = machine_line()
    samples: dict[str, list[tuple[int, Counter, list[str], float]]] = {k: [] for k, _ in OPERATIONS}
    with counted_dynamodb(CallCounter) as (_engine, _names, counter):
        from devstack.lambda_client import LambdaClient, claims

        api = LambdaClient()
        billing = claims("billing", sub="bench-billing")

        def ok(reply: Any, *status: int) -> Any:
            if reply.status not in (status or (200,)):
                raise AssertionError(reply)
            return reply

        def account(n: int) -> tuple[str, str]:
            email = f"owner{n}.{time.perf_counter_ns()}@bench.example"
            body = {"name": f"bench {n}", "email": email, "plan": "member"}
            return ok(api.post("/accounts", body, as_=billing), 201).body["account_id"], email

        def measure(
            key: str, method: str, path: str, body: Any = None, *, as_: dict = billing, status: int = 200
        ) -> Any:
            counter.reset()
            t0 = time.perf_counter()
            reply = ok(api.request(method, path, body, as_=as_), status)
            ms = time.perf_counter() - t0
            samples[key].append((counter.sends, Counter(counter.calls), list(counter.sequence), ms))
            return reply

        for rep in range(args.reps + 1):  # the first round warms the handlers up and is dropped
            lone, lone_email = account(rep)
            busy, _ = account(rep + 1000)
            _, other_email = account(rep + 2000)
            base = f"/accounts/{busy}/contacts"
            for k in range(5):
                ok(api.post(base, {"name": f"person {k}", "email": f"p{k}.{busy}@bench.example"}, as_=billing), 201)
            measure("list_1", "GET", f"/accounts/{lone}/contacts")
            measure("list_6", "GET", base)
            new = {"name": "new person", "email": f"new.{busy}@bench.example"}
            made = measure("invite", "POST", base, new, status=201).body
            measure("invite_taken", "POST", base, {"name": "taken", "email": other_email.upper()}, status=409)
            one = f"{base}/{made['contact_id']}"
            measure("resend", "POST", f"{one}/invitation", status=202)
            measure("remove", "DELETE", one, status=204)
            owner_id = api.get(f"/accounts/{lone}/contacts", as_=billing).body["items"][0]["contact_id"]
            measure("remove_owner", "DELETE", f"/accounts/{lone}/contacts/{owner_id}", status=409)
            for key, ago in (("account_signed_in", 60), ("account_later", 3600)):
                who = claims("customer", account_id=lone, sub=f"bench-owner-{rep}")
                who.update({"email": lone_email, "auth_time": str(int(time.time()) - ago)})
                measure(key, "GET", f"/accounts/{lone}", as_=who)
    rows = ["| Route | N | Round trips | DynamoDB calls, in order | p50 ms* |", "|---|---:|---:|---|---:|"]
    for key, label in OPERATIONS:
        runs = samples[key][1:]
        trips = "/".join(str(t) for t in sorted({s[0] for s in runs}))
        sequence = " → ".join(runs[-1][2]) or "none"
        ms = statistics.median(s[3] for s in runs) * 1000
        rows.append(f"| {label} | {len(runs)} | {trips} | {sequence} | {ms:.1f} |")
    note = (
        "\\* in-process handler on DynamoDB Local, with the local inviter (a file write) where AWS makes one Cognito "
        "call per invitation or removal: the round trips are the figure to read, the milliseconds only compare rows."
    )
    print("\n".join(["```", command_line(), "```", "", machine, "", *rows, "", note]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
