"""What the HTTP benchmarks share (``bench/payments_api.py``, ``bench/webhook_intake.py``):
servers in processes of their own, Debian's ``wrk`` as the load generator, and what a window
of load cost a server: CPU time of its whole process tree and PostgreSQL commits.

- :class:`Server`: a command in its own process group (``kro serve --workers N`` is a
  supervisor and N children: :meth:`Server.cpu_seconds` adds up every live process of the
  tree from ``/proc``), its output in ``<log_dir>/<name>.log``.
- :func:`run_wrk`: ``wrk -t1 -cN -dS --latency -s SCRIPT URL -- ARGS``; the script's
  ``done()`` prints one JSON line, read back as a :class:`WrkResult`. ``wrk`` runs in C on
  one thread: ~1 % of a core per thousand requests a second here, so it is not the
  bottleneck (a Python client was, at ~800 req/s).
- :func:`commits`: ``xact_commit`` of the named databases from ``pg_stat_database``. A busy
  backend reports its counts about once a second, an idle one up to 10 s late, so
  :func:`measure` counts from a quiet moment to another (``settle`` s after the load).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_wrk() -> str:
    """The path of ``wrk``; exits with a hint when it is missing (``make wrk`` installs it)."""
    found = shutil.which("wrk")
    if found is None:
        sys.exit("wrk is not installed: run `make wrk` (apt-get install -y wrk), or `make bench`")
    return found


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Server:
    """A server command in its own process (group); output in ``log_dir/<name>.log``."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log_dir: Path,
        *,
        port: int,
        ready_path: str = "/healthz",
        profiled: bool = False,
        py_spy: str = "",
    ) -> None:
        self.name, self.port, self.ready_path = name, port, ready_path
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.profiled, self.py_spy = profiled, py_spy
        self._spy: subprocess.Popen[bytes] | None = None
        self.spy_files: list[str] = []
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        """The server process and all its live descendants (uvicorn's worker processes)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += _children(pid)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's live processes so far (seconds)."""
        return sum(_cpu_of(pid) for pid in self.pids())

    def profile(self, on: bool) -> None:
        """Start or pause the profiler of a server started by ``bench/profiled_uvicorn.py``;
        with ``py_spy`` (a file prefix), start or stop ``py-spy record`` on the process tree
        (samples in py-spy's ``raw`` format, one file per measured run)."""
        if self.profiled:
            self.proc.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)
        if self.py_spy and on:
            out = f"{self.py_spy}.{len(self.spy_files) + 1}.txt"
            self.spy_files.append(out)
            argv = ["py-spy", "record", "--pid", str(self.proc.pid), "--subprocesses"]
            argv += ["--rate", "250", "--nonblocking", "--format", "raw", "--output", out]
            self._spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif self.py_spy and self._spy is not None:
            self._spy.send_signal(signal.SIGINT)
            self._spy.wait(timeout=60)
            self._spy = None

    async def wait_ready(self, within: float = 90.0) -> None:
        """Wait until ``ready_path`` answers (any status below 500)."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()}")
                try:
                    if (await http.get(self.ready_path)).status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()}")

    def close(self) -> None:
        """SIGTERM to the process group (uvicorn shuts down cleanly), SIGKILL after 30 s."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


@dataclass
class WrkResult:
    """One ``wrk`` run: ``requests`` completed in ``seconds``; ``non_2xx`` of them answered
    otherwise; socket ``errors`` (connect, read, write, timeout); latency percentiles (ms)."""

    requests: int
    seconds: float
    non_2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    extra: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def run_wrk(
    url: str, script: Path, args: list[str], *, connections: int, seconds: float
) -> WrkResult:
    """``wrk`` against ``url`` with ``script`` (one thread, ``connections`` connections);
    the script gets ``args`` and then a fresh run id."""
    argv = [
        require_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
        "--",
        *args,
        uuid.uuid4().hex[:12],  # a fresh run id, last: keys made from it never repeat
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    line = next((s for s in out.decode().splitlines() if s.startswith("{")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk {url} failed ({proc.returncode}):\n{out.decode()}{err.decode()}")
    found = json.loads(line)
    extra = {k: int(v) for k, v in found.items() if k.startswith("x_")}
    return WrkResult(
        requests=int(found["requests"]),
        seconds=found["duration_us"] / 1e6,
        non_2xx=int(found["status"]),
        errors=sum(int(found[k]) for k in ("connect", "read", "write", "timeout")),
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        extra=extra,
    )


async def commits(admin: asyncpg.Connection, names: list[str]) -> int:
    """Transactions committed so far in the databases ``names`` (lags up to ~1 s of work)."""
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    found = await admin.fetchval(
        "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = ANY($1::text[])", names
    )
    return int(found or 0)


@dataclass
class Window:
    """What one measured run cost. ``wrk``: the measured run; ``cpu``: CPU seconds of each
    watched server during it. ``commits`` per database group, ``requests`` and ``elapsed``
    seconds cover the warm-up, the measured run and the settling time after them (see
    :func:`measure`)."""

    wrk: WrkResult
    cpu: dict[str, float]
    commits: dict[str, int]
    requests: int
    elapsed: float
    done: dict[str, int] = field(default_factory=dict)

    def commits_per_request(self, group: str, idle_rate: float) -> float:
        """Commits in ``group``'s databases per request, ``idle_rate`` (commits per second
        with no requests: background loops) subtracted. Per request *done* when the caller
        counted them (``done``: rows written), since the requests still in flight when a
        ``wrk`` run stops complete and commit uncounted by ``wrk`` (up to one per
        connection per run: ~5 % at 130 req/s); else per request ``wrk`` counted."""
        units = self.done.get(group) or self.requests
        return (self.commits[group] - idle_rate * self.elapsed) / max(units, 1)


async def measure(
    target: Server,
    script: Path,
    args: list[str],
    *,
    connections: int,
    seconds: float,
    warmup: float,
    settle: float,
    watch: dict[str, Server],
    admin: asyncpg.Connection,
    databases: dict[str, list[str]],
    warmup_args: list[str] | None = None,
    done: dict[str, Callable[[], Awaitable[int]]] | None = None,
) -> Window:
    """A warm-up of ``warmup`` s (its script gets ``warmup_args`` if given, else ``args``),
    then a measured ``wrk`` run of ``seconds`` against
    ``target``. CPU of every server in ``watch`` is read just before and after the measured
    run. Commits are counted from before the warm-up to ``settle`` s after the measured run,
    when every backend has reported them (an idle PostgreSQL backend reports its counts up to
    10 s late), and divided by all the requests of the warm-up and the run. The caller leaves
    ``settle`` s of quiet before the first call (the last call's settling serves the next).
    ``done``: per database group, a count of the work done so far (rows written), read
    before and after, to divide commits by what was really done."""
    counters = done or {}
    done_before = {n: await count() for n, count in counters.items()}
    start, before = time.perf_counter(), {n: await commits(admin, d) for n, d in databases.items()}
    warm = 0
    if warmup > 0:
        first = args if warmup_args is None else warmup_args
        warm = (
            await run_wrk(target.url, script, first, connections=connections, seconds=warmup)
        ).requests
    target.profile(True)
    cpu = {n: s.cpu_seconds() for n, s in watch.items()}
    result = await run_wrk(target.url, script, args, connections=connections, seconds=seconds)
    after_cpu = {n: s.cpu_seconds() for n, s in watch.items()}
    target.profile(False)
    await asyncio.sleep(settle)
    after = {n: await commits(admin, d) for n, d in databases.items()}
    elapsed = time.perf_counter() - start
    done_after = {n: await count() for n, count in counters.items()}
    return Window(
        result,
        {n: after_cpu[n] - cpu[n] for n in watch},
        {n: after[n] - before[n] for n in databases},
        warm + result.requests,
        elapsed,
        {n: done_after[n] - done_before[n] for n in counters},
    )


async def idle(
    servers: dict[str, Server],
    seconds: float,
    admin: asyncpg.Connection,
    databases: dict[str, list[str]],
    *,
    settle: float,
) -> tuple[dict[str, float], dict[str, float]]:
    """With no requests (background loops only), after ``settle`` s of quiet: each server's
    CPU as a share of one core, and each database group's commits per second."""
    await asyncio.sleep(settle)
    cpu = {n: s.cpu_seconds() for n, s in servers.items()}
    before = {n: await commits(admin, dbs) for n, dbs in databases.items()}
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    shares = {n: (s.cpu_seconds() - cpu[n]) / elapsed for n, s in servers.items()}
    rates = {n: (await commits(admin, dbs) - before[n]) / elapsed for n, dbs in databases.items()}
    return shares, rates


@dataclass
class Tally:
    """Measured windows of one server at one concurrency, added up."""

    requests: int = 0
    seconds: float = 0.0
    non_2xx: int = 0
    errors: int = 0
    cpu: Counter[str] = field(default_factory=Counter)  # CPU seconds per watched server
    commit_runs: dict[str, list[float]] = field(default_factory=dict)  # per request, per run
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    runs: list[tuple[float, float, float]] = field(default_factory=list)  # req/s, µs, commits

    def add(self, w: Window, who: str, idle_commits: dict[str, float]) -> None:
        self.requests += w.wrk.requests
        self.seconds += w.wrk.seconds
        self.non_2xx += w.wrk.non_2xx
        self.errors += w.wrk.errors
        self.cpu.update(w.cpu)
        self.p50.append(w.wrk.p50_ms)
        self.p99.append(w.wrk.p99_ms)
        for group, rate in idle_commits.items():
            self.commit_runs.setdefault(group, []).append(w.commits_per_request(group, rate))
        own = self.commit_runs[who][-1]
        self.runs.append((w.wrk.rate, w.cpu[who] / max(w.wrk.requests, 1) * 1e6, own))

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_us(self, who: str) -> float:
        return self.cpu[who] / self.requests * 1e6 if self.requests else float("nan")

    def commits_per(self, group: str) -> float:
        """Mean over the runs of commits per request in ``group``'s databases."""
        found = self.commit_runs.get(group)
        return statistics.mean(found) if found else float("nan")

    def line(self, who: str, unit: str = "req") -> str:
        runs = ", ".join(f"{r:,.0f}/s {c:,.0f} µs {k:.2f}" for r, c, k in self.runs)
        return (
            f"{self.rate:,.0f} {unit}/s, p50 {statistics.median(self.p50):.1f} ms, "
            f"p99 {max(self.p99):.1f} ms, {self.cpu_us(who):,.0f} µs CPU/{unit}, "
            f"{self.commits_per(who):.2f} commits/{unit}, "
            f"non-2xx {self.non_2xx}, socket errors {self.errors} (runs: {runs})"
        )


def python() -> str:
    """The interpreter of this environment (the project's venv under ``uv run``)."""
    return sys.executable
