"""Recurring agreements' changes at the payment provider (API.md; SPEC O6, W1): billing ends one, the customer
opens Stripe's customer portal. Both call Stripe, so these routes are the visits function's, which carries the
PaymentsLayer and the Stripe key (``hourbank.api.checkout_port``)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api.checkout_port import portal_return_url, subscriptions
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import EndAgreement
from hourbank.kernel.ids import AccountId, OrderId
from hourbank.receipts import agreements

router = APIGatewayHttpRouter()


@router.post("/accounts/<account_id>/agreements/<agreement_id>/end", responses=doc(200, R.Agreement, 403, 404, 409))
def end_agreement(account_id: AccountId, agreement_id: OrderId, body: Annotated[EndAgreement, Body()]):
    """SPEC O6, W4: billing ends an agreement at the term's end (``ending`` until then) or now."""
    ended = agreements.end_agreement(
        current_actor(router), account_id, agreement_id, when=body.when, reason=body.reason, port=subscriptions()
    )
    return R.Agreement.of(ended).out()


@router.post("/accounts/<account_id>/billing-portal", responses=doc(201, R.PortalSession, 403, 404, 409))
def open_billing_portal(account_id: AccountId):
    """SPEC W1: a Stripe customer-portal session (card, invoices) that returns to the portal."""
    url = agreements.portal_url(
        current_actor(router), account_id, port=subscriptions(), return_url=portal_return_url(account_id)
    )
    return R.PortalSession(url=url).out(), 201
