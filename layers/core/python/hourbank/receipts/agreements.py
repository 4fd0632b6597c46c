"""SPEC O6: recurring pre-pay agreements - N hours every month at the recurring rate, charged by a Stripe
subscription. The agreement (``AgreementModel``, Charges table ``agreement#<order_id>``) is written by the
recurring order's payments (``orders.payment_settlement``); here it is read, and ended by billing: at the
term's end (the subscription cancels at the end of the period paid: ``ending`` until then) or now (cancelled
at once: ``ended``). The subscription is changed through the ``subscriptions`` port (Stripe in AWS, the local
stand-in locally) before the agreement is; both are idempotent, so a retried end changes nothing twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso, parse_iso
from hourbank.kernel.errors import Conflict, InvalidInput, NotFound
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import AGREEMENT_PREFIX, AgreementModel
from hourbank.store.transactions import updated_if

WHEN = ("term_end", "now")


class SubscriptionPort(Protocol):
    """The payment provider's subscriptions and customer portal (``hourbank.payments.stripe_subscriptions``)."""

    def cancel(self, subscription_id: str, *, at_period_end: bool, idempotency_key: str) -> str | None:
        """Cancel now, or at the end of the period paid; returns when it ends (ISO) when the provider says."""
        ...

    def portal_session(self, customer_id: str, return_url: str) -> str:
        """A customer-portal session (card, invoices) for ``customer_id``: its URL."""
        ...


def key_of(order_id: str) -> str:
    return f"{AGREEMENT_PREFIX}{order_id}"


def month_after(at: str) -> str:
    """The same day a month on (the 31st becomes the month's last day): a monthly subscription's next charge."""
    start = parse_iso(at)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    for day in (start.day, 30, 29, 28):
        try:
            return iso(start.replace(year=year, month=month, day=day))
        except ValueError:
            continue
    return iso(start + timedelta(days=30))


def list_agreements(actor: Actor, account_id: str) -> list[AgreementModel]:
    """The account's agreements (staff, the owner), newest first."""
    actor.require_visible(account_id, "account")
    items = AgreementModel.query(
        account_id, AgreementModel.charge_key.startswith(AGREEMENT_PREFIX), consistent_read=True
    )
    return sorted(items, key=lambda a: a.started_at, reverse=True)


def _load(account_id: str, agreement_id: str) -> AgreementModel:
    try:
        return AgreementModel.get(account_id, key_of(agreement_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("agreement not found") from None


def end_agreement(
    actor: Actor,
    account_id: str,
    agreement_id: str,
    *,
    when: str,
    reason: str,
    port: SubscriptionPort,
    clock: Clock = SYSTEM_CLOCK,
) -> AgreementModel:
    """SPEC O6, W4: billing ends an agreement at the term's end or now. Ending it again the same way returns
    it unchanged; an ended one cannot be ended otherwise (409)."""
    actor.require(BILLING, action="end recurring agreements", on=account_id)
    if when not in WHEN:
        raise InvalidInput(f"when: must be one of {', '.join(WHEN)}")
    if not reason.strip():
        raise InvalidInput("reason: say why the agreement ends (as the customer agreed)")
    agreement = _load(account_id, agreement_id)
    wanted = "ended" if when == "now" else "ending"
    if agreement.status == "ended" or agreement.status == wanted:
        if agreement.status == wanted:
            return agreement
        raise Conflict("this agreement has already ended")
    if not agreement.subscription_id:
        raise Conflict("this agreement has no subscription recorded yet: wait for its first payment to be recorded")
    now = clock.now()
    ends = port.cancel(
        agreement.subscription_id,
        at_period_end=when == "term_end",
        idempotency_key=f"agreement-{agreement_id}-end-{when}",
    )
    actions = [
        AgreementModel.status.set(wanted),
        AgreementModel.end_reason.set(reason.strip()[:1000]),
        AgreementModel.ended_by.set(actor.name or actor.subject),
    ]
    if when == "now":
        actions += [AgreementModel.ended_at.set(iso(now)), AgreementModel.next_charge_at.remove()]
        actions.append(AgreementModel.term_ends_at.set(iso(now)))
    else:
        actions.append(AgreementModel.term_ends_at.set(ends or agreement.next_charge_at or iso(now)))
    updated_if(agreement, actions, AgreementModel.status != "ended")
    return _load(account_id, agreement_id)


def portal_url(actor: Actor, account_id: str, *, port: SubscriptionPort, return_url: str) -> str:
    """SPEC W1: the customer updates the card their agreement charges and sees its invoices on the provider's own
    customer portal (never a card form of ours). The customer is the agreement's, else the account's invoices'."""
    actor.require_visible(account_id, "account")
    if not (actor.is_customer or BILLING in actor.roles):
        from hourbank.kernel.errors import Forbidden

        raise Forbidden("only the account's owner or billing may open its billing portal")
    customer = next((a.customer_id for a in list_agreements(actor, account_id) if a.customer_id), None)
    if customer is None:
        from hourbank.store.models import AccountModel

        try:
            customer = AccountModel.get(account_id, consistent_read=True).stripe_customer_id
        except DoesNotExist:
            raise NotFound("account not found") from None
    if not customer:
        raise Conflict("this account has no card or invoice with the payment provider yet: nothing to manage there")
    return port.portal_session(customer, return_url)


def subscription_ended(account_id: str, agreement_id: str, at: str) -> bool:
    """SPEC O6: Stripe ended the agreement's subscription (its term's end came): ended, once. False when there is
    no such agreement or it had ended already."""
    return updated_if(
        AgreementModel(account_id, key_of(agreement_id)),
        [
            AgreementModel.status.set("ended"),
            AgreementModel.ended_at.set(at),
            AgreementModel.next_charge_at.remove(),
        ],
        AgreementModel.charge_key.exists() & (AgreementModel.status != "ended"),
    )
