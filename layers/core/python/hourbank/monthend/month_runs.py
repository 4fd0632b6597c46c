"""SPEC M1/M2, W4: what a month-end run did, where billing can see it (``GET /month-ends/{yyyy-mm}``).

One partition per month in the Charges table (``monthend#<yyyy-mm>``, ``MonthRunModel``):

* ``run`` - written by the planner before it sends the first page (``started``) and when it has paged every
  account (``planned``); the workers add to it: ``closed`` and, per invoice kind and currency, how many
  invoices and their total;
* ``done#<account>`` - put with "does not exist" in one transaction with those counts (``closed_one``), so a
  page retried after a crash, or a rerun, counts an account once (M2);
* ``fail#<account>`` - the latest error of an account whose close failed (``failed_one``, with its name and
  why); the account's close removes it, so what is listed is what is still failed.

A rerun (``request_run``, billing) writes the run's request and sends one ``{"month", "plan": true}`` message
to the month-end queue: the worker pages the accounts as the planner does (``month_close.plan_month``), so the
request answers at once however many accounts there are; M2 makes the rerun close only what is not closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from hourbank.kernel.clock import iso
from hourbank.kernel.identity import BILLING, Actor
from hourbank.store.models import MONTH_RUN_PREFIX, MonthRunModel
from hourbank.store.transactions import Tx, TxFailed

RUN = "run"
DONE = "done#"
FAIL = "fail#"
MAX_FAILURES_LISTED = 200


def partition(month: str) -> str:
    return f"{MONTH_RUN_PREFIX}{month}"


def started(month: str, now: datetime, *, by: str | None = None) -> None:
    """A run of ``month`` begins (the planner, or billing's rerun): the run record exists from now on."""
    actions: list[Action] = [
        MonthRunModel.month.set(month),
        MonthRunModel.started_at.set(iso(now)),
        MonthRunModel.runs.add(1),
        MonthRunModel.closed.set(MonthRunModel.closed | 0),
        MonthRunModel.invoice_counts.set(MonthRunModel.invoice_counts | {}),
        MonthRunModel.invoice_totals.set(MonthRunModel.invoice_totals | {}),
        MonthRunModel.planned.remove(),  # counted again by this run's planning
    ]
    if by:
        actions.append(MonthRunModel.requested_by.set(by))
    MonthRunModel(partition(month), RUN).update(actions)


def planned(month: str, accounts: int) -> None:
    MonthRunModel(partition(month), RUN).update([MonthRunModel.planned.set(int(accounts))])


def closed_one(
    month: str,
    account_id: str,
    account_name: str | None,
    now: datetime,
    *,
    invoice_kind: str | None,
    invoice_id: str | None,
    amount_minor: int,
    currency: str,
) -> bool:
    """Count the account closed, once (SPEC M2); False when it was already counted."""
    for _ in range(2):
        try:
            _closed_tx(month, account_id, account_name, now, invoice_kind, invoice_id, amount_minor, currency).commit()
            return True
        except TxFailed as exc:
            if "done" in exc.refused:  # counted before; a failure listed since (a later try) is over
                MonthRunModel(partition(month), f"{FAIL}{account_id}").delete()
                return False
            if "run" not in exc.refused:
                raise
            started(month, now)  # a close without a planned run (a tool, a test): the run record first
    return False


def _closed_tx(
    month: str,
    account_id: str,
    account_name: str | None,
    now: datetime,
    invoice_kind: str | None,
    invoice_id: str | None,
    amount_minor: int,
    currency: str,
) -> Tx:
    tx = Tx()
    done = MonthRunModel(
        partition(month),
        f"{DONE}{account_id}",
        month=month,
        subject_account=account_id,
        account_name=account_name,
        at=iso(now),
        invoice_id=invoice_id,
        amount_minor=int(amount_minor) if invoice_id else None,
    )
    tx.put("done", done, condition=MonthRunModel.charge_key.does_not_exist())
    actions = [MonthRunModel.closed.add(1)]
    if invoice_kind and invoice_id:
        key = f"{invoice_kind}#{currency.upper()}"
        counts, totals = MonthRunModel.invoice_counts, MonthRunModel.invoice_totals
        actions += [
            counts[key].set((counts[key] | 0) + 1),  # type: ignore[operator]
            totals[key].set((totals[key] | 0) + int(amount_minor)),  # type: ignore[operator]
        ]
    tx.update("run", MonthRunModel(partition(month), RUN), actions, condition=MonthRunModel.invoice_counts.exists())
    tx.delete("fail", MonthRunModel(partition(month), f"{FAIL}{account_id}"))
    return tx


def failed_one(month: str, account_id: str, reason: str, now: datetime) -> None:
    """An account's close failed (the page comes back, or goes to the dead-letter queue): listed with why."""
    from hourbank.store.models import AccountModel

    try:
        name = AccountModel.get(account_id, attributes_to_get=["name"]).name
    except Exception:  # the account itself may be what fails; its id says which
        name = None
    MonthRunModel(
        partition(month),
        f"{FAIL}{account_id}",
        month=month,
        subject_account=account_id,
        account_name=name,
        reason=reason[:500],
        at=iso(now),
    ).save()


def request_run(actor: Actor, month: str, send: Callable[[list[dict]], object], now: datetime) -> None:
    """SPEC W4, M2: billing runs a month's close again: recorded, then one planning message to the queue."""
    actor.require(BILLING, action="run month end")
    started(month, now, by=actor.name or actor.subject)
    send([{"month": month, "plan": True}])


def read_run(actor: Actor, month: str) -> tuple[MonthRunModel | None, list[MonthRunModel]]:
    """The run record and the accounts still failed (at most ``MAX_FAILURES_LISTED``)."""
    actor.require(BILLING, action="see month-end runs")
    try:
        run = MonthRunModel.get(partition(month), RUN, consistent_read=True)
    except DoesNotExist:
        run = None
    failures = list(
        MonthRunModel.query(
            partition(month),
            MonthRunModel.charge_key.startswith(FAIL),
            consistent_read=True,
            limit=MAX_FAILURES_LISTED,
        )
    )
    return run, failures


def status_of(run: MonthRunModel | None, failures: int) -> str:
    """not_run | running | done | failed (some accounts failed and none is still to close)."""
    if run is None:
        return "not_run"
    if run.planned is None:
        return "running"
    closed = int(run.closed or 0)
    if closed >= int(run.planned) and not failures:
        return "done"
    if failures and closed + failures >= int(run.planned):
        return "failed"
    return "running"
