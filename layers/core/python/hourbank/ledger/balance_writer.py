"""SPEC C7: every change to a balance is one ledger entry, written in the same transaction as the balance.

This is the only code that changes ``balance_minutes``. The account update is conditioned on the
``ledger_seq`` that was read, so two writers can never both append entry N+1 or lose each other's change,
and ``balance_after`` is exact. ``committed_minutes``/``available_minutes`` (SPEC C4) move with ADD, so
time-entry posts, which never touch the ledger, do not conflict with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from hourbank.kernel.clock import parse_iso
from hourbank.kernel.errors import Conflict
from hourbank.store.models import AccountModel, IdempotencyModel, LedgerModel
from hourbank.store.transactions import Tx

# Kinds a ledger entry can have. Purchases, grants and adjustments are staff entries (SPEC C6, P2).
PURCHASE = "purchase"
GRANT = "grant"
ADJUSTMENT = "adjustment"
CONSUMPTION = "consumption"
CREDIT_BACK = "credit_back"
STAFF_KINDS = (PURCHASE, GRANT, ADJUSTMENT)


@dataclass(frozen=True)
class LedgerLine:
    minutes: int
    kind: str
    at: str
    by: str | None
    ref: str | None = None
    note: str | None = None


IDEMPOTENCY_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Idempotency:
    """A client's Idempotency-Key for one money request: ``op`` and ``scope`` keep keys of different
    operations and accounts apart; ``fingerprint`` tells a retry from a different request."""

    op: str
    scope: str
    key: str
    fingerprint: str

    @property
    def id(self) -> str:
        return f"{self.op}#{self.scope}#{self.key}"


def fingerprint(*parts: object) -> str:
    import hashlib

    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def replay(idem: Idempotency) -> LedgerModel:
    """The ledger entry an already-applied request produced (409 if the key was used for another one)."""
    marker = IdempotencyModel.get(idem.id, consistent_read=True)
    if marker.fingerprint != idem.fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request")
    return LedgerModel.get(marker.account_id, int(marker.ledger_seq), consistent_read=True)


def entry_id(seq: int) -> str:
    return f"led_{seq:08d}"


def posting_time(at: str, latest: str | None) -> str:
    """When an entry is recorded: its own time, but never before the account's latest entry. A payment is
    dated when Stripe saw it (``created``), and Stripe may deliver it hours later, after other entries; a
    clock a few milliseconds behind another function's does the same. Entries in ``seq`` order are then in
    time order too, so a month's entries are one run of them and its statement adds up (C7, M3)."""
    if latest and parse_iso(latest) > parse_iso(at):
        return latest
    return at


def write_account(
    tx: Tx,
    account: AccountModel,
    *,
    line: LedgerLine | None = None,
    committed_delta: int = 0,
    actions: Sequence[Action] = (),
    condition: Condition | None = None,
    idempotency: Idempotency | None = None,
) -> LedgerModel | None:
    """Add the account's update (and its ledger entry, when ``line`` moves the balance) to ``tx``.

    ``account`` is the item as read: its ``ledger_seq`` and ``balance_minutes`` are the base the new
    entry is appended to. ``committed_delta`` changes the projected consumption of open tickets (C4);
    the available balance follows both. Returns the ledger entry written, if any.
    """
    acts = list(actions)
    cond = AccountModel.account_id.exists()
    if condition is not None:
        cond = cond & condition
    available_delta = -committed_delta
    entry = None
    if line is not None and line.minutes != 0:
        entry = _append(tx, account, line, idempotency)
        acts += [
            AccountModel.balance_minutes.set(int(entry.balance_after)),
            AccountModel.ledger_seq.set(int(entry.seq)),
            AccountModel.ledger_at.set(entry.at),
        ]
        cond = cond & (AccountModel.ledger_seq == int(account.ledger_seq))  # C7: no lost or doubled entry N+1
        available_delta += line.minutes
    if committed_delta:
        acts.append(AccountModel.committed_minutes.add(committed_delta))
    if available_delta:
        acts.append(AccountModel.available_minutes.add(available_delta))
    if acts:
        tx.update("account", account, acts, condition=cond)
    return entry


def _append(tx: Tx, account: AccountModel, line: LedgerLine, idempotency: Idempotency | None) -> LedgerModel:
    """Put the account's next ledger entry (and the request's Idempotency-Key marker, which points at it)."""
    seq = int(account.ledger_seq) + 1
    at = posting_time(line.at, account.ledger_at)
    entry = LedgerModel(
        account.account_id,
        seq,
        entry_id=entry_id(seq),
        at=at,
        kind=line.kind,
        minutes=line.minutes,
        balance_after=int(account.balance_minutes) + line.minutes,
        ref=line.ref,
        note=line.note,
        by=line.by,
    )
    tx.put("ledger", entry, condition=LedgerModel.seq.does_not_exist())
    if idempotency is not None:
        put_marker(tx, idempotency, account.account_id, ledger_seq=seq, at=at)
    return entry


def put_marker(tx: Tx, idempotency: Idempotency, account_id: str, *, ledger_seq: int, at: str) -> None:
    """Put the marker of an applied Idempotency-Key into ``tx``, once: ``replay`` finds the result through it
    (``ledger_seq`` 0: a request whose result reached no ledger entry)."""
    import time

    marker = IdempotencyModel(
        idempotency.id,
        fingerprint=idempotency.fingerprint,
        account_id=account_id,
        ledger_seq=ledger_seq,
        at=at,
        expiration=int(time.time()) + IDEMPOTENCY_TTL_S,
    )
    tx.put("idempotency", marker, condition=IdempotencyModel.id.does_not_exist())
