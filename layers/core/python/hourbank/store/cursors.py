"""Opaque list cursors (API.md ``?limit&cursor``): a DynamoDB ``LastEvaluatedKey`` as url-safe base64.

A cursor is checked before it is used: only the key names the query pages by, only string and number
values, and the partition it pages must be the one asked for - so a cursor edited by hand can neither
fail inside DynamoDB (a 400, never a 500) nor page another account's items (tenancy, API.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from hourbank.kernel.errors import InvalidInput

MAX_CURSOR = 400


def encode(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode()


def decode(cursor: str | None, *, names: frozenset[str], pinned: Mapping[str, str]) -> dict | None:
    """The key a cursor stands for (string attributes only). ``names``: the key attributes of the table and index paged;
    ``pinned``: attributes whose value the cursor must have (the partition asked for)."""
    if not cursor:
        return None
    bad = InvalidInput("cursor: not a cursor this list returned")
    if len(cursor) > MAX_CURSOR:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad from None
    if not isinstance(key, dict) or set(key) != names:
        raise bad
    for name, value in key.items():
        # Every key these lists page by is a non-empty string: anything else DynamoDB would refuse (a 500).
        if not (
            isinstance(value, dict)
            and set(value) == {"S"}
            and isinstance(value["S"], str)
            and 0 < len(value["S"]) <= 1024
        ):
            raise bad
        if name in pinned and value.get("S") != pinned[name]:
            raise bad
    return key
