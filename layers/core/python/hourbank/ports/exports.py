"""Answers too large for Lambda, handed over by a short-lived link (issue 23 item 6; SPEC M3).

A synchronous Lambda answer is at most 6 MB (6,291,456 bytes), counted on the response *as Lambda serialises
it*: the HTTP body sits inside a JSON document, where every ``"`` and ``\\`` doubles, a control character
takes six bytes and - with ``ensure_ascii`` - so does every non-ASCII character (twelve beyond the BMP).
``oversized`` measures exactly that (``json.dumps`` of the body) against ``INLINE_LIMIT``, 5 MiB, which
leaves 1 MiB for the status, the headers and the envelope; a body over it is written to the statements
bucket and the caller is sent there by a 303 to a presigned GET that expires after ``LINK_TTL_S``.

The store is a port (``hourbank.ports.adapters``, ``exports``): S3 unless an adapter is installed (the local
stack installs one that keeps the object on disk and serves it from its gateway). Called with
``(bucket, key, body, content_type, filename, expires_s) -> url``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hourbank.ports import adapters

INLINE_LIMIT = 5 * 1024 * 1024  # bytes of the body as escaped in Lambda's response JSON
LINK_TTL_S = 300  # the presigned URL's life: long enough to follow a redirect, short enough to leak little


def oversized(body: str) -> bool:
    """True if ``body`` would not fit in a Lambda response with ``INLINE_LIMIT``'s margin."""
    if len(body) * 12 <= INLINE_LIMIT:  # even if every character took twelve bytes, it fits
        return False
    return len(json.dumps(body)) > INLINE_LIMIT


def publish(bucket: str, key: str, body: bytes, *, content_type: str, filename: str) -> str:
    """Store ``body`` under ``key`` and return a URL that serves it (with ``content_type``, as a download
    named ``filename``) for ``LINK_TTL_S`` seconds."""
    if not bucket:
        raise RuntimeError("no STATEMENTS_BUCKET configured: a statement this large cannot be served")
    installed = adapters.installed("exports")
    if installed is not None:
        return str(installed(bucket, key, body, content_type, filename, LINK_TTL_S))
    client = _s3()
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        ContentDisposition=_disposition(filename),
    )
    return str(
        client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": _disposition(filename),
            },
            ExpiresIn=LINK_TTL_S,
        )
    )


def _disposition(filename: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return f'attachment; filename="{safe}"'


@cache
def _s3() -> Any:
    """One client per execution environment, made on the first large answer (none at import: STYLE).
    SigV4 and virtual-hosted addressing: presigned URLs that work in every region."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
