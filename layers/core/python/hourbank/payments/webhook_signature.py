"""Stripe webhook signatures (SPEC O2): verified with stripe's own ``Webhook.construct_event`` before
anything in the body is read; signed the same way for the local payment page and tests.

The scheme (https://docs.stripe.com/webhooks#verify-manually): the ``Stripe-Signature`` header is
``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the endpoint secret>``, possibly with
several ``v1`` entries (while a secret is being rolled) and other schemes, which are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from hourbank.edge.request_body import body_text, parse_json
from hourbank.kernel.errors import InvalidInput

TOLERANCE_S = 300  # SPEC O2: Stripe's default tolerance


def sign_webhook(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload``. Plain hmac: signing must not
    pull in stripe (the local payment page runs in the API function)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_webhook(
    payload: bytes | str, signature_header: str | None, secret: str, *, tolerance: int = TOLERANCE_S
) -> dict:
    """The verified Stripe event as a plain dict, or ``InvalidInput`` (HTTP 400, nothing written).

    ``invalid_signature``: no header, no matching v1 signature (forged, other secret, tampered body),
    or a timestamp outside the tolerance either way. ``invalid_payload``: signed, but not a Stripe
    (snapshot) event.
    """
    if not secret:
        # Our misconfiguration, not the sender's fault: a 500 makes Stripe retry, a 400 would drop the event.
        raise RuntimeError("no Stripe webhook secret is configured")
    if not signature_header:
        raise InvalidInput("Stripe-Signature header is missing", code="invalid_signature")

    import stripe  # lazily: only the webhook path pays for it (STYLE 10)

    try:
        # Who sent it first, then whether it is JSON within the request edge's bounds (hourbank.edge.request_body: a
        # body nested a thousand deep or with a 5,000-digit number is a 400, even correctly signed), then the event.
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance)
        text = payload if isinstance(payload, str) else body_text(payload, code="invalid_payload")
        parse_json(text, code="invalid_payload")
        event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        raise InvalidInput(
            "Stripe-Signature does not verify (forged, another secret, a changed body, or too old)",
            code="invalid_signature",
            details={"reason": exc.user_message},
        ) from None
    except (ValueError, AttributeError, TypeError):
        # json.JSONDecodeError / UnicodeDecodeError are ValueErrors; a JSON value that is not an object
        # fails inside stripe with AttributeError; a v2 "thin" event is refused with ValueError.
        raise InvalidInput("the webhook body is not a Stripe event", code="invalid_payload") from None
    # stripe only refuses timestamps that are too old; one too far in the future is no more trustworthy
    # (a signature made now for later replay), so it is refused the same way.
    if _timestamp(signature_header) > time.time() + tolerance:
        raise InvalidInput("Stripe-Signature timestamp is in the future", code="invalid_signature")
    out = event.to_dict()  # stripe 16: a StripeObject is not a dict; to_dict() recurses into data.object
    if not isinstance(out.get("type"), str) or not isinstance(out.get("data"), dict):
        raise InvalidInput("the webhook body is not a Stripe event", code="invalid_payload")
    return out


def _timestamp(header: str) -> int:
    # The header has already verified, so its t= is well formed.
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t":
            return int(value)
    raise InvalidInput("Stripe-Signature has no timestamp", code="invalid_signature")  # pragma: no cover
