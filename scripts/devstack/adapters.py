"""The local stack's stand-ins for AWS services, installed into ``hourbank.ports.adapters`` (issue 15): the
production layer knows only the AWS adapters, these live here with the local stack.

* ``queue``: a queue is a directory (its local URL is ``file://<dir>``, see ``refs.local_refs``),
  one JSON file per message, which ``scripts/devstack/queues.py`` delivers as Lambda's SQS source would;
* ``jwks``: the local signing key's JWKS is a file (``jwt_local``), where AWS has Cognito's HTTPS URL;
* ``mailer``: every e-mail is a readable file in the outbox (``.local/outbox`` on the local stack), one
  ``.eml`` per message plus an ``outbox.jsonl`` index that tests and people read (``read_outbox``);
* ``inviter``: a customer's invitation (SPEC W1) is an e-mail in the outbox linking the portal
  (``/portal/?account=<id>``), which goes on to the local sign-in page with the account filled in; each person
  invited (an account's owner or a contact) is a user of the local user pool (``LocalUsers``, a file each
  under ``.local/users``), which the local sign-in reads: a removed contact's file is gone, so they cannot
  sign in, as Cognito's ``AdminDeleteUser`` does;
* ``exports``: S3's stand-in for answers too large for Lambda - a file under ``.local/exports`` served by the
  local gateway's ``/local-s3/...`` through a signed, expiring URL, as a presigned GET (``LocalExports``);
* ``objects``: S3 objects a function reads and writes (SPEC E1: the stored mail, its attachments) - files in the
  same folder as ``exports`` (``LocalObjects``);
* ``checkout``, ``invoicing``, ``refunds``: Stripe's stand-ins, used only when no Stripe key is set. An
  order is paid on the local payment page (``/local-pay/...`` of the local gateway, ``web.py``), which
  signs a Stripe-shaped event with ``sign_webhook`` and posts it to the webhook; an invoice's payment URL
  is that page too; a refund leaves nothing but its id. Each is deterministic (ids are hashes of the order,
  invoice or idempotency key), so each is idempotent as its port requires. The page's base URL is given
  to ``install`` (a worker's bootstrap passes the stack's), else ``LOCAL_CHECKOUT_URL`` of the stack or
  test process (``local_env``), never a function's variable: the template has none.

``install()`` is called where the local stack runs handlers: in every function's worker process by the
worker's bootstrap before the handler is imported (``lambda_worker.py``, ``scripts/buildtools/build_check.py``), and
in this process for the in-process runtime and the tests. This module runs inside those workers, whose
path holds only the function's code and layers: it imports nothing but the standard library and
``hourbank`` (PyJWT only when a payment function verifies a token, and it ships in their layer).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse
from urllib.request import url2pathname

DEFAULT_OUTBOX = Path(__file__).resolve().parents[2] / ".local" / "outbox"


def url_path(url: str) -> Path:
    """The directory or file a ``file:`` URL names."""
    if not url.startswith("file:"):
        raise ValueError(f"the local stack's adapters take file: URLs, not {url!r}")
    return Path(url2pathname(urlparse(url).path))


def send_to_directory(queue_url: str, bodies: list[str]) -> int:
    """The ``queue`` adapter: one file per message, named in time order (the poller delivers oldest first)."""
    directory = url_path(queue_url)
    directory.mkdir(parents=True, exist_ok=True)
    for body in bodies:
        name = f"{uuid.uuid1().hex}.json"
        tmp = directory / f".{name}.tmp"
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, directory / name)  # a message appears whole or not at all
    return len(bodies)


class JwksFile:
    """The ``jwks`` adapter: a JWKS read from a ``file:`` URL (PyJWKClient fetches http(s) only)."""

    def __init__(self, url: str) -> None:
        self.path = url_path(url)

    def get_signing_key_from_jwt(self, token: str) -> Any:
        import jwt  # the payment functions' layer ships it; nothing else verifies a bearer token

        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(json.loads(self.path.read_text(encoding="utf-8"))).keys
        for key in keys:
            if key.key_id == kid:
                return key
        raise jwt.PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')


class OutboxMailer:
    """The ``mailer`` adapter: ``<dir>/<message id>.eml`` and one JSON line per message in ``outbox.jsonl``."""

    _lock = threading.Lock()

    def __init__(self, directory: str | Path, sender: str = "support@hourbank.local") -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, message: Any) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        from hourbank.ports.mail import mime  # the headers SES is given, built the one way (issue 23)

        email = mime(message, self.sender)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in message.message_id)
        (self.directory / f"{safe}.eml").write_text(email.as_string(), encoding="utf-8")
        line = {
            "message_id": message.message_id,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._lock, open(self.directory / "outbox.jsonl", "a", encoding="utf-8") as index:
            index.write(json.dumps(line) + "\n")


def read_outbox(directory: str | Path) -> list[dict]:
    path = Path(directory) / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class LocalUsers:
    """The local user pool (SPEC W1): one JSON file per person invited, ``{email, account_id, owner}``, named by
    a digest of the address (lower-cased: the pool's usernames are case-insensitive, template.yaml). Written by
    the workers' ``OutboxInviter``, read by the gateway's local sign-in (``local_auth``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, email: str) -> Path:
        return self.directory / (hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32] + ".json")

    def add(self, email: str, account_id: str, *, owner: bool) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(email)
        user = {"email": email.strip().lower(), "account_id": account_id, "owner": owner}
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(user), encoding="utf-8")
        os.replace(tmp, path)  # a user appears whole or not at all

    def remove(self, email: str) -> None:
        self._path(email).unlink(missing_ok=True)

    def get(self, email: str) -> dict | None:
        try:
            return dict(json.loads(self._path(email).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def owner_of(self, account_id: str) -> dict | None:
        """The user of the account's own address (the local sign-in by account id signs in as them)."""
        for path in self.directory.glob("*.json") if self.directory.is_dir() else ():
            user = json.loads(path.read_text(encoding="utf-8"))
            if user.get("account_id") == account_id and user.get("owner"):
                return dict(user)
        return None


def users_dir(outbox: str | None = None) -> Path:
    """The local user pool: ``users`` beside the outbox (``outbox_dir``), which workers and gateway both know."""
    return outbox_dir(outbox).parent / "users"


class OutboxInviter:
    """The ``inviter`` adapter: the invitation is an e-mail in the outbox, linking the local sign-in page; the
    person becomes a user of the local user pool (``LocalUsers``)."""

    def __init__(self, mailer: OutboxMailer, website_url: str, users: LocalUsers | None = None) -> None:
        self.mailer = mailer
        self.website_url = website_url
        self.users = users or LocalUsers(users_dir())

    def invite_contact(self, invitation: Any) -> None:
        """SPEC W1: a contact's invitation (``hourbank.ports.invitations.ContactInvitation``), first or again."""
        from hourbank.ports.mail import Message

        self.users.add(invitation.email, invitation.account_id, owner=False)
        link = f"{self.website_url}/portal/?account={quote(invitation.account_id)}"
        again = " again" if invitation.resend else ""
        self.mailer.send(
            Message(
                message_id=f"invite#{invitation.account_id}#{invitation.email.strip().lower()}#{invitation.sent}",
                to=invitation.email,
                subject="Your Hourbank sign-in",
                text=(
                    f"Hello {invitation.name},\n\nyou are invited{again} to sign in to {invitation.account_name}'s "
                    f"Hourbank account {invitation.account_id}, to see its support hours and tickets. Sign in with "
                    f"your e-mail address {invitation.email}:\n\n  {link}\n\n"
                    "(Local stack: this link opens the local sign-in page. In AWS the invitation comes from the "
                    "user pool, with a temporary password.)\n"
                ),
            )
        )

    def remove_user(self, email: str) -> None:
        """SPEC W1: a removed contact can no longer sign in (AdminDeleteUser's stand-in)."""
        self.users.remove(email)

    def invite(self, account: Any) -> None:
        from hourbank.ports.mail import Message

        self.users.add(account.email, account.account_id, owner=True)

        link = f"{self.website_url}/portal/?account={quote(account.account_id)}"
        self.mailer.send(
            Message(
                message_id=f"invite#{account.account_id}",
                to=account.email,
                subject="Your Hourbank sign-in",
                text=(
                    f"Hello {account.name},\n\nyour Hourbank account {account.account_id} is open. Sign in to see "
                    f"your support hours, your tickets and every minute logged on them:\n\n  {link}\n\n"
                    "(Local stack: this link opens the local sign-in page. In AWS the invitation comes from the "
                    "user pool, with a temporary password.)\n"
                ),
            )
        )


def outbox_dir(configured: str | None = None) -> Path:
    """Where e-mails go: the directory given to ``install``, else ``OUTBOX_DIR`` of the stack or test
    process (never a function's own variable: the template has none), else ``.local/outbox``."""
    return Path(configured or os.environ.get("OUTBOX_DIR", "").strip() or DEFAULT_OUTBOX)


class LocalCheckout:
    """The ``checkout`` adapter (``hourbank.orders.placing.CheckoutPort``): a page of the local gateway that "pays" by
    posting a signed, Stripe-shaped event to the webhook. Deterministic, so it is idempotent per order."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    @staticmethod
    def session_id(order_id: str) -> str:
        """The one definition: the orders function issues it, the local payment page (``web.py``) checks it."""
        return "cs_local_" + hashlib.sha256(order_id.encode()).hexdigest()[:24]

    def create_checkout(self, order: Any, account: Any) -> tuple[str, str]:
        session_id = self.session_id(order.order_id)
        return session_id, f"{self.base_url}/local-pay/{session_id}?order={order.order_id}"


class LocalInvoicing:
    """The ``invoicing`` adapter (``hourbank.invoicing.invoice_issuing.InvoicingPort``): a deterministic invoice id and
    the local payment page as its URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    @staticmethod
    def stripe_invoice_id(invoice_id: str) -> str:
        return "in_local_" + hashlib.sha256(invoice_id.encode()).hexdigest()[:24]

    def issue(self, invoice: Any, account: Any) -> Any:
        from hourbank.payments.stripe_invoicing import Issued

        return Issued(
            self.stripe_invoice_id(invoice.invoice_id),
            f"{self.base_url}/local-pay/invoice/{invoice.invoice_id}?account={invoice.account_id}",
            account.stripe_customer_id,
            "open",
        )


class LocalRefunds:
    """The ``refunds`` adapter (``hourbank.payments.stripe_refunds.RefundPort``): nothing leaves the machine; the
    refund id follows from the key, and the visit records it exactly as it would a Stripe refund."""

    def refund(self, payment_ref: str, amount_minor: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        return "re_local_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]


class LocalSubscriptions:
    """The ``subscriptions`` adapter (``hourbank.receipts.agreements.SubscriptionPort``, SPEC O6, W1): ending an
    agreement's subscription changes nothing outside (the agreement says when it ends), and the customer portal
    is a page of the local gateway (``web.py``: ``/local-pay/portal/...``) standing in for Stripe's - never a card
    form."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def cancel(self, subscription_id: str, *, at_period_end: bool, idempotency_key: str) -> str | None:
        return None  # Stripe would say when the period paid ends; the agreement's next charge says it locally

    def portal_session(self, customer_id: str, return_url: str) -> str:
        from urllib.parse import quote

        return f"{self.base_url}/local-pay/portal/{quote(customer_id, safe='')}?return={quote(return_url, safe='')}"


def exports_dir(outbox: str | None = None) -> Path:
    """Where the ``exports`` adapter keeps objects (one folder per bucket, as S3 keeps them): ``exports`` beside
    the outbox (``outbox_dir``), which the workers and the gateway's pages both know."""
    return outbox_dir(outbox).parent / "exports"


def _export_key(directory: Path) -> bytes:
    """The signing key of the local presigned URLs: made once per exports folder, shared by the workers that
    write objects and the gateway that serves them."""
    path = directory / ".signing-key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(os.urandom(32))
    return path.read_bytes()


def _export_signature(directory: Path, path: str, expires: int) -> str:
    import hmac

    return hmac.new(_export_key(directory), f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


class LocalExports:
    """The ``exports`` adapter (``hourbank.ports.exports``): S3's stand-in. The object is a file under
    ``<exports>/<bucket>/<key>`` (its content type and file name beside it, ``.meta.json``); the URL is the
    local gateway's ``/local-s3/<bucket>/<key>``, signed and expiring like a presigned GET, which
    ``serve_export`` (the gateway's pages, ``web.py``) answers."""

    def __init__(self, directory: Path, base_url: str) -> None:
        self.directory, self.base_url = directory, base_url.rstrip("/")

    def __call__(self, bucket: str, key: str, body: bytes, content_type: str, filename: str, expires_s: int) -> str:
        target = self.directory / bucket / key
        if not target.resolve().is_relative_to(self.directory.resolve()):
            raise ValueError(f"an object key outside its bucket: {key!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        meta = {"content_type": content_type, "filename": filename}
        target.with_name(f"{target.name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        path = f"/local-s3/{quote(bucket)}/{quote(key)}"
        expires = int(datetime.now(UTC).timestamp()) + int(expires_s)
        signature = _export_signature(self.directory, path, expires)
        return f"{self.base_url}{path}?X-Amz-Expires-At={expires}&X-Amz-Signature={signature}"


def serve_export(path: str, query: Mapping[str, str], directory: Path | None = None) -> tuple[int, list, bytes]:
    """A GET of a local presigned URL, as S3 answers it: the object (200), or 403 when the signature is not
    ours or the link has expired, 404 when the object is gone (S3's lifecycle: a day)."""
    directory = directory or exports_dir()
    try:
        expires = int(query.get("X-Amz-Expires-At", ""))
    except ValueError:
        expires = 0
    import hmac

    signature = query.get("X-Amz-Signature", "")
    forbidden = (403, [("Content-Type", "text/plain")], b"Request has expired or the signature does not match\n")
    if not hmac.compare_digest(signature, _export_signature(directory, path, expires)):
        return forbidden
    if expires < datetime.now(UTC).timestamp():
        return forbidden
    parts = [unquote(p) for p in path.strip("/").split("/")[1:]]
    target = directory.joinpath(*parts)
    if len(parts) < 2 or not target.resolve().is_relative_to(directory.resolve()) or not target.is_file():
        return 404, [("Content-Type", "text/plain")], b"NoSuchKey\n"
    meta = json.loads(target.with_name(f"{target.name}.meta.json").read_text(encoding="utf-8"))
    headers = [
        ("Content-Type", meta["content_type"]),
        ("Content-Disposition", f'attachment; filename="{meta["filename"]}"'),
    ]
    return 200, headers, target.read_bytes()


class LocalObjects:
    """The ``objects`` adapter (``hourbank.ports.objects``): S3's stand-in for objects a function reads and writes
    (SPEC E1: the mail SES stored, the attachments kept) - ``<exports>/<bucket>/<key>``, the folder of the other S3
    stand-in (``LocalExports``). The local inbox (``mail_inbox.py``) puts each mail there as SES would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, bucket: str, key: str) -> Path:
        target = self.directory / bucket / key
        if not target.resolve().is_relative_to((self.directory / bucket).resolve()):
            raise ValueError(f"an object key outside its bucket: {key!r}")
        return target

    def read(self, bucket: str, key: str, limit: int) -> tuple[bytes, int]:
        path = self.path(bucket, key)
        if not path.is_file():
            raise FileNotFoundError(f"NoSuchKey: s3://{bucket}/{key}")
        with open(path, "rb") as body:
            return body.read(limit), path.stat().st_size

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        target = self.path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)  # an object appears whole or not at all, as S3's do


def checkout_url(configured: str | None = None) -> str:
    """The local payment page's base URL: the one given to ``install``, else ``LOCAL_CHECKOUT_URL`` of the
    stack or test process (never a function's own variable: the template has none)."""
    url = (configured or os.environ.get("LOCAL_CHECKOUT_URL", "")).strip().rstrip("/")
    if not url:
        raise RuntimeError("no Stripe key and no local payment page (LOCAL_CHECKOUT_URL): payments cannot be taken")
    return url


def install(*, outbox: str | None = None, checkout: str | None = None) -> None:
    """Install the local adapters into ``hourbank.ports.adapters``. ``outbox``: the outbox directory (default: see
    ``outbox_dir``, read when a message is sent, so a test's directory set later is the one used);
    ``checkout``: the local payment page's base URL (default: see ``checkout_url``, read when a payment
    adapter is made)."""
    from hourbank.ports import adapters

    adapters.install(
        queue=send_to_directory,
        jwks=JwksFile,
        mailer=lambda settings: OutboxMailer(outbox_dir(outbox)),
        inviter=lambda settings: OutboxInviter(
            OutboxMailer(outbox_dir(outbox)), settings.payments.website_url, LocalUsers(users_dir(outbox))
        ),
        checkout=lambda: LocalCheckout(checkout_url(checkout)),
        invoicing=lambda: LocalInvoicing(checkout_url(checkout)),
        refunds=LocalRefunds,
        subscriptions=lambda: LocalSubscriptions(checkout_url(checkout)),
        # the local gateway serves the objects; its base URL is the payment page's
        exports=lambda *call: LocalExports(exports_dir(outbox), checkout_url(checkout))(*call),
        objects=lambda: LocalObjects(exports_dir(outbox)),
    )
