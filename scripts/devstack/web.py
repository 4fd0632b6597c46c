"""The local stack's pages: the order form (``web/``, as a static host would serve it) and the payment page
that stands in for Stripe Checkout when no Stripe key is set (issue 4).

    gw = gateway.start(specs, port=3000,                  # asks pages for the paths it has no route for
                       pages=LocalPages(WEB_ROOT, lambda: gw.url, local_env.webhook_secret))

* ``GET /`` and ``GET /<file>`` - the built web app, ``web/dist/`` (``make web-build``; only regular files
  inside it, known types only).
* ``GET /local-pay/{session_id}?order={order_id}`` - the "checkout": the order (read through the gateway's
  own ``GET /orders/{id}``, as any client would), a Pay button and a Cancel link. The session id must be
  ``LocalCheckout.session_id(order_id)``, else 404: the page accepts only what the orders function issued.
* ``POST /local-pay/{session_id}/pay`` - does what Stripe does when Checkout completes: a
  ``checkout.session.completed`` event for the order, serialised once, signed over exactly those bytes
  with ``sign_webhook`` and the webhook secret, POSTed to ``/webhooks/stripe`` over real HTTP. The payment's
  ids (``pi_local_...``; ``in_local_...``/``sub_local_...`` for a subscription) are derived from the session,
  so paying twice is the same payment and the webhook credits it once; the event id is new every time,
  as two deliveries of a real double payment would be.

* ``GET /local-pay/invoice/{invoice_id}?account=...`` and ``POST .../pay`` - Stripe's hosted invoice page for
  auto top-up invoices (SPEC O4): Pay sends a signed ``invoice.paid`` with the invoice's metadata.

The pay handler calls the gateway it runs in over HTTP: fine, the gateway serves each request on its own
thread. Nothing here touches DynamoDB: the webhook and the orders function are the only writers.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from devstack.pages import Response, page

log = logging.getLogger("localstack")

ROOT = Path(__file__).resolve().parents[2]
WEB_ROOT = ROOT / "web" / "dist"  # the Vite build of web/ (scripts/buildtools/web_build.py), as publish_site uploads it
TIMEOUT_S = 30.0
API_VERSION = "2026-10-28.endive"  # the version tests/integration/test_webhook_events.py builds its events in
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}  # Stripe's zero-decimal currencies: amount_minor is whole units


def _session_id(order_id: str) -> str:
    from devstack.adapters import LocalCheckout  # the one definition the orders function uses

    return LocalCheckout.session_id(order_id)


def _derived(prefix: str, session_id: str) -> str:
    return f"{prefix}_local_" + hashlib.sha256(f"{prefix}:{session_id}".encode()).hexdigest()[:24]


def money_text(price: Mapping[str, Any]) -> str:
    """``{"currency": "USD", "amount_minor": 285000}`` -> ``"2,850.00 USD"`` (SPEC U2: minor units)."""
    currency = str(price.get("currency") or "").upper()
    amount = int(price.get("amount_minor") or 0)
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount:,} {currency}"
    sign, amount = ("-", -amount) if amount < 0 else ("", amount)
    return f"{sign}{amount // 100:,}.{amount % 100:02d} {currency}"


def checkout_completed(order: Mapping[str, Any], session_id: str, *, now: int | None = None) -> dict[str, Any]:
    """The ``checkout.session.completed`` event Stripe sends when ``order``'s Checkout Session is paid,
    in Stripe's shapes (API reference; as tests/integration/test_webhook_events.py builds them)."""
    created = int(time.time()) if now is None else now
    recurring = order.get("kind") == "recurring"
    amount = int(order["price"]["amount_minor"])
    order_id, account_id = str(order["order_id"]), str(order["account_id"])
    session = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "client_reference_id": order_id,
        "created": created - 60,
        "currency": str(order["price"]["currency"]).lower(),  # Stripe writes currencies in lower case
        "customer": _derived("cus", session_id) if recurring else None,
        "expires_at": created + 86_340,
        "invoice": _derived("in", session_id) if recurring else None,
        "livemode": False,
        "metadata": {"order_id": order_id, "account_id": account_id},
        "mode": "subscription" if recurring else "payment",
        "payment_intent": None if recurring else _derived("pi", session_id),
        "payment_status": "paid",
        "status": "complete",
        "subscription": _derived("sub", session_id) if recurring else None,
        "url": None,
    }
    return {
        "id": "evt_local_" + secrets.token_hex(12),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "checkout.session.completed",
    }


def charge_succeeded(order: Mapping[str, Any], session_id: str, receipt_url: str, *, now: int | None = None) -> dict:
    """The ``charge.succeeded`` event Stripe sends for a one-time Checkout payment - before the session's completion,
    as Stripe usually does - carrying the charge's ``receipt_url`` (SPEC W1: every payment with its receipt)."""
    created = int(time.time()) if now is None else now
    amount = int(order["price"]["amount_minor"])
    charge = {
        "id": _derived("ch", session_id),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "captured": True,
        "created": created,
        "currency": str(order["price"]["currency"]).lower(),
        "livemode": False,
        "metadata": {"order_id": str(order["order_id"]), "account_id": str(order["account_id"])},
        "paid": True,
        "payment_intent": _derived("pi", session_id),
        "receipt_url": receipt_url,
        "refunded": False,
        "status": "succeeded",
    }
    return {
        "id": "evt_local_" + secrets.token_hex(12),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": charge},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "charge.succeeded",
    }


def invoice_paid(invoice: Mapping[str, Any], *, now: int | None = None) -> dict[str, Any]:
    """The ``invoice.paid`` event Stripe sends when a hosted invoice is paid, for an invoice as the API
    lists it; ``metadata`` is what ``hourbank.payments.stripe_invoicing`` puts on the Stripe invoice."""
    created = int(time.time()) if now is None else now
    amount = int(invoice["price"]["amount_minor"])
    metadata = {"invoice_id": invoice["invoice_id"], "account_id": invoice["account_id"], "kind": invoice["kind"]}
    if invoice.get("order_id"):
        metadata["order_id"] = invoice["order_id"]
    return {
        "id": f"evt_local_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {
            "object": {
                "id": invoice["stripe_invoice_id"],
                "object": "invoice",
                "status": "paid",
                "amount_due": amount,
                "amount_paid": amount,
                "amount_remaining": 0,
                "attempt_count": 1,
                "attempted": True,
                "billing_reason": "manual",
                "collection_method": "send_invoice",
                "currency": str(invoice["price"]["currency"]).lower(),
                "customer": "cus_local",
                "hosted_invoice_url": invoice.get("payment_url"),
                "livemode": False,
                "metadata": metadata,
                "parent": None,
                "lines": {"object": "list", "data": [], "has_more": False},
                "status_transitions": {"paid_at": created},
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "invoice.paid",
    }


class LocalPages:
    """The gateway's ``pages`` (``devstack.gateway.Pages``): the order form and the payment page."""

    def __init__(
        self,
        web_root: Path,
        gateway_url: Callable[[], str],
        secret: Callable[[], str] | None = None,
        *,
        timeout: float = TIMEOUT_S,
    ) -> None:
        """``gateway_url`` and ``secret`` are read per request: the URL is known only once the gateway
        listens (port 0), and ``local_env.apply`` sets the secret after that."""
        from devstack import local_env

        self.web_root = web_root.resolve()
        self._gateway_url = gateway_url
        self._secret = secret or local_env.webhook_secret
        self.timeout = timeout
        from devstack.local_auth import LocalAuth

        self.auth = LocalAuth(lambda: self.gateway_url)  # the stand-in for Cognito's managed login

    @property
    def gateway_url(self) -> str:
        return self._gateway_url().rstrip("/")

    # -- the gateway's entry point
    def serve(
        self, method: str, path: str, query: str, headers: Mapping[str, str], read_body: Callable[[], bytes | None]
    ) -> Response | None:
        """Every page carries the one set of security headers (``hosting/security-headers.json``)."""
        page = self._serve(method, path, query, headers, read_body)
        if page is None:
            return None
        status, page_headers, payload = page
        return status, [*page_headers, *security_headers().items()], payload

    def _serve(
        self, method: str, path: str, query: str, headers: Mapping[str, str], read_body: Callable[[], bytes | None]
    ) -> Response | None:
        parts = path.strip("/").split("/") if path.strip("/") else []
        if parts[:1] == ["local-s3"] and method in ("GET", "HEAD"):  # S3's presigned GETs (adapters.LocalExports)
            from devstack.adapters import serve_export

            return serve_export(path, _query(query))
        if parts[:1] == ["local-auth"]:  # the local sign-in (scripts/devstack/local_auth.py)
            return self.auth.serve(method, parts, query, read_body)
        if parts[:2] == ["local-pay", "receipt"] and method in ("GET", "HEAD") and len(parts) == 3:
            return self.receipt_page(unquote(parts[2]), _query(query).get("order", ""))  # a charge's receipt_url
        if parts[:2] == ["local-pay", "portal"] and method in ("GET", "HEAD") and len(parts) == 3:
            return self.portal_page(unquote(parts[2]), _query(query).get("return", ""))  # Stripe's customer portal
        if parts[:2] == ["local-pay", "invoice"]:  # Stripe's hosted invoice page, for auto top-ups (O4)
            if method in ("GET", "HEAD") and len(parts) == 3:
                return self.invoice_page(unquote(parts[2]), _query(query).get("account", ""))
            if method == "POST" and len(parts) == 4 and parts[3] == "pay":
                return self.pay_invoice(unquote(parts[2]), _form(query, read_body).get("account", ""))
            return None
        if parts[:1] == ["local-pay"]:
            if method in ("GET", "HEAD") and len(parts) == 2:
                return self.pay_page(unquote(parts[1]), _query(query).get("order", ""))
            if method == "POST" and len(parts) == 3 and parts[2] == "pay":
                return self.pay(unquote(parts[1]), _form(query, read_body).get("order", ""))
            return None
        if method in ("GET", "HEAD"):
            folder = self.web_root / unquote(path).strip("/")
            if (
                path.strip("/")
                and not path.endswith("/")
                and folder.resolve().is_relative_to(self.web_root)
                and (folder / "index.html").is_file()
            ):  # /portal -> /portal/, as the CloudFront function does
                return 301, [("Location", path + "/" + (f"?{query}" if query else ""))], b""
            return self.static(path)
        return None

    # -- static files
    def static(self, path: str) -> Response | None:
        relative = unquote(path).lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"  # /portal/ as a static host serves it
        if any(part.startswith(".") or not part for part in relative.split("/")) or "\\" in relative:
            return None  # "..", hidden files, empty segments: never a file of the site
        if any(ord(c) < 32 or c == "\x7f" for c in relative):
            return None  # a NUL or other control character (/index.html%00.js) names no file: 404, not 500
        file = (self.web_root / relative).resolve()
        content_type = CONTENT_TYPES.get(file.suffix.lower())
        if content_type is None or not file.is_relative_to(self.web_root) or not file.is_file():
            return None
        return 200, [("Content-Type", content_type), ("Cache-Control", "no-cache")], file.read_bytes()

    # -- the payment page
    def pay_page(self, session_id: str, order_id: str) -> Response:
        if not order_id or session_id != _session_id(order_id):
            return _page(404, "Checkout not found", "<p>No checkout session of this stack has this address.</p>")
        status, order = self._api("GET", f"/orders/{quote(order_id, safe='')}")
        if status != 200:
            return _page(
                404 if status == 404 else 502,
                "Checkout not found",
                f"<p>The order could not be read (HTTP {status}).</p>",
            )
        e = html.escape
        kind = "every month (recurring)" if order.get("kind") == "recurring" else "one time"
        price = money_text(order["price"])
        what = (
            f'<dt>Onsite visit</dt><dd id="visit">{e(str(order.get("title")))}</dd>'
            if order.get("visit_id")
            else f"<dt>Support time</dt><dd>{e(str(order['hours']))} h, {e(kind)}</dd>"
        )
        details = (
            f"<dl><dt>Order</dt><dd><code>{e(order['order_id'])}</code></dd>{what}"
            f'<dt>Total</dt><dd id="total">{e(price)}</dd></dl>'
        )
        if order.get("status") != "pending":
            action = (
                f"<p>This order is <strong>{e(str(order.get('status')))}</strong>.</p>"
                f'<p><a href="/paid.html?order={e(quote(order_id))}">See the order</a></p>'
            )
        else:
            action = (
                f'<form method="post" action="/local-pay/{e(quote(session_id))}/pay">'
                f'<input type="hidden" name="order" value="{e(order_id)}">'
                f'<button type="submit" id="pay">Pay {e(price)}</button></form>'
                f'<p><a id="cancel" href="/?cancelled={e(quote(order_id))}">Cancel and go back</a></p>'
            )
        return _page(200, "Checkout (local)", details + action)

    def pay(self, session_id: str, order_id: str) -> Response:
        if not order_id or session_id != _session_id(order_id):
            return _page(404, "Checkout not found", "<p>No checkout session of this stack has this address.</p>")
        status, order = self._api("GET", f"/orders/{quote(order_id, safe='')}")
        if status != 200:
            return _page(
                404 if status == 404 else 502,
                "Checkout not found",
                f"<p>The order could not be read (HTTP {status}).</p>",
            )
        if order.get("kind") != "recurring":  # SPEC W1: Stripe's receipt, on the charge, usually comes first
            receipt = f"{self.gateway_url}/local-pay/receipt/{quote(session_id)}?order={quote(order_id)}"
            self._deliver(json.dumps(charge_succeeded(order, session_id, receipt)))
        payload = json.dumps(checkout_completed(order, session_id))  # signed and sent as these exact bytes
        status, answer = self._deliver(payload)
        if status == 200:
            return 303, [("Location", f"/paid.html?order={quote(order_id)}"), ("Content-Type", "text/plain")], b""
        log.warning("local payment page: the webhook answered %s: %s", status, answer)
        return _page(
            502,
            "Payment not recorded",
            f'<p>The webhook answered HTTP {status}:</p><pre id="webhook-error">'
            f"{html.escape(json.dumps(answer, indent=2))}</pre>",
        )

    # -- a payment's receipt (SPEC W1)
    def receipt_page(self, session_id: str, order_id: str) -> Response:
        """Stripe's receipt of a charge, standing in: what was paid, for what, and when."""
        if not order_id or session_id != _session_id(order_id):
            return _page(404, "Receipt not found", "<p>No payment of this stack has this receipt.</p>", notice="")
        status, order = self._api("GET", f"/orders/{quote(order_id, safe='')}")
        if status != 200 or order.get("status") == "pending":
            return _page(404, "Receipt not found", "<p>This payment has not been received.</p>", notice="")
        e = html.escape
        what = order.get("title") or f"Support time: {order.get('hours')} h"
        body = (
            f'<dl><dt>Paid</dt><dd id="receipt-amount">{e(money_text(order["price"]))}</dd>'
            f"<dt>For</dt><dd>{e(str(what))}</dd><dt>Order</dt><dd><code>{e(order_id)}</code></dd>"
            f"<dt>Payment</dt><dd><code>{e(_derived('pi', session_id))}</code></dd></dl>"
        )
        notice = (
            '<p class="notice" role="note"><strong>Local stand-in for a Stripe receipt.</strong> '
            "In AWS the link opens Stripe's own receipt of the charge.</p>"
        )
        return _page(200, "Receipt (local)", body, notice=notice)

    # -- the customer portal (SPEC O6, W1)
    def portal_page(self, customer_id: str, return_url: str) -> Response:
        """Stripe's customer portal, standing in: where the customer would change the card their agreement
        charges and see its invoices. No card form here (nor in Hourbank): only the way back."""
        e = html.escape
        back = return_url if return_url.startswith((self.gateway_url + "/", "/")) else "/portal/"
        body = (
            f"<dl><dt>Customer</dt><dd><code>{e(customer_id)}</code></dd></dl>"
            "<p>In AWS this is Stripe's own customer portal: the card the recurring agreement charges is changed "
            "there, and its invoices are listed and downloaded there. Hourbank never shows a card form.</p>"
            f'<p><a id="return" href="{e(back)}">Return to Hourbank</a></p>'
        )
        notice = (
            '<p class="notice" role="note"><strong>Local stand-in for Stripe\'s customer portal.</strong> '
            "Nothing here changes a card or charges anything.</p>"
        )
        return _page(200, "Billing portal (local)", body, notice=notice)

    # -- the hosted invoice page (auto top-up invoices, SPEC O4)
    def _invoice(self, invoice_id: str, account_id: str) -> dict | None:
        """The invoice as the API lists it. Stripe knows its invoices; this stand-in asks the API with a
        local billing token, so it still writes nothing itself."""
        from devstack.jwt_local import mint

        if not invoice_id.startswith("inv_") or not account_id.startswith("acc_"):
            return None
        status, listed = self._api(
            "GET",
            f"/accounts/{quote(account_id, safe='')}/invoices",
            headers={"Authorization": f"Bearer {mint('billing', sub='local-payment-page')}"},
        )
        if status != 200:
            return None
        return next((i for i in listed.get("items", []) if i.get("invoice_id") == invoice_id), None)

    def invoice_page(self, invoice_id: str, account_id: str) -> Response:
        invoice = self._invoice(invoice_id, account_id)
        if invoice is None:
            return _page(
                404, "Invoice not found", "<p>No invoice of this stack has this address.</p>", sends="invoice.paid"
            )
        e = html.escape
        price = money_text(invoice["price"])
        details = (
            f"<dl><dt>Invoice</dt><dd><code>{e(invoice['invoice_id'])}</code></dd>"
            f"<dt>For</dt><dd>{e(str(invoice.get('description') or ''))}</dd>"
            f"<dt>Why</dt><dd>{e(str(invoice.get('reason') or ''))}</dd>"
            f'<dt>Total</dt><dd id="total">{e(price)}</dd>'
            f'<dt>Status</dt><dd id="invoice-status">{e(str(invoice["status"]))}</dd></dl>'
        )
        if invoice["status"] != "open":
            return _page(200, "Invoice (local)", details, sends="invoice.paid")
        action = (
            f'<form method="post" action="/local-pay/invoice/{e(quote(invoice_id))}/pay">'
            f'<input type="hidden" name="account" value="{e(account_id)}">'
            f'<button type="submit" id="pay">Pay {e(price)}</button></form>'
        )
        return _page(200, "Invoice (local)", details + action, sends="invoice.paid")

    def pay_invoice(self, invoice_id: str, account_id: str) -> Response:
        invoice = self._invoice(invoice_id, account_id)
        if invoice is None or not invoice.get("stripe_invoice_id"):
            return _page(
                404,
                "Invoice not found",
                "<p>No issued invoice of this stack has this address.</p>",
                sends="invoice.paid",
            )
        payload = json.dumps(invoice_paid(invoice))
        status, answer = self._deliver(payload)
        if status == 200:
            where = f"/local-pay/invoice/{quote(invoice_id)}?account={quote(account_id)}"
            return 303, [("Location", where), ("Content-Type", "text/plain")], b""
        log.warning("local invoice page: the webhook answered %s: %s", status, answer)
        return _page(
            502,
            "Payment not recorded",
            f'<p>The webhook answered HTTP {status}:</p><pre id="webhook-error">'
            f"{html.escape(json.dumps(answer, indent=2))}</pre>",
            sends="invoice.paid",
        )

    def _deliver(self, payload: str) -> tuple[int, Any]:
        """``payload`` to the webhook as Stripe sends it: these exact bytes, signed with the local secret."""
        from hourbank.payments.webhook_signature import sign_webhook

        return self._api(
            "POST",
            "/webhooks/stripe",
            payload.encode("utf-8"),
            {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_webhook(payload, self._secret()),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks; hourbank local payment page)",
            },
        )

    def _api(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Any]:
        """One call to the gateway over HTTP, as a client (and Stripe) would make it."""
        req = urllib.request.Request(self.gateway_url + path, data=body, method=method, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", errors="replace")


SECURITY_HEADERS_FILE = Path(__file__).resolve().parents[2] / "hosting" / "security-headers.json"


@cache
def security_headers() -> dict[str, str]:
    """The served pages' security headers: one definition, shared with the AWS hosting (CloudFront)."""
    return dict(json.loads(SECURITY_HEADERS_FILE.read_text())["headers"])


def _form(query: str, read_body: Callable[[], bytes | None]) -> dict[str, str]:
    """A form post's fields: the query string's, then the url-encoded body's."""
    form = _query(query)
    body = read_body()
    if body:
        form.update(_query(body.decode("utf-8", errors="replace")))
    return form


def _query(text: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


def payment_notice(sends: str = "checkout.session.completed") -> str:
    """The banner of a local payment page: what it stands in for and the event its Pay button really sends."""
    stand_in = "invoices" if sends.startswith("invoice.") else "Checkout"
    return f"""<p class="notice" role="note"><strong>Local stand-in for Stripe {html.escape(stand_in)}.</strong>
No card is charged: Pay sends a signed <code>{html.escape(sends)}</code> event to
<code>/webhooks/stripe</code>, as Stripe would.</p>"""


def _page(
    status: int, title: str, body: str, *, sends: str = "checkout.session.completed", notice: str | None = None
) -> Response:
    """A page of the local stack only, with the notice that says what it stands in for (by default the
    payment stand-in's, naming the event ``sends``)."""
    return page(status, title, body, notice=payment_notice(sends) if notice is None else notice)


__all__ = ["WEB_ROOT", "LocalPages", "checkout_completed", "invoice_paid", "money_text"]
