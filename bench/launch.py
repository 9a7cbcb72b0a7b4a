"""Launch throughput: Stegvis against the pylti1p3 Flask example's way and a floor.

    .venv/bin/python -m bench.launch [--launches 2000] [--concurrency 4] [--no-write]
                                     [--only stegvis] [--py-spy DIR]

Four servers are measured the same way, one at a time, each by gunicorn (gthread worker,
one process with ``--threads`` threads) on 127.0.0.1 and a free port:

``stegvis``
    the real app (``lti_app.wsgi:create_application()``) on a migrated temporary SQLite
    database with a signing key and the benchmark platform registered. A launch is
    POST /lti/login → 302 (state, nonce) → the client mints the id_token → POST /lti/launch
    → 303 → GET /play/<attempt> → 200.
``example``
    the pylti1p3 Flask example's way (``bench/pylti1p3_example.py``): POST /login/ → 302 →
    POST /launch/ → 200, the first page rendered by the launch view as in the example.
``floor``
    bare Flask (``bench/floor_app.py``): one POST /launch that verifies the RS256 id_token
    and inserts one row → 200.
``request``
    the same app's POST /request → 200, which does nothing: the cost of one request. An LTI
    launch needs the floor's work and at least one more request (the OIDC login), so
    floor + request bounds what any LTI launch can cost.

The platform is played by the load client: its RSA key is parsed once per client process
and each id_token is signed right after the login step (it carries the tool's nonce). The
platform JWKS is served over HTTP by a small server in this process; Stegvis caches it, the
example fetches it on every launch as it ships. Every launch is a new user (a new ``sub``),
in the same course and resource link, for every server.

The load client runs in ``--concurrency`` separate processes, each a keep-alive HTTP
connection with a fresh cookie jar per launch (a new browser). After a warm-up the
measured window opens for all of them at once. Reported per server: launches/s, latency of
a whole launch (p50/p95/p99) and the server's CPU per launch: user + system time of the
gunicorn master and workers over the window (``/proc/<pid>/stat``) ÷ launches. On two
cores the client caps launches/s (shared/notes.md), so CPU per launch is the fair ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "performance.md"
HEADING = "## Launch throughput"

WORKERS = 1
THREADS = 4
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "bench-deployment"
KID = "bench-k1"
CASE = "beruset-forelder"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"

EXAMPLE_TARGET = 3.0  # Stegvis ≥ 3× the example (launches/s; CPU per launch)
FLOOR_TARGET = 2.0  # Stegvis ≤ 2× the floor's CPU per launch
SERVERS = ("stegvis", "example", "floor", "request")


# --------------------------------------------------------------------------- the servers


@dataclass(frozen=True)
class Target:
    """How the client launches into one server."""

    name: str
    port: int
    login_path: str | None  # None: no login step (the floor)
    launch_path: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Platform:
    """The benchmark platform: a kept key, its JWKS served over HTTP on loopback."""

    private_pem: bytes
    public_pem: bytes
    jwks: bytes
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks.json"

    @classmethod
    def new(cls) -> Platform:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": KID,
               "alg": "RS256", "use": "sig"}
        return cls(
            private_pem=key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()),
            public_pem=key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            jwks=json.dumps({"keys": [jwk]}).encode(),
        )

    def start(self) -> Platform:
        jwks = self.jwks

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path != "/jwks.json":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(jwks)))
                self.end_headers()
                self.wfile.write(jwks)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_stegvis(work: Path, port: int, plat: Platform) -> tuple[str, dict[str, str]]:
    """Migrate a fresh SQLite database, make the tool's key, register the platform."""
    from lti_app import migrate
    from lti_app.db import make_engine, session_scope
    from lti_app.lti.keys import ensure_key
    from lti_app.services.platforms import add_platform

    url = f"sqlite:///{work / 'stegvis.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as db:
        ensure_key(db)
        add_platform(db, name="Bench platform", issuer=plat.issuer, client_id=CLIENT_ID,
                     auth_login_url=f"{plat.issuer}/auth",
                     auth_token_url=f"{plat.issuer}/token", key_set_url=plat.jwks_url,
                     deployment_ids=[DEPLOYMENT_ID])
    engine.dispose()
    env = {
        "STEGVIS_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "STEGVIS_BASE_URL": f"http://127.0.0.1:{port}",
        "STEGVIS_INSTANCE_DIR": str(work / "instance"),
        "STEGVIS_SANDBOX": "0",
    }
    return "lti_app.wsgi:create_application()", env


def _server_setup(name: str, work: Path, port: int, plat: Platform
                  ) -> tuple[Target, str, dict[str, str]]:
    common = {"BENCH_ISSUER": plat.issuer, "BENCH_CLIENT_ID": CLIENT_ID,
              "BENCH_DEPLOYMENT_ID": DEPLOYMENT_ID, "BENCH_JWKS_URL": plat.jwks_url}
    if name == "stegvis":
        app, env = _prepare_stegvis(work, port, plat)
        return Target(name, port, "/lti/login", "/lti/launch"), app, env
    if name == "example":
        return (Target(name, port, "/login/", "/launch/"),
                "bench.pylti1p3_example:create_app()", common)
    if name == "floor":
        env = {**common, "BENCH_PUBLIC_KEY": plat.public_pem.decode(),
               "BENCH_DATABASE_URL": f"sqlite:///{work / 'floor.sqlite3'}"}
        return Target(name, port, None, "/launch"), "bench.floor_app:create_app()", env
    if name == "request":
        env = {**common, "BENCH_PUBLIC_KEY": plat.public_pem.decode(),
               "BENCH_DATABASE_URL": f"sqlite:///{work / 'request.sqlite3'}"}
        return Target(name, port, None, "/request"), "bench.floor_app:create_app()", env
    raise ValueError(f"unknown server {name!r}")


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    """Serve ``app`` with gunicorn until the block ends; yield the master's pid."""
    command = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread",
               "--workers", str(WORKERS), "--threads", str(THREADS), "--keep-alive", "5",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out)
        try:
            _wait_until_serving(port, process, log)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
        with suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer on port {port} within 60 s")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of the processes (fields 14, 15 of /proc/<pid>/stat)."""
    user = system = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user += int(fields[11])
        system += int(fields[12])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


# --------------------------------------------------------------------------- the client


class Browser:
    """One keep-alive connection; cookies kept per launch (each launch a new browser)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, bytes]:
        body = urlencode(form).encode() if form is not None else None
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: reconnect once, as browsers do.
                self.connection.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if response.will_close:
            self.connection.close()
        return response.status, response.headers.get("Location", ""), data


class LaunchFailedError(Exception):
    pass


def _claims(target: Target, issuer: str, sub: str, nonce: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 60,
        "nonce": nonce, "name": "Benk Testesen", "locale": "nb-NO",
        CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": DEPLOYMENT_ID,
        CLAIM + "target_link_uri": target.url + target.launch_path,
        CLAIM + "resource_link": {"id": "bench-link-1", "title": "Aktivitet"},
        CLAIM + "context": {"id": "bench-course-1", "title": "Kurs", "label": "K1"},
        CLAIM + "roles": [LEARNER],
        CLAIM + "custom": {"case": CASE},
        CLAIM + "launch_presentation": {"locale": "nb-NO"},
        AGS_CLAIM: {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": f"{issuer}/lineitems/1/lineitem",
        },
    }


def launch_once(browser: Browser, target: Target, issuer: str, key: Any, sub: str) -> None:
    """One whole launch: login, id_token, launch and the first page, as a new browser."""
    import jwt

    browser.cookies = {}
    form: dict[str, str] = {}
    if target.login_path is not None:
        status, location, _ = browser.request("POST", target.login_path, {
            "iss": issuer, "login_hint": sub, "target_link_uri": target.url + target.launch_path,
            "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID,
        })
        if status != 302:
            raise LaunchFailedError(f"login answered {status}")
        query = parse_qs(urlsplit(location).query)
        form["state"], nonce = query["state"][0], query["nonce"][0]
    else:
        nonce = secrets.token_urlsafe(16)
    token = jwt.encode(_claims(target, issuer, sub, nonce), key, algorithm="RS256",
                       headers={"kid": KID})
    status, location, _ = browser.request("POST", target.launch_path,
                                          {**form, "id_token": token})
    if status in (302, 303):
        parts = urlsplit(location)
        status, _, _ = browser.request("GET", parts.path + (f"?{parts.query}" if parts.query
                                                            else ""))
    if status != 200:
        raise LaunchFailedError(f"launch or first page answered {status}")


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def client_process(target: Target, issuer: str, private_pem: bytes, index: int, warmup: int,
                   launches: int, seconds: float, barrier: Barrier, results: Any) -> None:
    """One load-client process: warm up, wait for the window, launch, report latencies."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(private_pem, password=None)  # parsed once and kept
    browser = Browser(target.port)
    result = ClientResult()
    prefix = f"{target.name}-{index}-{secrets.token_hex(4)}"
    try:
        for i in range(warmup):
            launch_once(browser, target, issuer, key, f"{prefix}-warm-{i}")
    except Exception as exc:
        result.errors.append(f"warm-up: {exc!r}")
    barrier.wait()  # warm-up done everywhere; the parent reads the CPU counters
    barrier.wait()  # the window opens
    deadline = time.perf_counter() + seconds
    for i in range(launches):
        if result.errors or time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        try:
            launch_once(browser, target, issuer, key, f"{prefix}-{i}")
        except Exception as exc:
            result.errors.append(repr(exc))
            continue
        result.latencies.append(time.perf_counter() - started)
    results.put((index, result.latencies, result.errors))


# --------------------------------------------------------------------------- one server


@dataclass(frozen=True)
class Measurement:
    name: str
    launches: int
    seconds: float
    server_cpu: float
    server_system: float
    latencies: list[float]
    errors: list[str]
    requests_per_launch: int

    @property
    def per_second(self) -> float:
        return self.launches / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.launches * 1e3 if self.launches else math.nan

    @property
    def system_share(self) -> float:
        return self.server_system / self.server_cpu if self.server_cpu else math.nan

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return math.nan
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1e3


def measure(name: str, plat: Platform, work: Path, *, launches: int, concurrency: int,
            warmup: int, seconds: float, py_spy: Path | None) -> Measurement:
    port = free_port()
    target, app, env = _server_setup(name, work, port, plat)
    context = mp.get_context("spawn")
    barrier = context.Barrier(concurrency + 1)
    results = context.Queue()
    per_client = math.ceil(launches / concurrency)
    with gunicorn(app, port, env, work / f"{name}.log") as master:
        clients = [context.Process(
            target=client_process, args=(target, plat.issuer, plat.private_pem, i,
                                         math.ceil(warmup / concurrency), per_client, seconds,
                                         barrier, results), daemon=True)
            for i in range(concurrency)]
        for process in clients:
            process.start()
        barrier.wait(timeout=300)
        pids = [master, *_children(master)]
        cpu_before = cpu_seconds(pids)
        profiler = _start_py_spy(py_spy, name, pids[1:], seconds) if py_spy else None
        started = time.monotonic()
        barrier.wait(timeout=60)
        latencies: list[float] = []
        errors: list[str] = []
        for _ in clients:
            _index, got, failed = results.get(timeout=seconds + 120)
            latencies += got
            errors += failed
        elapsed = time.monotonic() - started
        cpu_after = cpu_seconds(pids)
        for process in clients:
            process.join(timeout=30)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file and stops
            profiler.wait(timeout=60)
    user, system = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    return Measurement(name, len(latencies), elapsed, user + system, system, latencies,
                       errors, {"stegvis": 3, "example": 2, "floor": 1, "request": 1}[name])


def _start_py_spy(folder: Path, name: str, workers: list[int], seconds: float
                  ) -> subprocess.Popen[bytes] | None:
    folder.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid",
               str(workers[0]), "--rate", "250", "--gil", "--format", "raw", "--duration",
               str(int(seconds)), "--output", str(folder / f"{name}.txt")]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603


# --------------------------------------------------------------------------- the report


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_commit() -> str:
    with suppress(OSError, subprocess.CalledProcessError):
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
                              cwd=ROOT, capture_output=True, text=True, check=True)
        return done.stdout.strip()
    return "unknown"


def _ratio_row(what: str, value: float, target: str, met: bool | None) -> str:
    verdict = "–" if met is None else ("**met**" if met else "**missed**")
    return f"| {what} | {value:.2f}× | {target} | {verdict} |"


def section(results: dict[str, Measurement], *, concurrency: int, facts: list[tuple[str, str]]
            ) -> str:
    """The "Launch throughput" section of docs/performance.md (no "## " heading inside)."""
    requests = {"stegvis": "login 302, launch 303, /play 200",
                "example": "login 302, launch 200 (the page)",
                "floor": "launch 200 (no page)",
                "request": "one POST 200 (no work)"}
    lines = [
        HEADING,
        "",
        "Written by `make bench` (or alone: `.venv/bin/python -m bench.launch`). A launch is",
        "login + launch + first page, as a new browser and a new user each time (same course",
        "and resource link); the client plays the platform and signs each id_token with a kept",
        "RSA key. Each server runs under gunicorn, gthread worker, "
        f"{WORKERS} process × {THREADS} threads:",
        "the example keeps launch data in a per-process SimpleCache, so it cannot run with more",
        "than one process (pylti1.3 #126), and the others get the same. Databases are SQLite",
        f"files on local disk. The load client is {concurrency} processes on the same machine,",
        "one keep-alive connection each. The example fetches the platform JWKS on every launch,",
        "as it ships (its HTTP client side counts as server CPU; the platform's side does not).",
        "**Server CPU/launch** = user + system time of the gunicorn processes over the",
        "measured window ÷ launches. The client (about 1 ms of CPU per launch, shared/notes.md)",
        "runs on the same two cores, so launches/s depends on it too; CPU per launch is the",
        "fair comparison. The hand-written reading of these numbers is under Analysis below.",
        "",
        "| fact | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts],
        "",
        "| server | requests per launch | launches | launches/s | p50 | p95 | p99 "
        "| server CPU/launch (system share) | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in SERVERS:
        m = results.get(name)
        if m is None:
            continue
        lines.append(
            f"| {name} | {requests[name]} | {m.launches} | {m.per_second:.0f} "
            f"| {m.percentile(0.50):.1f} ms | {m.percentile(0.95):.1f} ms "
            f"| {m.percentile(0.99):.1f} ms | {m.cpu_ms:.2f} ms ({m.system_share:.0%}) "
            f"| {len(m.errors)} |")
    stegvis, example, floor, bare = (results.get(n) for n in SERVERS)
    lines += ["", "| ratio | measured | target | verdict |", "|---|---|---|---|"]
    # A tiny run can measure 0 CPU ticks (10 ms each); no ratio is made from a zero.
    if stegvis and example and stegvis.cpu_ms > 0 and example.per_second > 0:
        speed = stegvis.per_second / example.per_second
        cpu = example.cpu_ms / stegvis.cpu_ms
        lines.append(_ratio_row("Stegvis launches/s ÷ example launches/s", speed,
                                f"≥ {EXAMPLE_TARGET:.0f}×", speed >= EXAMPLE_TARGET))
        lines.append(_ratio_row("example CPU/launch ÷ Stegvis CPU/launch", cpu,
                                f"≥ {EXAMPLE_TARGET:.0f}×", cpu >= EXAMPLE_TARGET))
    if stegvis and floor and floor.cpu_ms > 0 and stegvis.per_second > 0:
        over = stegvis.cpu_ms / floor.cpu_ms
        lines.append(_ratio_row("Stegvis CPU/launch ÷ floor CPU/launch", over,
                                f"≤ {FLOOR_TARGET:.0f}×", over <= FLOOR_TARGET))
        speed = floor.per_second / stegvis.per_second
        lines.append(_ratio_row("floor launches/s ÷ Stegvis launches/s (for reference)",
                                speed, "–", None))
    if example and floor and bare and floor.cpu_ms > 0:
        # What "≥ 3× the example" can reach at best: an LTI launch does at least the
        # floor's work (verify one RS256 token, write one row) plus one more request, the
        # OIDC login, which costs at least a request that does nothing.
        least = floor.cpu_ms + bare.cpu_ms
        lines.append(_ratio_row("example CPU/launch ÷ (floor + one bare request) CPU: the "
                                "most any LTI launch can gain on the example",
                                example.cpu_ms / least, "–", None))
    lines.append("")
    failures = [(n, m.errors[:3]) for n, m in results.items() if m.errors]
    for name, errors in failures:
        lines.append(f"- {name} failed launches, first ones: {'; '.join(errors)}")
    if failures:
        lines.append("")
    return "\n".join(lines) + "\n"


def machine_facts(launches: int, warmup: int, elapsed: float) -> list[tuple[str, str]]:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"nproc {len(os.sched_getaffinity(0))}, {_cpu_model()}, "
                    f"load {load} at the end (1/5/15 min)"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("commit", f"{_git_commit()} (plus the working tree)"),
        ("run", f"{launches} measured launches per server after {warmup} warm-up launches; "
                f"{elapsed:.0f} s in all"),
    ]


def kept_section() -> str:
    """The section as docs/performance.md has it now (for a run that skips the launches)."""
    try:
        document = REPORT.read_text(encoding="utf-8")
    except OSError:
        return ""
    start = document.find("\n" + HEADING + "\n")
    if start < 0:
        return ""
    end = document.find("\n## ", start + 1)
    return document[start + 1:end + 1 if end >= 0 else None].rstrip("\n") + "\n"


def replace_section(document: str, new: str) -> str:
    """Put ``new`` in place of the old section, else before "## Analysis", else at the end."""
    new = new.rstrip("\n") + "\n"
    start = document.find("\n" + HEADING + "\n")
    if start >= 0:
        end = document.find("\n## ", start + 1)
        rest = document[end + 1:] if end >= 0 else ""
        return document[:start + 1] + new + ("\n" + rest if rest else "")
    analysis = document.find("\n## Analysis")
    if analysis >= 0:
        return document[:analysis + 1] + new + "\n" + document[analysis + 1:]
    return document.rstrip("\n") + "\n\n" + new


# --------------------------------------------------------------------------- entry points


@contextmanager
def _all_cpus() -> Iterator[None]:
    """`python -m bench` pins itself to one core; servers and clients need all of them."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    with suppress(OSError):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def run(*, launches: int = 2000, concurrency: int = 4, warmup: int = 200,
        seconds: float = 120.0, only: tuple[str, ...] = SERVERS, py_spy: Path | None = None
        ) -> str:
    """Measure the servers one at a time and return the report section."""
    started = time.monotonic()
    results: dict[str, Measurement] = {}
    with _all_cpus(), tempfile.TemporaryDirectory(prefix="stegvis-launch-") as tmp:
        plat = Platform.new().start()
        try:
            for name in only:
                work = Path(tmp) / name
                work.mkdir()
                print(f"launch throughput: {name} …", flush=True)
                m = measure(name, plat, work, launches=launches, concurrency=concurrency,
                            warmup=warmup, seconds=seconds, py_spy=py_spy)
                print(f"  {m.launches} launches in {m.seconds:.1f} s: {m.per_second:.0f}/s, "
                      f"p50 {m.percentile(0.5):.1f} ms, server CPU {m.cpu_ms:.2f} ms/launch "
                      f"({m.system_share:.0%} system), "
                      f"{len(m.errors)} errors", flush=True)
                if m.errors:
                    log = (work / f"{name}.log").read_text(errors="replace")
                    print(f"  first error: {m.errors[0]}\n  server log (end):\n{log[-3000:]}",
                          flush=True)
                results[name] = m
        finally:
            plat.stop()
        facts = machine_facts(launches, warmup, time.monotonic() - started)
    return section(results, concurrency=concurrency, facts=facts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.launch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=2000, help="measured launches/server")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up launches per server")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="time limit of the measured window per server")
    parser.add_argument("--only", choices=SERVERS, action="append",
                        help="measure only this server (repeatable)")
    parser.add_argument("--py-spy", type=Path, metavar="DIR",
                        help="record each gunicorn worker with py-spy (raw stacks) into DIR")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    args = parser.parse_args(argv)
    text = run(launches=args.launches, concurrency=args.concurrency, warmup=args.warmup,
               seconds=args.seconds, only=tuple(args.only or SERVERS), py_spy=args.py_spy)
    print(text)
    if not args.no_write and not args.only:
        old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Performance\n"
        REPORT.write_text(replace_section(old, text), encoding="utf-8")
        print(f"Wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
