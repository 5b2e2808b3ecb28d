"""Drive the merchant API as a business would: a tenant, its keys, its providers — all over
HTTP against the whole platform (API, worker, sandboxes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.escrow.conftest import assert_ledger_ok
from tests.support.api import data, register_and_login
from tests.support.platform import Platform, eventually, run_platform


@pytest.fixture
async def gateway(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Platform]:
    """The platform with fast refunds polls and a quick circuit breaker; afterwards the ledger
    invariant must hold."""
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(
        db_url,
        sandbox_db,
        gateway_refund_poll=0.5,
        gateway_provider_timeout=3.0,
        breaker_threshold=3,
        breaker_ttl=2.0,
        api_rate_limit="100000/minute",
    ) as p:
        yield p
    await assert_ledger_ok(sessions)


@dataclass
class Merchant:
    """One tenant: its owner's headers and a test-mode secret key."""

    http: httpx.AsyncClient
    tenant_id: str
    owner: dict[str, str]
    key: dict[str, str]

    @classmethod
    async def create(cls, http: httpx.AsyncClient, tag: str, mode: str = "test") -> Merchant:
        owner = await register_and_login(http, f"owner@{tag}.example.com")
        tenant = data(
            await http.post("/v1/tenants", json={"name": f"{tag} Ltd"}, headers=owner), 201
        )
        r = await http.post(
            f"/v1/tenants/{tenant['id']}/api-keys", json={"mode": mode}, headers=owner
        )
        key = {"Authorization": f"Bearer {data(r, 201)['secret']}"}
        return cls(http, tenant["id"], owner, key)

    async def configure(self, provider: str, priority: int, **extra: Any) -> dict[str, Any]:
        body = {"provider": provider, "mode": "test", "priority": priority, "currencies": ["NGN"]}
        r = await self.http.post(
            f"/v1/tenants/{self.tenant_id}/provider-configs", json=body | extra, headers=self.owner
        )
        config: dict[str, Any] = data(r, 201)
        return config

    async def pay(self, amount: int = 500_000, **extra: Any) -> httpx.Response:
        body = {"amount": amount, "currency": "NGN", "customer": {"email": "ada@example.com"}}
        return await self.http.post("/v1/payments", json=body | extra, headers=self.key)

    async def payment(self, payment_id: str) -> dict[str, Any]:
        found: dict[str, Any] = data(
            await self.http.get(f"/v1/payments/{payment_id}", headers=self.key)
        )
        return found

    async def until(self, payment_id: str, status: str, within: float = 20.0) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            found = await self.payment(payment_id)
            return found if found["status"] == status else None

        result: dict[str, Any] = await eventually(reached, within=within)
        return result


async def customer_pays(http: httpx.AsyncClient, payment: dict[str, Any]) -> None:
    """Click *Pay* on the provider's hosted page named by ``next_action``."""
    assert payment["status"] == "requires_action", payment
    r = await http.post(f"{payment['next_action']['url']}/pay")
    assert r.status_code in (200, 303), r.text


async def set_faults(
    http: httpx.AsyncClient, platform: Platform, provider: str, **faults: Any
) -> None:
    r = await http.put(f"{platform.base_url}/sandbox/{provider}/_sandbox/faults", json=faults)
    assert r.status_code == 200, r.text
