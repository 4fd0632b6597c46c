"""Stripe's secrets (issue 4): the API key and the webhook signing secret.

In AWS they live in SSM Parameter Store (SecureString) and are read through Powertools Parameters, which
caches them for ``MAX_AGE_S`` so a warm function does not call SSM per request and a rotated secret is
picked up within minutes. Locally (and in tests) the values are set in the environment and win.
"""

from __future__ import annotations

from hourbank.ports.settings import PaymentSettings

MAX_AGE_S = 300


def _parameter(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters  # lazily: only a cold path needs boto3's SSM client

    value = parameters.get_parameter(name, decrypt=True, max_age=MAX_AGE_S)
    return str(value or "").strip()


def stripe_api_key(settings: PaymentSettings) -> str:
    """The Stripe secret key, or "" when Stripe is not configured (the local payment page stands in)."""
    if settings.stripe_api_key is not None:
        return settings.stripe_api_key
    if not settings.stripe_api_key_param:
        return ""
    return _parameter(settings.stripe_api_key_param)


def webhook_secret(settings: PaymentSettings) -> str:
    """The endpoint's signing secret (``whsec_...``). Missing is our misconfiguration: RuntimeError (a 500,
    so Stripe retries once it is fixed), never a 400 that would make Stripe drop the event."""
    if settings.stripe_webhook_secret:
        return settings.stripe_webhook_secret
    if settings.stripe_webhook_secret_param:
        secret = _parameter(settings.stripe_webhook_secret_param)
        if secret:
            return secret
    raise RuntimeError("no Stripe webhook secret: set STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET_PARAM")
