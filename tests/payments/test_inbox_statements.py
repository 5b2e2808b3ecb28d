"""The inbox's cost in statements, on both backends (``kro.payments.inbox.service``): a new
event is one INSERT (and its job one more), an ignored one a single INSERT, a repeat the
INSERT that meets the stored row, its look-up and the delivery count. Before
``kro.kit.db.insert_new`` a new event took a look-up, a savepoint around the insert and, for
its job, a look-up, an insert and a second look-up."""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.payments.inbox.service import receive_paystack_webhook
from tests.support.db import statements_sent

SECRET = "sk_test_inbox"


def _signed(kind: str) -> tuple[bytes, str]:
    data = {"id": 1, "reference": "ref-1", "transfer_code": "TRF_1", "status": "success"}
    body = json.dumps({"event": kind, "data": data}).encode()
    return body, hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()


async def test_statements_per_event(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def receive(kind: str) -> bool:
        sent.clear()
        async with unit_of_work(sessions) as session:
            _, is_new = await receive_paystack_webhook(session, *_signed(kind), SECRET)
        return is_new

    with statements_sent(engine) as sent:
        assert await receive("transfer.success")  # handled: the event and its job
        assert sent == ["INSERT", "INSERT"]
        assert await receive("charge.success")  # names no payment of ours: stored, ignored
        assert sent == ["INSERT"]
        assert not await receive("transfer.success")  # a repeat: counted, nothing queued
        assert sent == ["INSERT", "SELECT", "UPDATE"]
