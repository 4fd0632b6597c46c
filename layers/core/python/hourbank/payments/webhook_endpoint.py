"""``POST /webhooks/stripe`` (API.md; SPEC O1-O3, C3): Stripe's inbound side, credited exactly once.

1. The signature is verified with stripe's ``Webhook.construct_event`` before anything in the body is
   read: no header, a forged or tampered one, or a timestamp outside 300 s → 400, nothing written.
2. The event id is deduplicated by Powertools Idempotency on the IdempotencyTable: a redelivery returns
   the first answer without touching the ledger. A delivery that arrives while the first is still being
   applied gets a 409, and Stripe retries it later.
3. ``hourbank.orders.payment_matching.apply_event`` applies it. Exactly-once does not rest on step 2 alone: every
   credit is also keyed by its payment object in the ledger transaction (settlement), so two *different*
   events for one payment (``checkout.session.completed`` and ``invoice.paid``) credit once.

An event type we do not handle is a 200 (O2); one for an unknown order is a 200, logged, kept for review.
The function has no resolver (Stripe's request is not ours to validate before its signature), so its answers
are built by ``hourbank.kernel.errors.json_result``/``error_result`` and it describes itself for openapi.json
(``OPENAPI_PATHS``). Not under ``hourbank.api``: importing that package loads Powertools' event handler,
which this function never uses (cold start).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from hourbank.edge import snapstart
from hourbank.edge.request_body import body_bytes
from hourbank.kernel.errors import Contention, InvalidInput, error_result, json_result
from hourbank.orders.payment_matching import PaymentLookup, apply_event
from hourbank.payments.secrets import stripe_api_key, webhook_secret
from hourbank.payments.stripe_checkout import StripeCheckout
from hourbank.payments.webhook_signature import sign_webhook, verify_webhook
from hourbank.ports import metrics
from hourbank.ports.settings import get_settings
from hourbank.store.outage import is_outage, unavailable
from hourbank.store.transactions import ensure_bound

# Stripe retries a failed delivery for up to three days; a day more keeps every retry deduplicated.
EVENT_TTL_S = 4 * 24 * 3600


class _StripeLookup:
    """Stripe answers what an event does not say (a dispute names no order). Built on the first event that
    needs it, so the key is not read from SSM for the many that do not; without a Stripe key (the local
    stack) Stripe knows nothing more, and such an event goes to review."""

    @cache  # noqa: B019 - one per execution environment, like the client it holds
    def _client(self) -> PaymentLookup | None:
        settings = get_settings().payments
        key = stripe_api_key(settings)
        return StripeCheckout(key, settings.website_url, settings.website_url) if key else None

    def payment_objects(self, payment_intent: str) -> tuple[dict, dict | None]:
        client = self._client()
        if client is None:
            return {"id": payment_intent, "metadata": {}}, None
        return client.payment_objects(payment_intent)


class StripeWebhook:
    """The endpoint of one execution environment: the handler module builds one at import, and it keeps what
    it builds on its first request (the idempotent wrapper and its DynamoDB client, the Stripe lookup)."""

    def __init__(self, logger: Any) -> None:
        self.logger = logger
        self.config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=EVENT_TTL_S)
        self.lookup = _StripeLookup()
        self._apply: Callable[..., dict] | None = None
        snapstart.register(self.prime)

    def prime(self) -> None:
        """SnapStart, before the snapshot: every request verifies a signature, which imports stripe and runs
        its ``Webhook.construct_event``; done once here on a throwaway event and secret (no I/O, no client)."""
        body = '{"id": "evt_snapstart_priming", "object": "event", "type": "priming", "data": {"object": {}}}'
        secret = "whsec_snapstart_priming"  # noqa: S105 - a throwaway, never a real secret
        verify_webhook(body, sign_webhook(body, secret), secret)

    def handle(self, event: dict, context: Any) -> dict:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        try:  # the body exactly as Stripe sent it: the signature covers these bytes, not a re-serialisation
            verified = verify_webhook(
                body_bytes(event), headers.get("stripe-signature"), webhook_secret(get_settings().payments)
            )
        except InvalidInput as exc:
            self.logger.warning("stripe webhook refused", extra={"code": exc.code, "reason": exc.message})
            metrics.emit({metrics.WEBHOOK_EVENTS: 1}, outcome="refused_signature")
            return error_result(400, exc.code, exc.message)
        if not isinstance(verified.get("id"), str) or not verified["id"]:
            return error_result(400, "invalid_payload", "the Stripe event has no id")
        ensure_bound()
        self.config.register_lambda_context(context)
        try:
            return json_result(200, self._apply_once()(event=verified))
        except IdempotencyAlreadyInProgressError:
            # The same event is being applied by another delivery right now: Stripe retries a non-2xx later,
            # and by then the first one's answer is stored.
            return error_result(409, "in_progress", f"event {verified['id']} is being applied; retry later")
        except Contention as exc:  # the account kept changing under 40 attempts: nothing recorded, Stripe retries
            return error_result(503, exc.code, exc.message)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # DynamoDB not reached or throttled: nothing recorded for the event; 503, and Stripe delivers it again.
            self.logger.warning("stripe event not applied: service unavailable", extra={"event_id": verified["id"]})
            refusal = unavailable()
            return error_result(503, refusal.code, refusal.message)

    def _apply_once(self) -> Callable[..., dict]:
        """The idempotent wrapper, built on the first request (no AWS client at import: STYLE). The key prefix
        is fixed so every execution environment and version of the function shares one record per event."""
        if self._apply is None:
            self._apply = self._build()
        return self._apply

    def _build(self) -> Callable[..., dict]:
        from botocore.config import Config

        from hourbank.store.transactions import CONNECT_TIMEOUT_S, MAX_RETRY_ATTEMPTS, READ_TIMEOUT_S
        from hourbank.visits.hooks import VISIT_ORDERS  # light: a visit's orders buy its hours (SPEC V1)

        # The same prompt outage as the models' (hourbank.store.transactions): botocore's own timeouts and retries.
        store = DynamoDBPersistenceLayer(
            table_name=get_settings().idempotency_table,
            boto_config=Config(
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
                retries={"mode": "standard", "total_max_attempts": 1 + MAX_RETRY_ATTEMPTS},
            ),
        )

        @idempotent_function(
            data_keyword_argument="event", persistence_store=store, config=self.config, key_prefix="stripe-event"
        )
        def apply(*, event: dict) -> dict:
            result = apply_event(event, lookup=self.lookup, others=VISIT_ORDERS)
            metrics.emit({metrics.WEBHOOK_EVENTS: 1}, outcome=result.outcome)
            self.logger.info(
                "stripe event applied",
                extra={
                    "event_id": event.get("id"),
                    "type": event.get("type"),
                    "outcome": result.outcome,
                    "order_id": result.order_id,
                    "minutes": result.minutes,
                    "detail": result.detail,
                },
            )
            return {"received": True, "outcome": result.outcome, "order_id": result.order_id, "minutes": result.minutes}

        return apply


# scripts/openapi.py: this function has no resolver to describe it, so it says what it takes and answers.
_ERROR = {
    "description": "",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        }
    },
}
OPENAPI_PATHS = {
    "/webhooks/stripe": {
        "post": {
            "summary": "Stripe payment events (SPEC O1-O3)",
            "description": "Authenticated by the Stripe-Signature header (Stripe's scheme, 300 s tolerance), checked "
            "before the body is read. Handled: checkout.session.completed, "
            "checkout.session.async_payment_succeeded/_failed, invoice.paid, charge.refunded, "
            "charge.dispute.created; other types get 200 and change nothing.",
            "operationId": "stripe_webhook_post",
            "parameters": [
                {"name": "Stripe-Signature", "in": "header", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "description": "A Stripe event (snapshot payload)",
                            "required": ["id", "type", "data"],
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Applied, or already applied (the first answer)",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "received": {"type": "boolean"},
                                    "outcome": {
                                        "type": "string",
                                        "enum": ["credited", "debited", "duplicate", "deferred", "review", "ignored"],
                                    },
                                    "order_id": {"type": ["string", "null"]},
                                    "minutes": {"type": "integer"},
                                },
                            }
                        }
                    },
                },
                "400": {**_ERROR, "description": "invalid_signature or invalid_payload: nothing written"},
                "409": {**_ERROR, "description": "in_progress: another delivery of this event is being applied"},
                "503": {**_ERROR, "description": "service_unavailable: the database cannot be reached; Stripe retries"},
            },
        }
    },
}
