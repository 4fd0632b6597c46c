"""Issue 15: local-only adapters live with the local stack (scripts/localdev/adapters.py) and are injected
through ``hourbank.adapters``; the production layer has no branch for them and uses the AWS adapters when
nothing is installed."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest

from hourbank import adapters, bearer, invitations, notify, queue
from scripts.localdev import adapters as local_adapters

pytestmark = pytest.mark.unit

LAYER = Path(__file__).resolve().parents[2] / "layers" / "core" / "python" / "hourbank"
# What a local-only branch looks like: a file: URL, a JWKS read from a file, the outbox.
FORBIDDEN_TEXT = ("file:", "outbox", "url2pathname")
FORBIDDEN_NAMES = ("outbox", "url2pathname", "jwksfile", "to_directory")


def _findings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.alias):
            text = node.name
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            text = node.name
        if text is None:
            continue
        lowered = text.lower()
        words = FORBIDDEN_TEXT if isinstance(node, ast.Constant) else FORBIDDEN_NAMES
        found += [f"{path.relative_to(LAYER)}:{getattr(node, 'lineno', '?')}: {w!r}" for w in words if w in lowered]
    return found


def test_the_production_layer_has_no_local_only_branch():
    files = sorted(LAYER.rglob("*.py"))
    assert len(files) > 50
    findings = [finding for path in files for finding in _findings(path)]
    assert findings == [], "local-only code belongs in scripts/localdev/adapters.py:\n" + "\n".join(findings)


@pytest.fixture
def nothing_installed():
    saved = dict(adapters._installed)
    adapters.uninstall()
    bearer._key_source.cache_clear()
    try:
        yield
    finally:
        adapters.install(**saved)
        bearer._key_source.cache_clear()


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def send_message_batch(self, **kwargs):
        self.calls.append(("send_message_batch", kwargs))
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"]]}


def test_aws_adapters_when_nothing_is_installed(nothing_installed, monkeypatch, tmp_path):
    settings = SimpleNamespace(sender_email="support@hourbank.example", user_pool_id="us-east-1_Pool")
    assert isinstance(notify.mailer(settings), notify.SesMailer)
    assert isinstance(invitations.inviter(settings), invitations.CognitoInviter)
    cognito = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/.well-known/jwks.json"
    assert isinstance(bearer._jwks(cognito), jwt.PyJWKClient)
    with pytest.raises(jwt.PyJWKClientError, match="scheme 'file'"):  # no file reading of its own
        bearer._jwks((tmp_path / "jwks.json").as_uri()).get_jwk_set()

    sqs = Recorder()
    import boto3

    monkeypatch.setattr(boto3, "client", lambda service, **kw: sqs if service == "sqs" else None)
    url = (tmp_path / "queue").as_uri()
    assert queue.send(url, [{"page": 1}]) == 1
    assert sqs.calls == [
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "0", "MessageBody": '{"page":1}'}]})
    ]
    assert not (tmp_path / "queue").exists()  # a file: URL is nothing special to the production layer


def test_the_local_adapters_once_installed(tmp_path):
    local_adapters.install(outbox=str(tmp_path / "outbox"))
    try:
        settings = SimpleNamespace(payments=SimpleNamespace(website_url="http://127.0.0.1:3000"))
        notify.mailer(settings).send(notify.Message("m#1", "a@example.com", "Hello", "text"))
        assert [m["message_id"] for m in local_adapters.read_outbox(tmp_path / "outbox")] == ["m#1"]
        assert isinstance(invitations.inviter(settings), local_adapters.OutboxInviter)
        assert isinstance(bearer._jwks((tmp_path / "jwks.json").as_uri()), local_adapters.JwksFile)
        url = (tmp_path / "queue").as_uri()
        assert queue.send(url, [{"page": 1}, {"page": 2}]) == 2
        bodies = [json.loads(p.read_text()) for p in sorted((tmp_path / "queue").glob("*.json"))]
        assert bodies == [{"page": 1}, {"page": 2}]
    finally:
        local_adapters.install()  # back to the test session's (the outbox named by OUTBOX_DIR)


def test_unknown_ports_are_refused():
    with pytest.raises(ValueError, match="no port"):
        adapters.install(sms=print)
    with pytest.raises(ValueError, match="no port"):
        adapters.installed("sms")
