"""E-mail intake (SPEC E1): DynamoDB round trips per received mail, and a backlog through the local intake.

    python -m bench.mail_intake [--write] [--mails 1000] [--concurrency 4]

1. **Round trips per mail.** In this process, on DynamoDB Local with the template's tables: each outcome's
   DynamoDB calls, counted on the botocore hooks (``benchlib.CallCounter``) around one
   ``hourbank.mail_intake.receiving.receive`` - a new ticket, the same mail again, an unknown sender, a
   non-member at zero, a reply carrying the ticket's reference.
2. **Backlog.** ``--mails`` ``.eml`` files are put in an inbox folder, then the local intake (``devstack.mail_inbox``:
   the mail put in the local S3 stand-in, the S3 event, ``--concurrency`` invocations at a time) is started with
   MailIntakeFunction in worker processes of its own (the process runtime of ``make dev``) and timed until the
   folder is empty. One mail in ten is a second delivery of an earlier one (its Message-ID again), one in
   twenty from an unknown address. Checked: every file moved to processed/, none failed; exactly one inbox
   item per distinct mail, one ticket per distinct known mail, one reply per distinct mail (none lost, none
   doubled).

``--write`` replaces the section between the ``bench_mail_intake`` markers in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from bench.benchlib import command_line, counted_dynamodb, log, machine_line, publish

SECTION = "bench_mail_intake"
ROUND_TRIPS_BUCKET = "bench-mail"


def _mail(sender: str, subject: str, message_id: str) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "support@hourbank.local"
    m["Subject"] = subject
    m["Message-ID"] = message_id
    m.set_content(f"{subject}: it stopped working this morning.\n")
    return m.as_bytes()


def _accounts(n: int, plan: str = "member") -> list[tuple[str, str]]:
    from hourbank.accounts.account_service import open_account

    out = []
    for i in range(n):
        email = f"bench-{uuid.uuid4().hex[:8]}@mail.example"
        account = open_account(name=f"Bench Mail {i}", email=email, plan=plan, created_by="bench")
        out.append((account.account_id, email))
    return out


def round_trips(counter, outbox: Path) -> list[tuple[str, str, int]]:
    from devstack.adapters import LocalObjects, OutboxMailer, exports_dir
    from hourbank.mail_intake.receiving import Context, Stored, receive

    objects = LocalObjects(exports_dir(str(outbox)))
    ctx = Context(objects=objects, send=OutboxMailer(outbox).send, website_url="http://127.0.0.1:3000")
    [(_, member)] = _accounts(1)
    [(_, broke)] = _accounts(1, "non_member")
    cases = [
        ("a new ticket", member, "<bench-1@mail.example>"),
        ("the same mail again", member, "<bench-1@mail.example>"),
        ("an unknown sender", "nobody-known@mail.example", "<bench-2@mail.example>"),
        ("a non-member at zero (kept, refused)", broke, "<bench-3@mail.example>"),
        ("a reply carrying the ticket's reference (a message, SPEC W5)", member, "<bench-4@mail.example>"),
    ]
    reference = ""
    rows = []
    for what, sender, message_id in cases:
        subject = "Printer offline"
        if message_id == "<bench-4@mail.example>":  # a reply carrying the first mail's ticket reference
            subject = f"Re: Printer offline [#{reference}]"
        key = f"inbound/{uuid.uuid4().hex}"
        objects.put(ROUND_TRIPS_BUCKET, key, _mail(sender, subject, message_id), "message/rfc822")
        counter.reset()
        item = receive(Stored(ROUND_TRIPS_BUCKET, key, datetime.now(UTC)), ctx)
        calls = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
        rows.append((what, f"{item.status}: {calls}", sum(counter.calls.values())))
        reference = item.reference if item.status == "ticket" else reference
    return rows


def backlog(names: dict[str, str], engine, mails: int, concurrency: int, tmp: Path) -> dict:
    from devstack import lambda_runtime, mail_inbox
    from devstack.adapters import LocalObjects, exports_dir, read_outbox
    from devstack.lambda_runtime import functions
    from hourbank.store.models import InboxModel, TicketModel

    outbox, inbox = tmp / "outbox", tmp / "inbox"
    inbox.mkdir(parents=True)
    accounts = _accounts(20)
    distinct: list[tuple[str, bytes]] = []
    for n in range(mails):
        if n % 10 == 9:  # a second delivery of an earlier mail
            name, raw = distinct[n // 2]
        else:
            sender = f"stranger-{n}@mail.example" if n % 20 == 0 else accounts[n % len(accounts)][1]
            name, raw = f"m{n:05d}", _mail(sender, f"Issue {n}", f"<bench-backlog-{n}@mail.example>")
            distinct.append((name, raw))
        (inbox / f"{n:05d}.eml").write_bytes(raw)
    specs = {k: v for k, v in functions(table_names=names).items() if k == "MailIntakeFunction"}
    runtime = lambda_runtime.Processes(endpoint=engine.endpoint, outbox=str(outbox)).prepare()
    with lambda_runtime.running(runtime):
        started = time.perf_counter()
        watcher = mail_inbox.MailInbox(
            mail_inbox.targets(specs), inbox, LocalObjects(exports_dir(str(outbox))), concurrency=concurrency
        ).start()
        drained = watcher.drain(timeout_s=1800)
        took = time.perf_counter() - started
        watcher.stop()
    items = [i for i in InboxModel.scan() if i.bucket != ROUND_TRIPS_BUCKET]  # this backlog's, not part 1's
    ours = {account_id for account_id, _ in accounts}
    tickets = [t for t in TicketModel.scan() if t.ticket_id.startswith("tkt_m") and t.account_id in ours]
    replies = [m for m in read_outbox(outbox) if m["message_id"].startswith("intake-reply#")]
    known = sum(1 for _, raw in distinct if b"stranger-" not in raw)
    return {
        "drained": drained,
        "seconds": took,
        "per_s": mails / took,
        "processed": len(list((inbox / "processed").glob("*.eml"))),
        "failed": watcher.failed,
        "distinct": len(distinct),
        "items": len({i.mail_id for i in items}),
        "known": known,
        "tickets": len(tickets),
        "replies": len(replies),
        "reply_ids": len({m["message_id"] for m in replies}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    from devstack.aws_env import isolate

    isolate()  # the local AWS settings; nothing can reach AWS
    tmp = Path(tempfile.mkdtemp(prefix="hb-mail-bench-"))
    os.environ["OUTBOX_DIR"] = str(tmp / "outbox-trips")
    from devstack.adapters import install

    install(outbox=str(tmp / "outbox-trips"), checkout="http://127.0.0.1:3000")
    with counted_dynamodb() as (engine, names, counter):
        log("round trips per mail")
        trips = round_trips(counter, tmp / "outbox-trips")
        log(f"backlog of {args.mails} mails")
        b = backlog(names, engine, args.mails, args.concurrency, tmp)
    lines = [
        "## E-mail intake: round trips per mail, and a backlog through the local intake (SPEC E1)",
        "",
        f"`{command_line()}` · {machine_line()}",
        "",
        "| mail | outcome: DynamoDB calls | calls |",
        "|---|---|---|",
        *(f"| {what} | {detail} | {n} |" for what, detail, n in trips),
        "",
        f"Backlog: {args.mails} `.eml` files ({b['distinct']} distinct mails; every tenth a second delivery, one in"
        f" twenty from an unknown address) through `devstack.mail_inbox` with MailIntakeFunction in worker processes,"
        f" {args.concurrency} at a time: **{b['seconds']:.1f} s, {b['per_s']:.1f} mails/s**"
        f" ({'drained' if b['drained'] else 'NOT drained'}).",
        f"Files processed {b['processed']}, failed {b['failed']}; inbox items {b['items']} for {b['distinct']} distinct"
        f" mails; tickets {b['tickets']} for {b['known']} distinct mails from known addresses; replies {b['replies']}"
        f" ({b['reply_ids']} distinct ids) - none lost, none doubled"
        + (
            "."
            if b["items"] == b["distinct"] and b["tickets"] == b["known"] and b["replies"] == b["distinct"]
            else ": MISMATCH."
        ),
    ]
    publish(SECTION, "\n".join(lines), args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
