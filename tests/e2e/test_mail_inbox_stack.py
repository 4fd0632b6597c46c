"""SPEC E1, API.md "Mail, locally": the README's run command (``python -m devstack up``) receives a ``.eml`` put in
the inbox folder within seconds, as SES → S3 → Lambda would - through MailIntakeFunction in a worker process of
its own with only its template variables - and the reply is in the outbox with the ticket's reference; the file
is moved aside (processed/), never deleted; the same mail dropped again adds nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from devstack.adapters import read_outbox
from devstack.http_client import request
from devstack.jwt_local import mint

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, what: str, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:.0f} s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mailstack")
    port = _free_port()
    out, err = tmp / "stdout.txt", tmp / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        PYTHONUNBUFFERED="1",
        OUTBOX_DIR=str(tmp / "outbox"),
        HOURBANK_QUEUE_DIR=str(tmp / "queues"),
        HOURBANK_INBOX_DIR=str(tmp / "inbox"),
        # this checkout's code first (a worktree's venv may list another checkout's import roots)
        PYTHONPATH=os.pathsep.join(str(ROOT / p) for p in ("layers/core/python", "scripts", ".")),
    )
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up", "--in-memory", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            _wait_for(lambda: "  tokens " in out.read_text() or process.poll() is not None, "the stack's guide", 120)
            assert process.poll() is None, out.read_text() + err.read_text()
            yield f"http://127.0.0.1:{port}", tmp, out, err
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def test_E1_a_mail_dropped_in_the_inbox_folder_becomes_a_ticket_and_a_reply_with_its_reference(stack):
    url, tmp, out, err = stack
    assert f"mail inbox     {tmp / 'inbox'}" in out.read_text()
    billing, tech = mint("billing", sub="mail-billing"), mint("technician", sub="mail-tech")
    email = f"pat-{uuid.uuid4().hex[:8]}@mail.example"
    made = request(url, "POST", "/accounts", {"name": "Mail Co", "email": email, "plan": "member"}, token=billing)
    assert made.status == 201, made
    account = made.body["account_id"]

    mail = EmailMessage()
    mail["From"] = f"Pat <{email.upper()}>"  # SPEC O7: the address matches whatever its case
    mail["To"] = "support@hourbank.local"
    mail["Subject"] = "Printer offline"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    mail.set_content("The printer on floor 2 says offline.")
    inbox = tmp / "inbox"
    (inbox / ".printer.eml.tmp").write_bytes(mail.as_bytes())  # written whole, then renamed: as a person should
    dropped = time.monotonic()
    (inbox / ".printer.eml.tmp").rename(inbox / "printer.eml")

    def reply():
        sent = read_outbox(tmp / "outbox")
        return [m for m in sent if m["message_id"].startswith("intake-reply#") and m["to"] == email]

    [sent] = _wait_for(reply, "the reply to the mail", 30)
    took = time.monotonic() - dropped
    assert took < 10, f"received in {took:.1f} s"
    tickets = request(url, "GET", f"/accounts/{account}/tickets", token=tech).body["items"]
    [ticket] = tickets
    assert ticket["title"] == "Printer offline" and f"[#{ticket['reference']}]" in sent["subject"]
    processed = _wait_for(lambda: list((inbox / "processed").glob("*printer.eml")), "the file moved aside", 10)
    assert len(processed) == 1 and not (inbox / "printer.eml").exists()

    (inbox / "again.eml").write_bytes(mail.as_bytes())  # the same mail delivered again
    _wait_for(lambda: list((inbox / "processed").glob("*again.eml")), "the second file moved aside", 30)
    assert len(request(url, "GET", f"/accounts/{account}/tickets", token=tech).body["items"]) == 1
    assert len(reply()) == 1
    log = err.read_text() + out.read_text()
    assert "s3:inbox MailIntakeFunction" in log  # invoked as S3 invokes it, through the stack's runtime
