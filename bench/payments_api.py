"""Create-payment throughput and latency over HTTP on PostgreSQL, beside a bare-endpoint baseline.

Run::

    uv run python bench/payments_api.py --pg postgresql://postgres@127.0.0.1:5432/postgres

Creates (and drops) two databases, ``kro_bench_<pid>`` (the platform's, migrated with Alembic
like ``kro migrate``) and ``kro_bench_<pid>_sbx`` (the mounted sandboxes' own tables), then
starts two servers, each ``python -m uvicorn <factory> --factory`` in its own process with the
same options (uvloop and httptools, one worker, no access log):

- ``platform``: ``kro.app:create_app`` as ``kro serve`` builds it: the sandboxes mounted, the
  job worker in process (``--no-worker`` turns it off), ``KRO_API_RATE_LIMIT`` out of reach.
  Every ``POST /v1/payments`` authenticates the ``sk_test_`` key, takes the
  ``Idempotency-Key``, routes to Paystack and calls the Paystack sandbox over real HTTP —
  the sandbox is served by the same process, so its work (its own HTTP handling and its own
  database writes) is part of the cost measured — then stores the payment, its events and
  the key's response.
- ``baseline``: ``bench/baseline_app.py``, a bare FastAPI endpoint that validates the same body
  and inserts one row (the idempotency key in a unique column) with an asyncpg pool as large as
  the platform's SQLAlchemy pool can grow (``2 x KRO_DB_POOL_SIZE``).

This process is the load generator (one ``httpx.AsyncClient``, ``--concurrency`` tasks each
sending one request at a time, each POST with a fresh ``Idempotency-Key``), separate from the
servers. For each concurrency, baseline and platform run A-B-B-A, ``--seconds`` each after
``--warmup`` seconds of the same load; requests completed in the window count. Printed: req/s,
p50 and p99 latency of successful requests, errors, the server process's CPU time per request
(``/proc/<pid>/stat``; steadier than req/s on a shared machine, and not bounded by the load
generator), database commits per request (``pg_stat_database``, both databases, the idle
rate subtracted; approximate) and the load generator's own CPU use. Before the loads, both
servers' idle CPU; after them, the Paystack sandbox's ``transaction/initialize`` alone on the
platform's server, i.e. what the provider call costs that process on the sandbox's side.

``--profile FILE`` runs the platform under cProfile (``bench/profiled_uvicorn.py``), switched
on only during the measured windows, and prints its top functions at the end; the figures of
such a run are not comparable with unprofiled ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import URL, make_url

from kro.migrate import upgrade
from kro.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BODY = {"amount": 500_000, "currency": "NGN", "customer": {"email": "ada@example.com"}}
TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``uvicorn <factory> --factory`` in its own process; output in ``log_dir/<name>.log``."""

    def __init__(
        self, name: str, factory: str, env: dict[str, str], log_dir: Path, profile: str = ""
    ) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.profiled = bool(profile)
        if profile:
            here = Path(__file__).with_name("profiled_uvicorn.py")
            command = [str(here), profile, factory, str(self.port)]
        else:
            uvicorn = ["-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1"]
            options = ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
            command = [*uvicorn, *options]
        self.proc = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env={
                **os.environ,
                **env,
                "KRO_PORT": str(self.port),
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def profile(self, on: bool) -> None:
        """Start or pause the profiler of a server started with ``profile``."""
        if self.profiled:
            self.proc.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    async def wait_ready(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()}")
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn shuts down cleanly
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


async def merchant_key(http: httpx.AsyncClient) -> dict[str, str]:
    """A user, a tenant, its test secret key and a Paystack configuration, over HTTP."""

    def data(r: httpx.Response, status: int) -> Any:
        assert r.status_code == status, r.text
        return r.json()["data"]

    email, password = "owner@bench.example.com", "correct horse battery"
    user = {"email": email, "password": password, "full_name": "Bench"}
    data(await http.post("/v1/auth/register", json=user), 201)
    login = {"email": email, "password": password}
    token = data(await http.post("/v1/auth/login", json=login), 200)["access_token"]
    owner = {"Authorization": f"Bearer {token}"}
    tenant = data(await http.post("/v1/tenants", json={"name": "Bench Ltd"}, headers=owner), 201)
    tid = tenant["id"]
    r = await http.post(f"/v1/tenants/{tid}/api-keys", json={"mode": "test"}, headers=owner)
    secret = data(r, 201)["secret"]
    config = {"provider": "paystack", "mode": "test", "priority": 1, "currencies": ["NGN"]}
    data(await http.post(f"/v1/tenants/{tid}/provider-configs", json=config, headers=owner), 201)
    key = {"Authorization": f"Bearer {secret}"}
    r = await http.post("/v1/payments", json=BODY, headers=key)  # routed to the sandbox, end to end
    assert data(r, 201)["status"] == "requires_action", r.text
    return key


# --------------------------------------------------------------------------- load


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of 2xx, seconds
    errors: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0  # server CPU seconds in the window
    commits: int = 0  # transactions committed in the bench's databases in the window
    client_cpu: float = 0.0  # this process's (the load generator's) CPU seconds in the window

    def add(self, other: Run) -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors += other.errors
        self.cpu += other.cpu
        self.commits += other.commits
        self.client_cpu += other.client_cpu

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=1000)[int(q * 1000) - 1] * 1000

    def summary(self, idle_commits: float) -> str:
        """``idle_commits``: commits per second with no requests (background loops),
        subtracted from the window's."""
        done = len(self.latencies) or float("nan")
        cpu_per = self.cpu / done * 1e6
        commits_per = (self.commits - idle_commits * self.seconds) / done
        errors = sum(self.errors.values())
        detail = f" {dict(self.errors)}" if errors else ""
        return (
            f"{self.rate:,.0f} req/s p50 {self.pct(0.5):.1f} ms p99 {self.pct(0.99):.1f} ms "
            f"server cpu {cpu_per:,.0f} µs/req, db commits {commits_per:.1f}/req, "
            f"load generator {self.client_cpu / self.seconds:.0%} of a core, "
            f"errors {errors}{detail}"
        )


async def commits(admin: asyncpg.Connection, names: list[str]) -> int:
    """Transactions committed so far in ``names`` (PostgreSQL's statistics lag up to ~1 s)."""
    await admin.execute("SELECT pg_stat_clear_snapshot()")
    found = await admin.fetchval(
        "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = ANY($1::text[])", names
    )
    return int(found or 0)


async def load(
    server: Server,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup: float,
    stats: tuple[asyncpg.Connection, list[str]],
    path: str = "/v1/payments",
    body: dict[str, Any] = BODY,
) -> Run:
    """``concurrency`` tasks POSTing ``path`` back to back; the ``seconds`` window counted."""
    run, measuring, stop = Run(), False, False
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:

        async def client() -> None:
            while not stop:
                h = {**headers, "Idempotency-Key": uuid.uuid4().hex}
                start = time.perf_counter()
                try:
                    status = str((await http.post(path, json=body, headers=h)).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                if measuring:
                    if status in ("200", "201"):
                        run.latencies.append(time.perf_counter() - start)
                    else:
                        run.errors[status] += 1

        tasks = [asyncio.create_task(client()) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        server.profile(True)
        measuring, start, cpu = True, time.perf_counter(), server.cpu_seconds()
        before, client_cpu = await commits(*stats), time.process_time()
        await asyncio.sleep(seconds)
        measuring = False
        server.profile(False)
        run.seconds, run.cpu = time.perf_counter() - start, server.cpu_seconds() - cpu
        run.commits = await commits(*stats) - before
        run.client_cpu = time.process_time() - client_cpu
        stop = True
        await asyncio.gather(*tasks)
    return run


async def idle(
    servers: dict[str, Server], seconds: float, stats: tuple[asyncpg.Connection, list[str]]
) -> tuple[dict[str, float], float]:
    """With no requests (background loops only): each server's CPU use as a share of one
    core, and the databases' commits per second."""
    before, before_commits = {n: s.cpu_seconds() for n, s in servers.items()}, await commits(*stats)
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    cpu = {n: (s.cpu_seconds() - before[n]) / elapsed for n, s in servers.items()}
    return cpu, (await commits(*stats) - before_commits) / elapsed


CATEGORIES = [  # (label, substring of pstats' (file, line, function) key), first match wins
    ("ssl.SSLContext.load_verify_locations (httpx client per call)", "load_verify_locations"),
    ("kro.sandbox (the simulators, own code)", "/kro/sandbox/"),
    ("kro (other own code)", "/src/kro/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("asyncpg", "/asyncpg/"),
    ("fastapi / starlette", "/fastapi/"),
    ("fastapi / starlette", "/starlette/"),
    ("pydantic", "/pydantic"),
    ("httpx / httpcore / h11 (client side)", "/httpx/"),
    ("httpx / httpcore / h11 (client side)", "/httpcore/"),
    ("httpx / httpcore / h11 (client side)", "/h11/"),
    ("uvicorn", "/uvicorn/"),
    ("anyio", "/anyio/"),
    ("asyncio", "/asyncio/"),
]


def print_profile(path: str) -> None:
    """Own CPU time by package (a coroutine's cumulative time is not reliable in cProfile,
    its own time is), then the top functions."""
    stats = pstats.Stats(path)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    shares: Counter[str] = Counter()
    for (file, line, func), v in raw.items():
        key = f"{file}:{line}({func})"
        label = next((lab for lab, sub in CATEGORIES if sub in key), "other (builtins, stdlib)")
        shares[label] += v[2]
    print(f"\nplatform profile ({path}): {total:.2f} s of CPU in the measured windows")
    for label, seconds in shares.most_common():
        print(f"  {seconds / total:>5.0%}  {seconds:6.2f} s  {label}")
    stats.sort_stats("tottime").print_stats(25)


# --------------------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> None:
    name = f"kro_bench_{os.getpid()}"
    admin = await asyncpg.connect(
        make_url(args.pg).set(drivername="postgresql").render_as_string(False)
    )
    for db in (name, f"{name}_sbx"):
        await admin.execute(f'CREATE DATABASE "{db}"')
    try:
        with tempfile.TemporaryDirectory(prefix="kro_bench_") as tmp:
            await run(args, make_url(args.pg), name, Path(tmp), admin)
    finally:
        for db in (name, f"{name}_sbx"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


def _url(base: URL, database: str, driver: str) -> str:
    return base.set(drivername=driver, database=database).render_as_string(False)


async def run(
    args: argparse.Namespace, pg: URL, name: str, tmp: Path, admin: asyncpg.Connection
) -> None:
    db_url = _url(pg, name, "postgresql+asyncpg")
    await asyncio.to_thread(upgrade, db_url)  # what `kro migrate` does
    pool_size = Settings().db_pool_size
    platform_env = {
        "KRO_DATABASE_URL": db_url,
        "KRO_SANDBOX_DATABASE_URL": _url(pg, f"{name}_sbx", "postgresql+asyncpg"),
        "KRO_API_RATE_LIMIT": "100000000/minute",
        "KRO_WORKER_IN_PROCESS": "false" if args.no_worker else "true",
        "KRO_STORAGE_PATH": str(tmp / "files"),
    }
    baseline_env = {
        "BENCH_PG_DSN": _url(pg, name, "postgresql"),
        "BENCH_POOL_SIZE": str(2 * pool_size),  # the platform's pool_size + max_overflow
    }
    log_dir = Path(args.logs) if args.logs else tmp
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = {
        "baseline": Server("baseline", "bench.baseline_app:create_app", baseline_env, log_dir),
        "platform": Server("platform", "kro.app:create_app", platform_env, log_dir, args.profile),
    }
    try:
        await asyncio.gather(*(s.wait_ready() for s in servers.values()))
        async with httpx.AsyncClient(base_url=servers["platform"].url, timeout=30) as http:
            headers = {"baseline": {}, "platform": await merchant_key(http)}
        stats = (admin, [name, f"{name}_sbx"])
        idle_cpu, idle_commits = await idle(servers, args.idle, stats)
        print(
            f"PostgreSQL, one uvicorn process per server (uvloop, httptools), in-process worker "
            f"{'off' if args.no_worker else 'on'}, Paystack sandbox mounted in the platform; "
            f"A-B-B-A, {args.seconds:g}s per run after {args.warmup:g}s warm-up"
        )
        print(
            f"idle ({args.idle:g}s, no requests): server CPU "
            + ", ".join(f"{n} {share:.0%} of a core" for n, share in idle_cpu.items())
            + f"; {idle_commits:.0f} db commits/s (subtracted below)"
        )
        for concurrency in args.concurrency:
            runs = {"baseline": Run(), "platform": Run()}
            for which in ("baseline", "platform", "platform", "baseline"):
                server = servers[which]
                got = await load(
                    server,
                    headers[which],
                    concurrency,
                    args.seconds,
                    args.warmup,
                    stats,
                )
                runs[which].add(got)
            base, plat = runs["baseline"], runs["platform"]
            print(f"concurrency {concurrency}:")
            print(f"  baseline     {base.summary(idle_commits)}")
            print(f"  payments_api {plat.summary(idle_commits)}")
            print(
                f"  payments_api: {plat.rate:,.0f} req/s p50 {plat.pct(0.5):.1f} ms "
                f"p99 {plat.pct(0.99):.1f} ms — baseline: {base.rate:,.0f} req/s "
                f"p50 {base.pct(0.5):.1f} ms p99 {base.pct(0.99):.1f} ms — "
                f"ratio {plat.rate / base.rate:.0%}"
            )
        # What the provider call costs the platform's process on the sandbox's side: the
        # Paystack sandbox's transaction/initialize alone, as the adapter calls it.
        sandbox = await load(
            servers["platform"],
            {"Authorization": f"Bearer {Settings().paystack_secret_key}"},
            args.concurrency[0],
            args.seconds,
            args.warmup,
            stats,
            "/sandbox/paystack/transaction/initialize",
            {"email": "ada@example.com", "amount": 500_000, "currency": "NGN"},
        )
        print(
            f"sandbox alone (POST /sandbox/paystack/transaction/initialize on the platform's "
            f"server, concurrency {args.concurrency[0]}):\n  {sandbox.summary(idle_commits)}"
        )
        conn = await asyncpg.connect(_url(pg, name, "postgresql"))
        try:
            jobs = await conn.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
            print("jobs left by the run:", {r["status"]: r["n"] for r in jobs} or "none")
        finally:
            await conn.close()
    finally:
        for server in servers.values():
            server.close()
    if args.profile:
        print_profile(args.profile)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="postgresql://user@host:port/db (admin)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds measured idle")
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(c) for c in s.split(",")],
        default=[16, 64],
        help="comma-separated numbers of concurrent clients (default 16,64)",
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="KRO_WORKER_IN_PROCESS=false for the platform"
    )
    parser.add_argument("--profile", default="", help="run the platform under cProfile to FILE")
    parser.add_argument("--logs", default="", help="keep the servers' logs in this directory")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
