"""SPEC N1: the words of the notifications, as tables - the close receipt of scenarios 1, 5, 8 and 11 (T4-T6,
T9, C1, C2), HTML only as the escaped text, deterministic mail ids, and which events a stream record is."""

from __future__ import annotations

import pytest

from hourbank.notifications import events as ev
from hourbank.notifications.compose import message_id
from hourbank.notifications.texts import Line, Receipt, Segment, html_of, money, receipt_text

pytestmark = pytest.mark.unit


def line(minutes: int, work: str = "remote", *segments: tuple[int, int, tuple[str, ...]], voided: str | None = None):
    segs = tuple(Segment(m, x, r) for m, x, r in segments) or (Segment(minutes, 1, ()),)
    weighted = sum(s.minutes * s.multiplier for s in segs) if voided is None else 0
    return Line("2026-01-06T10:00:00-05:00", work, minutes, weighted, "Dana Tech", "fixed it", segs, voided)


def receipt(lines, weighted, consumed, debited, postpay=0, balance_after=0, onsite=0, minimum=0, rate=15000):
    return Receipt(
        "ABC234", "Printer offline", "2026-01-06T12:00:00-05:00", tuple(lines), weighted, onsite, minimum,
        consumed, debited, postpay, rate, (rate * postpay * 2 + 60) // 120, "USD", balance_after,
    )  # fmt: skip


SCENARIOS = {
    # 1. Member, onsite: travel 30 + onsite 60 + travel 30, business hours → 120
    "scenario 1": (
        receipt([line(30, "travel"), line(60, "onsite"), line(30, "travel")], 120, 120, 120, 0, 480, onsite=120),
        ["Time logged: 120 min (2 h)", "With the multipliers above: 120 min (2 h)", "Time charged: 120 min (2 h)",
         "Taken from your balance: 120 min (2 h)", "Your balance now: 480 min (8 h)"],
        ["Rounded up", "Post-pay"],
    ),
    # 5. Emergency and after-hours together: 30 min → 120 (×4)
    "scenario 5": (
        receipt([line(30, "remote", (30, 4, ("after_hours", "emergency")))], 120, 120, 120, 0, 0),
        ["30 min × 4 (after hours, emergency) = 120 min", "Time logged: 30 min", "Time charged: 120 min (2 h)"],
        ["Rounded up"],
    ),
    # 8. Member with balance 60 closes a ticket consuming 150 → balance 0, post-pay 90 min at $150/h = $225
    "scenario 8": (
        receipt([line(150)], 150, 150, 60, 90, 0),
        ["Taken from your balance: 60 min (1 h)",
         "Post-pay, invoiced at month end: 90 min (1.5 h) at $150.00/h = $225.00", "Your balance now: 0 min"],
        ["Rounded up"],
    ),
    # 11. Entries of 60 and 45 min, the 45 voided (T9) → 60
    "scenario 11": (
        receipt([line(60), line(45, voided="typed twice")], 60, 60, 60, 0, 540),
        ["voided (typed twice): counts for nothing", "Time logged: 60 min (1 h)", "Time charged: 60 min (1 h)"],
        ["Rounded up"],
    ),
    # T5: 45 + 45 + 5 = 95 → 120, rounded once per ticket
    "T5 rounding": (
        receipt([line(45), line(45), line(5)], 95, 120, 120, 0, 0),
        ["Time logged: 95 min (1.58 h)", "Rounded up to the next 30 minutes for the whole ticket (at least 30 min):"
         " 120 min (2 h)"],
        [],
    ),
    # T6: a non-member's onsite work counts as at least 240
    "T6 minimum": (
        receipt([line(30, "travel"), line(60, "onsite"), line(30, "travel")], 120, 240, 240, 0, 60, onsite=120,
                minimum=240),
        ["Onsite minimum of your plan: onsite and travel count as at least 240 min (4 h): + 120 min = 240 min (4 h)"],
        ["Rounded up"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_receipt_lets_the_customer_check_every_minute_N1(name):
    r, present, absent = SCENARIOS[name]
    subject, text = receipt_text("Acme Ltd", r, "https://hb.example/portal/#/tickets/t")
    assert subject.endswith("[#ABC234]") and "Receipt for ticket ABC234" in subject
    for words in present:
        assert words in text, (words, text)
    for words in absent:
        assert words not in text, (words, text)
    assert "https://hb.example/portal/#/tickets/t" in text


def test_html_is_the_same_text_escaped_never_markup_from_data_N1():
    r = receipt([Line("2026-01-06T10:00:00-05:00", "remote", 30, 30, "<b>Eve</b>", "<script>x()</script>",
                      (Segment(30, 1, ()),))], 30, 30, 30)  # fmt: skip
    _, text = receipt_text('Bob "<img src=x>"', r, "")
    page = html_of(text)
    assert "<script>" not in page and "<img" not in page and "<b>Eve" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "&lt;b&gt;Eve&lt;/b&gt;" in page


def test_money_is_money_U2():
    assert money(22500, "USD") == "$225.00"
    assert money(120050, "eur") == "€1,200.50"
    assert money(-500, "USD") == "-$5.00"
    assert money(100, "CHF") == "CHF 1.00"


def test_a_mails_id_follows_from_the_event_and_the_recipient_only_N1():
    a = message_id("tkt_1.acc_1#closed", "receipt", "Ann@Example.test")
    assert a == message_id("tkt_1.acc_1#closed", "receipt", " ann@example.test")  # same person, same mail
    assert a != message_id("tkt_1.acc_1#closed", "receipt", "bob@example.test")
    assert a != message_id("tkt_2.acc_1#closed", "receipt", "ann@example.test")
    assert a.startswith("n1.receipt.")


TICKET = {"ticket_id": "tkt_1.acc_1", "sk": "TICKET", "account_id": "acc_1", "status": "open"}
ENTRY = {"ticket_id": "tkt_1.acc_1", "sk": "ENTRY#ent_1"}
MSG = {"ticket_id": "tkt_1.acc_1", "sk": "MSG#2026-01-07T10:00:00.000Z#msg_1", "visibility": "public", "text": "hi"}
OPEN = {"status": "open", "raised_at": "2026-01-07T10:00:00+00:00", "reason": "too long"}


@pytest.mark.parametrize(
    ("source", "name", "old", "new", "kinds"),
    [
        (ev.TICKETS, "INSERT", None, TICKET, [ev.OPENED]),
        (ev.TICKETS, "MODIFY", TICKET, {**TICKET, "status": "closed"}, [ev.CLOSED]),
        (ev.TICKETS, "MODIFY", {**TICKET, "status": "awaiting_credit"}, {**TICKET, "status": "closed"}, [ev.CLOSED]),
        (ev.TICKETS, "MODIFY", {**TICKET, "status": "closed"}, {**TICKET, "status": "closed"}, []),  # a credit-back
        (ev.TICKETS, "MODIFY", TICKET, {**TICKET, "status": "awaiting_credit"}, [ev.AWAITING]),
        (ev.TICKETS, "MODIFY", TICKET, {**TICKET, "title": "renamed"}, []),
        (ev.TICKETS, "INSERT", None, {"ticket_id": "tkt_1.acc_1", "sk": "RESPONSE#r1"}, []),  # told as its message
        (ev.TICKETS, "INSERT", None, {**MSG, "author": {"role": "technician", "name": "Dana"}}, [ev.RESPONSE]),
        (ev.TICKETS, "INSERT", None, {**MSG, "author": {"role": "billing", "name": "Bo"}}, [ev.RESPONSE]),
        (ev.TICKETS, "INSERT", None, {**MSG, "author": {"role": "customer", "name": "Ann"}}, [ev.CUSTOMER_MESSAGE]),
        (ev.TICKETS, "INSERT", None, {**MSG, "visibility": "internal", "author": {"role": "technician"}}, []),  # W5
        (ev.TICKETS, "INSERT", None, {**MSG, "author": {"role": "system", "name": "Hourbank"}}, []),
        (ev.TICKETS, "MODIFY", ENTRY, {**ENTRY, "dispute": OPEN}, [ev.DISPUTE_RAISED]),
        (ev.TICKETS, "MODIFY", {**ENTRY, "dispute": OPEN}, {**ENTRY, "dispute": {**OPEN, "status": "upheld"}},
         [ev.DISPUTE_RESOLVED]),
        (ev.TICKETS, "REMOVE", TICKET, None, []),
        (ev.ORDERS, "MODIFY", {"order_id": "o1", "account_id": "acc_1", "kind": "visit"},
         {"order_id": "o1", "account_id": "acc_1", "kind": "visit", "checkout_url": "https://pay"}, [ev.PAYMENT_LINK]),
        (ev.ORDERS, "MODIFY", {"order_id": "o1", "account_id": "acc_1", "payments": {}},
         {"order_id": "o1", "account_id": "acc_1", "payments": {"pi_1": {"credited": 60}}}, [ev.PAYMENT]),
        (ev.ORDERS, "INSERT", None, {"order_id": "payref#pi_1", "paid_order_id": "o1"}, []),
        (ev.REVIEWS, "INSERT", None, {"review_id": "rev_1", "reason": "unknown order"}, [ev.REVIEW]),
        (ev.MARKERS, "INSERT", None, {"id": "monthend#acc_1#2026-11", "account_id": "acc_1"}, [ev.STATEMENT]),
        (ev.MARKERS, "INSERT", None, {"id": "monthclosing#acc_1#2026-11", "account_id": "acc_1"}, []),
        (ev.MARKERS, "INSERT", None, {"id": "mail#n1.receipt.abc"}, []),
    ],
)  # fmt: skip
def test_which_events_a_record_is_read_from_its_images_N1(source, name, old, new, kinds):
    assert [e.kind for e in ev.events_of(source, name, old, new)] == kinds


def test_a_record_of_an_unknown_shape_fails_alone_N1():
    with pytest.raises(ev.BadRecord):
        ev.events_of(ev.TICKETS, "INSERT", None, {"sk": "TICKET"})
    with pytest.raises(ev.BadRecord):
        ev.events_of(ev.TICKETS, "MODIFY", ENTRY, {**ENTRY, "dispute": "not a map"})
