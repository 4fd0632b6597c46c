"""One execution environment of one function: Lambda's Python bootstrap in miniature (issue 15).

Started by ``lambda_runtime.Worker`` as ``python -I -S lambda_worker.py CONFIG`` in an environment holding
only the function's own variables and what Lambda sets, so nothing of the repo, its venv or the
interpreter's site-packages is importable: ``sys.path`` is the function's code, its layers (the last
listed first, as Lambda extracts them over each other into /opt), what the runtime ships (boto3), then
the standard library. This file imports the standard library only.

Init: the local adapters (``scripts/localdev/adapters.py``, loaded from its file, not from a path entry)
are installed into ``hourbank.ports.adapters`` (given the outbox directory and the local payment page's base URL,
which are no function's variables), then the handler module is imported - once, as at a cold start.
Then one request at a time: a frame with the event and the request id in, a frame with the result (or
the error as Lambda reports it: ``errorType``, ``errorMessage``, ``stackTrace``) out. The frames travel
on two pipes of their own; the handler's stdout and stderr are its logs.
"""

from __future__ import annotations

import decimal
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback

HEADER = 8  # bytes of big-endian length before each JSON frame


def write_frame(fd: int, payload: bytes) -> None:
    data = len(payload).to_bytes(HEADER, "big") + payload
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes | None:
    header = read_exactly(fd, HEADER)
    if header is None:
        return None
    return read_exactly(fd, int.from_bytes(header, "big"))


def error_body(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict:
    return {
        "ok": False,
        "errorType": error_type or type(exc).__name__,
        "errorMessage": message if message is not None else str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def _decimal(value: object) -> object:
    """As Lambda's runtime marshals a response: Decimals become numbers, anything else unknown fails."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class Context:
    """The attributes and method of Lambda's context object that handlers and Powertools use."""

    def __init__(self, config: dict, request_id: str, timeout_s: float) -> None:
        self.function_name = config["name"]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = config["memory"]
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{config['name']}"
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{config['name']}"
        self.log_stream_name = config.get("log_stream", "local")
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _install_adapters(config: dict) -> None:
    path = config.get("adapters")
    if not path:
        return
    spec = importlib.util.spec_from_file_location("hourbank_local_adapters", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.install(outbox=config.get("outbox"), checkout=config.get("checkout"))


def main() -> int:
    config = json.loads(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [*config["path"], *(p for p in sys.path if p and os.path.abspath(p) != here)]
    fd_in, fd_out = config["fd_in"], config["fd_out"]
    module_name, function_name = config["handler"].rsplit(".", 1)
    try:
        _install_adapters(config)
        handler = getattr(importlib.import_module(module_name), function_name)
    except ImportError as exc:  # Lambda's words for a handler that cannot be imported
        write_frame(
            fd_out,
            json.dumps(
                error_body(exc, "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
            ).encode(),
        )
        return 1
    except Exception as exc:
        write_frame(fd_out, json.dumps(error_body(exc)).encode())
        return 1
    write_frame(fd_out, json.dumps({"ok": True, "ready": True}).encode())
    while True:
        frame = read_frame(fd_in)
        if frame is None:
            return 0  # the runtime closed the pipe: this environment is retired
        request = json.loads(frame)
        context = Context(config, request["request_id"], float(request["timeout_s"]))
        try:
            result = handler(request["event"], context)
            try:
                answer = json.dumps({"ok": True, "result": result}, default=_decimal)
            except (TypeError, ValueError) as exc:
                answer = json.dumps(error_body(exc, "Runtime.MarshalError", f"Unable to marshal response: {exc}"))
        except Exception as exc:
            answer = json.dumps(error_body(exc))
        sys.stdout.flush()
        sys.stderr.flush()
        write_frame(fd_out, answer.encode())


if __name__ == "__main__":
    raise SystemExit(main())
