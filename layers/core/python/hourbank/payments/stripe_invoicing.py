"""Invoicing adapters (SPEC O4; the invoice path M1 uses): an Hourbank invoice becomes a Stripe invoice.

``StripeInvoicing`` creates the customer on first use (and the caller remembers its id on the account),
one invoice item, the invoice (``charge_automatically`` when the customer has a saved default payment
method, else ``send_invoice``, due in ``DAYS_UNTIL_DUE``), finalises and sends it. Every POST carries an
idempotency key derived from the Hourbank invoice id, so a retried record creates nothing twice, and
``metadata.invoice_id`` (API.md) with the order and account ids lets ``invoice.paid`` find what it pays.
Without a Stripe key the application uses what is installed for the ``invoicing`` port of
``hourbank.ports.adapters`` (the local stack's stand-in), else it fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hourbank.payments.stripe_checkout import StripeClientHolder, without_stripe

if TYPE_CHECKING:
    from hourbank.invoicing.invoice_issuing import InvoicingPort
    from hourbank.store.models import AccountModel, InvoiceModel

DAYS_UNTIL_DUE = 7


@dataclass(frozen=True)
class Issued:
    stripe_invoice_id: str
    payment_url: str
    customer_id: str | None
    status: str  # open | paid (charged at once)


def invoice_metadata(invoice: InvoiceModel) -> dict[str, str]:
    out = {"invoice_id": invoice.invoice_id, "account_id": invoice.account_id, "kind": invoice.kind}
    if invoice.order_id:
        out["order_id"] = invoice.order_id
    return out


RATE_LIMIT_DELAYS_S = (0.5, 1.0, 2.0, 4.0)  # within the function's 30 s timeout


class StripeInvoicing(StripeClientHolder):
    def __init__(
        self,
        api_key: str,
        *,
        http_client: Any = None,
        max_network_retries: int = 3,
        rate_limit_delays: tuple[float, ...] = RATE_LIMIT_DELAYS_S,
    ) -> None:
        # 5xx and 409 are retried by stripe with backoff, 429 by ``_call``: safe, as every POST has an
        # idempotency key. What still fails is raised: the stream retries the record, then dead-letters it.
        super().__init__(api_key, http_client=http_client, max_network_retries=max_network_retries)
        self._rate_limit_delays = rate_limit_delays

    def _call(self, fn: Any, *args: Any) -> Any:
        import time

        import stripe

        for delay in (*self._rate_limit_delays, None):
            try:
                return fn(*args)
            except stripe.RateLimitError:
                if delay is None:
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def issue(self, invoice: InvoiceModel, account: AccountModel) -> Issued:
        client, call = self._stripe(), self._call
        key = invoice.invoice_id
        customer_id = account.stripe_customer_id
        if not customer_id:
            customer = call(
                client.v1.customers.create,
                {"email": account.email, "name": account.name, "metadata": {"account_id": account.account_id}},
                {"idempotency_key": f"account-{account.account_id}-customer"},
            )
            customer_id = customer.id
            default_method = None
        else:
            customer = call(client.v1.customers.retrieve, customer_id).to_dict()
            default_method = (customer.get("invoice_settings") or {}).get("default_payment_method")
        metadata = invoice_metadata(invoice)
        params: dict[str, Any] = {
            "customer": customer_id,
            "currency": invoice.currency.lower(),
            "description": invoice.reason or invoice.description,
            "metadata": metadata,
            "pending_invoice_items_behavior": "exclude",
            "auto_advance": True,
        }
        if default_method:
            params["collection_method"] = "charge_automatically"
        else:
            params.update(collection_method="send_invoice", days_until_due=DAYS_UNTIL_DUE)
        created = call(client.v1.invoices.create, params, {"idempotency_key": f"invoice-{key}-create"})
        # One item per statement line (month end: itemised, seed 001), else one for the whole invoice.
        items = [(line.description, int(line.amount_minor)) for line in invoice.lines or []] or [
            (invoice.description, int(invoice.amount_minor))
        ]
        for n, (description, amount) in enumerate(items):
            suffix = "" if n == 0 else f"-{n}"
            call(
                client.v1.invoice_items.create,
                {
                    "customer": customer_id,
                    "invoice": created.id,
                    "currency": invoice.currency.lower(),
                    "amount": amount,
                    "description": description,
                    "metadata": metadata,
                },
                {"idempotency_key": f"invoice-{key}-item{suffix}"},
            )
        final = call(
            client.v1.invoices.finalize_invoice,
            created.id,
            {"auto_advance": True},
            {"idempotency_key": f"invoice-{key}-finalize"},
        )
        if not default_method:
            final = call(client.v1.invoices.send_invoice, created.id, {}, {"idempotency_key": f"invoice-{key}-send"})
        return Issued(
            final.id, final.hosted_invoice_url or "", customer_id, "paid" if final.status == "paid" else "open"
        )


def select_invoicing(stripe_api_key: str | None) -> InvoicingPort:
    """Stripe with a Stripe (test or live) secret key; without one, the installed stand-in or a failure."""
    if stripe_api_key and stripe_api_key.strip():
        return StripeInvoicing(stripe_api_key.strip())
    return without_stripe("invoicing")  # type: ignore[no-any-return]
