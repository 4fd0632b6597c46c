"""Accounts (API.md ``/accounts``): open and read account_service, their ledger, adjustments, settings, invoices,
statements (SPEC C6, C7, M3, O4, O5), and the portal's lists (SPEC W1, W2)."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.accounts import account_service
from hourbank.api import responses as R
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import Adjustment, AutoTopUpSettings, CreateAccount, NotificationSettings, PlanChange
from hourbank.kernel.ids import AccountId

router = APIGatewayHttpRouter()


@router.post("/accounts", responses=doc(201, R.Account, 403, 409))
def create_account(body: Annotated[CreateAccount, Body()]):
    account = account_service.create_account(current_actor(router), **body.model_dump())
    return R.Account.of(account).out(), 201


@router.get("/accounts", responses=doc(200, R.AccountPage, 403))
def find_accounts(
    email: Annotated[str | None, Query(max_length=254)] = None,
    plan: Annotated[str | None, Query(max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC W2: staff find accounts by e-mail (exact, case-insensitive), by name (case-insensitive, the beginning
    of any word, at least 2 characters) or by plan."""
    from hourbank.portal import portal_reads

    items, next_cursor = portal_reads.find_accounts(
        current_actor(router), email=email, plan=plan, name=name, limit=limit, cursor=cursor
    )
    return R.AccountPage(items=[R.Account.of(a) for a in items], cursor=next_cursor).out()


@router.get("/accounts/<account_id>/tickets", responses=doc(200, R.TicketPage, 404))
def get_account_tickets(
    account_id: AccountId,
    status: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC W1, W2: an account's tickets, newest first."""
    from hourbank.portal import portal_reads
    from hourbank.tickets.account_names import account_names

    items, next_cursor = portal_reads.account_tickets(
        current_actor(router), account_id, status=status, limit=limit, cursor=cursor
    )
    names = account_names(items)  # SPEC W2: only tickets opened before they carried it
    return R.TicketPage(items=[R.TicketSummary.of(t, names=names) for t in items], cursor=next_cursor).out()


@router.get("/accounts/<account_id>/usage", responses=doc(200, R.Usage, 404))
def get_usage(
    account_id: AccountId,
    from_: Annotated[str, Query(alias="from", max_length=7)],
    to: Annotated[str, Query(max_length=7)],
):
    """SPEC W1: consumed, weighted by work type, credited and the closing balance, per month."""
    from hourbank.portal import portal_reads

    return R.Usage.model_validate({"months": portal_reads.usage(current_actor(router), account_id, from_, to)}).out()


@router.get("/accounts/<account_id>", responses=doc(200, R.Account, 404))
def get_account(account_id: AccountId):
    actor = current_actor(router)
    account = account_service.get_account(actor, account_id)
    if actor.is_customer:  # SPEC W1: the portal's first read after a sign-in notes it on the contact
        from hourbank.accounts.contacts import note_sign_in

        note_sign_in(actor, account)
    return R.Account.of(account).out()


@router.get("/accounts/<account_id>/ledger", responses=doc(200, R.LedgerPage, 404))
def get_ledger(
    account_id: AccountId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    items, next_cursor = account_service.list_ledger(current_actor(router), account_id, limit=limit, cursor=cursor)
    return R.LedgerPage(items=[R.LedgerEntry.of(e) for e in items], cursor=next_cursor).out()


@router.post("/accounts/<account_id>/adjustments", responses=doc(201, R.LedgerEntry, 403, 404, 409))
def post_adjustment(account_id: AccountId, body: Annotated[Adjustment, Body()]):
    # A retry with the same Idempotency-Key returns the first entry instead of posting twice.
    entry = account_service.adjust(
        current_actor(router),
        account_id,
        **body.model_dump(),
        idempotency_key=router.current_event.headers.get("idempotency-key"),
    )
    return R.LedgerEntry.of(entry).out(), 201


@router.put("/accounts/<account_id>/auto-top-up", responses=doc(200, R.Account, 403, 404))
def put_auto_top_up(account_id: AccountId, body: Annotated[AutoTopUpSettings, Body()]):
    return R.Account.of(account_service.set_watch(current_actor(router), account_id, **body.model_dump())).out()


@router.get("/accounts/<account_id>/notifications", responses=doc(200, R.Notifications, 403, 404))
def get_notifications(account_id: AccountId):
    """SPEC N1: which mails the customer chose (awaiting credit and payment links always go)."""
    from hourbank.notifications import preferences

    return R.Notifications(**preferences.read(current_actor(router), account_id)).out()


@router.put("/accounts/<account_id>/notifications", responses=doc(200, R.Notifications, 403, 404))
def put_notifications(account_id: AccountId, body: Annotated[NotificationSettings, Body()]):
    from hourbank.notifications import preferences

    return R.Notifications(**preferences.save(current_actor(router), account_id, body.model_dump())).out()


@router.put("/accounts/<account_id>/plan", responses=doc(200, R.Account, 403, 404))
def put_plan(account_id: AccountId, body: Annotated[PlanChange, Body()]):
    return R.Account.of(account_service.change_plan(current_actor(router), account_id, body.plan)).out()


@router.get("/accounts/<account_id>/invoices", responses=doc(200, R.InvoiceList, 404))
def get_invoices(account_id: AccountId):
    invoices = account_service.list_invoices(current_actor(router), account_id)
    return R.InvoiceList(items=[R.Invoice.of(i) for i in invoices]).out()


_HANDED_OVER = {
    303: {
        "description": "The statement is larger than a Lambda answer may be (issue 23): it was written to the "
        "statements bucket and Location is a presigned URL that serves it (JSON or CSV, as asked) for 5 minutes",
        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
    }
}


@router.get(
    "/accounts/<account_id>/statements/<month>",
    responses={**doc(200, R.Statement, 404, csv=True), **_HANDED_OVER},  # type: ignore[dict-item]
)
def get_statement(account_id: AccountId, month: str):
    """SPEC M3: the month's itemised statement; ``Accept: text/csv`` gives the same as CSV. A statement too large
    for a Lambda answer (``hourbank.ports.exports.INLINE_LIMIT``) is a 303 to a short-lived link that serves it."""
    statement = account_service.statement(current_actor(router), account_id, month)
    filename = f"{account_id}-{month}"
    if "text/csv" in (router.current_event.headers.get("accept") or ""):
        from hourbank.statements.monthly_statement import to_csv

        return _statement_answer(to_csv(statement), "text/csv; charset=utf-8", f"{filename}.csv", account_id, month)
    from aws_lambda_powertools.shared.json_encoder import Encoder

    body = json.dumps(statement.as_dict(), separators=(",", ":"), cls=Encoder)  # as the resolver would
    return _statement_answer(body, "application/json", f"{filename}.json", account_id, month)


def _statement_answer(body: str, content_type: str, filename: str, account_id: str, month: str) -> Response:
    from hourbank.ports import exports

    if not exports.oversized(body):
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename.endswith(".csv") else {}
        return Response(200, content_type, body, headers=headers)
    from uuid import uuid4

    from hourbank.ports.settings import get_settings

    key = f"statements/{account_id}/{month}/{uuid4().hex}-{filename}"  # a new object per answer, gone in a day
    url = exports.publish(
        get_settings().statements_bucket, key, body.encode(), content_type=content_type, filename=filename
    )
    return Response(303, content_type, "", headers={"Location": url, "Cache-Control": "no-store"})
