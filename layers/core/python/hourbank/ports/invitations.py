"""Every customer has a sign-in (SPEC W1): the customer of a new account is invited to the portal.

``invite_customer(account)`` is called where an account is opened (billing's ``POST /accounts``; a new
customer's first order). It is idempotent: a marker ``invite#<account_id>`` is put in the Idempotency table
with a does-not-exist condition before the invitation goes out, so a retried or duplicated creation invites
once; a failed invitation removes the marker again, so a retry sends it.

The port's adapter (another one installed for the ``inviter`` port of ``hourbank.ports.adapters`` replaces it;
the local stack's invitation is an e-mail linking its own sign-in page):

* ``CognitoInviter`` (AWS): ``AdminCreateUser`` in the user pool - username = e-mail (lower case), ``email_verified``,
  ``custom:account_id`` = the account - with Cognito's own e-mail invitation (a temporary password; the
  message template in template.yaml names the portal), then ``AdminAddUserToGroup`` ``customers``. Both
  calls are idempotent on their own (an existing user is not re-created; a member is not added twice).

Contacts (SPEC W1: several people sign in to one account; ``hourbank.accounts.contacts``) use the same user
pool: ``invite_contact`` creates a contact's user the same way (``resend``: ``AdminCreateUser`` with
``MessageAction=RESEND``, Cognito's own "invitation again", a new temporary password), and ``remove_user``
deletes the user (``AdminDeleteUser``): the person can no longer sign in, and their refresh tokens stop
working; an ID token already issued lives until it expires (the pool's token validity, an hour).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from hourbank.kernel.addresses import is_address
from hourbank.kernel.errors import Conflict
from hourbank.ports import adapters
from hourbank.ports.settings import Settings, get_settings
from hourbank.store.models import AccountModel, IdempotencyModel
from hourbank.store.transactions import saved_if

CUSTOMERS_GROUP = "customers"
log = logging.getLogger(__name__)
MARKER_TTL_S = 400 * 24 * 3600  # longer than any retry of a creation


class InvitationPort(Protocol):
    def invite(self, account: AccountModel) -> None: ...


@dataclass(frozen=True)
class ContactInvitation:
    """SPEC W1: one contact's invitation: who (``name``, ``email``), to which account, and whether it is sent
    again (``resend``; ``sent`` counts the invitations so far, so each e-mail has its own message id)."""

    account_id: str
    account_name: str
    name: str
    email: str
    resend: bool = False
    sent: int = 1


class AlreadySignedIn(Conflict):
    """SPEC W1: an invitation is not sent again to someone who has already signed in (Cognito refuses it too)."""

    code = "already_signed_in"


class ContactPort(Protocol):
    def invite_contact(self, invitation: ContactInvitation) -> None: ...

    def remove_user(self, email: str) -> None: ...


class CognitoInviter:
    def __init__(self, user_pool_id: str, client: Any = None) -> None:
        if not user_pool_id:
            raise RuntimeError("USER_POOL_ID is not set: the template sets it to the stack's user pool")
        self.user_pool_id = user_pool_id
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazily: only a request that opens an account pays for the client

            self._client = boto3.client("cognito-idp")
        return self._client

    def invite(self, account: AccountModel) -> None:
        self._create(account.account_id, account.email)

    def _create(self, account_id: str, email: str) -> None:
        # Lower-cased, as the by_email index keeps it. The pool compares usernames case-insensitively
        # (template.yaml, UsernameConfiguration), so the customer signs in with the address in any case.
        username = email.strip().lower()
        try:
            self.client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=username,
                DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[
                    {"Name": "email", "Value": username},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "custom:account_id", "Value": account_id},
                ],
            )
        except self.client.exceptions.UsernameExistsException:
            pass  # invited before (a retry): the group membership below is what may be missing
        self.client.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=username, GroupName=CUSTOMERS_GROUP)

    def invite_contact(self, invitation: ContactInvitation) -> None:
        """SPEC W1: a contact's user, in the customers group with the account's id; ``resend`` asks Cognito to
        send the invitation again (only a user who has not yet signed in can be sent one)."""
        if invitation.resend:
            errors = self.client.exceptions
            try:
                self.client.admin_create_user(
                    UserPoolId=self.user_pool_id,
                    Username=invitation.email.strip().lower(),
                    MessageAction="RESEND",
                    DesiredDeliveryMediums=["EMAIL"],
                )
                return
            except errors.UnsupportedUserStateException:
                raise AlreadySignedIn(already_signed_in(invitation.email)) from None
            except errors.UserNotFoundException:
                pass  # never created (its first invitation failed): create it now
        self._create(invitation.account_id, invitation.email)

    def remove_user(self, email: str) -> None:
        """SPEC W1: a removed contact can no longer sign in. Deleting (not disabling) the user frees the address
        for another invitation, as removing the contact frees its claim (SPEC O7)."""
        try:
            self.client.admin_delete_user(UserPoolId=self.user_pool_id, Username=email.strip().lower())
        except self.client.exceptions.UserNotFoundException:
            pass  # removed already (a retried request)


def already_signed_in(email: str) -> str:
    return (
        f"{email} has already signed in and chosen a password, so there is no invitation to send again; "
        "a forgotten password is reset from the sign-in page"
    )


def inviter(settings: Settings | None = None) -> InvitationPort:
    settings = settings or get_settings()
    installed = adapters.installed("inviter")
    if installed is not None:
        return installed(settings)  # type: ignore[no-any-return]
    return CognitoInviter(settings.user_pool_id)


def contact_port(settings: Settings | None = None) -> ContactPort:
    """Contacts are invited and removed through the inviter: the installed one (the local stack's) or Cognito."""
    return inviter(settings)  # type: ignore[return-value]  # every inviter serves contacts too


def invite_customer(account: AccountModel, *, port: InvitationPort | None = None, now: float | None = None) -> bool:
    """Invite the customer of ``account`` once. True when this call sent the invitation.

    An address no mail can reach (kept before addresses were checked, issue 23: a control character) is not
    invited: the account is open and its payment credited all the same (SPEC O2, O8: a paid order is never
    lost to its invitation); the address is logged for billing to correct, and no marker is written, so the
    invitation is sent by the first opening after the address is corrected."""
    if not is_address(account.email.strip()):
        log.warning("account %s: its address cannot be mailed; not invited", account.account_id)
        return False
    at = time.time() if now is None else now
    marker = IdempotencyModel(
        f"invite#{account.account_id}",
        fingerprint=account.email.strip().lower(),
        account_id=account.account_id,
        ledger_seq=0,
        at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(at)),
        expiration=int(at) + MARKER_TTL_S,
    )
    if not saved_if(marker, IdempotencyModel.id.does_not_exist()):
        return False  # invited already (a retried or concurrent creation)
    try:
        (port or inviter()).invite(account)
    except Exception:
        marker.delete()  # not invited: the next attempt must send it
        raise
    return True
