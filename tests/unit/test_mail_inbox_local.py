"""The local stand-in for SES receiving (SPEC E1, API.md "Mail, locally"; scripts/devstack/mail_inbox.py): a .eml in
the inbox folder is stored as S3 would store it and the function invoked with S3's event; a failure is retried
as Lambda retries an asynchronous call and then set aside with its error; nothing is deleted; a file still being
written (a dot-name) is left alone."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from devstack.adapters import LocalObjects
from devstack.lambda_runtime import FunctionSpec, functions
from devstack.mail_inbox import MailInbox, Target, targets

HANDLER = textwrap.dedent(
    """
    import json, os, pathlib

    def handler(event, context):
        record = event["Records"][0]
        seen = pathlib.Path(os.environ["SEEN_FILE"])
        with seen.open("a") as out:
            out.write(json.dumps(record) + "\\n")
        if record["s3"]["object"]["size"] == 4:  # b"fail"
            raise RuntimeError("the function failed")
        return {"ok": True}
    """
)


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    monkeypatch.setenv("SEEN_FILE", str(tmp_path / "seen.jsonl"))
    spec = FunctionSpec("LocalMailProbe", code, "app.handler", 5, 128, {})
    objects = LocalObjects(tmp_path / "s3")
    watcher = MailInbox([Target(spec, "local-bucket", "inbound/", 2)], tmp_path / "inbox", objects, interval_s=0.02)
    yield watcher.start(), tmp_path, objects
    watcher.stop()


def seen(tmp: Path) -> list[dict]:
    path = tmp / "seen.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_mail_is_stored_as_ses_stores_it_and_delivered_with_the_event_s3_sends(inbox):
    watcher, tmp, objects = inbox
    (tmp / "inbox" / ".half-written.eml").write_bytes(b"not yet")
    (tmp / "inbox" / "hello.eml").write_bytes(b"From: a@example.test\r\n\r\nhi\r\n")
    assert watcher.drain(10)
    [record] = seen(tmp)
    assert (record["eventSource"], record["eventName"]) == ("aws:s3", "ObjectCreated:Put")
    assert record["s3"]["bucket"] == {
        "name": "local-bucket",
        "ownerIdentity": {"principalId": "LOCAL"},
        "arn": "arn:aws:s3:::local-bucket",
    }
    key = unquote_plus(record["s3"]["object"]["key"])
    assert key.startswith("inbound/") and record["s3"]["object"]["size"] == 28
    assert objects.read("local-bucket", key, 100) == (b"From: a@example.test\r\n\r\nhi\r\n", 28)
    [moved] = (tmp / "inbox" / "processed").glob("*hello.eml")
    assert moved.read_bytes().startswith(b"From:")  # moved aside, never deleted
    assert (tmp / "inbox" / ".half-written.eml").exists()  # still being written: left alone


def test_a_failing_mail_is_retried_twice_then_set_aside_with_its_error(inbox):
    watcher, tmp, _ = inbox
    (tmp / "inbox" / "bad.eml").write_bytes(b"fail")
    assert watcher.drain(10)
    assert len(seen(tmp)) == 3  # the first call and Lambda's two retries of an asynchronous call
    [kept] = (tmp / "inbox" / "failed").glob("*bad.eml")
    assert "the function failed" in kept.with_suffix(".error.txt").read_text()
    assert watcher.failed == 1 and watcher.received == 0


def test_the_template_wires_the_intake_to_the_mail_bucket_under_inbound():
    [target] = targets(functions(strict=False))
    assert (target.spec.logical_id, target.prefix, target.retries) == ("MailIntakeFunction", "inbound/", 2)
