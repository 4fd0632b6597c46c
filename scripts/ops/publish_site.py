"""Publish the order form and the portal (``web/``) to the deployed stack's site (issue 12):

    python -m ops.publish_site --stack hourbank-dev [--region eu-west-1] [--dry-run]

After ``sam deploy``: reads the stack's outputs (``ApiUrl``, ``UserPoolClientId``, ``AuthUrl``, ``WebBucketName``,
``WebDistributionId``), writes ``config.js`` from them - the API's URL and the portal's sign-in (the user pool's
managed login and its client) - uploads every file of ``web/`` with its content type to the private bucket,
and invalidates the distribution so the new pages are served at once. Nothing else reaches the bucket: the
local sign-in (``scripts/devstack/local_auth.py``) lives outside ``web/`` and is never published.

Why a script and not a custom resource: the pages change with the code, not with the stack, and a
post-deploy step needs no Lambda of its own in the template; the values still come only from the stack's
outputs, so the site, the user pool client's callback URLs and the API's CORS origin cannot disagree.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
NEEDED = ("ApiUrl", "UserPoolClientId", "AuthUrl", "WebBucketName", "WebDistributionId")


def render_config(outputs: Mapping[str, str]) -> str:
    """config.js for the deployed site: the same two globals web/config.js sets for the local stack."""
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise SystemExit(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    auth = {"authority": outputs["AuthUrl"].rstrip("/"), "clientId": outputs["UserPoolClientId"], "local": False}
    return (
        "// Written by scripts/ops/publish_site.py from the stack's outputs. Do not edit: publish again.\n"
        f"window.HOURBANK_API_URL = {json.dumps(outputs['ApiUrl'].rstrip('/'))};\n"
        f"window.HOURBANK_AUTH = {json.dumps(auth)};\n"
    )


def site_files(root: Path = WEB) -> list[tuple[str, Path]]:
    """(key, file) for every file of the site except config.js (written from the outputs)."""
    out = []
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and key != "config.js" and not any(p.startswith(".") for p in key.split("/")):
            out.append((key, path))
    return out


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    config = render_config(outputs)
    files = site_files()
    if args.dry_run:
        print(config)
        for key, _ in files:
            print(key, content_type(key))
        return 0
    s3 = session.client("s3")
    bucket = outputs["WebBucketName"]
    for key, path in files:
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(key))
    s3.put_object(
        Bucket=bucket, Key="config.js", Body=config.encode(), ContentType=TYPES[".js"], CacheControl="no-cache"
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time_ns())},
    )
    print(f"published {len(files) + 1} files to {outputs.get('WebsiteUrl', bucket)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
