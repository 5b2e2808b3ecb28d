"""Create-payment throughput and CPU per request over HTTP on PostgreSQL, beside a
bare-endpoint baseline measured in the same run.

Run::

    uv run python bench/payments_api.py --pg postgresql://postgres@127.0.0.1:5432/postgres

Needs Debian's ``wrk`` (``make wrk`` installs it; ``make bench`` does too). Creates (and drops)
three databases, ``kro_bench_<pid>`` (the platform's, migrated with Alembic like
``kro migrate``), ``kro_bench_<pid>_sbx`` (the Paystack simulator's) and
``kro_bench_<pid>_base`` (the baseline's: each server's commits are counted apart), then
starts three servers, each in processes of its own:

- ``sandbox``: ``kro sandbox paystack --path /paystack``, the Paystack simulator, as a real
  provider would be: the platform reaches it over HTTP (``KRO_GATEWAY_SANDBOX_BASE_URL``, and
  ``KRO_PAYSTACK_BASE_URL`` for the platform's own flows). Its CPU is not the platform's.
- ``platform``: ``kro serve --workers N`` (``--workers``, default 2: this machine has two
  cores), ``KRO_DB_POOL_SIZE`` as large as a process's share of the connections plus 4
  (``--pool``), simulators not mounted (``KRO_SANDBOX_ENABLED=false``), the job worker in each
  process (``--no-worker`` turns it off), ``KRO_API_RATE_LIMIT`` out of reach but counted,
  Redis for rate limits and breakers with ``--redis``. Every ``POST /v1/payments``
  authenticates the ``sk_test_`` key, counts it against the key's rate limit, claims the
  ``Idempotency-Key``, routes to Paystack (rules, weights, breaker), calls the simulator, and
  stores the payment, its events, the customer webhook and the key's response.
- ``baseline``: ``bench/baseline_app.py`` under ``uvicorn --workers N``: a bare FastAPI
  endpoint that validates the same body and inserts one row (the idempotency key in a unique
  column) from an asyncpg pool as large as the platform's SQLAlchemy pool can grow.

The load generator is ``wrk`` (``bench/post_unique_keys.lua``: each request its own
``Idempotency-Key``), one thread, ``--concurrency`` connections. For each concurrency,
baseline and platform run A-B-B-A, ``--seconds`` each after ``--warmup`` seconds of the same
load. Printed per server: req/s, p50/p99 latency, non-2xx answers, **CPU time per request of
its whole process tree** (``/proc``: the uvicorn supervisor and its workers; the simulator's
and wrk's CPU are separate), **commits per request in its own database**
(``pg_stat_database``; the idle rate — the job workers' polls — subtracted), and the
simulator's CPU and commits per payment. The last line sums up the first concurrency::

    create-payment: <R> req/s, <C> us CPU/req, <K> commits/req; baseline <R0> req/s, \
<C0> us CPU/req; workers <N>

(one line; cut here at the backslash).

``--profile FILE`` runs the platform as one process under cProfile
(``bench/profiled_uvicorn.py``), switched on only in the measured windows, and prints where
its CPU goes; such a run's figures are not comparable with unprofiled ones.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import tempfile
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import URL, make_url

from httpbench import HERE, Server, Tally, free_port, idle, measure, python, require_wrk
from kro.migrate import upgrade
from kro.settings import Settings

BODY = '{"amount":500000,"currency":"NGN","customer":{"email":"ada@example.com"}}'
SCRIPT = HERE / "post_unique_keys.lua"


# --------------------------------------------------------------------------- set-up


async def merchant_key(http: httpx.AsyncClient) -> str:
    """A user, a tenant, its test secret key and a Paystack configuration, over HTTP;
    returns the ``Authorization`` header value."""

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
    auth = f"Bearer {secret}"
    headers = {"Authorization": auth, "Idempotency-Key": uuid.uuid4().hex}
    headers["Content-Type"] = "application/json"
    r = await http.post("/v1/payments", content=BODY, headers=headers)  # end to end, once
    assert data(r, 201)["status"] == "requires_action", r.text
    replay = await http.post("/v1/payments", content=BODY, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true", replay.text
    assert replay.content == r.content
    return auth


# --------------------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> None:
    require_wrk()
    name = f"kro_bench_{os.getpid()}"
    admin = await asyncpg.connect(
        make_url(args.pg).set(drivername="postgresql").render_as_string(False)
    )
    for db in (name, f"{name}_sbx", f"{name}_base"):
        await admin.execute(f'CREATE DATABASE "{db}"')
    try:
        with tempfile.TemporaryDirectory(prefix="kro_bench_") as tmp:
            await run(args, make_url(args.pg), name, Path(tmp), admin)
    finally:
        for db in (name, f"{name}_sbx", f"{name}_base"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


def _url(base: URL, database: str, driver: str) -> str:
    return base.set(drivername=driver, database=database).render_as_string(False)


def start_servers(
    args: argparse.Namespace, pg: URL, name: str, tmp: Path, log_dir: Path
) -> dict[str, Server]:
    """The simulator, the platform and the baseline, each in processes of its own."""
    workers = 1 if args.profile else args.workers
    # A pool that holds the connections its process's requests use at once: past pool_size,
    # SQLAlchemy opens overflow connections and closes them on return, and a new connection
    # costs a connect, type introspection and re-preparing every statement (~7 % of the
    # payments opened one with the default 10 at 16 requests per process).
    pool_size = args.pool or max(Settings().db_pool_size, -(-max(args.concurrency) // workers) + 4)
    ports = {n: free_port() for n in ("sandbox", "platform", "baseline")}
    sandbox_url = f"http://127.0.0.1:{ports['sandbox']}"
    platform_url = f"http://127.0.0.1:{ports['platform']}"
    quiet = {"KRO_LOG_LEVEL": "WARNING"}
    sandbox_env = {
        **quiet,
        "KRO_SANDBOX_DATABASE_URL": _url(pg, f"{name}_sbx", "postgresql+asyncpg"),
        "KRO_SANDBOX_WEBHOOK_URL": f"{platform_url}/v1/webhooks/paystack",
    }
    platform_env = {
        **quiet,
        "KRO_HOST": "127.0.0.1",
        "KRO_PORT": str(ports["platform"]),
        "KRO_DATABASE_URL": _url(pg, name, "postgresql+asyncpg"),
        "KRO_SANDBOX_ENABLED": "false",
        "KRO_GATEWAY_SANDBOX_BASE_URL": sandbox_url,
        "KRO_PAYSTACK_BASE_URL": f"{sandbox_url}/paystack",
        "KRO_API_RATE_LIMIT": "100000000/minute",
        "KRO_WORKER_IN_PROCESS": "false" if args.no_worker else "true",
        "KRO_STORAGE_PATH": str(tmp / "files"),
        "KRO_REDIS_URL": args.redis,
        "KRO_DB_POOL_SIZE": str(pool_size),
    }
    baseline_env = {
        "BENCH_PG_DSN": _url(pg, f"{name}_base", "postgresql"),
        "BENCH_POOL_SIZE": str(2 * pool_size),  # the platform's pool_size + max_overflow
    }
    cli = [python(), "-m", "kro.cli"]
    local = ["--host", "127.0.0.1"]
    sandbox_argv = [*cli, "sandbox", "paystack", *local, "--port", str(ports["sandbox"])]
    sandbox_argv += ["--path", "/paystack", "--no-access-log"]
    if args.profile:
        runner = HERE / "profiled_uvicorn.py"
        platform_argv = [python(), str(runner), args.profile, "kro.app:create_app"]
        platform_argv.append(str(ports["platform"]))
    else:
        platform_argv = [*cli, "serve", *local, "--port", str(ports["platform"])]
        platform_argv += ["--workers", str(workers), "--no-access-log"]
    uvicorn = [python(), "-m", "uvicorn", "bench.baseline_app:create_app", "--factory"]
    baseline_argv = [*uvicorn, *local, "--port", str(ports["baseline"]), "--workers"]
    baseline_argv += [str(workers), "--log-level", "warning", "--no-access-log"]
    return {
        "sandbox": Server(
            "sandbox", sandbox_argv, sandbox_env, log_dir, port=ports["sandbox"],
            ready_path="/paystack/_sandbox/balance",
        ),
        "platform": Server(
            "platform", platform_argv, platform_env, log_dir, port=ports["platform"],
            profiled=bool(args.profile), py_spy=args.py_spy,
        ),
        "baseline": Server("baseline", baseline_argv, baseline_env, log_dir,
                           port=ports["baseline"]),
    }  # fmt: skip


async def run(
    args: argparse.Namespace, pg: URL, name: str, tmp: Path, admin: asyncpg.Connection
) -> None:
    await asyncio.to_thread(upgrade, _url(pg, name, "postgresql+asyncpg"))  # `kro migrate`
    log_dir = Path(args.logs) if args.logs else tmp
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = start_servers(args, pg, name, tmp, log_dir)
    workers = 1 if args.profile else args.workers
    databases = {"platform": [name], "baseline": [f"{name}_base"], "sandbox": [f"{name}_sbx"]}
    payments = "SELECT count(*) FROM payments"
    baseline_rows = "SELECT count(*) FROM bench_baseline_payments"
    done = {  # payments really made (wrk does not count those in flight when it stops)
        "platform": rows(_url(pg, name, "postgresql"), payments),
        "sandbox": rows(_url(pg, name, "postgresql"), payments),
        "baseline": rows(_url(pg, f"{name}_base", "postgresql"), baseline_rows),
    }
    try:
        await asyncio.gather(*(s.wait_ready() for s in servers.values()))
        async with httpx.AsyncClient(base_url=servers["platform"].url, timeout=30) as http:
            auth = await merchant_key(http)
        idle_cpu, idle_commits = await idle(
            servers, args.idle, admin, databases, settle=args.settle
        )
        print(
            f"PostgreSQL; platform `kro serve --workers {workers}` (in-process job worker "
            f"{'off' if args.no_worker else 'on'}, rate limits and breakers in "
            f"{'Redis' if args.redis else 'process memory'}); Paystack simulator in its own "
            f"process; baseline uvicorn --workers {workers}; wrk -t1; A-B-B-A, "
            f"{args.seconds:g} s per run after {args.warmup:g} s warm-up"
        )
        print(
            f"idle ({args.idle:g} s, no requests): CPU "
            + ", ".join(f"{n} {share:.1%} of a core" for n, share in idle_cpu.items())
            + f"; commits/s platform db {idle_commits['platform']:.1f}, simulator db "
            f"{idle_commits['sandbox']:.1f} (subtracted below)"
        )
        args_of = {
            "platform": ["/v1/payments", auth, BODY],
            "baseline": ["/v1/payments", "", BODY],
        }
        headline: tuple[Tally, Tally] | None = None
        for concurrency in args.concurrency:
            tallies = {"baseline": Tally(), "platform": Tally()}
            for which in ("baseline", "platform", "platform", "baseline"):
                window = await measure(
                    servers[which],
                    SCRIPT,
                    args_of[which],
                    connections=concurrency,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    settle=args.settle,
                    watch=servers,
                    admin=admin,
                    databases=databases,
                    done=done,
                )
                tallies[which].add(window, which, idle_commits)
            base, plat = tallies["baseline"], tallies["platform"]
            print(f"concurrency {concurrency}:")
            print(f"  baseline  {base.line('baseline')}")
            print(f"  platform  {plat.line('platform')}")
            print(
                f"  simulator, per platform payment: {plat.cpu_us('sandbox'):,.0f} µs CPU, "
                f"{plat.commits_per('sandbox'):.2f} commits"
            )
            headline = headline or (plat, base)
        await report_jobs(_url(pg, name, "postgresql"))
    finally:
        for server in servers.values():
            server.close()
    if args.profile:
        print_profile(args.profile)
    assert headline is not None
    plat, base = headline
    print(
        f"create-payment: {plat.rate:,.0f} req/s, {plat.cpu_us('platform'):,.0f} us CPU/req, "
        f"{plat.commits_per('platform'):.2f} commits/req; "
        f"baseline {base.rate:,.0f} req/s, {base.cpu_us('baseline'):,.0f} us CPU/req; "
        f"workers {workers}"
    )


def rows(dsn: str, query: str) -> Callable[[], Awaitable[int]]:
    """A counter of rows in another database (0 until its table exists)."""

    async def count() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            return int(await conn.fetchval(query) or 0)
        except asyncpg.UndefinedTableError:
            return 0
        finally:
            await conn.close()

    return count


async def report_jobs(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name, status, count(*) AS n FROM jobs GROUP BY 1, 2")
        found = {f"{r['name']} {r['status']}": r["n"] for r in rows}
        print("jobs left by the run:", found or "none")
    finally:
        await conn.close()


CATEGORIES = [  # (label, substring of pstats' (file, line, function) key), first match wins
    ("kro (own code)", "/src/kro/"),
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
    ("structlog", "/structlog/"),
    ("limits / redis", "/limits/"),
    ("limits / redis", "/redis/"),
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
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(r"/src/kro/", 40)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", required=True, help="postgresql://user@host:port/db (admin)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds measured idle")
    parser.add_argument(
        "--settle",
        type=float,
        default=11.0,
        help="quiet seconds before counting commits (PostgreSQL reports them up to 10 s late)",
    )
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(c) for c in s.split(",")],
        default=[32],
        help="comma-separated numbers of connections (default 32); the last line sums up the first",
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="KRO_WORKER_IN_PROCESS=false for the platform"
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="KRO_DB_POOL_SIZE per platform process (default: connections per process + 4)",
    )
    parser.add_argument(
        "--redis", default="", help="KRO_REDIS_URL for the platform, e.g. redis://127.0.0.1:6379"
    )
    parser.add_argument(
        "--profile", default="", help="run the platform as one process under cProfile to FILE"
    )
    parser.add_argument(
        "--py-spy",
        default="",
        help="sample the platform with py-spy (`uv run --with py-spy …`) in the measured runs, "
        "to files PREFIX.N.txt, and print where its time goes",
    )
    parser.add_argument("--logs", default="", help="keep the servers' logs in this directory")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
