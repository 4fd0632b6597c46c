"""The local payment stand-in says what it does (issue 10, finding 9): the invoice page's banner names the
event its Pay button sends (``invoice.paid``), the Checkout page's names ``checkout.session.completed``."""

from __future__ import annotations

from pathlib import Path

from devstack.web import LocalPages

INVOICE = {
    "invoice_id": "inv_1",
    "account_id": "acc_1",
    "kind": "auto_top_up",
    "status": "open",
    "price": {"currency": "USD", "amount_minor": 30_000},
    "description": "auto top-up",
    "reason": "low",
    "stripe_invoice_id": "in_local_1",
    "order_id": "ord_1",
}


def pages(monkeypatch) -> LocalPages:
    local = LocalPages(Path("web"), lambda: "http://127.0.0.1:9", lambda: "whsec_x")
    monkeypatch.setattr(local, "_invoice", lambda invoice_id, account_id: dict(INVOICE))
    return local


def test_the_invoice_page_banner_names_invoice_paid(monkeypatch):
    status, _headers, body = pages(monkeypatch).invoice_page("inv_1", "acc_1")
    assert status == 200
    assert b"<code>invoice.paid</code>" in body
    assert b"checkout.session.completed" not in body


def test_the_checkout_banner_still_names_checkout_session_completed():
    from devstack.web import _page

    _status, _headers, body = _page(200, "Checkout (local)", "")
    assert b"<code>checkout.session.completed</code>" in body and b"Stripe Checkout" in body
