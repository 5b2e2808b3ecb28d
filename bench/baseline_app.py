"""The baseline of ``bench/payments_api.py``: a bare FastAPI endpoint that inserts one row with
asyncpg and answers JSON, served by the same uvicorn configuration as the platform.

``POST /v1/payments`` takes the same body as the platform's (amount, currency, customer email),
validates it with Pydantic, inserts one row (the ``Idempotency-Key`` header in a unique column)
from an asyncpg pool as large as the platform's SQLAlchemy pool can grow, and returns 201 with
the row in the platform's envelope. No authentication, no idempotency replay, no provider.

Run as ``uvicorn bench.baseline_app:create_app --factory`` with ``BENCH_PG_DSN`` (a
``postgresql://`` DSN) and optionally ``BENCH_POOL_SIZE`` (default 20) in the environment.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, Header, Request, status
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
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        await pool.execute(CREATE_TABLE)
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

    return app
