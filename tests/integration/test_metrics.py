"""Business metrics (issue 16): each domain outcome prints one CloudWatch EMF line on the function's stdout
(``hourbank/ports/metrics.py``), the line CloudWatch Logs turns into a metric in AWS and the local stack shows in
its log. Driven through the handlers against DynamoDB Local, with real Stripe signatures.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from hourbank.payments.webhook_signature import sign_webhook
from hourbank.ports import metrics
from scripts.localdev.stripe_shapes import event, session, sid
from tests.integration.test_month_end import (  # noqa: F401 - fixtures (month_ended: SPEC M1, the month has ended)
    month,
    month_ended,
    month_tables,
    run_month_end,
    specs,
)
from tests.integration.test_payment_functions import bearer, deliver, order_of, post, secret

pytestmark = pytest.mark.integration


def emitted(text: str) -> Counter:
    """Sum of each metric in the EMF lines of ``text``, keyed by (name, outcome dimension or None)."""
    totals: Counter = Counter()
    for line in text.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        doc = json.loads(line)
        directive = doc["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Hourbank"
        assert sorted(directive["Dimensions"][0]) == sorted(["service", *(["outcome"] if "outcome" in doc else [])])
        for metric in directive["Metrics"]:
            assert metric["Name"] in metrics.ALL and metric["Unit"] == "Count"
            value = doc[metric["Name"]]
            totals[(metric["Name"], doc.get("outcome"))] += sum(value) if isinstance(value, list) else value
    return totals


def test_close_credit_c3_and_webhook_outcomes_are_emitted_once_each(
    api, make_account, open_ticket, log_time, tech, billing, capsys
):
    account = make_account("non_member", 60)
    ticket = open_ticket(account)
    log_time(ticket, "2026-11-16T15:00:00Z", 60)
    # Credit taken away after the work leaves the close short: it waits for credit (C3), nothing consumed yet.
    api.post(
        f"/accounts/{account}/adjustments",
        {"minutes": -30, "kind": "adjustment", "reason": "double entry"},
        as_=billing,
    )
    capsys.readouterr()
    assert api.post(f"/tickets/{ticket}/close", as_=tech).body["status"] == "awaiting_credit"
    assert not emitted(capsys.readouterr().out), "nothing consumed while the close waits (C3)"

    # A paid top-up: credited, sold, and the waiting close completes with it.
    order = order_of(
        api.post(
            "/orders", {"account_id": account, "hours": 1, "kind": "one_time"}, headers=bearer("customer", account)
        ).body["order_id"]
    )
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    assert deliver(api, paid).body["outcome"] == "credited"
    out = emitted(capsys.readouterr().out)
    assert out[(metrics.MINUTES_CREDITED, None)] == 60 and out[(metrics.TOP_UPS_SOLD, None)] == 1
    assert out[(metrics.WEBHOOK_EVENTS, "credited")] == 1
    assert out[(metrics.C3_CLOSES_COMPLETED, None)] == 1, "the waiting close completed with the credit"
    assert out[(metrics.MINUTES_CONSUMED, None)] == 60 and out[(metrics.MINUTES_DEBITED, None)] == 60
    assert deliver(api, paid).body["outcome"] == "credited", "a redelivery gets the first answer"
    assert not emitted(capsys.readouterr().out), "... and counts nothing again"

    # The same payment told by another event: a duplicate, nothing credited or sold again.
    again = event("checkout.session.async_payment_succeeded", paid["data"]["object"])
    assert deliver(api, again).body["outcome"] == "duplicate"
    out = emitted(capsys.readouterr().out)
    assert out == Counter({(metrics.WEBHOOK_EVENTS, "duplicate"): 1})

    # An order nobody placed: review. A forged signature: refused, before anything else.
    unknown = event(
        "checkout.session.completed",
        {
            **paid["data"]["object"],
            "client_reference_id": "ord_nope",
            "metadata": {"order_id": "ord_nope"},
            "id": sid("cs"),
        },
    )
    assert deliver(api, unknown).body["outcome"] == "review"
    body = json.dumps(event("checkout.session.completed", paid["data"]["object"]))
    assert post(api, body, sign_webhook(body, "whsec_someone_else")).status == 400
    out = emitted(capsys.readouterr().out)
    assert out == Counter({(metrics.WEBHOOK_EVENTS, "review"): 1, (metrics.WEBHOOK_EVENTS, "refused_signature"): 1})
    assert secret()  # the local stack's signing secret signed everything accepted above


def test_month_end_emits_planned_settled_and_closed_accounts(
    api,
    billing,
    month_tables,  # noqa: F811
    specs,  # noqa: F811
    month,  # noqa: F811
    capsys,
    monkeypatch,
):
    """Through the schedule, the queue and the worker's handler, with a member plan that grants free
    minutes (the catalogue's grants none): the worker's whole path runs, as in AWS."""
    from hourbank.monthend import month_close
    from hourbank.plans.catalogue import get_plan

    generous = get_plan("member").model_copy(update={"monthly_free_minutes": 120})
    monkeypatch.setattr(month_close, "get_plan", lambda plan_id: generous if plan_id == "member" else get_plan(plan_id))
    for plan in ("member", "non_member"):
        assert (
            api.post(
                "/accounts", {"name": "Metrics Co", "email": f"m-{plan}@example.test", "plan": plan}, as_=billing
            ).status
            == 201
        )
    capsys.readouterr()
    run_month_end(specs, month)
    out = emitted(capsys.readouterr().out)
    planned = out[(metrics.MONTH_END_ACCOUNTS_PLANNED, None)]
    assert planned >= 2
    assert out[(metrics.MONTH_END_ACCOUNTS_SETTLED, None)] == planned, "every planned account settled: done"
    assert out[(metrics.MONTH_END_ACCOUNTS_CLOSED, None)] == planned
    run_month_end(specs, month)  # a rerun (M2): settled again, nothing closed twice
    out = emitted(capsys.readouterr().out)
    assert out[(metrics.MONTH_END_ACCOUNTS_SETTLED, None)] == planned
    assert out[(metrics.MONTH_END_ACCOUNTS_CLOSED, None)] == 0
