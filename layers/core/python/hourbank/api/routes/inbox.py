"""Received mail (API.md ``GET /inbox``, ``POST /inbox/{mail_id}/assign``; SPEC E1): staff see every mail the
support address received and what became of it, and assign those kept for them to an account or a ticket."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.api import responses as R
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import AssignMail
from hourbank.kernel.ids import MailId

router = APIGatewayHttpRouter()


@router.get("/inbox", responses=doc(200, R.InboxPage, 403))
def get_inbox(
    status: Annotated[Literal["unmatched", "ticket", "message", "refused"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
):
    """SPEC E1: received mail, newest first (staff); ``status`` keeps one kind (unmatched: to assign)."""
    from hourbank.mail_intake import inbox  # only these two routes of the tickets function need it

    items, next_cursor = inbox.list_inbox(current_actor(router), status=status, limit=limit, cursor=cursor)
    return R.InboxPage(items=[R.InboxItem.of(m) for m in items], cursor=next_cursor).out()


@router.post("/inbox/<mail_id>/assign", responses=doc(200, R.InboxItem, 402, 403, 404, 409))
def assign_mail(mail_id: MailId, body: Annotated[AssignMail, Body()]):
    """SPEC E1: a kept mail assigned - ``account_id`` opens a ticket on it, ``ticket_id`` adds it as a message."""
    from hourbank.mail_intake import assigning

    item = assigning.assign(
        current_actor(router), mail_id, account_id=body.account_id, ticket_id=body.ticket_id, reference=body.reference
    )
    return R.InboxItem.of(item).out()
