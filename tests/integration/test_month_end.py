"""Month end (SPEC M1-M3) against DynamoDB Local, through the scheduled planner, the local SQS queue and
the worker - on tables of its own, so the month holds exactly the accounts worked by hand here.

The month is the current one in the company timezone (tickets close "now"); the planner is given it
explicitly, as an operator rerunning a month would.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from devstack import lambda_runtime, queues
from devstack.lambda_client import claims
from hourbank.ports.settings import get_settings
from hourbank.store.models import IdempotencyModel, InvoiceModel

pytestmark = pytest.mark.integration

MON, TUE = "2026-11-16", "2026-11-17"  # business days; America/New_York is UTC-5 in November


def refresh() -> None:
    from hourbank.store import transactions

    get_settings.cache_clear()
    transactions.bind()
    lambda_runtime.retire_environments()


@pytest.fixture(scope="module")
def month_tables(dynamodb_local, tables, tmp_path_factory):
    from devstack.template import create_tables, table_env

    names = create_tables(dynamodb_local.client(), f"m{secrets.token_hex(2)}")
    queue_root = tmp_path_factory.mktemp("month-queues")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in table_env(names).items():
            mp.setenv(key, value)
        mp.setenv("HOURBANK_QUEUE_DIR", str(queue_root))
        mp.setenv("MONTH_END_QUEUE_URL", (queue_root / "MonthEndQueue").as_uri())
        refresh()
        yield names
    refresh()


@pytest.fixture(scope="module")
def specs(month_tables):
    return lambda_runtime.functions(strict=False)


@pytest.fixture(scope="module")
def month(month_tables) -> str:  # the settings are read once the module's environment is set
    return datetime.now(UTC).astimezone(get_settings().calendar().tz).strftime("%Y-%m")


OPENED = "2026-11-02T08:00:00-05:00"  # SPEC T8: the tickets below log time from MON on, so opened before it


@pytest.fixture(scope="module", autouse=True)
def month_ended(month):
    """SPEC M1: a month is closed only once it has ended. The tickets close now, in the running month, so
    the month-end run (planner, worker, close_month) reads its clock as just after that month."""
    from hourbank.kernel.clock import FixedClock
    from hourbank.monthend import month_close
    from hourbank.statements.monthly_statement import month_bounds, next_month

    after = month_bounds(next_month(month), get_settings().calendar().tz)[0] + timedelta(minutes=5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(month_close, "SYSTEM_CLOCK", FixedClock(after))
        yield after


def run_month_end(specs, month: str, *, retry_delay_s: float = 0.05) -> dict:
    """The schedule fires on the 1st after midnight (company timezone) - its planner works out the month
    before - then the queue is drained into the worker, as the local stack runs them."""
    from devstack.schedules import Scheduler
    from hourbank.statements.monthly_statement import month_bounds, next_month

    at = month_bounds(next_month(month), get_settings().calendar().tz)[0].replace(minute=5)
    planned = Scheduler(specs).fire("MonthEnd", at)
    assert planned["month"] == month
    [poller] = queues.pollers(specs, retry_delay_s=retry_delay_s)
    deadline = 200
    while poller.pending() and deadline:
        if not poller.poll_once():
            import time

            time.sleep(retry_delay_s)
        deadline -= 1
    assert poller.pending() == 0, "the queue did not drain"
    return {**planned, "failed_deliveries": poller.failed}


def month_start(month: str) -> datetime:
    from hourbank.statements.monthly_statement import month_bounds

    return month_bounds(month, get_settings().calendar().tz)[0]


def on_plan_since(account_id: str, plan: str, since: datetime, history: list | None = None) -> None:
    """Set when the account opened (or changed plan): test data for a month already under way."""
    from hourbank.store.models import AccountModel

    at = since.astimezone(UTC).isoformat(timespec="seconds")
    AccountModel(account_id).update(
        [AccountModel.created_at.set(at), AccountModel.plan_changes.set(history or [{"plan": plan, "since": at}])]
    )


@pytest.fixture(scope="module")
def accounts(month_tables, specs, month):
    """One account per plan with a month worked out by hand below."""
    from devstack.lambda_client import LambdaClient

    api = LambdaClient()
    billing, tech = claims("billing"), claims("technician")

    def account(plan: str, minutes: int = 0) -> str:
        reply = api.post(
            "/accounts",
            {"name": f"{plan} Co", "email": f"it@{plan.replace('_', '-')}.example", "plan": plan},
            as_=billing,
        )
        assert reply.status == 201, reply
        on_plan_since(reply.body["account_id"], plan, month_start(month))  # a customer all month long
        if minutes:
            assert (
                api.post(
                    f"/accounts/{reply.body['account_id']}/adjustments",
                    {"minutes": minutes, "kind": "purchase", "reason": "phone"},
                    as_=billing,
                ).status
                == 201
            )
        return reply.body["account_id"]

    def ticket(account_id: str, entries: list[tuple[str, str, int, str]], title: str) -> str:
        reply = api.post(
            "/tickets", {"account_id": account_id, "title": title, "priority": "normal", "opened_at": OPENED}, as_=tech
        )
        assert reply.status == 201, reply
        ticket_id = reply.body["ticket_id"]
        for day, hhmm, minutes, work in entries:
            posted = api.post(
                f"/tickets/{ticket_id}/time-entries",
                {"work_type": work, "started_at": f"{day}T{hhmm}:00-05:00", "minutes": minutes, "note": f"{work} work"},
                as_=tech,
            )
            assert posted.status == 201, posted
        assert api.post(f"/tickets/{ticket_id}/close", as_=tech).status == 200
        return ticket_id

    member = account("member", 60)
    ticket(member, [(MON, "10:00", 150, "remote")], "Server down")  # 150: 60 debited, 90 post-pay (C2)
    business = account("business_priority")
    ticket(business, [(MON, "09:00", 480, "remote"), (TUE, "09:00", 180, "remote")], "Migration")  # 660
    unlimited = account("unlimited_remote")
    ticket(
        unlimited,
        [(MON, "10:00", 60, "remote"), (TUE, "10:00", 20, "remote"), (TUE, "14:00", 20, "remote")],
        "Helpdesk",
    )  # fair use: Mon 60 - 30 = 30 over, Tue 40 - 30 = 10 over
    non_member = account("non_member", 120)
    ticket(non_member, [(MON, "10:00", 60, "remote")], "Printer")  # 60 debited, nothing to invoice
    return {
        "api": api,
        "member": member,
        "business": business,
        "unlimited": unlimited,
        "non_member": non_member,
        "billing": billing,
    }


def invoices_of(account_id: str) -> list[tuple[str, str, int]]:
    return sorted((i.invoice_id, i.kind, int(i.amount_minor)) for i in InvoiceModel.query(account_id))


def expected(month: str) -> dict[str, list]:
    return {
        # C2: 90 post-pay minutes at $150/h = $225.00
        "member": [(f"inv_{month}_postpay", "postpay", 22_500)],
        # package $1,350.00 for 10 h; 660 - 600 = 60 min overage at $150/h (package under 60 h) = $150.00
        "business": [(f"inv_{month}_plan", "plan", 135_000 + 15_000)],
        # $99.00 fee; 40 min past the fair-use 30 min/day at $300/h = $200.00
        "unlimited": [(f"inv_{month}_plan", "plan", 9_900 + 20_000)],
        "non_member": [],
    }


def test_each_plan_gets_what_it_says_worked_by_hand_M1(accounts, specs, month):
    result = run_month_end(specs, month)
    assert result["accounts"] == 4 and result["month"] == month
    for name, invoices in expected(month).items():
        assert invoices_of(accounts[name]) == invoices, name
    # the invoice stream's consumer (issue 5) turns them into Stripe invoices: they are drafts until then
    [invoice] = InvoiceModel.query(accounts["member"])
    assert invoice.status == "draft"
    # itemised (seed 001): the ticket's title and dates, each entry's time, work type, multipliers, note
    [line] = invoice.lines
    assert int(line.amount_minor) == 22_500 and line.description.startswith("Server down (")
    assert "16 Nov 10:00 remote 150 min [150x1] remote work" in line.description


def test_a_rerun_changes_nothing_M2(accounts, specs, month):
    run_month_end(specs, month)
    before = {name: invoices_of(accounts[name]) for name in expected(month)}
    again = run_month_end(specs, month)
    assert again["accounts"] == 4
    assert {name: invoices_of(accounts[name]) for name in expected(month)} == before == expected(month)


def test_a_crash_half_way_resumes_with_exactly_one_invoice_each_M2(accounts, specs, month, monkeypatch):
    from hourbank.monthend import month_close

    for account_id in (accounts[n] for n in expected(month)):  # forget the earlier runs of this month
        for kind in ("postpay", "plan"):
            InvoiceModel(account_id, f"inv_{month}_{kind}").delete()
        IdempotencyModel(month_close.checkpoint_id(account_id, month)).delete()
    real = month_close.close_month
    calls = []

    def crashing(account_id, *args, **kwargs):
        calls.append(account_id)
        if len(calls) == 3:  # after half the accounts, the worker dies mid-page
            raise RuntimeError("injected crash")
        return real(account_id, *args, **kwargs)

    monkeypatch.setattr(month_close, "close_month", crashing)
    result = run_month_end(specs, month)
    assert result["failed_deliveries"] == 1, "the page failed once and came back"
    assert len(calls) > 4, "the retried page ran again"
    for name, invoices in expected(month).items():
        assert invoices_of(accounts[name]) == invoices, name


def test_statement_adds_up_and_csv_matches_json_M3(accounts, specs, month):
    api, billing = accounts["api"], accounts["billing"]
    member = accounts["member"]
    reply = api.get(f"/accounts/{member}/statements/{month}", as_=billing)
    assert reply.status == 200, reply
    s = reply.body
    assert (s["opening_balance_minutes"], s["closing_balance_minutes"]) == (0, 0)
    assert s["closing_balance_minutes"] == s["opening_balance_minutes"] + sum(e["minutes"] for e in s["ledger"])
    assert [(e["kind"], e["minutes"]) for e in s["ledger"]] == [("purchase", 60), ("consumption", -60)]
    assert (s["consumption_minutes"], s["debited_minutes"], s["postpay_minutes"]) == (150, 60, 90)
    [ticket] = s["tickets"]
    assert ticket["title"] == "Server down" and ticket["entries"][0]["note"] == "remote work"
    assert ticket["entries"][0]["multipliers"] == [
        {
            "started_at": ticket["entries"][0]["multipliers"][0]["started_at"],
            "minutes": 150,
            "multiplier": 1,
            "reasons": [],
        }
    ]
    assert s["charges_total"] == {"currency": "USD", "amount_minor": 22_500}

    as_csv = api.get(f"/accounts/{member}/statements/{month}", as_=billing, headers={"accept": "text/csv"})
    assert as_csv.status == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.body)))
    by = lambda section: [r for r in rows if r["section"] == section]  # noqa: E731
    assert int(by("opening_balance")[0]["minutes"]) == s["opening_balance_minutes"]
    assert int(by("closing_balance")[0]["minutes"]) == s["closing_balance_minutes"]
    assert sum(int(r["minutes"]) for r in by("ledger")) == sum(e["minutes"] for e in s["ledger"])
    assert sum(int(r["amount_minor"]) for r in by("charge")) == s["charges_total"]["amount_minor"]
    assert [r["description"] for r in by("entry")] == ["remote work"]


def test_statement_for_business_and_unlimited_plans_shows_their_charges(accounts, month):
    api, billing = accounts["api"], accounts["billing"]
    business = api.get(f"/accounts/{accounts['business']}/statements/{month}", as_=billing).body
    assert [(c["kind"], c["minutes"], c["amount_minor"]) for c in business["charges"]] == [
        ("package_fee", 600, 135_000),
        ("overage", 60, 15_000),
    ]
    unlimited = api.get(f"/accounts/{accounts['unlimited']}/statements/{month}", as_=billing).body
    assert [(c["kind"], c["minutes"], c["amount_minor"]) for c in unlimited["charges"]] == [
        ("monthly_fee", 0, 9_900),
        ("fair_use", 40, 20_000),
    ]
    assert unlimited["consumption_minutes"] == 120  # 100 min remote, each ticket rounded up (T5)


@pytest.mark.parametrize(
    ("month_text", "status"), [("2026-13", 400), ("2026-1", 400), ("26-11", 400), ("2099-01", 400)]
)
def test_bad_or_future_months_are_400(accounts, month_text, status):
    api, billing = accounts["api"], accounts["billing"]
    reply = api.get(f"/accounts/{accounts['member']}/statements/{month_text}", as_=billing)
    assert reply.status == status and reply.body["error"]["code"] == "invalid_input", reply


def test_another_tenants_statement_is_404(accounts, month):
    api = accounts["api"]
    owner = claims("customer", accounts["member"])
    assert api.get(f"/accounts/{accounts['member']}/statements/{month}", as_=owner).status == 200
    assert api.get(f"/accounts/{accounts['business']}/statements/{month}", as_=owner).status == 404


def test_an_account_opened_mid_month_pays_the_fee_for_its_days_M1(accounts, specs, month):
    """README "Month end": fees and included hours are prorated by calendar days on the plan; the day the
    account opened counts."""
    from hourbank.statements.monthly_statement import month_bounds

    api, billing = accounts["api"], accounts["billing"]
    start, end = month_bounds(month, get_settings().calendar().tz)
    days = (end.date() - start.date()).days
    acc = api.post(
        "/accounts", {"name": "Late Co", "email": "it@late.example", "plan": "unlimited_remote"}, as_=billing
    ).body["account_id"]
    on_plan_since(acc, "unlimited_remote", start + timedelta(days=15))  # opened on the 16th
    statement = api.get(f"/accounts/{acc}/statements/{month}", as_=billing).body
    share = (2 * 9_900 * (days - 15) + days) // (2 * days)  # $99.00 x (days - 15) / days, half-up
    assert [(c["kind"], c["amount_minor"]) for c in statement["charges"]] == [("monthly_fee", share)]
    assert f"({days - 15} of {days} days)" in statement["charges"][0]["description"]


def test_a_plan_change_mid_month_splits_the_month_M1(accounts, specs, month):
    """member for the first 10 days (its close post-pay at the member rate), business_priority after: the
    package fee and its included hours for the remaining days, overage only over closes on that plan."""
    from hourbank.statements.monthly_statement import month_bounds

    api, billing, tech = accounts["api"], accounts["billing"], claims("technician")
    start, end = month_bounds(month, get_settings().calendar().tz)
    days = (end.date() - start.date()).days
    acc = api.post(
        "/accounts", {"name": "Growing Co", "email": "it@growing.example", "plan": "member"}, as_=billing
    ).body["account_id"]
    ticket = api.post(
        "/tickets", {"account_id": acc, "title": "Before", "priority": "normal", "opened_at": OPENED}, as_=tech
    ).body
    api.post(
        f"/tickets/{ticket['ticket_id']}/time-entries",
        {"work_type": "remote", "minutes": 60, "started_at": f"{MON}T10:00:00-05:00", "note": "n"},
        as_=tech,
    )
    assert api.post(f"/tickets/{ticket['ticket_id']}/close", as_=tech).body["postpay_minutes"] == 60
    changed = api.request("PUT", f"/accounts/{acc}/plan", {"plan": "business_priority"}, as_=billing)
    assert changed.status == 200 and changed.body["plan"] == "business_priority"
    since_start = start.astimezone(UTC).isoformat(timespec="seconds")
    tenth = (start + timedelta(days=10)).astimezone(UTC).isoformat(timespec="seconds")
    on_plan_since(
        acc, "member", start, [{"plan": "member", "since": since_start}, {"plan": "business_priority", "since": tenth}]
    )
    statement = api.get(f"/accounts/{acc}/statements/{month}", as_=billing).body
    bp_days = days - 10
    assert [(c["kind"], c["minutes"], c["amount_minor"]) for c in statement["charges"]] == [
        ("package_fee", (2 * 600 * bp_days + days) // (2 * days), (2 * 135_000 * bp_days + days) // (2 * days)),
        ("postpay", 60, 15_000),  # closed while a member: C2 at the member's post-pay rate
    ]
    assert statement["invoice_kind"] == "plan"  # one invoice for the month, fee and post-pay together
    assert api.request("PUT", f"/accounts/{acc}/plan", {"plan": "gold"}, as_=billing).status == 400
    assert api.request("PUT", f"/accounts/{acc}/plan", {"plan": "member"}, as_=tech).status == 403


def test_member_free_credits_for_the_new_month_are_granted_once_M1_M2(accounts, month, monkeypatch):
    """The catalogue's members get 0 free minutes by default; a plan that grants some gets one ledger grant
    for the new month, however often the month is closed."""
    from hourbank.monthend import month_close
    from hourbank.plans.catalogue import get_plan
    from hourbank.statements.monthly_statement import next_month
    from hourbank.store.models import AccountModel, LedgerModel

    generous = get_plan("member").model_copy(update={"monthly_free_minutes": 120})
    monkeypatch.setattr(month_close, "get_plan", lambda plan_id: generous if plan_id == "member" else get_plan(plan_id))
    api, billing = accounts["api"], accounts["billing"]
    acc = api.post("/accounts", {"name": "Free Co", "email": "it@free.example", "plan": "member"}, as_=billing).body[
        "account_id"
    ]
    tz = get_settings().calendar().tz
    first = month_close.close_month(acc, month, tz, now=month_close.SYSTEM_CLOCK.now())
    IdempotencyModel(month_close.checkpoint_id(acc, month)).delete()  # as if it crashed before its checkpoint
    again = month_close.close_month(acc, month, tz, now=month_close.SYSTEM_CLOCK.now())
    assert (first.granted_minutes, again.granted_minutes) == (120, 0)
    grants = [e for e in LedgerModel.query(acc) if e.kind == "grant"]
    assert [(int(e.minutes), e.ref) for e in grants] == [(120, f"free-{next_month(month)}")]
    assert int(AccountModel.get(acc).balance_minutes) == 120


def test_a_large_package_pays_5_less_an_hour_for_overage_M1(accounts, month, monkeypatch):
    """seed 001: "Business Support 60 plan user or above ... overage cost is £5 cheaper per hour". The
    catalogue's package (10 h) is below the 60 h line (overage $150/h, tested above); here the line is put
    at the package's size, so the same 60 minutes of overage cost $145/h."""
    from hourbank.plans.catalogue import get_plan
    from hourbank.statements import monthly_statement

    large = get_plan("business_priority").model_copy(update={"large_package_minutes": 600})
    monkeypatch.setattr(
        monthly_statement, "get_plan", lambda plan_id: large if plan_id == "business_priority" else get_plan(plan_id)
    )
    built = monthly_statement.build(accounts["business"], month, get_settings().calendar().tz)
    assert [(c.kind, c.minutes, c.rate_minor, c.amount_minor) for c in built.charges] == [
        ("package_fee", 600, 0, 135_000),
        ("overage", 60, 14_500, 14_500),
    ]


def test_billing_sees_the_run_an_account_that_failed_and_why_and_reruns_it_W4_M2(accounts, specs, month, monkeypatch):
    """SPEC W4, M1, M2: ``GET /month-ends/{month}`` says what the run did - accounts planned and closed, invoices by
    kind with totals, an account that failed with its name and why - and billing's rerun (``POST .../run``, one
    queued message paged by the worker) closes what is left without counting anything twice."""
    from hourbank.monthend import month_close

    api, billing = accounts["api"], accounts["billing"]
    assert api.get("/month-ends/2001-01", as_=billing).body["status"] == "not_run"
    run_month_end(specs, month)
    seen = api.get(f"/month-ends/{month}", as_=billing).body
    everyone = seen["accounts"]["planned"]  # this module's accounts: the four above and the earlier tests'
    assert seen["status"] == "done" and seen["accounts"] == {"planned": everyone, "closed": everyone, "failed": 0}
    made: dict[str, list[int]] = {}
    for invoice in InvoiceModel.scan(InvoiceModel.invoice_id.startswith(f"inv_{month}_")):
        made.setdefault(invoice.kind, []).append(int(invoice.amount_minor))
    by_kind = {(i["kind"], i["count"], i["total"]["currency"], i["total"]["amount_minor"]) for i in seen["invoices"]}
    assert by_kind == {(kind, len(amounts), "USD", sum(amounts)) for kind, amounts in made.items()}
    assert ("postpay", 1, "USD", 22_500) in by_kind  # the member's C2 post-pay, as worked out by hand above
    real = month_close.close_month

    def failing(account_id, *args, **kwargs):
        if account_id == accounts["member"]:
            raise RuntimeError("the statement could not be read")
        return real(account_id, *args, **kwargs)

    monkeypatch.setattr(month_close, "close_month", failing)
    with pytest.raises(RuntimeError):
        month_close.close_page(month, [accounts["member"]])
    seen = api.get(f"/month-ends/{month}", as_=billing).body
    assert seen["status"] == "failed" and seen["accounts"]["failed"] == 1
    [failure] = seen["failures"]
    assert failure["account_name"] == "member Co" and "the statement could not be read" in failure["reason"]
    monkeypatch.setattr(month_close, "close_month", real)
    assert api.post(f"/month-ends/{month}/run", as_=claims("technician")).status == 403
    assert api.post("/month-ends/2999-01/run", as_=billing).status == 400  # SPEC M1: not ended
    assert api.post(f"/month-ends/{month}/run", as_=billing).status == 202
    [poller] = queues.pollers(specs, retry_delay_s=0.05)
    for _ in range(100):
        if not poller.pending():
            break
        poller.poll_once()
    again = api.get(f"/month-ends/{month}", as_=billing).body
    assert again["status"] == "done" and again["failures"] == [] and again["accounts"]["closed"] == everyone
    assert again["invoices"] == seen["invoices"]  # M2: nothing counted twice
    for name, invoices in expected(month).items():
        assert invoices_of(accounts[name]) == invoices, name
