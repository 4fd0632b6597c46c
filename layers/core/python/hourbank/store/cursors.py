"""Opaque list cursors (API.md ``?limit&cursor``: a cursor is valid only for the list that gave it).

A cursor is a DynamoDB ``LastEvaluatedKey``, signed for the list it pages: ``<key>.<tag>``, both url-safe
base64, where ``tag`` is an HMAC-SHA256 (truncated to 128 bits) of the list's name, what the list is of
(``bound``: the account, the status, the filter) and the key. So (issue 23):

* another list's cursor (another account's ledger, the ``open`` queue's on ``awaiting_credit``, the same
  list with another filter) fails the tag: 400;
* an edited cursor (``{"seq": "-5"}``, a key changed by hand) fails the tag: 400, as does garbage;
* only a cursor this deploy issued is ever given to DynamoDB - and even so its key is checked again (the
  names the query pages by, string and whole-number values, the partition asked for), so a cursor can
  neither fail inside DynamoDB (a 500) nor page another account's items.

The key (``_secret``) is derived from the settings' ``cursor_key`` - per deploy, the stack's id (template
Globals ``CURSOR_KEY``), read from the environment at cold start: no call on the request path. Without one
(tests, tools), the table names stand in: cursors are then bound and checksummed but not secret, which is
all tenancy needs - every list checks who may see it before it reads, and a cursor only says where to go on.
A new key (a new stack) makes old cursors a 400: a client starts its list again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from hourbank.kernel.errors import InvalidInput

MAX_CURSOR = 400
_TAG_BYTES = 16


@cache
def _secret(material: str) -> bytes:
    return hashlib.sha256(b"hourbank list cursor\0" + material.encode()).digest()


def _key_material() -> bytes:
    from hourbank.ports.settings import get_settings

    settings = get_settings()
    return _secret(settings.cursor_key or f"{settings.accounts_table}\0{settings.tickets_table}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))


def _tag(list_name: str, bound: Mapping[str, str | None], payload: str) -> str:
    message = json.dumps([list_name, dict(sorted(bound.items())), payload], separators=(",", ":")).encode()
    return _b64(hmac.new(_key_material(), message, hashlib.sha256).digest()[:_TAG_BYTES])


def encode(key: Mapping[str, Any] | None, *, list_name: str, bound: Mapping[str, str | None]) -> str | None:
    """The cursor of the page after ``key`` of the list ``list_name`` of ``bound`` (None: no more pages)."""
    if not key:
        return None
    payload = _b64(json.dumps(key, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_tag(list_name, bound, payload)}"


def decode(
    cursor: str | None,
    *,
    list_name: str,
    bound: Mapping[str, str | None],
    names: frozenset[str],
    pinned: Mapping[str, str],
) -> dict | None:
    """The key a cursor of this list stands for, or ``InvalidInput``. ``names``: the key attributes of the table
    and index paged; ``pinned``: attributes whose value the key must have (the partition asked for)."""
    if not cursor:
        return None
    bad = InvalidInput("cursor: not a cursor this list returned (start the list again without one)")
    payload, dot, tag = cursor.partition(".")
    # compare_digest takes ASCII text only (a TypeError, a 500, otherwise): our cursors are url-safe base64
    if len(cursor) > MAX_CURSOR or not cursor.isascii() or not dot:
        raise bad
    if not hmac.compare_digest(tag, _tag(list_name, bound, payload)):
        raise bad
    try:
        key = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad from None
    if not isinstance(key, dict) or set(key) != names:
        raise bad
    for name, value in key.items():
        if not _storable(value) or (name in pinned and value.get("S") != pinned[name]):
            raise bad
    return key


def _storable(value: Any) -> bool:
    """A key value DynamoDB takes: a non-empty string within a sort key's size, or a whole number >= 0."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, text),) = value.items()
    if kind == "S":
        return isinstance(text, str) and 0 < len(text.encode()) <= 1024
    return kind == "N" and isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 20
