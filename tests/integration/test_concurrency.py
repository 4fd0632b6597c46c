"""Retries, duplicates and concurrent requests lose nothing and count nothing twice (SPEC C5, C7, C4).

Real threads against DynamoDB Local: every request goes through a handler and a real transaction.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from tests.integration.conftest import assert_c7, ledger_items

pytestmark = pytest.mark.integration

AT = "2026-11-16T10:00:00-05:00"


def test_ten_concurrent_closes_debit_once_C5(api, tech, make_account, open_ticket, log_time):
    account = make_account("member", 300)
    ticket = open_ticket(account)
    log_time(ticket, AT, 95)
    start = Barrier(10)

    def close(_):
        start.wait()
        return api.post(f"/tickets/{ticket}/close", as_=tech)

    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(close, range(10)))
    assert {r.status for r in replies} == {200}
    assert len({tuple(sorted(r.body.items())) for r in replies}) == 1, "every close returns the first result"
    assert replies[0].body["debited_minutes"] == 120
    assert [e["kind"] for e in ledger_items(account)].count("consumption") == 1
    assert assert_c7(account) == 180


@pytest.mark.parametrize("plan", ["member", "non_member"])
def test_twenty_threads_posting_and_closing_on_one_account_C7(api, tech, billing, make_account, open_ticket, plan):
    """20 workers at once: entries on 5 shared tickets, closes of them, and credits landing. Afterwards
    balance = Σ ledger, each ticket debited exactly once, and the committed minutes match what is open."""
    account = make_account(plan, 3000)
    tickets = [open_ticket(account, f"ticket {n}") for n in range(5)]
    start = Barrier(20)
    rng = random.Random(7)
    plans = [[rng.choice(["entry", "entry", "entry", "close", "credit"]) for _ in range(6)] for _ in range(20)]

    def worker(n: int) -> list:
        start.wait()
        out = []
        for step, action in enumerate(plans[n]):
            ticket = tickets[(n + step) % len(tickets)]
            if action == "entry":
                reply = api.post(
                    f"/tickets/{ticket}/time-entries",
                    {"work_type": "remote", "started_at": AT, "minutes": 5 + (n * 7 + step) % 50, "note": f"w{n}"},
                    as_=tech,
                )
                assert reply.status in (201, 409), reply  # 409: the ticket was closed meanwhile
            elif action == "close":
                reply = api.post(f"/tickets/{ticket}/close", as_=tech)
                assert reply.status == 200, reply
            else:
                reply = api.post(
                    f"/accounts/{account}/adjustments", {"minutes": 30, "kind": "grant", "reason": f"w{n}"}, as_=billing
                )
                assert reply.status == 201, reply
            out.append((action, reply.status))
        return out

    with ThreadPoolExecutor(20) as pool:
        results = [r for rs in pool.map(worker, range(20)) for r in rs]
    for ticket in tickets:  # close whatever is still open
        assert api.post(f"/tickets/{ticket}/close", as_=tech).status == 200

    balance = assert_c7(account)
    entries = ledger_items(account)
    grants = sum(1 for action, status in results if action == "credit" and status == 201)
    consumptions = [e for e in entries if e["kind"] == "consumption"]
    views = [api.get(f"/tickets/{t}", as_=tech).body for t in tickets]
    used = sorted(v["ticket_id"] for v in views if v["consumed_minutes"])  # a ticket with no time consumes 0
    assert sorted(e["ref"] for e in consumptions) == used, "each ticket debited exactly once"
    assert all(
        -e["minutes"] == next(v["consumed_minutes"] for v in views if v["ticket_id"] == e["ref"]) for e in consumptions
    )
    for view in views:
        # The ticket's consumption equals its entries, rated and rounded per ticket (T4, T5).
        weighted = sum(e["weighted_minutes"] for e in view["entries"])
        assert view["weighted_minutes"] == weighted
        assert view["consumed_minutes"] == (0 if weighted == 0 else max(30, -(-weighted // 30) * 30))
    assert balance == 3000 + 30 * grants - sum(v["consumed_minutes"] for v in views)
    account_view = api.get(f"/accounts/{account}", as_=tech).body
    assert account_view["committed_minutes"] == 0 and account_view["available_minutes"] == balance


def test_concurrent_entries_never_pass_the_gate_C4(api, tech, make_account, open_ticket):
    """A non-member with 120 minutes: 12 technicians post 30 minutes each at once on two tickets. At most
    120 projected minutes get in; the rest are 402; nothing is half-written."""
    account = make_account("non_member", 120)
    tickets = [open_ticket(account, "a"), open_ticket(account, "b")]
    start = Barrier(12)

    def post(n: int):
        start.wait()
        return api.post(
            f"/tickets/{tickets[n % 2]}/time-entries",
            {"work_type": "remote", "started_at": AT, "minutes": 30, "note": f"n{n}"},
            as_=tech,
        )

    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(post, range(12)))
    assert sorted({r.status for r in replies}) == [201, 402]
    assert sum(r.status == 201 for r in replies) == 4
    views = [api.get(f"/tickets/{t}", as_=tech).body for t in tickets]
    assert sum(v["projected_consumption_minutes"] for v in views) == 120
    assert sum(len(v["entries"]) for v in views) == 4
    view = api.get(f"/accounts/{account}", as_=tech).body
    assert (view["committed_minutes"], view["available_minutes"]) == (120, 0)
    assert_c7(account)


def test_retried_entry_with_idempotency_key_counts_once(api, tech, make_account, open_ticket):
    account = make_account("member", 0)
    ticket = open_ticket(account)
    body = {"work_type": "remote", "started_at": AT, "minutes": 45, "note": "same request"}
    start = Barrier(6)

    def post(_):
        start.wait()
        return api.post(f"/tickets/{ticket}/time-entries", body, as_=tech, headers={"idempotency-key": "abc-1"})

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(post, range(6)))
    assert sorted(r.status for r in replies) == [200] * 5 + [201]
    assert len({r.body["entry_id"] for r in replies}) == 1
    view = api.get(f"/tickets/{ticket}", as_=tech).body
    assert (len(view["entries"]), view["weighted_minutes"]) == (1, 45)


def test_idempotency_key_reused_for_another_entry_is_409(api, tech, make_account, open_ticket, unchanged):
    account = make_account("member", 0)
    ticket = open_ticket(account)
    body = {"work_type": "remote", "started_at": AT, "minutes": 45, "note": "first"}
    headers = {"idempotency-key": "key-2"}
    assert api.post(f"/tickets/{ticket}/time-entries", body, as_=tech, headers=headers).status == 201
    with unchanged():
        reply = api.post(f"/tickets/{ticket}/time-entries", {**body, "minutes": 50}, as_=tech, headers=headers)
    assert reply.status == 409 and "Idempotency-Key" in reply.body["error"]["message"]


def test_credit_racing_a_short_close_never_strands_it_C3(api, tech, billing, make_account, open_ticket, log_time):
    """A non-member close that finds the balance short while a purchase lands at the same moment must end
    closed: either the close sees the credit, or the purchase sees the waiting close (C3)."""
    for round_ in range(15):
        account = make_account("non_member", 60)
        ticket = open_ticket(account, f"race {round_}")
        log_time(ticket, AT, 60)
        api.post(
            f"/accounts/{account}/adjustments", {"minutes": -30, "kind": "adjustment", "reason": "fix"}, as_=billing
        )
        start = Barrier(2)

        def close(start=start, ticket=ticket):
            start.wait()
            return api.post(f"/tickets/{ticket}/close", as_=tech)

        def purchase(start=start, account=account):
            start.wait()
            return api.post(
                f"/accounts/{account}/adjustments", {"minutes": 120, "kind": "purchase", "reason": "paid"}, as_=billing
            )

        with ThreadPoolExecutor(2) as pool:
            closing, buying = pool.submit(close), pool.submit(purchase)
            assert closing.result().status == 200 and buying.result().status == 201
        view = api.get(f"/tickets/{ticket}", as_=tech).body
        assert view["status"] == "closed", f"round {round_}: close stranded while credit covers it"
        assert assert_c7(account) == 90


@pytest.mark.parametrize("route", ["adjustment", "credit-back"])
def test_money_request_retried_concurrently_posts_once_C7(
    api, tech, billing, make_account, open_ticket, log_time, route, unchanged
):
    """A phone purchase or a credit-back sent 8 times at once with one Idempotency-Key: one ledger entry,
    every reply names it; the same key with another amount is a 409 and writes nothing."""
    account = make_account("member", 300)
    ticket = open_ticket(account)
    log_time(ticket, AT, 60)
    api.post(f"/tickets/{ticket}/close", as_=tech)
    path, body = (
        (f"/accounts/{account}/adjustments", {"minutes": 120, "kind": "purchase", "reason": "card 4242"})
        if route == "adjustment"
        else (f"/tickets/{ticket}/credit-back", {"minutes": 60, "reason": "vendor bug"})
    )
    headers = {"idempotency-key": f"{route}-once"}
    start = Barrier(8)

    def send(_):
        start.wait()
        return api.post(path, body, as_=billing, headers=headers)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(send, range(8)))
    assert {r.status for r in replies} == {201}, replies
    assert len({r.body["entry_id"] for r in replies}) == 1
    assert assert_c7(account) == 300 - 60 + (120 if route == "adjustment" else 60)
    with unchanged():
        other = api.post(path, {**body, "minutes": 30}, as_=billing, headers=headers)
    assert other.status == 409 and "Idempotency-Key" in other.body["error"]["message"]


def test_concurrent_requests_never_see_each_others_event(api, tech, make_account, open_ticket):
    """In-process invocations run concurrently (the local stack, these tests): each request must be
    answered from its own event, never another thread's (Powertools keeps it on a class otherwise)."""
    account = make_account("member", 0)
    tickets = [open_ticket(account, f"t{n}") for n in range(4)]
    start = Barrier(16)

    def call(n: int):
        start.wait()
        ticket = tickets[n % 4]
        if n % 2:  # a bodyless GET of another function, interleaved with posts
            return n, ticket, api.get(f"/tickets/{ticket}", as_=tech)
        reply = api.post(
            f"/tickets/{ticket}/time-entries",
            {"work_type": "remote", "started_at": AT, "minutes": n + 1, "note": f"request {n}"},
            as_=tech,
        )
        return n, ticket, reply

    for _ in range(5):
        with ThreadPoolExecutor(16) as pool:
            for n, ticket, reply in pool.map(call, range(16)):
                if n % 2:
                    assert reply.status == 200 and reply.body["ticket_id"] == ticket, reply
                    continue
                assert reply.status == 201, reply
                assert (reply.body["note"], reply.body["minutes"], reply.body["ticket_id"]) == (
                    f"request {n}",
                    n + 1,
                    ticket,
                )
