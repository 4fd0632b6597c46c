"""DynamoDB Local: fetched once into a user cache, started on a loopback port for tests and local runs.

AWS publishes DynamoDB Local only on its own download site, which this project's machines cannot reach.
The npm package ``amplify-dynamodb-simulator`` ships the same engine (the jar, its libraries and native
SQLite builds), and npm is a registry every machine here reaches, so the engine comes from there, pinned
to one version and checked twice before it is trusted:

* the package tarball against the registry's published ``integrity`` (sha512) for that version, which
  npm never lets a publisher change, so it covers every file in the package;
* the extracted jar against a sha256 pinned here, which is also what a cached copy is re-checked against.

The package's own ``emulator/sha256`` file is *not* the jar's hash: the package's build script writes
there the sha256 of the AWS tarball (``dynamodb_local_latest.tar.gz``) it unpacked, so it cannot be
checked against anything we have. It is kept, and pinned as ``UPSTREAM_TARBALL_SHA256`` for reference.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import weakref
from pathlib import Path, PurePosixPath
from types import TracebackType

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

NPM_PACKAGE = "amplify-dynamodb-simulator"
VERSION = "2.9.30"
# dist.integrity of amplify-dynamodb-simulator@2.9.30 on the npm registry (``npm view ... dist.integrity``).
PACKAGE_INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
# DynamoDBLocal.jar inside that package (the npm version is Amplify's, not the engine's).
ENGINE_VERSION = "1.25.1"  # what ``java -jar DynamoDBLocal.jar -version`` prints; released 2024-11-06
JAR_SHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
# What the package's emulator/sha256 file says: the AWS release tarball the package was built from.
UPSTREAM_TARBALL_SHA256 = "55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09"
JAR = "DynamoDBLocal.jar"
NATIVE_LIBS = "DynamoDBLocal_lib"
HASH_FILE = "sha256"
_EMULATOR_PREFIX = "package/emulator/"

# Clients reach the engine over loopback only; nothing here ever points at a real AWS endpoint.
LOOPBACK = "127.0.0.1"
# Ready in ~2.5 s on a quiet machine; make test starts one engine per test worker at once, on two cores
# shared with the workers themselves, so the wait allows for a loaded machine.
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0
# Jetty's words when the port is taken. The JVM does not exit then (its other threads live on), so the
# log is the only early sign; without it the wait would run into the timeout.
_BIND_FAILED = "Failed to bind to"
# Left over by a run that was killed mid-fetch; old enough that no live fetch still owns it.
_STALE_TMP_S = 3600.0


class FetchError(RuntimeError):
    """DynamoDB Local could not be fetched or did not pass its integrity check."""


class StartError(RuntimeError):
    """DynamoDB Local did not come up (its log is part of the message)."""


class PortInUse(StartError):
    """Another process holds the port; with a port picked by us, worth another try on a new one."""


def cache_dir() -> Path:
    """Where the verified emulator lives: outside the repo so clones and ``make clean`` keep it."""
    base = os.environ.get("HOURBANK_CACHE") or str(Path.home() / ".cache" / "hourbank")
    return Path(base).expanduser() / "dynamodb-local" / VERSION


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(emulator: Path) -> str:
    """Check the jar against the pinned hash; return the hash. Raises FetchError on mismatch."""
    actual = sha256_of(emulator / JAR)
    if actual != JAR_SHA256:
        raise FetchError(
            f"{NPM_PACKAGE}@{VERSION}: sha256 of {JAR} is {actual}, expected {JAR_SHA256}; refusing to use it"
        )
    return actual


def verify_integrity(tgz: Path) -> None:
    """Check the downloaded package against the registry's sha512, as npm's lockfiles do."""
    digest = hashlib.sha512(tgz.read_bytes()).digest()
    actual = "sha512-" + base64.b64encode(digest).decode("ascii")
    if actual != PACKAGE_INTEGRITY:
        raise FetchError(f"{tgz.name}: integrity is {actual}, expected {PACKAGE_INTEGRITY}; refusing to use it")


def ensure_jar() -> Path:
    """Return the directory holding a verified DynamoDBLocal.jar, fetching it through npm when missing.

    The cache directory appears only by an atomic rename of a fully extracted and verified copy, so a
    concurrent or interrupted fetch never leaves a half cache behind: the directory either is complete or
    does not exist.
    """
    target = cache_dir()
    if target.is_dir():
        try:
            verify(target)
        except (FetchError, OSError) as exc:
            raise FetchError(
                f"cached DynamoDB Local at {target} is damaged ({exc}); delete that directory to refetch"
            ) from exc
        return target

    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{VERSION}.tmp-", dir=parent))
    try:
        with tempfile.TemporaryDirectory(prefix="hourbank-npm-") as download:
            tgz = _npm_pack(Path(download))
            verify_integrity(tgz)
            _extract_emulator(tgz, staging)
        emulator = staging / _EMULATOR_PREFIX
        for needed in (JAR, NATIVE_LIBS, HASH_FILE):
            if not (emulator / needed).exists():
                raise FetchError(f"{NPM_PACKAGE}@{VERSION} has no {_EMULATOR_PREFIX}{needed}")
        verify(emulator)
        try:
            os.replace(emulator, target)
        except OSError:
            # Another fetch won the race: its copy is complete (it got there by the same rename).
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _npm_pack(into: Path) -> Path:
    """Download the package tarball with npm; no install step, so none of its scripts run."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not on PATH; it is needed once to fetch DynamoDB Local")
    proc = subprocess.run(
        [npm, "pack", f"{NPM_PACKAGE}@{VERSION}", "--ignore-scripts", "--silent"],
        cwd=into,
        capture_output=True,
        text=True,
        check=False,
    )
    tarballs = sorted(into.glob("*.tgz"))
    if proc.returncode != 0 or len(tarballs) != 1:
        raise FetchError(
            f"npm pack {NPM_PACKAGE}@{VERSION} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return tarballs[0]


def _extract_emulator(tgz: Path, into: Path) -> None:
    """Extract only package/emulator/, refusing any member that could land outside ``into``."""
    with tarfile.open(tgz, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts or member.name.startswith(("/", "\\")):
                raise FetchError(f"{tgz.name}: unsafe path {member.name!r} in the archive")
            if member.issym() or member.islnk() or member.isdev():
                raise FetchError(f"{tgz.name}: unexpected link or device {member.name!r} in the archive")
            if member.name.startswith(_EMULATOR_PREFIX):
                members.append(member)
        # The "data" filter re-checks the same things and drops modes like setuid.
        tar.extractall(into, members=members, filter="data")


def _sweep_stale(parent: Path) -> None:
    now = time.time()
    for leftover in parent.glob(f".{VERSION}.tmp-*"):
        try:
            if now - leftover.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass


def free_port() -> int:
    """A port the kernel just handed out on loopback; the engine binds it a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """Whether the engine could bind ``port`` on all interfaces, as it will (bound, never listened on).

    Checked before starting because a port held by another DynamoDB Local would answer our readiness
    probe, and we would hand out an endpoint to someone else's engine.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As Jetty does: connections of a just-stopped engine in TIME_WAIT must not count as "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


class DynamoDBLocal:
    """A running DynamoDB Local process. Use ``start()`` to make one; ``stop()`` or ``with`` ends it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
        self.process = process
        self.port = port
        self.workdir = workdir
        self.log_path = workdir / "dynamodb-local.log"
        # An owner that forgets stop() (or a crashed test session) must not leave a JVM behind.
        self._finalizer = weakref.finalize(self, _shutdown, process, workdir)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def client(self, config: Config | None = None) -> BaseClient:
        """A DynamoDB client for this engine only, independent of the caller's AWS environment."""
        default = Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 3})
        return boto3.session.Session().client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # DynamoDB Local accepts any key
            config=default.merge(config) if config is not None else default,
        )

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate, then kill after a grace period; removes the temp dir with the log."""
        self._finalizer()

    def __enter__(self) -> DynamoDBLocal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DynamoDBLocal(endpoint={self.endpoint!r}, pid={self.process.pid})"


def _shutdown(process: subprocess.Popen[bytes], workdir: Path) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(workdir, ignore_errors=True)


def start(port: int | None = None, in_memory: bool = True, db_path: Path | None = None) -> DynamoDBLocal:
    """Start DynamoDB Local and return once it answers ``ListTables``.

    ``db_path`` makes the data persistent and wins over ``in_memory``. ``-sharedDb`` makes every client see
    the same tables whatever access key and region it signs with, so tests and a developer's shell agree.
    With no ``port`` a free one is picked, and picked again should another process grab it first.
    """
    if db_path is None and not in_memory:
        raise ValueError("in_memory=False needs a db_path to keep the data in")
    emulator = ensure_jar()
    java = shutil.which("java")
    if java is None:
        raise StartError("java is not on PATH; DynamoDB Local needs a Java 17+ runtime")
    attempts = 1 if port is not None else 3
    for attempt in range(1, attempts + 1):
        chosen = port if port is not None else free_port()
        try:
            return _start_once(java, emulator, chosen, db_path)
        except PortInUse:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _start_once(java: str, emulator: Path, port: int, db_path: Path | None) -> DynamoDBLocal:
    if not _port_is_free(port):
        raise PortInUse(f"port {port} is already in use")
    workdir = Path(tempfile.mkdtemp(prefix="hourbank-ddb-"))
    storage = ["-dbPath", str(Path(db_path).resolve())] if db_path is not None else ["-inMemory"]
    if db_path is not None:
        Path(db_path).mkdir(parents=True, exist_ok=True)
    cmd = [
        java,
        "-Xmx512m",
        # Engines here live for one test session: a quick start beats peak JIT throughput (measured
        # ~2.1-2.6 s to ready, and faster small requests, than with the default tiered compiler).
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        f"-Djava.library.path={emulator / NATIVE_LIBS}",
        "-jar",
        str(emulator / JAR),
        "-port",
        str(port),
        "-sharedDb",
        # The engine would otherwise try to reach AWS from a machine that must only talk to loopback.
        "-disableTelemetry",
        *storage,
    ]
    log_path = workdir / "dynamodb-local.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    engine = DynamoDBLocal(process, port, workdir)
    try:
        _wait_ready(engine)
    except BaseException:
        engine.stop()
        raise
    return engine


def _wait_ready(engine: DynamoDBLocal) -> None:
    # One attempt per poll: the loop is the retry, and it must notice a dead process quickly.
    client = engine.client(Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1}))
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not engine.running():
            raise StartError(
                f"DynamoDB Local exited with code {engine.process.returncode} before it was ready:\n{engine.log()}"
            )
        if _BIND_FAILED in engine.log():
            raise PortInUse(f"DynamoDB Local could not bind port {engine.port}:\n{engine.log()}")
        try:
            client.list_tables(Limit=1)
            return
        except (BotoCoreError, ClientError) as exc:
            last_error = exc
            time.sleep(0.1)
    raise StartError(
        f"DynamoDB Local on port {engine.port} not ready after {START_TIMEOUT_S:.0f}s "
        f"(last error: {last_error}):\n{engine.log()}"
    )
