"""Generate openapi.json from the code: each API function's Powertools resolver describes its routes;
this merges them into the one document API.md names as the full reference.

    python -m buildtools.openapi            # rewrite openapi.json
    python -m buildtools.openapi --check    # exit 1 when openapi.json is stale (the test suite runs this)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from devstack.lambda_client import routes
from devstack.lambda_runtime import functions, import_handler_module
from devstack.template import load_template

ROOT = Path(__file__).resolve().parents[2]

TITLE = "Hourbank API"
VERSION = "0.1.0"


def build() -> dict:
    doc: dict = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"CognitoJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"CognitoJwt": []}],
    }
    specs = functions(strict=False)
    for function in sorted({route.function for route in routes()}):
        module = import_handler_module(specs[function], f"openapi_{function}")
        if hasattr(module, "app"):
            part = json.loads(module.app.get_openapi_json_schema(title=TITLE, version=VERSION))
        else:  # a plain handler (the Stripe webhook) describes its one route itself
            part = {"paths": module.OPENAPI_PATHS}
        for path, ops in part.get("paths", {}).items():
            doc["paths"].setdefault(path, {}).update(ops)
        doc["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    for path, method in public_routes():  # Auth: {Authorizer: NONE} in the template: no token needed
        operation = doc["paths"].get(path, {}).get(method.lower())
        if operation is not None:
            operation["security"] = []
    doc["paths"] = dict(sorted(doc["paths"].items()))
    doc["components"]["schemas"] = dict(sorted(doc["components"]["schemas"].items()))
    return doc


def public_routes() -> list[tuple[str, str]]:
    out = []
    for res in load_template()["Resources"].values():
        for event in ((res.get("Properties") or {}).get("Events") or {}).values():
            props = event.get("Properties") or {}
            if event.get("Type") == "HttpApi" and (props.get("Auth") or {}).get("Authorizer") == "NONE":
                out.append((props["Path"], props["Method"]))
    return out


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    target = ROOT / "openapi.json"
    text = render()
    if args.check:
        if not target.exists() or target.read_text() != text:
            print("openapi.json is stale: run python -m buildtools.openapi", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {target.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
