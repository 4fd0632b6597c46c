"""A tiny HTTP client for the local gateway: one request per connection, the JSON body parsed when it is
JSON, never an exception for a 4xx/5xx (tests look at the status themselves)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_S = 30.0


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    def __iter__(self):  # status, body = reply
        return iter((self.status, self.body))

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


def request(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on its own connection; the body is parsed as JSON when it is JSON."""
    url = urlsplit(base_url)
    sent: dict[str, str] = {}
    data: bytes | None
    if body is None:
        data = None
    elif isinstance(body, bytes | str):
        data = body.encode("utf-8") if isinstance(body, str) else body
        sent["Content-Type"] = "application/json"
    else:
        data = json.dumps(body).encode("utf-8")
        sent["Content-Type"] = "application/json"
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    conn = http.client.HTTPConnection(url.hostname or "localhost", url.port, timeout=TIMEOUT_S)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        reply_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        conn.close()
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode("utf-8", errors="replace")
    return Reply(response.status, parsed, reply_headers, raw)
