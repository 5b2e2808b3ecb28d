"""Crash tests on PostgreSQL, loopback only.

1. Escrow payments and payouts run through ``kro serve`` and two ``kro worker`` processes
   while one of them is killed with SIGKILL at random moments (seeded: the seed is printed,
   and ``KRO_CRASH_SEED`` replays it) and started again. At the end: the ledger invariant
   holds; every order paid at the sandbox is funded (and here closed); every payout reached
   the provider exactly once and settled; no job is stuck or dead-lettered. CI runs a short
   form (30 s of chaos); ``KRO_CRASH_SECONDS=600 pytest tests/ops/test_crash.py`` runs a
   longer one.
2. Concurrent withdrawals of a seller's whole balance through two servers: at most one
   succeeds and the wallet never goes below zero; the same Idempotency-Key sent to both
   servers at once gives one payout.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from kro.kit.db import create_engine, session_factory
from kro.ledger.invariants import check_invariants
from tests.notifications.messaging_fixtures import Smtp
from tests.ops.cluster import Client, Cluster

pytestmark = pytest.mark.postgres
ORDERS = int(os.environ.get("KRO_CRASH_ORDERS", "3"))
# The chaos lasts at least this long, orders going on until it ends.
SECONDS = float(os.environ.get("KRO_CRASH_SECONDS", "30"))
AMOUNT = 5_000_000  # ₦50,000 per order


class Chaos:
    """Kill one of ``victims`` with SIGKILL every 2–5 s (seeded), start it again soon after.
    (A server needs a few seconds to start: killing it faster would test only its start.)"""

    def __init__(self, cluster: Cluster, victims: list[str], seed: int) -> None:
        self.cluster, self.victims = cluster, victims
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.kills: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopping.wait(self.random.uniform(2.0, 5.0)):
            victim = self.random.choice(self.victims)
            proc = self.cluster.procs[victim]
            # Only a process that had time to start (a few seconds, more on a busy machine)
            # and, for a server, answers is killed: killing one that never came up would stop
            # the platform, not test it.
            if time.monotonic() - proc.started_at < 6.0 or not self.cluster.up(victim):
                continue
            proc.kill()
            self.kills.append(victim)
            self.stopping.wait(self.random.uniform(0.1, 1.0))
            self.cluster.restart(victim)

    def __enter__(self) -> Chaos:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        for victim in self.victims:
            self.cluster.restart(victim)


async def ledger_problems(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return await check_invariants(session)
    finally:
        await engine.dispose()


async def job_counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT status, count(*) FROM jobs WHERE status IN ('dead', 'running') "
                    "OR (status = 'queued' AND run_at <= now()) GROUP BY status"
                )
            )
            return {str(s): int(n) for s, n in rows.all()}
    finally:
        await engine.dispose()


def settled_jobs(db_url: str, within: float = 60.0) -> dict[str, int]:
    """Wait until no job is running or due; return what is left (dead ones included)."""
    deadline = time.monotonic() + within
    while True:
        counts = asyncio.run(job_counts(db_url))
        if not counts.get("running") and not counts.get("queued"):
            return counts
        if time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


def provider_transfers(sandbox_db: Path) -> dict[str, int]:
    """The transfers the simulator (the provider) holds: reference → how many."""
    with sqlite3.connect(sandbox_db) as db:
        rows = db.execute("SELECT reference, count(*) FROM paystack_transfers GROUP BY reference")
        return {str(ref): int(n) for ref, n in rows}


def test_killing_servers_and_workers_loses_no_kobo(pg_url: str, tmp_path: Path, smtp: Smtp) -> None:
    seed = int(os.environ.get("KRO_CRASH_SEED") or secrets.randbelow(10**9))
    print(f"crash test seed: {seed} (replay with KRO_CRASH_SEED={seed})")
    cluster = Cluster(pg_url, tmp_path, servers=1, workers=2, smtp_port=smtp.port)
    cluster.start()
    client = Client(cluster.base_urls)
    checkout = httpx.Client(timeout=15)
    payouts: list[dict[str, object]] = []
    try:
        buyer = client.user("buyer@crash-example.com")
        seller = client.user("seller@crash-example.com")
        account = client.bank_account(seller)
        started = time.monotonic()
        with Chaos(cluster, ["serve-1", "worker-1", "worker-2"], seed) as chaos:
            while len(payouts) < ORDERS or time.monotonic() - started < SECONDS:
                order = client.closed_order(
                    buyer, seller, "seller@crash-example.com", AMOUNT, checkout
                )
                released = order["amounts"]["released"]
                payout = client.ok(
                    "POST",
                    "/v1/payouts",
                    seller,
                    {"amount": released, "currency": "NGN", "bank_account_id": account},
                    key=secrets.token_hex(12),
                )
                payouts.append(payout)
        print(f"killed {len(chaos.kills)} times: {chaos.kills}")
        assert len(chaos.kills) >= 3, "the chaos hardly struck: lengthen the run"

        # Everything converges once the processes stay up.
        deadline = time.monotonic() + 120
        for payout in payouts:
            while (
                status := client.ok("GET", f"/v1/payouts/{payout['id']}", seller)["status"]
            ) != "success":
                assert status not in ("failed", "reversed"), f"payout {payout['id']} {status}"
                assert time.monotonic() < deadline, f"payout {payout['id']} stayed {status}"
                time.sleep(0.5)
        assert client.wallet(seller)["available"] == 0

        jobs = settled_jobs(pg_url)
        assert jobs.get("dead", 0) == 0, jobs
        assert not jobs.get("running") and not jobs.get("queued"), f"stuck jobs: {jobs}"
        assert asyncio.run(ledger_problems(pg_url)) == []
        sent = provider_transfers(cluster.sandbox_db)
        assert sent == {str(p["reference"]): 1 for p in payouts}, sent
    except BaseException:
        print(f"seed {seed}\n{cluster.log_tails()}")
        raise
    finally:
        checkout.close()
        cluster.stop()


def test_concurrent_withdrawals_through_two_servers(
    pg_url: str, tmp_path: Path, smtp: Smtp
) -> None:
    cluster = Cluster(pg_url, tmp_path, servers=2, workers=1, smtp_port=smtp.port)
    cluster.start()
    client = Client(cluster.base_urls)
    checkout = httpx.Client(timeout=15)
    try:
        buyer = client.user("buyer@race-example.com")
        seller = client.user("seller@race-example.com")
        account = client.bank_account(seller)
        order = client.closed_order(buyer, seller, "seller@race-example.com", AMOUNT, checkout)
        balance = order["amounts"]["released"]
        body = {"amount": balance, "currency": "NGN", "bank_account_id": account}

        def withdraw(i: int, key: str) -> httpx.Response:
            base = cluster.base_urls[i % 2]
            return httpx.post(
                f"{base}/v1/payouts",
                json=body,
                timeout=30,
                headers={"Authorization": f"Bearer {seller}", "Idempotency-Key": key},
            )

        # Eight different requests for the whole balance, through both servers at once.
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: withdraw(i, secrets.token_hex(12)), range(8)))
        codes = sorted(r.status_code for r in answers)
        assert codes.count(201) == 1, [(r.status_code, r.text[:120]) for r in answers]
        refused = [r for r in answers if r.status_code != 201]
        assert all(r.json()["error"]["code"] == "insufficient_funds" for r in refused), [
            r.text for r in refused
        ]
        wallet = client.wallet(seller)
        assert wallet["available"] == 0 and wallet["held"] == balance

        # The same key sent to both servers at once: one payout, the same answer.
        order = client.closed_order(buyer, seller, "seller@race-example.com", AMOUNT, checkout)
        body["amount"] = order["amounts"]["released"]
        key = secrets.token_hex(12)
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda i: withdraw(i, key), range(6)))
        done = [r for r in answers if r.status_code == 201]
        assert done and all(r.status_code in (201, 409) for r in answers), [
            (r.status_code, r.text[:120]) for r in answers
        ]
        assert len({r.json()["data"]["id"] for r in done}) == 1
        mine = client.ok("GET", "/v1/payouts", seller)
        assert len(mine) == 2
        assert asyncio.run(ledger_problems(pg_url)) == []
    finally:
        checkout.close()
        cluster.stop()
