"""Poison Stripe events (issue 23 item 3, SPEC O8): an event whose application fails for a reason of its own is
answered 5xx (Stripe retries) until it failed the same way ``POISON_AFTER`` times, then kept for review with its
error - where billing sees it (``GET /reviews``), its order flagged - and answered 200. A fault that may pass
(the database unreachable or throttled) is never counted: it stays a 503 however often it happens. A later
delivery that succeeds, or billing's credit of the review, credits the payment once - never both.

The poison is real data, not a patch: the stored order's ``amount_minor`` is made a string, which the order's
model cannot read (``AttributeDeserializationError``), as an item written by an older version or by hand would.
"""

from __future__ import annotations

import json

import pytest

from devstack.lambda_client import Reply
from devstack.stripe_shapes import event, session, sid
from hourbank.payments.webhook_signature import sign_webhook
from hourbank.ports.settings import get_settings
from hourbank.reviews.payment_reviews import POISON_AFTER
from hourbank.store.models import OrderModel
from tests.integration.conftest import assert_c7
from tests.integration.test_payment_functions import bearer, order_of, secret
from tests.support import aws_hooks
from tests.support.faults import DynamoFaults

pytestmark = pytest.mark.integration


def _post(api, evt: dict) -> Reply:
    """One delivery; a function error is what Stripe sees of it: a 500 (the in-process client raises it)."""
    body = json.dumps(evt)
    try:
        return api.post("/webhooks/stripe", raw_body=body, headers={"stripe-signature": sign_webhook(body, secret())})
    except Exception as exc:  # the handler's own exception, as API Gateway answers it
        return Reply(500, {"message": "Internal Server Error", "raised": repr(exc)})


def _order(api, account: str) -> OrderModel:
    reply = api.post(
        "/orders", {"account_id": account, "hours": 1, "kind": "one_time"}, headers=bearer("customer", account)
    )
    assert reply.status in (200, 201), reply
    return order_of(reply.body["order_id"])


def _poison(order: OrderModel) -> None:
    """Store the order's amount as a string: settlement's comparison with the paid amount raises."""
    from hourbank.store.transactions import connection

    connection().client.update_item(
        TableName=get_settings().orders_table,
        Key={"order_id": {"S": order.order_id}},
        UpdateExpression="SET amount_minor = :s",
        ExpressionAttributeValues={":s": {"S": "fifteen thousand"}},
    )


def _cure(order: OrderModel) -> None:
    from hourbank.store.transactions import connection

    connection().client.update_item(
        TableName=get_settings().orders_table,
        Key={"order_id": {"S": order.order_id}},
        UpdateExpression="SET amount_minor = :n",
        ExpressionAttributeValues={":n": {"N": str(int(order.amount_minor))}},
    )


def _reviews_of(api, billing, evt: dict) -> list[dict]:
    items = api.get("/reviews", as_=billing, query={"limit": "200"}).body["items"]
    return [r for r in items if r["event_id"] == evt["id"]]


@pytest.fixture
def poisoned(api, make_account):
    account = make_account("non_member")
    order = _order(api, account)
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    _poison(order)
    return account, order, paid


def test_a_poison_event_is_kept_for_review_and_answered_200_after_bounded_failures_O8(api, billing, poisoned):
    account, order, paid = poisoned
    for _ in range(POISON_AFTER - 1):
        assert _post(api, paid).status == 500, "Stripe retries the first failures"
        assert _reviews_of(api, billing, paid) == [], "nothing kept before the last failure"
    last = _post(api, paid)
    assert last.status == 200, last
    assert last.body["outcome"] == "review" and last.body["order_id"] == order.order_id
    kept = _reviews_of(api, billing, paid)
    assert len(kept) == 1 and kept[0]["status"] == "open"
    assert kept[0]["order_id"] == order.order_id and kept[0]["account_id"] == account
    assert "AttributeDeserializationError" in kept[0]["reason"] and f"{POISON_AFTER} deliveries" in kept[0]["reason"]
    flagged = OrderModel.get(order.order_id, consistent_read=True, attributes_to_get=["review"]).review
    assert flagged and "AttributeDeserializationError" in flagged[0], "the order says why"
    # A redelivery (Stripe's dashboard "resend") that still fails keeps the one review and is answered 200.
    again = _post(api, paid)
    assert again.status == 200 and again.body["outcome"] == "review"
    assert len(_reviews_of(api, billing, paid)) == 1
    assert assert_c7(account) == 0, "nothing credited, nothing half-written"


def test_a_later_delivery_that_succeeds_credits_once_and_billing_cannot_credit_it_again_O8(api, billing, poisoned):
    account, order, paid = poisoned
    for _ in range(POISON_AFTER):
        _post(api, paid)
    review = _reviews_of(api, billing, paid)[0]
    _cure(order)  # the cause fixed; the event resent
    applied = _post(api, paid)
    assert applied.status == 200 and applied.body["outcome"] == "credited", applied
    assert _post(api, paid).body["outcome"] in ("credited", "duplicate")
    assert assert_c7(account) == 60
    credit = api.post(f"/reviews/{review['review_id']}/resolve", {"note": "paid by phone", "minutes": 60}, as_=billing)
    assert credit.status == 409, credit
    assert assert_c7(account) == 60, "the payment credited once"


def test_billing_credits_the_review_and_a_later_delivery_credits_nothing_O8(api, billing, poisoned):
    account, order, paid = poisoned
    for _ in range(POISON_AFTER):
        _post(api, paid)
    review = _reviews_of(api, billing, paid)[0]
    credit = api.post(
        f"/reviews/{review['review_id']}/resolve", {"note": "credited by hand", "minutes": 60}, as_=billing
    )
    assert credit.status == 200, credit
    assert assert_c7(account) == 60
    _cure(order)
    later = _post(api, paid)
    assert later.status == 200 and later.body["outcome"] == "duplicate", later
    assert assert_c7(account) == 60, "the payment credited once"


def test_a_database_outage_is_never_counted_as_poison_O8(api, billing, make_account):
    account = make_account("non_member")
    order = _order(api, account)
    paid = event("checkout.session.completed", session(order, payment_intent=sid("pi")))
    with aws_hooks.handler("before-send", DynamoFaults(1.0, kinds=("internal",), only={"TransactWriteItems"})):
        answers = [_post(api, paid) for _ in range(POISON_AFTER + 2)]
    assert {a.status for a in answers} == {503}, [a.body for a in answers]
    assert _reviews_of(api, billing, paid) == []
    applied = _post(api, paid)  # the database back: Stripe's next retry credits it
    assert applied.status == 200 and applied.body["outcome"] == "credited"
    assert assert_c7(account) == 60


def test_failures_that_differ_only_in_numbers_are_one_failure_another_error_is_counted_apart_O8(api):
    from hourbank.reviews.payment_reviews import count_failure

    evt = {"id": sid("evt"), "type": "checkout.session.completed"}
    counts = [count_failure(evt, TimeoutError(f"gave up after {ms} ms (request {ms * 7})")) for ms in (3, 1500, 22)]
    assert counts == [1, 2, POISON_AFTER]
    assert count_failure(evt, TimeoutError("gave up after 9 ms (request 1)")) == POISON_AFTER, "stops at the bound"
    assert count_failure(evt, KeyError("amount_total")) == 1, "another error is another count"
