"""Webhook intake: verified and durably stored Paystack events per second at
``POST /v1/webhooks/paystack``, duplicates included, beside a bare-endpoint baseline measured in
the same run.

Run::

    uv run python bench/webhook_intake.py --pg postgresql://postgres@127.0.0.1:5432/postgres

Needs Debian's ``wrk`` (``make wrk``). Creates (and drops) two databases, the platform's
(migrated like ``kro migrate``) and the baseline's, and starts two servers in processes of
their own:

- ``platform``: ``kro serve --workers N`` (default 2), simulators not mounted, **no job
  worker** (``KRO_WORKER_IN_PROCESS=false``): what is measured is the intake — verify the
  signature on the raw body, store the event once per ``(provider, event key)`` with its
  processing job, answer 200 — not the processing, which is a job (DESIGN.md section 5).
- ``baseline``: ``bench/baseline_app.py`` under ``uvicorn --workers N``: checks the same
  signature, then one statement stores the event (a duplicate counts a delivery) and a job row
  for a new one.

The events are ``charge.success`` with references no payment has (the platform's own Paystack
flow: signed with ``KRO_PAYSTACK_SECRET_KEY``, HMAC-SHA512 of the raw body in
``x-paystack-signature``). ``--duplicates`` (default 0.2) of the requests repeat an event
already sent, as providers do when they retry. The bodies are signed here, written to a file
per run, and sent in order by ``wrk`` (``bench/post_signed_events.lua``); ``x_wrapped`` > 0 in
the output would mean a run used up its file (then every event repeats: make ``--events``
larger).

A-B-B-A, ``--seconds`` per run after ``--warmup``. Printed: events/s, p50/p99, CPU per event
of each server's process tree, commits per event in its own database, and at the end how
many events each database holds against the events acknowledged. The last line::

    webhook-intake: <R> events/s, <C> us CPU/event, <K> commits/event, <D>% duplicates; \\
baseline <R0> events/s, <C0> us CPU/event; workers <N>

(one line; cut here at the backslash).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

from httpbench import HERE, Server, Tally, free_port, idle, measure, python, require_wrk
from kro.migrate import upgrade
from kro.settings import Settings

SCRIPT = HERE / "post_signed_events.lua"
PATH = "/v1/webhooks/paystack"


def write_events(path: Path, count: int, duplicates: float, secret: bytes) -> int:
    """``count`` lines ``<signature>\\t<body>`` to ``path``: fresh ``charge.success`` events,
    and with probability ``duplicates`` a repeat of one already written. Returns how many
    lines repeat an earlier one."""
    run, sent, repeats = uuid.uuid4().hex[:10], [], 0
    with path.open("w") as out:
        for n in range(count):
            if sent and random.random() < duplicates:
                out.write(random.choice(sent))
                repeats += 1
                continue
            event = {
                "event": "charge.success",
                "data": {
                    "id": n + 1,
                    "domain": "test",
                    "status": "success",
                    "reference": f"bench-{run}-{n}",
                    "amount": 500_000,
                    "currency": "NGN",
                    "channel": "card",
                    "paid_at": "2026-11-21T10:00:00.000Z",
                    "customer": {"email": "ada@example.com"},
                },
            }
            body = json.dumps(event, separators=(",", ":"))
            signature = hmac.new(secret, body.encode(), hashlib.sha512).hexdigest()
            line = f"{signature}\t{body}\n"
            sent.append(line)
            out.write(line)
    return repeats


async def main(args: argparse.Namespace) -> None:
    require_wrk()
    name = f"kro_bench_wh_{os.getpid()}"
    admin = await asyncpg.connect(
        make_url(args.pg).set(drivername="postgresql").render_as_string(False)
    )
    for db in (name, f"{name}_base"):
        await admin.execute(f'CREATE DATABASE "{db}"')
    try:
        with tempfile.TemporaryDirectory(prefix="kro_bench_wh_") as tmp:
            await run(args, make_url(args.pg), name, Path(tmp), admin)
    finally:
        for db in (name, f"{name}_base"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()


def _url(base: URL, database: str, driver: str) -> str:
    return base.set(drivername=driver, database=database).render_as_string(False)


async def run(
    args: argparse.Namespace, pg: URL, name: str, tmp: Path, admin: asyncpg.Connection
) -> None:
    await asyncio.to_thread(upgrade, _url(pg, name, "postgresql+asyncpg"))
    secret = Settings().paystack_secret_key
    log_dir = Path(args.logs) if args.logs else tmp
    log_dir.mkdir(parents=True, exist_ok=True)
    # As in bench/payments_api.py: a pool holding a process's share of the connections.
    pool_size = max(Settings().db_pool_size, -(-args.concurrency // args.workers) + 4)
    ports = {"platform": free_port(), "baseline": free_port()}
    local = ["--host", "127.0.0.1"]
    platform_argv = [python(), "-m", "kro.cli", "serve", *local, "--port", str(ports["platform"])]
    platform_argv += ["--workers", str(args.workers), "--no-access-log"]
    baseline_argv = [python(), "-m", "uvicorn", "bench.baseline_app:create_app", "--factory"]
    baseline_argv += [*local, "--port", str(ports["baseline"]), "--workers", str(args.workers)]
    baseline_argv += ["--log-level", "warning", "--no-access-log"]
    servers = {
        "platform": Server(
            "platform",
            platform_argv,
            {
                "KRO_LOG_LEVEL": "WARNING",
                "KRO_DATABASE_URL": _url(pg, name, "postgresql+asyncpg"),
                "KRO_SANDBOX_ENABLED": "false",
                "KRO_WORKER_IN_PROCESS": "false",
                "KRO_STORAGE_PATH": str(tmp / "files"),
                "KRO_DB_POOL_SIZE": str(pool_size),
            },
            log_dir,
            port=ports["platform"],
            py_spy=args.py_spy,
        ),
        "baseline": Server(
            "baseline",
            baseline_argv,
            {
                "BENCH_PG_DSN": _url(pg, f"{name}_base", "postgresql"),
                "BENCH_POOL_SIZE": str(2 * pool_size),
                "BENCH_PAYSTACK_SECRET": secret,
            },
            log_dir,
            port=ports["baseline"],
        ),
    }
    databases = {"platform": [name], "baseline": [f"{name}_base"]}

    def deliveries(dsn: str, table: str) -> Callable[[], Awaitable[int]]:
        async def done_so_far() -> int:  # events taken in, repeats included
            return (await count(dsn, table))[1]

        return done_so_far

    done = {  # events really taken in (wrk does not count those in flight when it stops)
        "platform": deliveries(_url(pg, name, "postgresql"), "webhook_events"),
        "baseline": deliveries(_url(pg, f"{name}_base", "postgresql"), "bench_baseline_events"),
    }
    acknowledged = {"platform": 0, "baseline": 0}
    try:
        await asyncio.gather(*(s.wait_ready() for s in servers.values()))
        _, idle_commits = await idle(servers, args.idle, admin, databases, settle=args.settle)
        print(
            f"PostgreSQL; platform `kro serve --workers {args.workers}` (no job worker: intake "
            f"only); baseline uvicorn --workers {args.workers}; wrk -t1 -c{args.concurrency}; "
            f"{args.duplicates:.0%} of requests repeat an event; A-B-B-A, {args.seconds:g} s "
            f"per run after {args.warmup:g} s warm-up"
        )
        tallies = {"baseline": Tally(), "platform": Tally()}
        for which in ("baseline", "platform", "platform", "baseline"):
            warm, events = (tmp / f"events-{uuid.uuid4().hex[:8]}.tsv" for _ in range(2))
            write_events(warm, args.events // 4, args.duplicates, secret.encode())
            write_events(events, args.events, args.duplicates, secret.encode())
            window = await measure(
                servers[which],
                SCRIPT,
                [PATH, "x-paystack-signature", str(events)],
                warmup_args=[PATH, "x-paystack-signature", str(warm)],
                connections=args.concurrency,
                seconds=args.seconds,
                warmup=args.warmup,
                settle=args.settle,
                watch=servers,
                admin=admin,
                databases=databases,
                done=done,
            )
            if window.wrk.extra.get("x_wrapped"):
                print(f"  warning: {which} used up its {args.events:,} events; raise --events")
            acknowledged[which] += window.requests
            tallies[which].add(window, which, idle_commits)
            warm.unlink()
            events.unlink()
        base, plat = tallies["baseline"], tallies["platform"]
        print(f"  baseline  {base.line('baseline', 'event')}")
        print(f"  platform  {plat.line('platform', 'event')}")
        stored = {
            "platform": await count(_url(pg, name, "postgresql"), "webhook_events"),
            "baseline": await count(
                _url(pg, f"{name}_base", "postgresql"), "bench_baseline_events"
            ),
        }
        for which in ("platform", "baseline"):
            rows, deliveries = stored[which]
            print(
                f"  {which}: {acknowledged[which]:,} events acknowledged (warm-ups included), "
                f"{rows:,} stored once, {deliveries:,} deliveries counted"
            )
    finally:
        for server in servers.values():
            server.close()
    print(
        f"webhook-intake: {plat.rate:,.0f} events/s, {plat.cpu_us('platform'):,.0f} us CPU/event, "
        f"{plat.commits_per('platform'):.2f} commits/event, {args.duplicates:.0%} duplicates; "
        f"baseline {base.rate:,.0f} events/s, {base.cpu_us('baseline'):,.0f} us CPU/event; "
        f"workers {args.workers}"
    )


async def count(dsn: str, table: str) -> tuple[int, int]:
    """Rows of the inbox ``table`` and the deliveries they count (0, 0 if it has no such
    columns: the inbox is the platform's to change)."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(f"SELECT count(*) AS n, sum(deliveries) AS d FROM {table}")
        return int(row["n"]), int(row["d"] or 0)
    except asyncpg.PostgresError:
        return 0, 0
    finally:
        await conn.close()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pg", required=True, help="postgresql://user@host:port/db (admin)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=32, help="connections (default 32)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds measured idle")
    parser.add_argument("--settle", type=float, default=11.0, help="see bench/httpbench.py")
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of repeats")
    parser.add_argument(
        "--events", type=int, default=60_000, help="events written per run (default 60,000)"
    )
    parser.add_argument(
        "--py-spy",
        default="",
        help="sample the platform with py-spy (`uv run --with py-spy …`) in the measured runs, "
        "to files PREFIX.N.txt",
    )
    parser.add_argument("--logs", default="", help="keep the servers' logs in this directory")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
