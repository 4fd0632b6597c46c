"""An account's contacts (API.md ``/accounts/{id}/contacts``; SPEC W1, O7): list, invite, remove, invite again.
The rules live in ``hourbank.accounts.contacts``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from hourbank.accounts import contacts
from hourbank.api import responses as R
from hourbank.api.resolver import current_actor
from hourbank.api.responses import doc
from hourbank.api.schemas import NewContact
from hourbank.kernel.ids import AccountId, ContactId

router = APIGatewayHttpRouter()


@router.get("/accounts/<account_id>/contacts", responses=doc(200, R.ContactList, 404))
def get_contacts(account_id: AccountId):
    """SPEC W1: the people who sign in to the account, the owner (its own address) first."""
    items = contacts.list_contacts(current_actor(router), account_id)
    return R.ContactList(items=[R.Contact.of(c) for c in items]).out()


@router.post("/accounts/<account_id>/contacts", responses=doc(201, R.Contact, 403, 404, 409))
def post_contact(account_id: AccountId, body: Annotated[NewContact, Body()]):
    """SPEC W1, O7: invite a person (billing or the owner); an address any account or contact holds is a 409."""
    contact = contacts.invite(current_actor(router), account_id, name=body.name, email=body.email)
    return R.Contact.of(contact).out(), 201


@router.delete(
    "/accounts/<account_id>/contacts/<contact_id>",
    responses=doc(204, None, 403, 404, 409, description="removed: the person can no longer sign in"),
)
def delete_contact(account_id: AccountId, contact_id: ContactId):
    """SPEC W1: their sign-in stops working and their address is free again; the last contact stays (409)."""
    contacts.remove(current_actor(router), account_id, contact_id)
    return Response(204, "application/json", "")


@router.post(
    "/accounts/<account_id>/contacts/<contact_id>/invitation",
    responses=doc(202, R.Contact, 403, 404, 409, description="the invitation is e-mailed again"),
)
def post_invitation(account_id: AccountId, contact_id: ContactId):
    """SPEC W1: the invitation again, to someone who has not signed in yet (409 once they have)."""
    return R.Contact.of(contacts.resend(current_actor(router), account_id, contact_id)).out(), 202
