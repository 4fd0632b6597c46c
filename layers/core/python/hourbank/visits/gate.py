"""The work gate of a visit's ticket (SPEC V1), called by ``tickets.entries.post_entry`` inside its
transaction: onsite time counts in whole hours against the hours paid for; travel is the trip charge's.

The visit item is updated in the same TransactWriteItems as the entry and the ticket totals, conditioned
on the visit being paid (``confirmed``), on ``prepaid_hours`` covering the whole hours after this entry
and on ``used_minutes`` being what was read: two entries racing for the last prepaid hour can never both
commit (as SPEC C4's ``available_minutes`` gate). The loser reads again and gets the 402.
"""

from __future__ import annotations

from typing import NoReturn

from hourbank.kernel.errors import Conflict, InsufficientCredit, InvalidInput
from hourbank.store.models import VISIT_SK, VisitModel
from hourbank.store.transactions import Retry, Tx
from hourbank.visits.whole_hours import used_hours

VISIT_WORK = ("onsite", "travel")


def gate_entry(tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None:
    """Add the visit's update to ``tx``, or refuse (402) before anything is written."""
    if work_type not in VISIT_WORK:
        raise InvalidInput(
            f"work_type: a visit's ticket takes onsite and travel time; log {work_type} work on an ordinary ticket"
        )
    visit = VisitModel.get(ticket_id, VISIT_SK, consistent_read=True)
    used = int(visit.used_minutes)
    counted = minutes if work_type == "onsite" else 0  # SPEC V1: travel is the trip charge's
    need = used_hours(used + counted)
    if visit.state != "confirmed":
        refusal(visit, need)
    # The hours are left to the condition, not checked here: a retried post (Idempotency-Key) of an entry
    # that took the last hour must find its first result, which the transaction's entry put reports.
    tx.update(
        "visit",
        visit,
        [VisitModel.used_minutes.set(used + counted)],
        condition=(VisitModel.state == "confirmed")
        & (VisitModel.prepaid_hours >= need)
        & (VisitModel.used_minutes == used),
    )


def release_entry(tx: Tx, ticket_id: str, work_type: str, minutes: int) -> None:
    """SPEC T9 + V1: a voided entry's onsite minutes leave the visit's used hours, in the void's transaction
    (conditioned on the minutes read, so a concurrent entry or void reads again)."""
    if work_type != "onsite":
        return  # travel is the trip charge's: it never counted
    visit = VisitModel.get(ticket_id, VISIT_SK, consistent_read=True)
    used = int(visit.used_minutes)
    tx.update(
        "visit",
        visit,
        [VisitModel.used_minutes.set(max(used - minutes, 0))],
        condition=VisitModel.used_minutes == used,
    )


def refused(ticket_id: str, work_type: str, minutes: int) -> NoReturn:
    """The entry's transaction failed on the visit's condition: say why (402), or read again when the
    visit moved meanwhile (a payment, another entry) and the entry may now pass."""
    visit = VisitModel.get(ticket_id, VISIT_SK, consistent_read=True)
    counted = minutes if work_type == "onsite" else 0
    refusal(visit, used_hours(int(visit.used_minutes) + counted))
    raise Retry()


def refusal(visit: VisitModel, need: int) -> None:
    """SPEC V1: 402 before the visit is paid, or past its prepaid hours, saying how many hours to add."""
    prepaid = int(visit.prepaid_hours)
    details = {
        "visit_id": visit.visit_id,
        "prepaid_hours": prepaid,
        "required_hours": need,
        "used_hours": used_hours(int(visit.used_minutes)),
    }
    if visit.state == "awaiting_payment":
        add = max(need - int(visit.estimate_hours), 0)
        raise InsufficientCredit(
            f"The visit is not paid yet: pay its booking ({int(visit.estimate_hours)} h) before work goes on"
            + (f", and add {add} h to it" if add else "")
            + ".",
            code="visit_not_paid",
            details={**details, "hours_to_add": add, "booking_order_id": visit.booking_order_id},
        )
    if visit.state != "confirmed":
        raise Conflict(f"the visit is {visit.state}; no more time can be logged on it")
    if need > prepaid:
        add = need - prepaid
        raise InsufficientCredit(
            f"This entry takes the visit to {need} h onsite but {prepaid} h are paid for: add {add} h "
            f"(POST /visits/{visit.visit_id}/extensions) and have it paid before work goes on.",
            code="visit_hours_exhausted",
            details={**details, "hours_to_add": add},
        )
