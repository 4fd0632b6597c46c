"""What visits lend tickets and orders, so that neither imports visits (SPEC V1): visits depend on tickets and
orders, never the reverse.

* ``VISIT_WORK``: a visit's ticket is paid for in money, ahead (``tickets.common.Prepaid``). Its entries are gated
  by the visit's prepaid whole hours (``visits.gate``) instead of the balance, its close completes the visit
  (``visits.completion``). The handlers give it to ``tickets.entries.post_entry``, ``tickets.closing.close_ticket``
  and ``tickets.service.set_emergency``.
* ``VISIT_ORDERS``: a visit's booking and extensions are orders that buy hours of the visit, not minutes
  (``orders.payment_settlement.OtherOrders``): paid, refunded or disputed, they change the visit
  (``visits.visit_payments``). The Stripe webhook gives it to ``orders.payment_matching.apply_event``.

Light on purpose: nothing of the visits' own code is loaded until a visit's ticket or order comes along, so a
function that takes these loads no visit code for its other requests (issue 15: cold start).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from hourbank.kernel.identity import Actor
    from hourbank.orders.payment_settlement import Settlement
    from hourbank.store.models import AccountModel, OrderModel, TicketModel
    from hourbank.store.transactions import Tx
    from hourbank.tickets.closing import CloseResult


class VisitWork:
    """A visit's ticket (``TicketModel.visit_id``): its work is the visit's, paid for in whole hours."""

    item = "visit"  # the visit's update in an entry's transaction (``visits.gate``)

    def covers(self, ticket: TicketModel) -> bool:
        return bool(ticket.visit_id)

    def gate_entry(self, tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None:
        from hourbank.visits.gate import gate_entry

        gate_entry(tx, ticket_id, work_type, minutes)

    def refused(self, ticket_id: str, work_type: str, minutes: int) -> NoReturn:
        from hourbank.visits.gate import refused

        refused(ticket_id, work_type, minutes)

    def release_entry(self, tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None:
        from hourbank.visits.gate import release_entry

        release_entry(tx, ticket_id, work_type, minutes)

    def close(self, actor: Actor, ticket: TicketModel, account: AccountModel, now: datetime) -> CloseResult:
        from hourbank.visits.completion import close_visit

        return close_visit(actor, ticket, account, now)


class VisitOrders:
    """A visit's booking or extension (``OrderModel.visit_id``): paying it buys the visit's hours, no minutes."""

    def covers(self, order: OrderModel) -> bool:
        return bool(order.visit_id)

    def paid(self, order: OrderModel, *, payment_ref: str, amount_minor: int, at: datetime) -> Settlement:
        from hourbank.visits.visit_payments import settle_visit_paid

        return settle_visit_paid(order, payment_ref=payment_ref, amount_minor=amount_minor, at=at)

    def taken_back(
        self, order: OrderModel, *, payment_ref: str, refunded_minor: int | None, kind: str, at: datetime
    ) -> Settlement:
        from hourbank.visits.visit_payments import settle_visit_take_back

        return settle_visit_take_back(order, payment_ref=payment_ref, refunded_minor=refunded_minor, kind=kind, at=at)


VISIT_WORK = VisitWork()
VISIT_ORDERS = VisitOrders()
