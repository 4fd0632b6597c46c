"""SPEC O2: a webhook's signature is verified with Stripe's scheme (300 s tolerance) before anything is
read; every failure is ``InvalidInput`` (HTTP 400). ``sign_webhook`` signs exactly as Stripe does."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
import stripe

from hourbank.kernel.errors import InvalidInput
from hourbank.payments.webhook_signature import TOLERANCE_S, sign_webhook, verify_webhook

pytestmark = pytest.mark.unit

SECRET = "whsec_test_hourbank_local_secret"
EVENT = {
    "id": "evt_1QhourbankTest",
    "object": "event",
    "api_version": "2026-10-28.endive",
    "created": 1795000000,
    "livemode": False,
    "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None},
    "type": "checkout.session.completed",
    "data": {
        "object": {
            "id": "cs_test_1",
            "object": "checkout.session",
            "payment_status": "paid",
            "metadata": {"order_id": "ord_1"},
            "amount_total": 30000,
            "currency": "usd",
        }
    },
}
PAYLOAD = json.dumps(EVENT, indent=2)


def refused(payload, header, secret=SECRET, code="invalid_signature") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        verify_webhook(payload, header, secret)
    assert caught.value.code == code
    return caught.value


def test_round_trip_gives_the_event_as_a_plain_dict():
    event = verify_webhook(PAYLOAD, sign_webhook(PAYLOAD, SECRET), SECRET)
    assert event == EVENT
    assert type(event) is dict and type(event["data"]["object"]["metadata"]) is dict


def test_bytes_payload_as_the_gateway_delivers_it():
    assert verify_webhook(PAYLOAD.encode(), sign_webhook(PAYLOAD, SECRET), SECRET)["id"] == EVENT["id"]


def test_sign_webhook_is_stripes_scheme():
    header = sign_webhook(PAYLOAD, SECRET, timestamp=1_795_000_000)
    expected = hmac.new(SECRET.encode(), f"1795000000.{PAYLOAD}".encode(), hashlib.sha256).hexdigest()
    assert header == f"t=1795000000,v1={expected}"
    # and stripe's own test helper agrees
    assert header == stripe.WebhookSignature.generate_signature_header(PAYLOAD, SECRET, timestamp=1_795_000_000)


@pytest.mark.parametrize("header", [None, ""], ids=["absent", "empty"])
def test_missing_signature_is_refused(header):
    refused(PAYLOAD, header)


def test_forged_signature_other_secret_is_refused():
    refused(PAYLOAD, sign_webhook(PAYLOAD, "whsec_someone_else"))


def test_tampered_body_is_refused():
    header = sign_webhook(PAYLOAD, SECRET)
    tampered = PAYLOAD.replace('"amount_total": 30000', '"amount_total": 3')
    assert tampered != PAYLOAD
    refused(tampered, header)


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=notanumber,v1=abc", "v1=abc", "t=1795000000"],
    ids=["garbage", "bad-timestamp", "no-timestamp", "no-v1"],
)
def test_malformed_header_is_refused(header):
    refused(PAYLOAD, header)


def test_timestamp_older_than_tolerance_is_refused():
    assert TOLERANCE_S == 300
    refused(PAYLOAD, sign_webhook(PAYLOAD, SECRET, timestamp=int(time.time()) - 301))
    verify_webhook(PAYLOAD, sign_webhook(PAYLOAD, SECRET, timestamp=int(time.time()) - 250), SECRET)


def test_timestamp_in_the_future_beyond_tolerance_is_refused():
    """stripe itself checks only for old timestamps; one made for later replay is refused too."""
    refused(PAYLOAD, sign_webhook(PAYLOAD, SECRET, timestamp=int(time.time()) + 3600))
    verify_webhook(PAYLOAD, sign_webhook(PAYLOAD, SECRET, timestamp=int(time.time()) + 60), SECRET)


def test_any_one_matching_v1_signature_is_enough():
    """Stripe's scheme: while a secret is rolled the header carries one v1 per secret (and v0 in test mode)."""
    t = int(time.time())
    good = sign_webhook(PAYLOAD, SECRET, t).split("v1=")[1]
    other = sign_webhook(PAYLOAD, "whsec_old", t).split("v1=")[1]
    header = f"t={t},v1={other},v1={good},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
    assert verify_webhook(PAYLOAD, header, SECRET)["id"] == EVENT["id"]
    refused(PAYLOAD, f"t={t},v1={other},v0={good}")  # the right signature under another scheme does not count


def test_signed_but_not_an_event_is_refused_as_payload():
    for body in ("not json", "[1, 2]", json.dumps({"object": "v2.core.event", "id": "evt_thin"})):
        refused(body, sign_webhook(body, SECRET), code="invalid_payload")


def test_missing_secret_is_our_misconfiguration_not_a_400():
    with pytest.raises(RuntimeError):
        verify_webhook(PAYLOAD, sign_webhook(PAYLOAD, SECRET), "")
