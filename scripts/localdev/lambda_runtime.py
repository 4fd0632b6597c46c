"""Run the template's functions in this process the way Lambda would: the handler named by CodeUri and
Handler, the layers' code on the path, the environment from Globals + the function (tables resolved to
the local ones), a Lambda-like context, and one log line per invocation.

Everything the local stack invokes (the gateway, stream pollers, schedules, ``scripts/invoke``) goes
through ``invoke`` here, so they all see functions exactly alike.
"""

from __future__ import annotations

import contextvars
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from scripts.localdev.template import REPO_ROOT, load_template

# Not under "hourbank": Powertools' Logger (service "hourbank") takes over loggers of that name.
log = logging.getLogger("localstack")

FUNCTION_TYPE = "AWS::Serverless::Function"
# What !Ref UserPool / !Ref UserPoolClient mean locally (in AWS: "us-east-1_AbC123", a client id).
LOCAL_IDS = {"UserPool": "local_hourbank", "UserPoolClient": "local-web-client"}
LAYER_TYPE = "AWS::Serverless::LayerVersion"
# The function whose handler is running in this thread (its logical id), for tools that attribute what a
# call does to the function making it (tests/support/aws_hooks.py: least privilege, fault injection).
CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("CURRENT_FUNCTION", default=None)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    events: dict[str, dict] = field(default_factory=dict)
    layer_paths: tuple[Path, ...] = ()


def _resolve(value: Any, refs: Mapping[str, str], strict: bool = True) -> Any:
    """Resolve the intrinsics a function's environment uses locally: !Ref of a table or parameter."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            if arg not in refs:
                if not strict:
                    return f"<unresolved {arg}>"
                raise KeyError(f"!Ref {arg} has no local value")
            return refs[arg]
        if key == "Fn::GetAtt":
            name = ".".join(arg) if isinstance(arg, list) else arg
            if name not in refs:
                raise KeyError(f"!GetAtt {name} has no local value")
            return refs[name]
        if key == "Fn::Sub" and isinstance(arg, str):
            out = arg
            for ref, val in refs.items():
                out = out.replace("${" + ref + "}", str(val))
            return out
    return value


def local_refs(
    template: Mapping[str, Any], table_names: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What !Ref means locally: tables → their local names, parameters → their defaults (or overrides)."""
    refs: dict[str, str] = {
        "AWS::Region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "AWS::AccountId": "000000000000",
        "AWS::StackName": "hourbank-local",
        **LOCAL_IDS,
    }
    for name, param in (template.get("Parameters") or {}).items():
        if "Default" in param:
            refs[name] = str(param["Default"])
    # Queues are directories locally (scripts/localdev/queues.py): !Ref is a file:// URL, as SQS's is https.
    queue_root = Path(os.environ.get("HOURBANK_QUEUE_DIR") or REPO_ROOT / ".local" / "queues")
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") == "AWS::SQS::Queue":
            refs[name] = (queue_root / name).as_uri()
            refs[f"{name}.Arn"] = f"arn:aws:sqs:us-east-1:000000000000:{name}"
            refs[f"{name}.QueueName"] = name
    refs.update(table_names)
    for logical_id, name in table_names.items():
        refs[f"{logical_id}.Arn"] = f"arn:aws:dynamodb:local:000000000000:table/{name}"
    refs.update(overrides or {})
    return refs


def functions(
    template: Mapping[str, Any] | None = None,
    table_names: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    root: Path = REPO_ROOT,
    strict: bool = True,
) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function of the template, with Globals merged in as SAM merges them.
    ``strict=False`` leaves references without a local value visibly unresolved instead of failing
    (for callers that set the environment themselves, like the test client)."""
    template = template or load_template()
    refs = local_refs(template, table_names or {}, overrides)
    resources = template["Resources"]
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    layers = {
        name: root / res["Properties"]["ContentUri"] / "python"
        for name, res in resources.items()
        if res.get("Type") == LAYER_TYPE
    }
    out: dict[str, FunctionSpec] = {}
    for name, res in resources.items():
        if res.get("Type") != FUNCTION_TYPE:
            continue
        props = {**globals_, **res.get("Properties", {})}
        # SAM merges lists by appending the function's to the Globals' (Layers), maps key by key.
        props["Layers"] = [*(globals_.get("Layers") or []), *(res.get("Properties", {}).get("Layers") or [])]
        env = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **((res["Properties"].get("Environment") or {}).get("Variables") or {}),
        }
        layer_refs = [layer.get("Ref") for layer in props.get("Layers", []) if isinstance(layer, dict)]
        out[name] = FunctionSpec(
            logical_id=name,
            code_uri=root / props["CodeUri"],
            handler=props.get("Handler", "app.lambda_handler"),
            timeout_s=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={k: str(_resolve(v, refs, strict)) for k, v in env.items()},
            events=dict(props.get("Events") or {}),
            layer_paths=tuple(layers[r] for r in layer_refs if r in layers and layers[r].is_dir()),
        )
    return out


def apply_environment(specs: Mapping[str, FunctionSpec]) -> None:
    """Functions share this process, so they share os.environ: refuse two functions that disagree."""
    merged: dict[str, tuple[str, str]] = {}
    for spec in specs.values():
        for key, value in spec.environment.items():
            if key in merged and merged[key][1] != value:
                raise RuntimeError(
                    f"{spec.logical_id} and {merged[key][0]} set {key} differently; "
                    "in-process invocation needs one value"
                )
            merged[key] = (spec.logical_id, value)
    for key, (_, value) in merged.items():
        os.environ[key] = value
    for spec in specs.values():
        for path in spec.layer_paths:
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))


class LambdaContext:
    """The attributes and method of Lambda's context object that handlers and Powertools use."""

    def __init__(self, spec: FunctionSpec, request_id: str | None = None) -> None:
        self.function_name = spec.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{spec.logical_id}"
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Instances:
    """Lambda runs one request at a time per execution environment and scales out with more of them.
    Locally an "environment" is a separately imported copy of the handler module (its own resolver and
    its own ``app.current_event``); concurrent calls take idle copies or import new ones, so two requests
    never share one, exactly as in Lambda. Shared libraries (hourbank, pynamodb) are imported once."""

    def __init__(self) -> None:
        self._idle: dict[str, list[ModuleType]] = {}
        self._count: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, spec: FunctionSpec) -> tuple[ModuleType, bool]:
        with self._lock:
            idle = self._idle.setdefault(spec.logical_id, [])
            if idle:
                return idle.pop(), False
            n = self._count[spec.logical_id] = self._count.get(spec.logical_id, 0) + 1
        with _IMPORTING:  # one cold start at a time: concurrent first imports of a shared library
            return _import(spec, f"fn_{spec.logical_id}_{n}"), True  # can meet it half-initialised

    def release(self, spec: FunctionSpec, module: ModuleType) -> None:
        with self._lock:
            self._idle.setdefault(spec.logical_id, []).append(module)

    def environments(self, logical_id: str) -> int:
        return self._count.get(logical_id, 0)

    def retire_idle(self) -> None:
        with self._lock:
            self._idle.clear()


_instances = _Instances()
_IMPORTING = threading.RLock()


def import_handler_module(spec: FunctionSpec, name: str) -> ModuleType:
    """A fresh copy of the function's handler module under ``name`` (one execution environment)."""
    return _import(spec, name)


def _import(spec: FunctionSpec, name: str) -> ModuleType:
    module_file = spec.handler.rsplit(".", 1)[0]
    path = spec.code_uri / f"{module_file.replace('.', '/')}.py"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    loader_spec.loader.exec_module(module)
    return module


def environments(logical_id: str) -> int:
    """How many execution environments (handler copies) a function has had: its cold starts."""
    return _instances.environments(logical_id)


def retire_environments() -> None:
    """Drop the idle execution environments, as Lambda does when a function's configuration changes: the
    next invocation starts cold and reads its environment afresh (a handler may cache what it read once,
    e.g. a client built from a URL, for the life of its environment)."""
    _instances.retire_idle()


class InvocationError(Exception):
    """The handler raised: Lambda reports this as a function error (the caller decides on retries)."""

    def __init__(self, spec: FunctionSpec, cause: BaseException) -> None:
        super().__init__(f"{spec.logical_id}: {type(cause).__name__}: {cause}")
        self.cause = cause


def invoke(spec: FunctionSpec, event: Any, *, request_id: str | None = None, source: str = "invoke") -> Any:
    """Invoke the handler with ``event``; one log line per invocation. Raises InvocationError if it fails."""
    context = LambdaContext(spec, request_id)
    started = time.perf_counter()
    module, cold = _instances.acquire(spec)
    status = "ok" if not cold else "ok (cold start)"
    running = CURRENT_FUNCTION.set(spec.logical_id)
    try:
        result = getattr(module, spec.handler.rsplit(".", 1)[1])(event, context)
        if isinstance(result, dict) and "statusCode" in result:
            status = str(result["statusCode"]) + (" (cold start)" if cold else "")
        elif isinstance(result, dict) and result.get("batchItemFailures"):
            status = f"partial({len(result['batchItemFailures'])} failed)"
        return result
    except Exception as exc:
        status = f"error {type(exc).__name__}"
        raise InvocationError(spec, exc) from exc
    finally:
        CURRENT_FUNCTION.reset(running)
        _instances.release(spec, module)
        took = (time.perf_counter() - started) * 1000
        if took > spec.timeout_s * 1000:
            status += f" (over its {spec.timeout_s}s timeout)"
        log.info("%s %s %s %.1fms %s", source, spec.logical_id, context.aws_request_id, took, status)


def load_event(path: Path) -> Any:
    return json.loads(Path(path).read_text())
