"""Binding models to tables, and transactions whose failures say which item refused and why."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactGetError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from hourbank.store.models import (
    MODELS,
    EmailClaimModel,
    FailureModel,
    MessageKeyModel,
    MessageModel,
    NameWordModel,
    PaymentRefModel,
    ResponseModel,
    TicketReferenceModel,
    TimeEntryModel,
    VisitChargeModel,
    VisitExpiryModel,
    VisitModel,
)
from hourbank.store.outage import KEY_REFUSED, key_refused, unavailable, unreachable

_lock = threading.Lock()
_bound: dict[str, Any] = {}

# An unreachable database must be a prompt 503 (API.md "Errors"), not a request hanging for pynamodb's
# defaults (15 s connect timeout, 3 retries). botocore's own retries do the waiting: with "standard" mode,
# two attempts in all, so a refused or black-holed connection answers within about two seconds. Throttling
# is retried by the same setting; transaction conflicts by ``with_retries``.
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 10
MAX_RETRY_ATTEMPTS = 1
# The cancellation causes that mean "someone else was in the way": retry. Anything else is not contention.
_CONFLICT_CODES = (
    "TransactionConflictException",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "InternalServerError",
    "TransactionInProgressException",
    "RequestLimitExceeded",
)

_REFUSED = "ConditionalCheckFailedException"  # a condition of the write did not hold

T = TypeVar("T")


def bind(settings: Any = None) -> None:
    """Point every model at the table the settings name (and drop any connection made before)."""
    from hourbank.ports import tracing

    tracing.enable()  # X-Ray on DynamoDB and Stripe calls, in Lambda only (issue 16)
    if settings is None:
        from hourbank.ports.settings import get_settings

        settings = get_settings()
    with _lock:
        for field, model in MODELS.items():
            model.Meta.table_name = getattr(settings, field)
            _timeouts(model.Meta)
            model._connection = None
        # Items that share a table with another model: entries, (SPEC S1) responses and (SPEC V1) visits
        # live with their ticket, (SPEC O3) payment records with the orders, (SPEC O7) e-mail claims with
        # the accounts, (SPEC V1) visit payments with the month's charges.
        for model, table in (
            (TimeEntryModel, settings.tickets_table),
            (ResponseModel, settings.tickets_table),
            (TicketReferenceModel, settings.tickets_table),
            (VisitModel, settings.tickets_table),
            (VisitExpiryModel, settings.tickets_table),
            (PaymentRefModel, settings.orders_table),
            (EmailClaimModel, settings.accounts_table),
            (NameWordModel, settings.accounts_table),
            (FailureModel, settings.idempotency_table),
            (VisitChargeModel, settings.charges_table),
            (MessageModel, settings.tickets_table),  # SPEC W5: a ticket's conversation
            (MessageKeyModel, settings.tickets_table),
        ):
            model.Meta.table_name = table
            _timeouts(model.Meta)
            model._connection = None
        _bound.clear()
        _bound["settings"] = settings


def _timeouts(meta: Any) -> None:
    meta.connect_timeout_seconds = CONNECT_TIMEOUT_S
    meta.read_timeout_seconds = READ_TIMEOUT_S
    meta.max_retry_attempts = MAX_RETRY_ATTEMPTS


def ensure_bound() -> None:
    if "settings" not in _bound:
        bind()


def connection() -> Connection:
    with _lock:
        conn = _bound.get("connection")
        if conn is None:
            conn = _bound["connection"] = Connection(
                connect_timeout_seconds=CONNECT_TIMEOUT_S,
                read_timeout_seconds=READ_TIMEOUT_S,
                max_retry_attempts=MAX_RETRY_ATTEMPTS,
            )
        return conn


class TxFailed(Exception):
    """A transaction was cancelled. ``refused`` names the items whose condition failed (with their old
    image when asked for); ``conflict`` is true when another transaction was in the way."""

    def __init__(self, refused: dict[str, dict | None], conflict: bool, cause: Exception) -> None:
        super().__init__(f"transaction cancelled: refused={sorted(refused)} conflict={conflict}")
        self.refused = refused
        self.conflict = conflict
        self.cause = cause


class Tx:
    """A labelled TransactWrite. pynamodb sends checks, deletes, puts, then updates; the labels follow
    that order so a cancellation reason maps back to the item that caused it."""

    def __init__(self) -> None:
        self._tw = TransactWrite(connection=connection())
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def check(
        self, label: str, model_cls: type[Model], hash_key: Any, range_key: Any = None, *, condition: Condition
    ) -> None:
        self._tw.condition_check(model_cls, hash_key, range_key, condition=condition)
        self._labels["check"].append(label)

    def delete(self, label: str, item: Model, *, condition: Condition | None = None) -> None:
        self._tw.delete(item, condition=condition, add_version_condition=False)
        self._labels["delete"].append(label)

    def put(self, label: str, item: Model, *, condition: Condition | None = None) -> None:
        self._tw.save(item, condition=condition, return_values="ALL_OLD")
        self._labels["put"].append(label)

    def update(self, label: str, item: Model, actions: Sequence[Action], *, condition: Condition | None = None) -> None:
        self._tw.update(item, list(actions), condition=condition, return_values="ALL_OLD", add_version_condition=False)
        self._labels["update"].append(label)

    @property
    def size(self) -> int:
        return sum(len(v) for v in self._labels.values())

    def commit(self) -> None:
        order = [*self._labels["check"], *self._labels["delete"], *self._labels["put"], *self._labels["update"]]
        if not order:
            return
        try:
            self._tw._commit()
        except TransactWriteError as exc:
            if unreachable(exc):
                raise unavailable() from exc
            if key_refused(exc):
                from hourbank.kernel.errors import InvalidInput

                raise InvalidInput(KEY_REFUSED) from exc
            refused, conflict = _cancellations(order, exc)
            if not refused and not conflict:
                raise
            raise TxFailed(refused, conflict, exc) from exc


def _cancellations(order: list[str], exc: TransactWriteError) -> tuple[dict[str, dict | None], bool]:
    """Which labelled writes a cancelled transaction refused (their condition failed, with the item as it was)
    and whether it met contention that a retry may pass."""
    refused: dict[str, dict | None] = {}
    conflict = exc.cause_response_code in _CONFLICT_CODES
    for label, reason in zip(order, exc.cancellation_reasons or [], strict=False):
        if reason is None:
            continue
        if reason.code == "ConditionalCheckFailed":
            refused[label] = reason.raw_item
        elif reason.code in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"):
            conflict = True
    return refused, conflict


def transact_get(*keys: tuple[type[Model], Any, Any]) -> list[Model | None]:
    """Read several items in one round trip (consistent). Missing items come back as None."""
    try:
        with TransactGet(connection=connection()) as tg:
            futures = [tg.get(model, hk, rk) for model, hk, rk in keys]
    except TransactGetError as exc:
        if unreachable(exc):
            raise unavailable() from exc
        if key_refused(exc):  # the caller's input, not contention: never retried (issue 23)
            from hourbank.kernel.errors import InvalidInput

            raise InvalidInput(KEY_REFUSED) from exc
        raise TxFailed({}, True, exc) from exc
    out: list[Model | None] = []
    for future in futures:
        try:
            out.append(future.get())
        except Exception as exc:  # pynamodb raises the model's DoesNotExist for a missing item
            if exc.__class__.__name__ == "DoesNotExist":
                out.append(None)
            else:
                raise
    return out


def saved_if(item: Model, condition: Condition) -> bool:
    """Save ``item`` if ``condition`` holds (mostly: no such item yet). False when it does not - a retry, a
    redelivery or a concurrent writer came first; any other failure propagates."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code != _REFUSED:
            raise
        return False
    return True


def updated_if(item: Model, actions: Sequence[Action], condition: Condition) -> bool:
    """Update ``item`` if ``condition`` holds. False when it does not (someone else changed it first); any
    other failure propagates."""
    try:
        item.update(list(actions), condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code != _REFUSED:
            raise
        return False
    return True


def updated_unread(model: type[Model], hash_key: Any, actions: Sequence[Action], condition: Condition) -> bool:
    """``updated_if`` without reading the item back (the model's update returns ALL_NEW and parses it): for an
    item whose stored data may be what cannot be read (SPEC O8)."""
    try:
        model._get_connection().update_item(hash_key, actions=list(actions), condition=condition, return_values="NONE")
    except UpdateError as exc:
        if exc.cause_response_code != _REFUSED:
            raise
        return False
    return True


class Retry(Exception):
    """Raised inside an optimistic attempt when what it read has changed: read again and retry."""


def commit_or_retry(tx: Tx, *, unless: Iterable[str] = ()) -> dict[str, dict | None] | None:
    """Commit ``tx`` inside an optimistic ``with_retries`` attempt (SPEC C5/C7 under concurrency).

    None when it committed. When a condition refused one of the items labelled in ``unless``, the refused
    items (label -> old image) come back for the caller to answer (a replay, a 402, a 409). Any other
    refusal means what the attempt read has changed: ``Retry`` (read again). A conflict without a refusal
    propagates as ``TxFailed``, which ``with_retries`` also retries.
    """
    try:
        tx.commit()
    except TxFailed as exc:
        if any(label in exc.refused for label in unless):
            return exc.refused
        if exc.refused:
            raise Retry() from exc
        raise
    return None


def with_retries(attempt: Callable[[], T], *, tries: int = 40) -> T:
    """Run an optimistic read-then-transact ``attempt`` until it commits (SPEC C5/C7 under concurrency).

    Backoff is jittered and capped so 20 writers on one account settle in well under a second.
    """
    from hourbank.kernel.errors import Contention

    delay = 0.005
    for _ in range(tries):
        try:
            return attempt()
        except Retry:
            pass
        except TxFailed as exc:
            if not exc.conflict:
                raise
        time.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not security
        delay = min(delay * 2, 0.2)
    raise Contention("too many concurrent changes to this account; please retry")
