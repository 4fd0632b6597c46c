"""SPEC N1: SES's word that a mail bounced or was complained about marks the address on its account, where staff
see it (``Account.mail_problem``); the recipients of later mail leave a permanently failing address out
(``preferences.recipients``), so nothing is retried at it forever.

The notice is SES's JSON as SNS delivers it: event publishing through a configuration set (``eventType``) or an
identity's feedback notification (``notificationType``) - the same fields either way. The address is found by
its O7 claim (``hourbank.accounts.contacts.account_for_address``): the account that holds it, contacts included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hourbank.notifications.preferences import PERMANENT
from hourbank.store.models import AccountModel
from hourbank.store.transactions import ensure_bound, updated_if


class BadNotice(ValueError):
    """Not an SES bounce or complaint notice: the invocation fails (retried twice, then parked)."""


@dataclass(frozen=True)
class Problem:
    address: str
    kind: str  # bounce (permanent) | transient_bounce | complaint
    at: str
    detail: str


def problems_of(message: str | dict[str, Any]) -> list[Problem]:
    """The problems one SES notice reports: one per recipient it names. Deliveries and the like: none."""
    notice = json.loads(message) if isinstance(message, str) else message
    if not isinstance(notice, dict):
        raise BadNotice("the notice is not a JSON object")
    kind = str(notice.get("eventType") or notice.get("notificationType") or "")
    if kind == "Bounce":
        bounce = notice.get("bounce") or {}
        permanent = bounce.get("bounceType") == "Permanent"
        people = bounce.get("bouncedRecipients") or []
        what, at = ("bounce" if permanent else "transient_bounce"), str(bounce.get("timestamp") or "")
        return [_problem(p, what, at, f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}") for p in people]
    if kind == "Complaint":
        complaint = notice.get("complaint") or {}
        people, at = complaint.get("complainedRecipients") or [], str(complaint.get("timestamp") or "")
        return [_problem(p, "complaint", at, str(complaint.get("complaintFeedbackType") or "")) for p in people]
    return []


def _problem(person: Any, kind: str, at: str, detail: str) -> Problem:
    address = person.get("emailAddress") if isinstance(person, dict) else None
    if not isinstance(address, str) or "@" not in address or not at:
        raise BadNotice("a recipient without its address, or a notice without its time")
    code = person.get("diagnosticCode") or person.get("status") or ""
    return Problem(address.strip(), kind, at, f"{detail} {code}".strip()[:500])


def mark(problem: Problem) -> str | None:
    """Mark the account that holds the address; its id, or None for an address no account holds. Idempotent: a
    redelivered notice sets the same value; a transient bounce never hides a permanent problem."""
    from hourbank.accounts.contacts import account_for_address

    ensure_bound()
    account_id = account_for_address(problem.address)  # SPEC O7: the account's own address or a contact's
    if account_id is None:
        return None
    value = {"kind": problem.kind, "at": problem.at, "address": problem.address, "detail": problem.detail}
    condition = AccountModel.account_id.exists()
    if problem.kind not in PERMANENT:
        condition &= AccountModel.mail_problem.does_not_exist() | ~AccountModel.mail_problem["kind"].is_in(*PERMANENT)
    updated_if(AccountModel(account_id), [AccountModel.mail_problem.set(value)], condition)
    return account_id


def on_notice(message: str) -> list[tuple[Problem, str | None]]:
    return [(p, mark(p)) for p in problems_of(message)]
