"""The SnapStart priming of a resolver function (``hourbank.edge.snapstart``): one synthetic request per route,
answered in-process before the snapshot, so Powertools has built each route's parameters and validation models
and the routes' lazy imports are done, in every environment restored from it. The response models the routes
answer with (``hourbank.api.responses``) are built too: the refused requests never reach them.

No request of the priming reaches a domain function: the caller is a priming identity that ``current_actor``
and ``optional_actor`` refuse (401) before anything reads the database, and bodies are empty (a 400 where a
route needs fields). The answers are thrown away.
"""

from __future__ import annotations

import json
import re
from typing import Any

PRIMING_SUBJECT = "snapstart-priming"
_PARAM = re.compile(r"\{([^}]+)\}")
# A path id of the shape of its kind (hourbank.kernel.ids), so the request passes the path's validation and
# reaches the handler (and its refusal of a priming caller), as a real one does.
_SAMPLE_IDS = {
    "account_id": "acc_snapstart",
    "ticket_id": "tkt_snapstart.acc_snapstart",
    "entry_id": "ent_snapstart",
    "visit_id": "vis_snapstart.acc_snapstart",
    "order_id": "ord_snapstart",
    "review_id": "rev_snapstart",
    "agreement_id": "ord_snapstart",
    "month": "2000-01",
    "contact_id": "ctc_snapstart",
    "mail_id": "mail_" + "0" * 32,
}


def synthetic_event(method: str, path: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) request as the gateway would send it, from the priming identity."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "authorizer": {"jwt": {"claims": {"sub": PRIMING_SUBJECT, "cognito:groups": "[priming]"}, "scopes": None}},
            "requestId": "snapstart-priming",
            "stage": "$default",
        },
        "body": json.dumps({}),
        "isBase64Encoded": False,
    }


def prime(app: Any, request: Any) -> list[tuple[str, str, int]]:
    """Every route of ``app`` once, ``request`` (the resolver's current request state) marked as priming; returns
    (method, path, status) of each, for tests and the log. The state is given, not imported: the resolver
    imports this module (no import cycle)."""
    from hourbank.api.responses import build

    answers = []
    request.priming = True
    try:
        for route in [*app._static_routes, *app._dynamic_routes]:
            path = _PARAM.sub(lambda m: _SAMPLE_IDS.get(m.group(1), "snapstart"), route.openapi_path)
            result = app.resolve(synthetic_event(route.method, path), None)
            answers.append((route.method, route.openapi_path, int(result["statusCode"])))
            build(route.responses or {})
    finally:
        request.priming = False
    return answers
