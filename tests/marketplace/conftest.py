"""Marketplace fixtures: the platform under a real server (the escrow fixtures' platform,
whose teardown checks the ledger invariant), and a driver for one order's life."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.marketplace import catalog
from tests.escrow.conftest import http, platform  # noqa: F401  (fixtures reused)
from tests.support.api import data, register_and_login
from tests.support.platform import eventually, sandbox_pay

BASIC = 5_000_000  # ₦50,000.00
PREFIX = "/v1/marketplace"


def gig(category_id: str, title: str = "Logo design for your brand") -> dict[str, Any]:
    return {
        "category_id": category_id,
        "title": title,
        "description": "A clean, memorable logo with source files and a style guide.",
        "tags": ["logo", "branding"],
        "requirements": ["Your brand name"],
        "packages": [
            {"tier": "basic", "name": "Basic", "price": BASIC, "delivery_days": 3, "revisions": 1},
            {
                "tier": "premium",
                "name": "Premium",
                "price": 3 * BASIC,
                "delivery_days": 7,
                "revisions": 3,
            },
        ],
    }


@dataclass
class Market:
    """A seller with one active service, a buyer, and the order being driven."""

    http: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    seller: dict[str, str]
    buyer: dict[str, str]
    category_id: str
    service: dict[str, Any] = field(default_factory=dict)
    order: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.order["id"])

    def who(self, role: str) -> dict[str, str]:
        return self.buyer if role == "buyer" else self.seller

    async def place(self, tier: str = "basic") -> dict[str, Any]:
        package = next(p for p in self.service["packages"] if p["tier"] == tier)
        body = {"service_id": self.service["id"], "package_id": package["id"]}
        self.order = data(
            await self.http.post(f"{PREFIX}/orders", json=body, headers=self.buyer), 201
        )
        return self.order

    async def get(self, role: str = "buyer") -> dict[str, Any]:
        self.order = data(await self.http.get(f"{PREFIX}/orders/{self.id}", headers=self.who(role)))
        return self.order

    async def post(self, action: str, role: str, body: Any = None) -> dict[str, Any]:
        self.order = data(
            await self.http.post(
                f"{PREFIX}/orders/{self.id}/{action}", json=body, headers=self.who(role)
            )
        )
        return self.order

    async def pay(self) -> dict[str, Any]:
        checkout = data(await self.http.post(f"{PREFIX}/orders/{self.id}/pay", headers=self.buyer))
        assert checkout["amount"] == self.order["buyer_pays"]
        await sandbox_pay(self.http, checkout["authorization_url"])
        await eventually(self._paid)
        return self.order

    async def _paid(self) -> bool:
        return (await self.get())["status"] == "paid"

    async def start(self) -> dict[str, Any]:
        """Place (if needed), pay and answer the requirements: ``in_progress``."""
        if not self.order:
            await self.place()
        await self.pay()
        return await self.post("requirements", "buyer", {"answers": ["Kola Foods"]})

    async def earnings(self) -> dict[str, int]:
        return data(await self.http.get(f"{PREFIX}/earnings", headers=self.seller))


@pytest.fixture
async def market(
    http: httpx.AsyncClient,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> Market:
    tag = secrets.token_hex(3)
    seller = await register_and_login(http, f"seller-{tag}@example.com")
    buyer = await register_and_login(http, f"buyer-{tag}@example.com")
    async with sessions() as session:
        category = await catalog.create_category(session, f"Graphics {tag}")
        await session.commit()
    m = Market(http, sessions, seller, buyer, category.id)
    m.service = data(
        await http.post(f"{PREFIX}/services", json=gig(category.id), headers=seller), 201
    )
    return m
