"""The template's HttpApi on one machine: routes from the functions' HttpApi events, the JWT checked as
API Gateway's authorizer checks it, a payload-v2.0 event for the handler, and its answer mapped back the
way API Gateway maps a v2 response.

    gw = start(functions(table_names=...), port=3000)   # serves in a background thread
    gw.url                                               # "http://127.0.0.1:3000"
    gw.stop()

What a caller sees when the gateway itself answers is what API Gateway answers: 401
``{"message":"Unauthorized"}`` (with ``www-authenticate`` saying why), 404 ``{"message":"Not Found"}``,
413 for a body over Lambda's 6 MB, 500 ``{"message":"Internal Server Error"}`` when the function fails.
One departure: a path that exists with another method gets 405 with ``Allow`` (API Gateway says 404),
which tells a developer more.

Invocations of one function are serialised: Lambda runs one request per execution environment, and the
handler modules (Powertools' resolver keeps ``current_event`` on the app object) assume exactly that.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from devstack import jwt_local, lambda_runtime
from devstack.lambda_runtime import FunctionSpec
from devstack.template import load_template

log = logging.getLogger("localstack")

MAX_BODY = 6 * 1024 * 1024  # Lambda's synchronous request and response payload limit: 6,291,456 bytes
READ_TIMEOUT_S = 60.0
LINGER_S = 5.0  # after refusing an unread body: how long, and how much, to drain before closing
LINGER_BYTES = 64 * 1024 * 1024
HTTP_API_TYPE = "AWS::Serverless::HttpApi"
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|ecmascript|x-javascript|graphql))$"
)

Verifier = Callable[[str], Mapping[str, Any]]


class Pages(Protocol):
    """What the local stack serves besides the template's routes (``scripts/devstack/web.py``: the order
    form and the payment page). Asked only for a path no route of the template knows, so it can never
    shadow one; ``read_body()`` reads the request's body (size limits as for a route). Answers
    ``(status, headers, body)``, or None for the gateway's own 404."""

    def serve(
        self, method: str, path: str, query: str, headers: Mapping[str, str], read_body: Callable[[], bytes | None]
    ) -> tuple[int, list[tuple[str, str]], bytes] | None: ...


# ------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or "ANY"
    path: str  # as the template writes it: /tickets/{ticket_id}
    spec: FunctionSpec
    authorized: bool
    segments: tuple[str, ...]

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """(specificity, path parameters) when ``parts`` (the request path's raw segments) match."""
        params: dict[str, str] = {}
        rank: list[int] = []
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):  # greedy: the rest of the path
                rest = parts[index:]
                if not rest or not all(rest):
                    return None
                params[segment[1:-2]] = unquote("/".join(rest))
                return (*rank, 0), params
            if index >= len(parts) or not parts[index]:
                return None
            if segment.startswith("{") and segment.endswith("}"):
                params[segment[1:-1]] = unquote(parts[index])
                rank.append(1)
            elif segment == parts[index]:
                rank.append(2)
            else:
                return None
        if len(parts) != len(self.segments):
            return None
        return tuple(rank), params


def _api_auth(template: Mapping[str, Any]) -> dict[str, bool]:
    """HttpApi logical id -> whether its routes need a token unless they say otherwise."""
    out: dict[str, bool] = {}
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") == HTTP_API_TYPE:
            auth = (res.get("Properties") or {}).get("Auth") or {}
            out[name] = bool(auth.get("DefaultAuthorizer"))
    return out


def routes(specs: Mapping[str, FunctionSpec], template: Mapping[str, Any] | None = None) -> list[Route]:
    """Every HttpApi event of every function; ``Auth: {Authorizer: NONE}`` makes a route public."""
    template = load_template() if template is None else template
    apis = _api_auth(template)
    out: list[Route] = []
    seen: dict[str, str] = {}
    for spec in specs.values():
        for event_name, event in spec.events.items():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            method = str(props.get("Method", "ANY")).upper()
            method = "ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method
            path = str(props.get("Path", "/"))
            api = props.get("ApiId")
            api_name = api.get("Ref") if isinstance(api, dict) else None
            default_auth = apis.get(api_name, False) if api_name else any(apis.values())
            authorizer = (props.get("Auth") or {}).get("Authorizer")
            authorized = default_auth if authorizer is None else authorizer != "NONE"
            route = Route(method, path, spec, authorized, tuple(path.strip("/").split("/")) if path != "/" else ())
            if route.route_key in seen:
                raise ValueError(
                    f"{route.route_key} is declared by both {seen[route.route_key]} and {spec.logical_id}.{event_name}"
                )
            seen[route.route_key] = f"{spec.logical_id}.{event_name}"
            out.append(route)
    return out


# --------------------------------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a client that keeps its connection open
    request_queue_size = 128  # 20 clients connecting at once must not overflow the listen backlog

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("gateway: unhandled error serving %s", client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class Gateway:
    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        *,
        host: str,
        port: int,
        verifier: Verifier,
        template: Mapping[str, Any] | None,
        pages: Pages | None = None,
    ) -> None:
        self.routes = routes(specs, template)
        self.verifier = verifier
        self.pages = pages
        self.host = host
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = server_class((host, port), self)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot serve on {host}:{port} ({exc.strerror}); is another local stack running? pick another port",
            ) from exc
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"hourbank-gateway-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> Gateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Gateway(url={self.url!r}, routes={len(self.routes)})"

    def resolve(self, method: str, parts: list[str]) -> tuple[Route | None, dict[str, str], list[str]]:
        """The most specific route for the path and method, its parameters, and the path's methods."""
        best: tuple[tuple[int, ...], int] | None = None
        chosen: Route | None = None
        chosen_params: dict[str, str] = {}
        allowed: list[str] = []
        for route in self.routes:
            found = route.match(parts)
            if found is None:
                continue
            allowed.append(route.method)
            if route.method not in (method, "ANY"):
                continue
            score = (found[0], 1 if route.method == method else 0)
            if best is None or score > best:
                best, chosen, chosen_params = score, route, found[1]
        return chosen, chosen_params, allowed

    def invoke(self, route: Route, event: dict) -> Any:
        # Concurrent requests are safe: each runs in its own copy of the handler (lambda_runtime's
        # execution environments), as Lambda runs them in separate environments.
        return lambda_runtime.invoke(route.spec, event, source="http")


def start(
    specs: Mapping[str, FunctionSpec],
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    verifier: Verifier = jwt_local.verify,
    template: Mapping[str, Any] | None = None,
    pages: Pages | None = None,
) -> Gateway:
    """Serve ``specs``' HttpApi routes on ``host:port`` (0 picks a free port) in a background thread, and
    ``pages`` (if given) on the paths the template leaves free."""
    return Gateway(specs, host=host, port=port, verifier=verifier, template=template, pages=pages).start()


# ---------------------------------------------------------------------------------------- a request


class _Reject(Exception):
    """The gateway answers instead of the function."""

    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None, close: bool = False
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.close = status, message, dict(headers or {}), close


def _request_id() -> str:
    return base64.b64encode(os.urandom(11)).decode("ascii")  # shaped like API Gateway's "Mc7UVioPPHcEKPA="


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "hourbank-local"
    # Headers and body go out as separate writes: without TCP_NODELAY the body waits ~40 ms for the
    # client's delayed ACK (measured by scripts/bench/local_stack.py).
    disable_nagle_algorithm = True
    sys_version = ""
    timeout = READ_TIMEOUT_S

    # BaseHTTPRequestHandler calls do_<METHOD>; every method goes through routing like API Gateway's.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def setup(self) -> None:
        super().setup()
        self._linger = False
        self._logged = False
        self._started = time.perf_counter()
        self._apigw_id = _request_id()

    def handle_expect_100(self) -> bool:
        """Say "100 Continue" only once the route, size and token are known to be fine (in _continue)."""
        return True

    def _continue(self) -> None:
        if (self.headers.get("Expect") or "").strip().lower() == "100-continue" and self.request_version >= "HTTP/1.1":
            self.wfile.write(f"{self.protocol_version} 100 Continue\r\n\r\n".encode("latin-1"))
            self.wfile.flush()

    def finish(self) -> None:
        super().finish()
        if self._linger:
            _drain(self.connection)

    def handle_one_request(self) -> None:
        self._logged = False
        self._started = time.perf_counter()
        self._apigw_id = _request_id()
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    # --- what BaseHTTPRequestHandler answers itself (bad request line, header too long, ...): JSON too
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        self._linger = True
        if self.request_version == "HTTP/0.9":  # a line too broken to name a version: answer in HTTP/1.1
            self.request_version = "HTTP/1.0"
        if message:
            log.info("gateway: %s %s", code, message)
        reason = self.responses.get(code, ("Error",))[0]
        self._send_json(code, {"message": reason}, {"Connection": "close"})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per request, in _log_once

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("gateway: " + format, *args)

    # --- the gateway proper
    def _serve(self) -> None:
        gateway = self.server.gateway
        try:
            raw_path, _, raw_query = self.path.partition("?")
            if not raw_path.startswith("/"):  # absolute-form target: keep only the path
                match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*(/[^?]*)?", raw_path)
                raw_path = (match.group(1) if match else None) or "/"
            parts = raw_path[1:].split("/") if raw_path != "/" else []
            route, params, allowed = gateway.resolve(self.command, parts)
            if route is None and not allowed and gateway.pages is not None:
                self._body_read = False
                page = gateway.pages.serve(self.command, raw_path, raw_query, dict(self.headers), self._page_body)
                if page is not None:
                    if not self._body_read and self._has_body():  # unread bytes must not become a request
                        self.close_connection = self._linger = True
                    status, headers, payload = page
                    self._send(status, payload, headers)
                    return
            if route is None:
                if allowed:
                    allow = ", ".join(sorted(set(allowed)))
                    raise _Reject(405, "Method Not Allowed", {"Allow": allow}, close=self._has_body())
                raise _Reject(404, "Not Found", close=self._has_body())
            length = self._declared_length()  # 400/413 before anything is read or checked
            claims, scopes = self._authorize(gateway, route)
            if length:
                self._continue()
            body = self._read_chunked() if length == "chunked" else self._read_body(length)
            event = self._event(route, raw_path, raw_query, params, body, claims, scopes)
            try:
                result = gateway.invoke(route, event)
            except lambda_runtime.InvocationError:
                log.exception("gateway: %s failed", route.spec.logical_id)
                raise _Reject(500, "Internal Server Error") from None
            size = len(json.dumps(result))
            if size > MAX_BODY:  # Lambda refuses such an answer (Function.ResponseSizeTooLarge): API Gateway's 500
                log.error("gateway: %s answered %d bytes, over Lambda's 6 MB", route.spec.logical_id, size)
                raise _Reject(500, "Internal Server Error")
            self._respond(result)
        except _Reject as reject:
            if reject.close:
                self.close_connection = True
                self._linger = True
                reject.headers.setdefault("Connection", "close")
            self._send_json(reject.status, {"message": reject.message}, reject.headers)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            self._log_once(499)
        except Exception:
            log.exception("gateway: error in %s %s", self.command, self.path)
            self.close_connection = True
            self._linger = True
            self._send_json(500, {"message": "Internal Server Error"}, {"Connection": "close"})

    def _page_body(self) -> bytes | None:
        length = self._declared_length()
        self._body_read = True
        return self._read_chunked() if length == "chunked" else self._read_body(length)

    def _has_body(self) -> bool:
        return bool(
            self.headers.get("Content-Length", "0").strip() not in ("", "0") or self.headers.get("Transfer-Encoding")
        )

    def _authorize(self, gateway: Gateway, route: Route) -> tuple[dict[str, str] | None, list[str] | None]:
        if not route.authorized:
            return None, None
        values = self.headers.get_all("Authorization") or []
        header = ",".join(v.strip() for v in values)
        token = header[7:].strip() if header[:7].lower() == "bearer " else header.strip()
        if not token:
            raise _Reject(401, "Unauthorized", {"www-authenticate": "Bearer"}, close=self._has_body())
        try:
            claims = dict(gateway.verifier(token))
        except jwt_local.InvalidToken as exc:
            log.info("gateway: 401 for %s %s: %s", self.command, self.path.partition("?")[0], exc.description)
            raise _Reject(
                401, "Unauthorized", {"www-authenticate": _challenge(exc.description)}, close=self._has_body()
            ) from None
        except Exception as exc:  # a verifier that breaks refuses; it never lets a request through
            log.warning("gateway: token check failed (%s: %s); answering 401", type(exc).__name__, exc)
            raise _Reject(
                401, "Unauthorized", {"www-authenticate": _challenge("the token is invalid")}, close=self._has_body()
            ) from None
        scope = claims.get("scope")
        scopes = str(scope).split() if scope else None
        return jwt_local.gateway_claims(claims), scopes

    def _declared_length(self) -> int | str | None:
        """The body's size from the headers, refused when over Lambda's limit or not a number."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return "chunked"
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return None
        if len(lengths) > 1 or not next(iter(lengths)).isdigit():
            raise _Reject(400, "Bad Request", close=True)
        length = int(next(iter(lengths)))
        if length > MAX_BODY:
            raise _Reject(413, "Request Entity Too Large", close=True)
        return length

    def _read_body(self, length: int | str | None) -> bytes | None:
        if not isinstance(length, int) or length == 0:
            return None
        data = self.rfile.read(length)
        if len(data) != length:
            raise ConnectionError("the client closed the connection mid-body")
        return data

    def _read_chunked(self) -> bytes | None:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise _Reject(400, "Bad Request", close=True)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _Reject(400, "Bad Request", close=True) from None
            if size < 0:
                raise _Reject(400, "Bad Request", close=True)
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(data) or None
            if len(data) + size > MAX_BODY:
                raise _Reject(413, "Request Entity Too Large", close=True)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise ConnectionError("the client closed the connection mid-body")
            data += chunk
            self.rfile.readline(8)  # the CRLF after the chunk

    def _event(
        self,
        route: Route,
        raw_path: str,
        raw_query: str,
        params: dict[str, str],
        body: bytes | None,
        claims: dict[str, str] | None,
        scopes: list[str] | None,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in self.headers.items():
            key = name.lower()
            if key == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        client_ip = str(self.client_address[0])
        headers.setdefault("x-forwarded-for", client_ip)
        headers.setdefault("x-forwarded-proto", "http")
        headers.setdefault("x-forwarded-port", str(self.server.gateway.port))
        query: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        now = datetime.now(UTC)
        domain = headers.get("host") or f"{self.server.gateway.host}:{self.server.gateway.port}"
        request_context: dict[str, Any] = {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": self.command,
                "path": raw_path,
                "protocol": self.request_version,
                "sourceIp": client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": self._apigw_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        }
        if claims is not None:
            request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": raw_path,
            "rawQueryString": raw_query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        event["requestContext"] = request_context
        if body is not None:
            content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            text = None
            if _TEXT_TYPES.match(content_type):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
            event["body"] = text if text is not None else base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = text is None
        else:
            event["isBase64Encoded"] = False
        return event

    def _respond(self, result: Any) -> None:
        """Map a v2 response: a dict with statusCode is a response, anything else is a 200 JSON body."""
        if not (isinstance(result, dict) and "statusCode" in result):
            self._send(200, json.dumps(result).encode("utf-8"), [("Content-Type", "application/json")])
            return
        status = result["statusCode"]
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            log.error("gateway: function returned statusCode %r", status)
            raise _Reject(500, "Internal Server Error")
        headers: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            headers.append((str(name), _header_value(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values if isinstance(values, list) else [values]:
                headers.append((str(name), _header_value(value)))
        for cookie in result.get("cookies") or []:
            headers.append(("Set-Cookie", str(cookie)))
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            try:
                payload = base64.b64decode(str(body), validate=True)
            except (binascii.Error, ValueError):
                log.error("gateway: function returned isBase64Encoded with a body that is not base64")
                raise _Reject(500, "Internal Server Error") from None
        elif isinstance(body, str):
            payload = body.encode("utf-8")
        else:
            payload = json.dumps(body).encode("utf-8")
        self._send(status, payload, headers)

    # --- writing
    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        items = [("Content-Type", "application/json"), *(headers or {}).items()]
        self._send(status, json.dumps(body, separators=(",", ":")).encode("utf-8"), items)

    def _send(self, status: int, payload: bytes, headers: list[tuple[str, str]]) -> None:
        skip = {"content-length", "transfer-encoding", "connection", "date", "server"}
        self._log_once(status)  # before the client can see the answer, so the line is there when it does
        try:
            self.send_response_only(status)
            self.send_header("Date", self.date_time_string())
            for name, value in headers:
                if name.lower() == "connection" and value.lower() == "close":
                    self.close_connection = True
                if name.lower() not in skip:
                    self.send_header(name, value)
            self.send_header("apigw-requestid", self._apigw_id)
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _log_once(self, status: int) -> None:
        if self._logged:
            return
        self._logged = True
        took = (time.perf_counter() - self._started) * 1000
        method = getattr(self, "command", None) or "-"
        path = (getattr(self, "path", None) or "-").partition("?")[0]
        log.info("%s %s %s %.1fms", method, path[:200], status, took)


def _drain(conn: socket.socket) -> None:
    """Close the way a careful server does after refusing a body it did not read: stop sending, then read
    and drop what the client is still sending (bounded), so the kernel does not answer it with a reset
    that can destroy the response before the client reads it."""
    deadline = time.monotonic() + LINGER_S
    received = 0
    try:
        conn.shutdown(socket.SHUT_WR)
        while received < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(min(left, 1.0))
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += len(chunk)
    except OSError:
        pass


def _header_value(value: Any) -> str:
    text = "true" if value is True else "false" if value is False else str(value)
    return text.replace("\r", " ").replace("\n", " ")  # a header value never splits the response


def _challenge(description: str) -> str:
    return 'Bearer scope="" error="invalid_token" error_description="{}"'.format(description.replace('"', "'"))


__all__ = ["MAX_BODY", "Gateway", "Pages", "Route", "routes", "start"]
