"""Publish the web app (the order form, the paid page and the portal) to the deployed stack's site (issue 12,
issue 20 item 7):

    python -m ops.publish_site --stack hourbank-dev [--region eu-west-1] [--dry-run]

After ``sam deploy``: builds ``web/`` into ``web/dist/`` (``scripts/buildtools/web_build.py``: ``npm ci`` when needed,
then the Vite build), reads the stack's outputs (``ApiUrl``, ``UserPoolId``, ``UserPoolClientId``, ``AuthUrl``,
``WebsiteUrl``, ``WebBucketName``, ``WebDistributionId``), writes ``config.js`` from them - the API's URL and the
sign-in (the user pool as the OIDC authority, its client, the portal as the redirect, the managed login's
/logout) - uploads every file of ``web/dist/`` with its content type to the private bucket (the hashed bundles
cached for a year, the pages revalidated), and invalidates the distribution so the new pages are served at once.
Nothing else reaches the bucket: the local sign-in (``scripts/devstack/local_auth.py``) lives outside ``web/``
and is never published.

Why a script and not a custom resource: the pages change with the code, not with the stack, and a
post-deploy step needs no Lambda of its own in the template; the values still come only from the stack's
outputs, so the site, the user pool client's callback URLs and the API's CORS origin cannot disagree.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web" / "dist"  # the built web app (scripts/buildtools/web_build.py)
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
NEEDED = (
    "ApiUrl",
    "UserPoolId",
    "UserPoolClientId",
    "AuthUrl",
    "WebsiteUrl",
    "WebBucketName",
    "WebDistributionId",
)
IMMUTABLE = "public, max-age=31536000, immutable"  # web/dist/assets/: each name carries its content's hash


def render_config(outputs: Mapping[str, str]) -> str:
    """config.js for the deployed site: the same two globals web/public/config.js sets for the local stack.

    The OIDC authority is the user pool itself (its discovery document names the managed login's authorize
    and token endpoints); Cognito's discovery names no sign-out endpoint, so the managed login's /logout is
    given beside it. A user pool id starts with its region (``eu-west-1_AbC``)."""
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise SystemExit(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    pool = outputs["UserPoolId"]
    region = pool.split("_", 1)[0]
    auth = {
        "authority": f"https://cognito-idp.{region}.amazonaws.com/{pool}",
        "clientId": outputs["UserPoolClientId"],
        "redirectUri": f"{outputs['WebsiteUrl'].rstrip('/')}/portal/",
        "logoutUrl": f"{outputs['AuthUrl'].rstrip('/')}/logout",
        "local": False,
    }
    return (
        "// Written by scripts/ops/publish_site.py from the stack's outputs. Do not edit: publish again.\n"
        f"window.HOURBANK_API_URL = {json.dumps(outputs['ApiUrl'].rstrip('/'))};\n"
        f"window.HOURBANK_AUTH = {json.dumps(auth)};\n"
    )


def site_files(root: Path = WEB) -> list[tuple[str, Path]]:
    """(key, file) for every file of the built site except config.js (written from the outputs)."""
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

    # What is uploaded is built from this checkout, now (npm ci when needed, then the Vite build).
    subprocess.run([sys.executable, str(ROOT / "scripts" / "buildtools" / "web_build.py"), "--force"], check=True)

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
        cache = IMMUTABLE if key.startswith("assets/") else "no-cache"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(key), CacheControl=cache)
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
