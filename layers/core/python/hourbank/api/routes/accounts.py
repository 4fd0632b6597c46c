"""Accounts (API.md ``/accounts``): open and read account_service, their ledger, adjustments, settings, invoices,
statements (SPEC C6, C7, M3, O4, O5), and the portal's lists (SPEC W1, W2)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.accounts import account_service
from hourbank.api import responses as R
from hourbank.api import views
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import Adjustment, AutoTopUpSettings, CreateAccount, PlanChange

router = APIGatewayHttpRouter()


@router.post("/accounts", responses=doc(201, R.Account, 403, 409))
def create_account(body: Annotated[CreateAccount, Body()]):
    account = account_service.create_account(current_actor(router), **body.model_dump())
    return views.account(account), 201


@router.get("/accounts", responses=doc(200, R.AccountPage, 403))
def find_accounts(
    email: Annotated[str | None, Query(max_length=254)] = None,
    plan: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC W2: staff find accounts by e-mail (exact, case-insensitive) or by plan."""
    from hourbank.portal import portal_reads

    items, next_cursor = portal_reads.find_accounts(
        current_actor(router), email=email, plan=plan, limit=limit, cursor=cursor
    )
    return {"items": [views.account(a) for a in items], "cursor": next_cursor}


@router.get("/accounts/<account_id>/tickets", responses=doc(200, R.TicketPage, 404))
def get_account_tickets(
    account_id: str,
    status: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC W1, W2: an account's tickets, newest first."""
    from hourbank.portal import portal_reads

    items, next_cursor = portal_reads.account_tickets(
        current_actor(router), account_id, status=status, limit=limit, cursor=cursor
    )
    return {"items": [views.ticket_summary(t) for t in items], "cursor": next_cursor}


@router.get("/accounts/<account_id>/usage", responses=doc(200, R.Usage, 404))
def get_usage(
    account_id: str,
    from_: Annotated[str, Query(alias="from", max_length=7)],
    to: Annotated[str, Query(max_length=7)],
):
    """SPEC W1: consumed, weighted by work type, credited and the closing balance, per month."""
    from hourbank.portal import portal_reads

    return {"months": portal_reads.usage(current_actor(router), account_id, from_, to)}


@router.get("/accounts/<account_id>", responses=doc(200, R.Account, 404))
def get_account(account_id: str):
    return views.account(account_service.get_account(current_actor(router), account_id))


@router.get("/accounts/<account_id>/ledger", responses=doc(200, R.LedgerPage, 404))
def get_ledger(
    account_id: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    items, next_cursor = account_service.list_ledger(current_actor(router), account_id, limit=limit, cursor=cursor)
    return {"items": [views.ledger_entry(e) for e in items], "cursor": next_cursor}


@router.post("/accounts/<account_id>/adjustments", responses=doc(201, R.LedgerEntry, 403, 404, 409))
def post_adjustment(account_id: str, body: Annotated[Adjustment, Body()]):
    # A retry with the same Idempotency-Key returns the first entry instead of posting twice.
    entry = account_service.adjust(
        current_actor(router),
        account_id,
        **body.model_dump(),
        idempotency_key=router.current_event.headers.get("idempotency-key"),
    )
    return views.ledger_entry(entry), 201


@router.put("/accounts/<account_id>/auto-top-up", responses=doc(200, R.Account, 403, 404))
def put_auto_top_up(account_id: str, body: Annotated[AutoTopUpSettings, Body()]):
    return views.account(account_service.set_watch(current_actor(router), account_id, **body.model_dump()))


@router.put("/accounts/<account_id>/plan", responses=doc(200, R.Account, 403, 404))
def put_plan(account_id: str, body: Annotated[PlanChange, Body()]):
    return views.account(account_service.change_plan(current_actor(router), account_id, body.plan))


@router.get("/accounts/<account_id>/invoices", responses=doc(200, R.InvoiceList, 404))
def get_invoices(account_id: str):
    return {"items": [views.invoice(i) for i in account_service.list_invoices(current_actor(router), account_id)]}


@router.get("/accounts/<account_id>/statements/<month>", responses=doc(200, R.Statement, 404, csv=True))
def get_statement(account_id: str, month: str):
    """SPEC M3: the month's itemised statement; ``Accept: text/csv`` gives the same as CSV."""
    statement = account_service.statement(current_actor(router), account_id, month)
    if "text/csv" in (router.current_event.headers.get("accept") or ""):
        from hourbank.statements.monthly_statement import to_csv

        return Response(
            200,
            "text/csv; charset=utf-8",
            to_csv(statement),
            headers={"Content-Disposition": f'attachment; filename="{account_id}-{month}.csv"'},
        )
    return statement.as_dict()
