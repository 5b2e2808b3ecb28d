"""Stripe's ``Idempotency-Key`` on POST requests (docs.stripe.com/idempotency, providers.md 3).

- The first request with a key runs; its status and body are stored with a fingerprint of
  its method, path and parameters — errors included once execution began (a declined card),
  but not a request refused by validation (nothing happened; the key may be reused).
- The same key again: the stored answer is replayed with ``Idempotent-Replayed: true``.
- The same key with other parameters or another endpoint: 400 ``idempotency_error``.
- Keys are per account and forgotten after ``config.idempotency_ttl`` (Stripe: ≥ 24 h).

The key's row is inserted before the work runs, in the same transaction, so two concurrent
requests with one key cannot both run: the second waits on the unique index and, once the
first commits, replays its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import clock
from kro.kit.db import unit_of_work
from kro.sandbox.stripe.errors import StripeApiError
from kro.sandbox.stripe.models import IdempotentRequest

Work = Callable[[AsyncSession], Awaitable[tuple[int, dict[str, Any]]]]
"""``session -> (HTTP status, body)``: the request's use case, run in the given transaction."""


def stripe_json(body: dict[str, Any], status_code: int = 200, **headers: str) -> Response:
    """A JSON answer as Stripe writes it (pretty-printed)."""
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return Response(text, status_code=status_code, media_type="application/json", headers=headers)


def fingerprint(method: str, path: str, raw_body: bytes) -> str:
    """SHA-256 of the method, path and the sorted parameters (order does not matter)."""
    pairs = sorted(raw_body.decode(errors="replace").split("&")) if raw_body else []
    return hashlib.sha256("\n".join([method, path, *pairs]).encode()).hexdigest()


def _mismatch(key: str) -> StripeApiError:
    return StripeApiError(
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        type="idempotency_error",
    )


async def _stored(
    session: AsyncSession, account_id: str, key: str, ttl: float
) -> IdempotentRequest | None:
    cutoff = clock.now() - timedelta(seconds=ttl)
    await session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.account_id == account_id,
            IdempotentRequest.key == key,
            IdempotentRequest.created < cutoff,
        )
    )
    return await session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.account_id == account_id, IdempotentRequest.key == key
        )
    )


def _replay(row: IdempotentRequest, print_: str) -> Response:
    if row.fingerprint != print_:
        raise _mismatch(row.key)
    if row.status_code == 0:  # only visible if the first request's transaction is still open
        raise StripeApiError(
            "There is currently another in-progress request using this Stripe token (probably "
            "the same idempotency key). Try again later.",
            http_status=409,
            code="idempotency_key_in_use",
        )
    headers = {"idempotent-replayed": "true", "idempotency-key": row.key}
    return Response(row.body, row.status_code, media_type="application/json", headers=headers)


async def run(
    sessions: async_sessionmaker[AsyncSession],
    *,
    account_id: str,
    key: str | None,
    print_: str,
    ttl: float,
    work: Work,
) -> Response:
    """Run ``work`` once per ``key`` (see the module); without a key, just run it."""
    if key is None:
        async with unit_of_work(sessions) as session:
            status, body = await work(session)
        return stripe_json(body, status)
    if len(key) > 255:
        raise StripeApiError("Idempotency key is too long (at most 255 characters).")
    try:
        async with unit_of_work(sessions) as session:
            row = await _stored(session, account_id, key, ttl)
            if row is not None:
                return _replay(row, print_)
            row = IdempotentRequest(
                account_id=account_id, key=key, fingerprint=print_, status_code=0, body="",
                created=clock.now(),
            )  # fmt: skip
            session.add(row)
            await session.flush()
            try:
                status, body = await work(session)
            except StripeApiError as exc:
                if not exc.keep:
                    raise
                status, body = exc.http_status, exc.body()
            row.status_code, row.body = status, json.dumps(body, indent=2, ensure_ascii=False)
    except IntegrityError:
        async with unit_of_work(sessions) as session:
            row = await _stored(session, account_id, key, ttl)
            if row is None:
                raise
            return _replay(row, print_)
    return Response(
        row.body, status, media_type="application/json", headers={"idempotency-key": key}
    )
