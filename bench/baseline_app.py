"""The baselines of ``bench/payments_api.py`` and ``bench/webhook_intake.py``: bare FastAPI
endpoints that write with asyncpg and answer JSON, served by the same uvicorn configuration as
the platform.

- ``POST /v1/payments`` takes the same body as the platform's (amount, currency, customer
  email), validates it with Pydantic, inserts one row (the ``Idempotency-Key`` header in a
  unique column) and returns 201 with the row in the platform's envelope. No authentication,
  no idempotency replay, no provider.
- ``POST /v1/webhooks/paystack`` checks ``x-paystack-signature`` (HMAC-SHA512 of the raw body
  with ``BENCH_PAYSTACK_SECRET``, compared in constant time; 401 otherwise), reads the event,
  and in one statement stores it once per ``(provider, "<event>:<reference>")`` — a duplicate
  only counts a delivery — and queues a job row for a new one; 200 with the event's id.

Both use an asyncpg pool as large as the platform's SQLAlchemy pool can grow. Run as
``uvicorn bench.baseline_app:create_app --factory`` with ``BENCH_PG_DSN`` (a
``postgresql://`` DSN) and optionally ``BENCH_POOL_SIZE`` (default 20) and
``BENCH_PAYSTACK_SECRET`` in the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Header, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, EmailStr, Field

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_baseline_payments ("
    "id varchar(32) PRIMARY KEY, idempotency_key varchar(255) UNIQUE, amount bigint NOT NULL, "
    "currency varchar(3) NOT NULL, email varchar(320) NOT NULL, "
    "created_at timestamptz NOT NULL)"
)
INSERT = (
    "INSERT INTO bench_baseline_payments (id, idempotency_key, amount, currency, email, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6)"
)
CREATE_INBOX = (
    "CREATE TABLE IF NOT EXISTS bench_baseline_events ("
    "id varchar(32) PRIMARY KEY, provider varchar(16) NOT NULL, event_key varchar(200) NOT NULL, "
    "event_type varchar(64) NOT NULL, payload text NOT NULL, deliveries int NOT NULL, "
    "received_at timestamptz NOT NULL, UNIQUE (provider, event_key));"
    "CREATE TABLE IF NOT EXISTS bench_baseline_jobs ("
    "id varchar(32) PRIMARY KEY, name varchar(100) NOT NULL, payload jsonb NOT NULL, "
    "run_at timestamptz NOT NULL)"
)
STORE_EVENT = (  # the event once (a duplicate counts a delivery), and a job for a new one
    "WITH stored AS ("
    " INSERT INTO bench_baseline_events AS e (id, provider, event_key, event_type, payload,"
    " deliveries, received_at) VALUES ($1, 'paystack', $2, $3, $4, 1, $5)"
    " ON CONFLICT (provider, event_key) DO UPDATE SET deliveries = e.deliveries + 1"
    " RETURNING e.id, (xmax = 0) AS inserted),"
    " job AS (INSERT INTO bench_baseline_jobs (id, name, payload, run_at)"
    " SELECT $6, 'payments.confirm_charge', jsonb_build_object('event_id', id), $5"
    " FROM stored WHERE inserted)"
    " SELECT id, inserted FROM stored"
)


class Customer(BaseModel):
    email: EmailStr


class PaymentIn(BaseModel):
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    customer: Customer


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_PG_DSN"]
    pool_size = int(os.environ.get("BENCH_POOL_SIZE", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Connections open on demand and close after 3 s idle: PostgreSQL's 100 connections
        # are shared with the platform (run after this) and other test runs.
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=pool_size, max_inactive_connection_lifetime=3
        )
        async with pool.acquire() as conn, conn.transaction():
            # Worker processes start together: one creates the table, the others wait.
            await conn.execute("SELECT pg_advisory_xact_lock(7301)")
            await conn.execute(CREATE_TABLE)
            await conn.execute(CREATE_INBOX)
        app.state.pool = pool
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/payments", status_code=status.HTTP_201_CREATED)
    async def create_payment(
        body: PaymentIn,
        request: Request,
        idempotency_key: str | None = Header(None, max_length=255),
    ) -> dict[str, Any]:
        payment_id = f"pay_{uuid.uuid4().hex[:24]}"
        now = datetime.now(UTC)
        await request.app.state.pool.execute(
            INSERT,
            payment_id,
            idempotency_key,
            body.amount,
            body.currency,
            body.customer.email,
            now,
        )
        return {
            "success": True,
            "data": {
                "id": payment_id,
                "amount": body.amount,
                "currency": body.currency,
                "status": "pending",
                "created_at": now.isoformat(),
            },
            "meta": {"request_id": uuid.uuid4().hex, "timestamp": now.isoformat()},
        }

    secret = os.environ.get("BENCH_PAYSTACK_SECRET", "").encode()

    @app.post("/v1/webhooks/paystack")
    async def paystack_webhook(request: Request) -> Any:
        raw = await request.body()
        expected = hmac.new(secret, raw, hashlib.sha512).hexdigest()
        given = request.headers.get("x-paystack-signature", "")
        if not hmac.compare_digest(expected, given):
            return JSONResponse({"success": False}, status_code=401)
        event = json.loads(raw)
        key = f"{event['event']}:{event['data']['reference']}"
        now = datetime.now(UTC)
        row = await request.app.state.pool.fetchrow(
            STORE_EVENT,
            f"evt_{uuid.uuid4().hex[:24]}",
            key,
            event["event"],
            raw.decode(),
            now,
            f"job_{uuid.uuid4().hex[:24]}",
        )
        return {
            "success": True,
            "data": {"event_id": row["id"], "duplicate": not row["inserted"]},
            "meta": {"request_id": uuid.uuid4().hex, "timestamp": now.isoformat()},
        }

    return app
