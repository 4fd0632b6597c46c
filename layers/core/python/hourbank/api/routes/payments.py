"""What billing and the customer see of money (API.md; SPEC W1, W4, O6, M1): an account's payments, visits and
recurring agreements, the disputes list and the month-end runs. Reads (and the rerun's one queue message):
these routes are the accounts function's, which holds no Stripe key."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.kernel.ids import AccountId

router = APIGatewayHttpRouter()
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=400)]


@router.get("/accounts/<account_id>/payments", responses=doc(200, R.PaymentPage, 404))
def get_payments(account_id: AccountId, limit: Limit = 50, cursor: Cursor = None):
    """SPEC W1: every payment the account made or got back, newest first, with Stripe's receipt."""
    from hourbank.receipts import payment_book

    items, next_cursor = payment_book.list_payments(current_actor(router), account_id, limit=limit, cursor=cursor)
    return R.PaymentPage(items=[R.Payment.of(p) for p in items], cursor=next_cursor).out()


@router.get("/accounts/<account_id>/visits", responses=doc(200, R.VisitPage, 404))
def get_visits(account_id: AccountId, limit: Limit = 50, cursor: Cursor = None):
    """SPEC W1: the account's onsite visits, newest first; one awaiting payment carries its payment link."""
    from hourbank.visits.visit_list import list_visits

    items, next_cursor = list_visits(current_actor(router), account_id, limit=limit, cursor=cursor)
    return R.VisitPage(items=[R.Visit.of(v, o) for v, o in items], cursor=next_cursor).out()


@router.get("/accounts/<account_id>/agreements", responses=doc(200, R.AgreementList, 404))
def get_agreements(account_id: AccountId):
    """SPEC O6: the account's recurring pre-pay agreements."""
    from hourbank.receipts.agreements import list_agreements

    return R.AgreementList(items=[R.Agreement.of(a) for a in list_agreements(current_actor(router), account_id)]).out()


@router.get("/disputes", responses=doc(200, R.DisputePage, 403))
def get_disputes(status: Annotated[str | None, Query(max_length=20)] = None, limit: Limit = 50, cursor: Cursor = None):
    """SPEC W4: disputed entries - the open ones oldest first (default), or the resolved ones newest first."""
    from hourbank.tickets.dispute_list import list_disputes

    items, next_cursor = list_disputes(current_actor(router), status=status, limit=limit, cursor=cursor)
    return R.DisputePage(items=[R.DisputeItem.of(d) for d in items], cursor=next_cursor).out()


@router.get("/month-ends/<month>", responses=doc(200, R.MonthEnd, 403))
def get_month_end(month: str):
    """SPEC W4, M1: what the month's run did - accounts planned, closed and failed (with why), invoices by kind."""
    from hourbank.monthend import month_runs
    from hourbank.statements.monthly_statement import parse_month

    actor = current_actor(router)
    parse_month(month)
    run, failures = month_runs.read_run(actor, month)
    return R.MonthEnd.of(month, run, failures, month_runs.status_of(run, len(failures))).out()


@router.post("/month-ends/<month>/run", responses=doc(202, R.MonthEndRun, 403, 409))
def run_month_end(month: str):
    """SPEC W4, M2: billing runs the month's close again (only an ended month, M1); accounts already closed are
    skipped, so nothing is made twice. Answered at once: the month's page shows how it goes."""
    from hourbank.monthend import month_close, month_runs
    from hourbank.ports import queue
    from hourbank.ports.settings import get_settings

    actor = current_actor(router)
    month_close.month_to_close(month)  # SPEC M1: only a month that has ended (a 400 otherwise)
    url = get_settings().month_end_queue_url
    month_runs.request_run(actor, month, lambda bodies: queue.send(url, bodies), month_close.SYSTEM_CLOCK.now())
    return R.MonthEndRun(month=month, status="running").out(), 202
