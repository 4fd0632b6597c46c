"""Top-up orders (SPEC O1, O6, P1): priced by the plan, recorded as pending, sent to checkout. Credits
land only when the payment provider says the order is paid (``hourbank.orders.payment_settlement``)."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from pynamodb.exceptions import DoesNotExist

from hourbank.kernel.clock import SYSTEM_CLOCK, Clock, iso
from hourbank.kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from hourbank.kernel.identity import BILLING, Actor
from hourbank.kernel.ids import new_id
from hourbank.orders.pricing import Quote, quote
from hourbank.plans.catalogue import catalogue, get_plan
from hourbank.store.models import AccountModel, OrderModel
from hourbank.store.transactions import saved_if


class CheckoutPort(Protocol):
    """The payment provider's hosted checkout (Stripe Checkout in AWS, a local page locally)."""

    def create_checkout(self, order: OrderModel, account: AccountModel) -> tuple[str, str]:
        """Returns (session id, URL to send the buyer to). Must be idempotent per order."""
        ...


def create_order(
    actor: Actor | None,
    *,
    checkout: CheckoutPort,
    hours: object,
    kind: str = "one_time",
    account_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
    idempotency_key: str | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> tuple[OrderModel, Quote]:
    """An order for an existing account (its owner or billing) or for a new customer (name and e-mail:
    a non-member account is opened for them). A repeated submission with the same idempotency key
    returns the same order."""
    account, priced = price_order(actor, hours=hours, kind=kind, account_id=account_id, name=name, email=email)
    order_id, new_account_id = new_id("ord"), new_id("acc")
    if idempotency_key:
        scope = account_id or f"{(email or '').lower()}"
        digest = hashlib.sha256(f"{scope}\0{idempotency_key}".encode()).hexdigest()
        # Both ids follow from the key: concurrent copies of one form open one account and one order.
        order_id, new_account_id = "ord_k" + digest[:26], "acc_k" + digest[26:52]
        existing = _existing(order_id, priced, account_id)
        if existing is not None:
            return _with_checkout(existing, checkout, account), priced
    now = iso(clock.now())
    extra: dict = {}
    if account is None:
        # SPEC O7: an order by name and e-mail opens no account now - an order never paid leaves none behind.
        # A known address's order credits that account once paid (and the buyer learns nothing else about
        # it); an unknown one's account is opened under this id when the payment settles (settlement).
        from hourbank.accounts.account_service import email_owner

        owner = email_owner(email or "")
        extra = {"customer_name": name, "customer_email": (email or "").strip()}
        if owner is not None:
            extra["credits_existing"] = True
        else:
            extra["opens_account"] = True
        # What checkout needs to know of the buyer (their address), without reading or writing an account.
        account = AccountModel(owner or new_account_id, name=name, email=(email or "").strip())
    order = quoted_order(order_id, account.account_id, kind, priced, now, actor.subject if actor else None, **extra)
    if not saved_if(order, OrderModel.order_id.does_not_exist()):  # a concurrent copy of the form saved it
        existing = _existing(order_id, priced, account_id)
        assert existing is not None
        order = existing
    return _with_checkout(order, checkout, account), priced


def quoted_order(
    order_id: str, account_id: str, kind: str, priced: Quote, created_at: str, created_by: str | None, **extra: Any
) -> OrderModel:
    """A pending order for the minutes and price of ``priced`` (SPEC P1), as the form or the balance watch
    (O4) places it; ``extra``: what else the order carries (the buyer of an O7 order, its invoice)."""
    return OrderModel(
        order_id,
        account_id=account_id,
        kind=kind,
        minutes=priced.minutes,
        rate_minor=priced.rate_minor,
        discount_minor=priced.discount_minor,
        amount_minor=priced.amount_minor,
        currency=priced.currency,
        created_at=created_at,
        created_by=created_by,
        **extra,
    )


def price_order(
    actor: Actor | None,
    *,
    hours: object,
    kind: str = "one_time",
    account_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
) -> tuple[AccountModel | None, Quote]:
    """What the order would cost, checked exactly as ``create_order`` checks it, writing nothing (the order
    form shows it before the buyer pays). A new customer is priced as a non-member."""
    if account_id:
        if actor is None:  # ordering for an account needs its owner's (or billing's) identity
            raise Unauthorized("sign in to order for an existing account, or order with a name and e-mail")
        actor.require_visible(account_id, "account")
        if not (actor.is_customer or BILLING in actor.roles):
            # A technician may see the account but not buy for it: 403, not 404 (API.md "Errors").
            raise Forbidden("only the account's owner or billing may order time for an account")
        try:
            account = AccountModel.get(account_id, consistent_read=True)
        except DoesNotExist:
            raise NotFound("account not found") from None
    elif name and email:
        account = None
    else:
        raise InvalidInput("account_id: give an account_id, or a name and email for a new customer")
    plan = get_plan(account.plan if account else "non_member")
    return account, quote(catalogue(), plan, hours, kind)


def order_page(order_id: str) -> tuple[OrderModel, AccountModel | None]:
    """The order as the page Checkout returns to shows it (``GET /orders/{id}``), with the balance of its
    account once paid. The order id (unguessable) is the key to it, as Stripe's own success URLs carry the
    session id; anything not shaped like one is no order (404) without a read."""
    from hourbank.orders.payment_settlement import load_order

    order = load_order(order_id) if order_id.startswith("ord_") else None
    if order is None:
        raise NotFound("order not found")
    # SPEC O7: an order for a known address never shows that account; an unpaid one opened none.
    if order.status == "pending" or order.credits_existing:
        return order, None
    try:
        return order, AccountModel.get(order.account_id)
    except DoesNotExist:  # a failed payment of a name-and-e-mail order opened no account
        return order, None


def _with_checkout(order: OrderModel, checkout: CheckoutPort, account: AccountModel | None = None) -> OrderModel:
    """Create the checkout once; a retry after a crash between the order and its checkout finishes it
    (the port is idempotent per order, e.g. Stripe's idempotency key derived from the order id)."""
    if not order.checkout_url:
        if order.customer_email:  # a name-and-e-mail order: the buyer is who the form names (SPEC O7)
            account = AccountModel(order.account_id, name=order.customer_name, email=order.customer_email)
        elif account is None or account.account_id != order.account_id:
            account = AccountModel.get(order.account_id, consistent_read=True)
        session_id, url = checkout.create_checkout(order, account)
        order.update([OrderModel.checkout_session_id.set(session_id), OrderModel.checkout_url.set(url)])
    return order


def _existing(order_id: str, priced: Quote, account_id: str | None) -> OrderModel | None:
    try:
        order = OrderModel.get(order_id, consistent_read=True)
    except DoesNotExist:
        return None
    same = (int(order.minutes), order.kind, int(order.amount_minor)) == (
        priced.minutes,
        priced.kind,
        priced.amount_minor,
    )
    if not same or (account_id and order.account_id != account_id) or (not account_id and not order.customer_email):
        raise Conflict("this idempotency key was already used for a different order")
    return order
