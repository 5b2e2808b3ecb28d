"""Escrow fixtures: the platform under a real server, and a driver for an order's life."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.ledger.invariants import check_invariants
from tests.support.api import data, register_and_login
from tests.support.platform import Platform, eventually, run_platform, sandbox_pay

AMOUNT = 25_000_000  # ₦250,000.00


@pytest.fixture
async def platform(
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Platform]:
    """The platform on this test's database; afterwards the ledger invariant must hold."""
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/paystack.db"
    with run_platform(db_url, sandbox_db) as p:
        yield p
    await assert_ledger_ok(sessions)


@pytest.fixture
async def http(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as c:
        yield c


@dataclass
class Deal:
    """Drives one order through the API as its buyer and seller."""

    http: httpx.AsyncClient
    buyer: dict[str, str]
    seller: dict[str, str]
    seller_email: str
    order: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.order["id"])

    async def create(self, amount: int = AMOUNT, conditions: int = 2) -> dict[str, Any]:
        body = {
            "seller_email": self.seller_email,
            "title": "Website redesign",
            "amount": amount,
            "currency": "NGN",
            "conditions": [{"description": f"Deliverable {i}"} for i in range(conditions)],
        }
        self.order = data(
            await self.http.post("/v1/escrow/orders", json=body, headers=self.buyer), 201
        )
        return self.order

    async def act(self, action: str, who: str) -> dict[str, Any]:
        headers = self.buyer if who == "buyer" else self.seller
        self.order = data(
            await self.http.post(f"/v1/escrow/orders/{self.id}/{action}", headers=headers)
        )
        return self.order

    async def get(self, who: str = "buyer") -> dict[str, Any]:
        headers = self.buyer if who == "buyer" else self.seller
        self.order = data(await self.http.get(f"/v1/escrow/orders/{self.id}", headers=headers))
        return self.order

    async def checkout(self) -> dict[str, Any]:
        return data(await self.http.post(f"/v1/escrow/orders/{self.id}/pay", headers=self.buyer))

    async def fund(self) -> dict[str, Any]:
        """Accept (if needed), pay on the sandbox checkout, wait until funded."""
        if self.order["status"] == "created":
            await self.act("accept", "seller")
        checkout = await self.checkout()
        await sandbox_pay(self.http, checkout["authorization_url"])
        await eventually(lambda: self._status_is("funded"))
        return self.order

    async def _status_is(self, status: str) -> bool:
        return (await self.get())["status"] == status

    async def close(self) -> dict[str, Any]:
        await self.act("start", "seller")
        await self.act("complete", "seller")
        for cond in self.order["conditions"]:
            self.order = data(
                await self.http.post(
                    f"/v1/escrow/orders/{self.id}/conditions/{cond['id']}/fulfil",
                    headers=self.buyer,
                )
            )
        return self.order

    async def wallet(self, who: str = "seller") -> dict[str, int]:
        headers = self.buyer if who == "buyer" else self.seller
        rows = data(await self.http.get("/v1/wallet", headers=headers))
        return next(
            (r for r in rows if r["currency"] == "NGN"), {"available": 0, "pending": 0, "held": 0}
        )


@pytest.fixture
async def deal(http: httpx.AsyncClient) -> Deal:
    tag = secrets.token_hex(3)
    buyer = await register_and_login(http, f"buyer-{tag}@example.com")
    seller_email = f"seller-{tag}@example.com"
    seller = await register_and_login(http, seller_email)
    return Deal(http, buyer, seller, seller_email)


async def assert_ledger_ok(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        problems = await check_invariants(session)
    assert problems == [], problems
