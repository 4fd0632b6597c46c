"""Objects in S3 (SPEC E1): the mail SES stored, and the attachments the intake keeps.

A port (``hourbank.ports.adapters``, ``objects``): S3 unless an adapter is installed - the local stack installs
one that keeps each object as a file (``scripts/devstack/adapters.py``, the same folder as its other S3
stand-in). An installed adapter is called with no arguments and returns an object with ``read`` and ``put``.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

from hourbank.ports import adapters


class Objects(Protocol):
    def read(self, bucket: str, key: str, limit: int) -> tuple[bytes, int]:
        """At most ``limit`` bytes of the object from its start, and the object's whole size."""
        ...

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None: ...


class S3Objects:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazily: the Lambda runtime ships it; only the intake pays for the client

            self._client = boto3.client("s3")
        return self._client

    def read(self, bucket: str, key: str, limit: int) -> tuple[bytes, int]:
        # A ranged GET: a mail larger than the limit is never downloaded whole (S3 answers 206 with the size).
        got = self.client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{max(limit, 1) - 1}")
        total = got.get("ContentRange", "").rpartition("/")[2]
        body = got["Body"].read(limit)
        return body, int(total) if total.isdigit() else int(got.get("ContentLength", len(body)))

    def put(self, bucket: str, key: str, body: bytes, content_type: str) -> None:
        # The bucket's default encryption applies; Content-Disposition attachment: never shown inline.
        self.client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, ContentDisposition="attachment"
        )


@cache
def _s3() -> S3Objects:
    return S3Objects()


def objects() -> Objects:
    installed = adapters.installed("objects")
    if installed is not None:
        return installed()  # type: ignore[no-any-return]
    return _s3()
