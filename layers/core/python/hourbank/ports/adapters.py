"""Where a stand-in for an AWS service can be plugged in (issue 15).

The production layer knows one adapter per port, the AWS one: SQS for the queue (``hourbank.ports.queue``),
the issuer's JWKS over HTTPS for bearer tokens (``hourbank.edge.bearer_tokens``), SES for e-mail
(``hourbank.ports.mail``), Cognito for invitations (``hourbank.ports.invitations``), Stripe for payments
(``hourbank.payments``). Each port asks this registry first; in AWS nothing is ever installed, so every
call takes the AWS path. The local stack installs its own adapters (they live with it, in
``scripts/devstack/adapters.py``) before a handler is imported.

The payment ports stand in for Stripe only when no Stripe key is configured (a local stack given a Stripe
test key uses Stripe); in AWS, where nothing is installed, a payment function without its key fails and
says so (``hourbank.payments.stripe_checkout.without_stripe``).

Ports and what an installed adapter is called with:

* ``queue``   - ``(queue_url, bodies: list[str]) -> int`` messages sent;
* ``jwks``    - ``(jwks_url) -> object`` with ``get_signing_key_from_jwt(token)``;
* ``mailer``  - ``(settings) -> Mailer``;
* ``inviter`` - ``(settings) -> InvitationPort``;
* ``checkout``  - ``() -> CheckoutPort`` (``hourbank.orders``), when there is no Stripe key;
* ``invoicing`` - ``() -> InvoicingPort`` (``hourbank.invoicing``), when there is no Stripe key;
* ``refunds``   - ``() -> RefundPort`` (``hourbank.payments.stripe_refunds``), when there is no Stripe key;
* ``exports``   - ``(bucket, key, body, content_type, filename, expires_s) -> url`` (``hourbank.exports``):
  an answer too large for Lambda stored, and a short-lived URL that serves it;
* ``objects`` - ``() -> Objects`` (``hourbank.ports.objects``): S3 objects read and written (SPEC E1: the mail
  SES stored, the attachments kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PORTS = frozenset(
    {"queue", "jwks", "mailer", "inviter", "checkout", "invoicing", "refunds", "exports", "subscriptions", "objects"}
)
_installed: dict[str, Callable[..., Any]] = {}


def install(**adapters: Callable[..., Any]) -> None:
    """Use these adapters instead of the AWS ones, for the life of the process."""
    unknown = set(adapters) - PORTS
    if unknown:
        raise ValueError(f"no port {sorted(unknown)}; the ports are {sorted(PORTS)}")
    _installed.update(adapters)


def uninstall(*ports: str) -> None:
    """Back to the AWS adapter for ``ports`` (all of them when none is named)."""
    for port in ports or tuple(_installed):
        _installed.pop(port, None)


def installed(port: str) -> Callable[..., Any] | None:
    """The adapter installed for ``port``, or None: the caller uses its AWS adapter."""
    if port not in PORTS:
        raise ValueError(f"no port {port!r}; the ports are {sorted(PORTS)}")
    return _installed.get(port)
