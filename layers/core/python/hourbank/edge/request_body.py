"""The request edge: what every API function checks about a body before anything else reads it (API.md
"Errors": no input, however malformed, is a 500).

One function, ``read_body``, used by the shared ``Resolver`` (so every route of every resolver function,
public or authenticated, present or added later) and by the Stripe webhook after its signature verifies.
It refuses, as ``InvalidInput`` (400):

* a body that is not UTF-8 text, sent as is or base64-encoded (API Gateway HTTP APIs deliver a body that is
  not text as ``isBase64Encoded``) - and base64 that does not decode;
* a content type other than JSON (``application/json`` or ``*/*+json``, any case) - multipart without
  its boundary, forms, text: the API speaks JSON only;
* JSON that does not parse, that is not an object (``null`` aside: "the body is required" is the
  resolver's to say), nested deeper than ``MAX_DEPTH``, with a number longer than ``MAX_DIGITS`` (Python
  refuses integers over 4,300 digits with a ``ValueError``; no field of ours needs 30), ``NaN``/``Infinity``
  (not JSON), or a string that is not valid Unicode (an escaped lone surrogate cannot be stored).

What passes is handed on as plain UTF-8 text with ``Content-Type: application/json``, so Powertools' own
parsing cannot fail on it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from hourbank.kernel.errors import InvalidInput

MAX_DEPTH = 32  # our bodies are 2 deep; a Stripe event about 8
MAX_DIGITS = 30

_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")


class _Refused(ValueError):
    """Raised from inside ``json.loads`` hooks; becomes ``InvalidInput``."""


def _number(text: str, kind: type) -> Any:
    if len(text.lstrip("-").replace(".", "").split("e")[0].split("E")[0]) > MAX_DIGITS:
        raise _Refused(f"body: a number has more than {MAX_DIGITS} digits")
    value = kind(text)
    if kind is float and not math.isfinite(value):
        raise _Refused("body: a number is too large")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"body: {name} is not a JSON number")


def _check(value: Any, limit: int, code: str) -> None:
    """Iterative, so a deep value cannot exhaust the stack while it is measured. Strings must be text that
    can be stored: a JSON escape of a lone surrogate (``"\\ud800"``) parses but cannot be encoded."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput(
                    "body: a text value is not valid Unicode (a lone surrogate escape)", code=code
                ) from None
        elif isinstance(item, dict | list):
            if depth > limit:
                raise InvalidInput(f"body: JSON nested more than {limit} levels deep", code=code)
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def parse_json(text: str, *, code: str = "invalid_input") -> Any:
    """``text`` as JSON within the bounds above, or ``InvalidInput`` with ``code``."""
    try:
        value = json.loads(
            text, parse_int=lambda s: _number(s, int), parse_float=lambda s: _number(s, float), parse_constant=_constant
        )
    except _Refused as exc:
        raise InvalidInput(str(exc), code=code) from None
    except RecursionError:
        raise InvalidInput(f"body: JSON nested more than {MAX_DEPTH} levels deep", code=code) from None
    except ValueError as exc:  # JSONDecodeError and anything Python's parser refuses
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InvalidInput(f"body: not valid JSON ({reason})", code=code) from None
    _check(value, MAX_DEPTH, code)
    return value


def body_bytes(event: dict) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("body: the request body could not be read (bad base64 encoding)") from None
    return body.encode("utf-8", errors="surrogatepass") if isinstance(body, str) else bytes(body)


def body_text(raw: bytes, *, code: str = "invalid_input") -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("body: send UTF-8 encoded JSON (the body has bytes that are not UTF-8)", code=code) from None


def _media_type(headers: dict) -> str | None:
    for name, value in headers.items():
        if str(name).lower() == "content-type":
            return str(value).split(";", 1)[0].strip().lower()
    return None


def read_body(event: dict) -> dict:
    """The event with its body checked and normalised (see the module's doc), or ``InvalidInput``."""
    headers = dict(event.get("headers") or {})
    raw = body_bytes(event)
    media = _media_type(headers)
    if not raw.strip():  # no body: whatever its declared type, "the body is required" is the resolver's to say
        headers = {k: v for k, v in headers.items() if str(k).lower() != "content-type"}
        return {**event, "headers": headers, "body": None, "isBase64Encoded": False}
    if media is not None and not _JSON_TYPE.match(media):
        raise InvalidInput(
            f"body: send JSON with Content-Type: application/json (not {media or 'empty'})",
            code="unsupported_media_type",
        )
    text = body_text(raw)
    if not isinstance(parse_json(text), dict | None):
        # Every request body of this API is an object. Powertools would otherwise take the first element
        # of a list for a model ([{...}] accepted as {...}): refused here, once, for every route.
        raise InvalidInput("body: send a JSON object with this request's fields")
    headers = {k: v for k, v in headers.items() if str(k).lower() != "content-type"}
    headers["content-type"] = "application/json"
    return {**event, "headers": headers, "body": text, "isBase64Encoded": False}
