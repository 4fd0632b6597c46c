"""Run the template's functions the way Lambda would: the handler named by CodeUri and Handler, the
environment from Globals + the function (tables resolved to the local ones), a Lambda-like context, a pool
of execution environments per function (one request at a time each; concurrent calls start more), and
one log line per invocation.

Two runtimes (issue 15), chosen with ``use_processes`` / ``use_in_process``:

* **processes** (``python -m devstack up``, ``scripts/invoke``): every execution environment is a worker
  process of its own (``lambda_worker.py``) started with ONLY the function's variables from the template
  and what Lambda sets (region, function name and memory, credentials, the local DynamoDB endpoint), and
  a ``sys.path`` of ONLY its code, its own layers as ``sam build`` builds them (``layers.py``) and what
  the Lambda runtime ships (boto3). A variable missing from the template or a library from a layer the
  function lacks fails here as it would in AWS; the function's Timeout is enforced (the worker is
  killed); an error comes back as Lambda reports it (``errorType``, ``errorMessage``, ``stackTrace``).
* **in-process** (the default; the test suite): handler modules imported into this process, one copy per
  execution environment, sharing one ``os.environ`` and ``sys.path``; fast, and tools can attribute
  botocore calls to the function running (``CURRENT_FUNCTION``: least privilege, fault injection).

Everything the local stack invokes (the gateway, stream pollers, schedules, ``scripts/invoke``) goes
through ``invoke`` here, so they all see functions exactly alike.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import importlib.util
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.refs import local_refs, resolve
from devstack.template import REPO_ROOT, load_template

# Not under "hourbank": Powertools' Logger (service "hourbank") takes over loggers of that name.
log = logging.getLogger("localstack")

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
# The function whose handler is running in this thread (its logical id), for tools that attribute what a
# call does to the function making it (tests/support/aws_hooks.py: least privilege, fault injection).
CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("CURRENT_FUNCTION", default=None)
_CURRENT_SPEC: contextvars.ContextVar[FunctionSpec | None] = contextvars.ContextVar("_CURRENT_SPEC", default=None)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    events: dict[str, dict] = field(default_factory=dict)
    layer_paths: tuple[Path, ...] = ()  # the layers with a source python/ directory (CoreLayer)
    layers: tuple[str, ...] = ()  # every layer's logical id, in the template's order (Globals' first)


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
            environment={k: str(resolve(v, refs, strict)) for k, v in env.items()},
            events=dict(props.get("Events") or {}),
            layer_paths=tuple(layers[r] for r in layer_refs if r in layers and layers[r].is_dir()),
            layers=tuple(r for r in layer_refs if r),
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
    """The in-process runtime. Lambda runs one request at a time per execution environment and scales out
    with more of them. Here an "environment" is a separately imported copy of the handler module (its own
    resolver and its own ``app.current_event``); concurrent calls take idle copies or import new ones, so
    two requests never share one, exactly as in Lambda. Shared libraries (hourbank, pynamodb) are imported
    once, and every function sees this process's one ``os.environ``: ``apply_environment`` refuses two
    functions that disagree on a value, and the local adapters are installed once, before the first
    handler is imported - with per-thread storage for the current request (``_per_thread_requests``)."""

    def __init__(self) -> None:
        self._idle: dict[str, list[ModuleType]] = {}
        self._count: dict[str, int] = {}
        self._lock = threading.Lock()
        self._adapters = False

    def acquire(self, spec: FunctionSpec) -> tuple[ModuleType, bool]:
        with self._lock:
            idle = self._idle.setdefault(spec.logical_id, [])
            if idle:
                return idle.pop(), False
            n = self._count[spec.logical_id] = self._count.get(spec.logical_id, 0) + 1
        with _IMPORTING:  # one cold start at a time: concurrent first imports of a shared library
            if not self._adapters:
                from devstack import adapters

                adapters.install()
                _per_thread_requests()  # the runtime's own set-up, before the guard watches the functions' imports
                _GUARD.install()
                self._adapters = True
            return _import(spec, f"fn_{spec.logical_id}_{n}"), True  # can meet it half-initialised

    def release(self, spec: FunctionSpec, module: ModuleType) -> None:
        with self._lock:
            self._idle.setdefault(spec.logical_id, []).append(module)

    def discard(self, spec: FunctionSpec, module: ModuleType) -> None:
        """Never for a module: an in-process environment survives its errors."""
        self.release(spec, module)

    def call(self, spec: FunctionSpec, module: ModuleType, event: Any, context: LambdaContext) -> Any:
        try:
            return getattr(module, spec.handler.rsplit(".", 1)[1])(event, context)
        except Exception as exc:
            raise InvocationError(spec, exc) from exc

    def environments(self, logical_id: str) -> int:
        return self._count.get(logical_id, 0)

    def retire_idle(self) -> None:
        with self._lock:
            self._idle.clear()

    def stop(self) -> None:
        self.retire_idle()


def _per_thread_requests() -> None:
    """Each thread keeps its own current request. Powertools keeps it on its ``BaseRouter`` class, one per
    process, which Lambda (one request at a time per process) never notices; here environments answer
    concurrently in one process, so ``hourbank.api`` is given per-thread storage for it instead."""
    from hourbank.api.resolver import use_request_state

    use_request_state(threading.local())


class _ImportGuard:
    """The in-process runtime's one cheap strictness about layers (issue 15): while a function's handler runs
    here, an ``import`` statement in its own code or in the core layer's (``hourbank``) of a top-level module
    that neither its layers, nor the Lambda runtime (standard library, boto3), nor its code directory
    provides raises ``ModuleNotFoundError``, as it would in AWS - even when another function or a test has
    imported that module already (the check runs on every import statement, also the lazy ones inside
    functions, not only on a first import). Libraries' own imports are theirs (their layer ships their
    dependency closure). The process runtime needs no guard: a worker's path holds nothing else."""

    def __init__(self) -> None:
        self._original = builtins.__import__
        self._allowed: dict[tuple[str, ...], frozenset[str]] = {}
        self._core = str(REPO_ROOT / "layers") + os.sep
        self._lock = threading.Lock()
        self._layers: dict[str, Any] | None = None

    def install(self) -> None:
        if builtins.__import__ is not self._guarded:
            builtins.__import__ = self._guarded

    def allowed(self, spec: FunctionSpec) -> frozenset[str]:
        key = (str(spec.code_uri), *spec.layers)
        found = self._allowed.get(key)
        if found is None:
            from devstack import layers

            with self._lock:
                if self._layers is None:
                    resources = load_template().get("Resources") or {}
                    self._layers = {k: r for k, r in resources.items() if r.get("Type") == LAYER_TYPE}
                names = set(layers.runtime_importable())
                for layer in spec.layers:
                    if layer in self._layers:
                        names |= layers.importable(layer, self._layers[layer])
                names |= {p.stem for p in spec.code_uri.iterdir() if p.suffix == ".py" or p.is_dir()}
                found = self._allowed[key] = frozenset(names)
        return found

    def _guarded(
        self,
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        spec = _CURRENT_SPEC.get()
        if spec is not None and level == 0 and globals is not None:
            importer = str(globals.get("__file__") or "")
            if importer.startswith(self._core) or importer.startswith(str(spec.code_uri) + os.sep):
                top = name.partition(".")[0]
                if top not in self.allowed(spec):
                    raise ModuleNotFoundError(
                        f"No module named '{top}' (not in {spec.logical_id}'s layers: {', '.join(spec.layers)})",
                        name=top,
                    )
        return self._original(name, globals, locals, fromlist, level)


_GUARD = _ImportGuard()
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


# ---------------------------------------------------------------- the process runtime
WORKER = Path(__file__).resolve().with_name("lambda_worker.py")
ADAPTERS = Path(__file__).resolve().with_name("adapters.py")
INIT_TIMEOUT_S = 60.0  # Lambda gives init 10 s; a busy laptop importing pydantic cold may need more


class FunctionError(Exception):
    """An error a worker reported, as Lambda reports a function error. ``type(e).__name__`` is the
    error's own type (``RuntimeError``, ``Runtime.ImportModuleError``, ...)."""

    error_type = "FunctionError"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.stack_trace: list[str] = []

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> FunctionError:
        error_type = str(body.get("errorType") or "Error")
        kind = _ERROR_TYPES.get(error_type)
        if kind is None:
            kind = _ERROR_TYPES.setdefault(error_type, type(error_type, (cls,), {"error_type": error_type}))
        error = kind(str(body.get("errorMessage", "")))
        error.stack_trace = list(body.get("stackTrace") or [])
        return error


_ERROR_TYPES: dict[str, type[FunctionError]] = {}


class FunctionTimeout(FunctionError):
    error_type = "Sandbox.Timedout"


class WorkerDied(FunctionError):
    error_type = "Runtime.ExitError"


def worker_path(code: Path, layer_dirs: Sequence[Path], runtime: Sequence[Path]) -> list[str]:
    """A function's ``sys.path`` in Lambda: its code, its layers (the last listed first: Lambda extracts
    them over each other into /opt), then what the runtime ships; the standard library follows."""
    return [str(code), *(str(d) for d in reversed(layer_dirs)), *(str(d) for d in runtime)]


class Worker:
    """One execution environment in a process of its own (``lambda_worker.py``): ``call`` sends one event
    and waits for the answer; a timeout or a crash kills the process (Lambda resets that environment)."""

    def __init__(
        self,
        *,
        name: str,
        handler: str,
        memory_mb: int,
        path: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        python: str = sys.executable,
        outbox: str | None = None,
        checkout: str | None = None,
        log: Any = None,
        pycache: Path | None = None,
        init_timeout_s: float = INIT_TIMEOUT_S,
    ) -> None:
        self.name = name
        request_r, request_w = os.pipe()
        answer_r, answer_w = os.pipe()
        config = {
            "name": name,
            "handler": handler,
            "memory": memory_mb,
            "path": list(path),
            "adapters": str(ADAPTERS),
            "outbox": outbox,
            "checkout": checkout,  # the local payment page's base URL, for the adapters (no function variable)
            "fd_in": request_r,
            "fd_out": answer_w,
        }
        # -I -S: no PYTHON* variables, no site-packages, no current directory, no script directory. Bytecode
        # goes to a cache of its own, never into the code (Lambda's /var/task is read-only).
        argv = [python, "-I", "-S"]
        if pycache is not None:
            argv += ["-X", f"pycache_prefix={pycache}"]
        try:
            self.process = subprocess.Popen(
                [*argv, str(WORKER), json.dumps(config)],
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log if log is not None else 2,  # the function's logs go with the stack's, on stderr
                stderr=log if log is not None else 2,
                pass_fds=(request_r, answer_w),
                start_new_session=True,  # Ctrl-C reaches the stack, which stops its workers itself
            )
        finally:
            os.close(request_r)
            os.close(answer_w)
        self._out, self._in = request_w, answer_r
        ready = self._answer(init_timeout_s, "init")
        if not ready.get("ok"):
            self.stop()
            raise FunctionError.of(ready)

    def call(self, event: Any, request_id: str, timeout_s: float) -> Any:
        from devstack.lambda_worker import write_frame

        request = {"event": event, "request_id": request_id, "timeout_s": timeout_s}
        try:
            write_frame(self._out, json.dumps(request, default=str).encode())
        except OSError as exc:
            self.stop()
            raise WorkerDied(f"the execution environment exited ({exc})") from None
        answer = self._answer(timeout_s, "invocation")
        if not answer.get("ok"):
            raise FunctionError.of(answer)
        return answer.get("result")

    def _answer(self, timeout_s: float, phase: str) -> dict:
        deadline = time.monotonic() + timeout_s
        header = self._read(8, deadline, timeout_s, phase)
        return json.loads(self._read(int.from_bytes(header, "big"), deadline, timeout_s, phase))

    def _read(self, size: int, deadline: float, timeout_s: float, phase: str) -> bytes:
        chunks: list[bytes] = []
        while size:
            left = deadline - time.monotonic()
            ready = select.select([self._in], [], [], max(0.0, left))[0] if left > 0 else []
            if not ready:
                self.stop()
                raise FunctionTimeout(f"Task timed out after {timeout_s:.2f} seconds ({phase})")
            chunk = os.read(self._in, size)
            if not chunk:
                code = self.process.wait()
                self.stop()
                raise WorkerDied(f"the execution environment exited with status {code} ({phase})")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and self._out >= 0

    def stop(self) -> None:
        """Retire the environment: close its pipe (it exits), kill it if it does not."""
        for fd in (self._out, self._in):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._out = self._in = -1
        if self.process.poll() is None:
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Processes:
    """The process runtime: a pool of ``Worker`` processes per function (its execution environments).

    ``endpoint``: the DynamoDB Local the functions use; ``base_url``: where the local stack serves the order
    form and the payment page (settable once the gateway has its port); ``outbox``: where e-mails go;
    ``template``: where the layers are defined (default template.yaml)."""

    def __init__(
        self,
        *,
        endpoint: str,
        base_url: str = "http://127.0.0.1:3000",
        outbox: str | None = None,
        template: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.endpoint, self.base_url, self.python = endpoint, base_url, python
        # Where e-mails go: given, else this process's OUTBOX_DIR (the stack's setting), else .local/outbox.
        self.outbox = outbox or os.environ.get("OUTBOX_DIR", "").strip() or None
        self._template = template
        self._environ = environ
        self._layer_dirs: dict[str, Path] | None = None
        self._runtime: Path | None = None
        self._idle: dict[tuple, list[Worker]] = {}
        self._busy: set[Worker] = set()
        self._count: dict[str, int] = {}
        self._lock = threading.Lock()

    def prepare(self) -> Processes:
        """Build the layers now (else at the first cold start)."""
        from devstack import layers

        with self._lock:
            if self._layer_dirs is None:
                self._layer_dirs = layers.layer_dirs(self._template or load_template())
                self._runtime = layers.runtime_dir()
        return self

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        from devstack.local_env import lambda_environment

        return lambda_environment(spec, endpoint=self.endpoint, base_url=self.base_url, environ=self._environ)

    def path(self, spec: FunctionSpec) -> list[str]:
        self.prepare()
        assert self._layer_dirs is not None and self._runtime is not None
        missing = [layer for layer in spec.layers if layer not in self._layer_dirs]
        if missing:
            raise KeyError(f"{spec.logical_id}: no layer {missing} in the template")
        return worker_path(spec.code_uri, [self._layer_dirs[layer] for layer in spec.layers], [self._runtime])

    @staticmethod
    def _key(spec: FunctionSpec) -> tuple:
        """A changed configuration (variables, layers, code, handler, limits) gets environments of its own,
        as a Lambda function's new version does."""
        config = (sorted(spec.environment.items()), spec.layers, str(spec.code_uri), spec.handler)
        return (spec.logical_id, json.dumps([*config, spec.timeout_s, spec.memory_mb]))

    def acquire(self, spec: FunctionSpec) -> tuple[Worker, bool]:
        with self._lock:
            idle = self._idle.setdefault(self._key(spec), [])
            while idle:
                worker = idle.pop()
                if worker.alive:
                    self._busy.add(worker)
                    return worker, False
            self._count[spec.logical_id] = self._count.get(spec.logical_id, 0) + 1
        try:
            worker = Worker(
                name=spec.logical_id,
                handler=spec.handler,
                memory_mb=spec.memory_mb,
                path=self.path(spec),
                env=self.environment(spec),
                cwd=spec.code_uri,
                python=self.python,
                outbox=self.outbox,
                checkout=self.base_url,
                pycache=REPO_ROOT / ".local" / "pycache",
            )
        except FunctionError as exc:
            raise InvocationError(spec, exc) from None  # the init failed: this invocation fails with it
        with self._lock:
            self._busy.add(worker)
        return worker, True

    def call(self, spec: FunctionSpec, worker: Worker, event: Any, context: LambdaContext) -> Any:
        try:
            return worker.call(event, context.aws_request_id, spec.timeout_s)
        except FunctionError as exc:
            raise InvocationError(spec, exc) from None

    def release(self, spec: FunctionSpec, worker: Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if worker.alive:
                self._idle.setdefault(self._key(spec), []).append(worker)

    def environments(self, logical_id: str) -> int:
        return self._count.get(logical_id, 0)

    def retire_idle(self) -> None:
        with self._lock:
            retired = [w for idle in self._idle.values() for w in idle]
            self._idle.clear()
        for worker in retired:
            worker.stop()

    def stop(self) -> None:
        self.retire_idle()
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.process.kill()
            worker.stop()


_instances: _Instances | Processes = _Instances()


def use_processes(runtime: Processes) -> Processes:
    """Run every function from now on in worker processes of ``runtime`` (the local stack's mode)."""
    global _instances
    previous, _instances = _instances, runtime
    previous.stop()
    return runtime


def use_in_process() -> None:
    """Back to the in-process runtime (the workers of a process runtime are stopped)."""
    global _instances
    previous, _instances = _instances, _Instances()
    previous.stop()


def runtime() -> _Instances | Processes:
    return _instances


@contextlib.contextmanager
def running(runtime: Processes) -> Iterator[Processes]:
    """``runtime`` for the block, then the runtime before it again (its environments kept) and the workers
    of ``runtime`` stopped: a test's or a one-shot command's process runtime."""
    global _instances
    previous, _instances = _instances, runtime
    try:
        yield runtime
    finally:
        _instances = previous
        runtime.stop()


def environments(logical_id: str) -> int:
    """How many execution environments (handler copies or worker processes) a function has had: its cold
    starts."""
    return _instances.environments(logical_id)


def retire_environments() -> None:
    """Drop the idle execution environments, as Lambda does when a function's configuration changes: the
    next invocation starts cold and reads its environment afresh (a handler may cache what it read once,
    e.g. a client built from a URL, for the life of its environment)."""
    _instances.retire_idle()


class InvocationError(Exception):
    """The handler raised: Lambda reports this as a function error (the caller decides on retries).
    ``cause`` is the handler's exception in-process, a ``FunctionError`` from a worker process."""

    def __init__(self, spec: FunctionSpec, cause: BaseException) -> None:
        super().__init__(f"{spec.logical_id}: {type(cause).__name__}: {cause}")
        self.cause = cause


def invoke(spec: FunctionSpec, event: Any, *, request_id: str | None = None, source: str = "invoke") -> Any:
    """Invoke the handler with ``event``; one log line per invocation. Raises InvocationError if it fails."""
    context = LambdaContext(spec, request_id)
    started = time.perf_counter()
    runtime = _instances
    status = "ok"
    running = CURRENT_FUNCTION.set(spec.logical_id)
    running_spec = _CURRENT_SPEC.set(spec)
    environment: Any = None
    cold = False
    try:
        environment, cold = runtime.acquire(spec)  # type: ignore[assignment]
        status = "ok" if not cold else "ok (cold start)"
        result = runtime.call(spec, environment, event, context)  # type: ignore[arg-type]
        if isinstance(result, dict) and "statusCode" in result:
            status = str(result["statusCode"]) + (" (cold start)" if cold else "")
        elif isinstance(result, dict) and result.get("batchItemFailures"):
            status = f"partial({len(result['batchItemFailures'])} failed)"
        return result
    except InvocationError as exc:
        status = f"error {type(exc.cause).__name__}" + (" (cold start)" if cold else "")
        raise
    finally:
        CURRENT_FUNCTION.reset(running)
        _CURRENT_SPEC.reset(running_spec)
        if environment is not None:
            runtime.release(spec, environment)  # type: ignore[arg-type]
        took = (time.perf_counter() - started) * 1000
        if took > spec.timeout_s * 1000:
            status += f" (over its {spec.timeout_s}s timeout)"
        log.info("%s %s %s %.1fms %s", source, spec.logical_id, context.aws_request_id, took, status)


def load_event(path: Path) -> Any:
    return json.loads(Path(path).read_text())
