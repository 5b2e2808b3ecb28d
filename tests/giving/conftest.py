"""KROGiving fixtures: the platform under a real server (the escrow tests' fixture, which
checks the ledger invariant after each test) and a driver for a campaign's life."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.escrow import conftest as _escrow
from tests.escrow.test_disputes import Admin, enrolled_admin
from tests.support.api import data, register_and_login
from tests.support.platform import eventually, sandbox_pay

# The escrow tests' fixtures: the platform on this test's database (the ledger invariant is
# checked when it stops) and an HTTP client to it.
platform = _escrow.platform
http = _escrow.http

GOAL = 10_000_000  # ₦100,000.00


def campaign_body(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Surgery for Ada",
        "story": "Ada needs heart surgery in Lagos before March; every naira helps.",
        "category": "medical",
        "goal": GOAL,
        **overrides,
    }


@dataclass
class Giving:
    """Drives campaigns through the API: an organizer, an admin with TOTP, donors."""

    http: httpx.AsyncClient
    organizer: dict[str, str]
    admin: Admin
    campaign: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.campaign["id"])

    async def create(self, **overrides: Any) -> dict[str, Any]:
        r = await self.http.post(
            "/v1/giving/my/campaigns", json=campaign_body(**overrides), headers=self.organizer
        )
        self.campaign = data(r, 201)
        return self.campaign

    async def launch(self, **overrides: Any) -> dict[str, Any]:
        """Create, submit, and have the admin approve: live."""
        await self.create(**overrides)
        await self.act("submit")
        await self.review("approve")
        return await self.mine()

    async def act(self, action: str) -> dict[str, Any]:
        r = await self.http.post(
            f"/v1/giving/my/campaigns/{self.id}/{action}", headers=self.organizer
        )
        self.campaign = data(r)
        return self.campaign

    async def review(self, action: str, reason: str | None = None) -> dict[str, Any]:
        r = await self.http.post(
            f"/v1/admin/giving/campaigns/{self.id}/review",
            json={"action": action, "reason": reason},
            headers=self.admin.headers,
        )
        return dict(data(r))

    async def mine(self) -> dict[str, Any]:
        r = await self.http.get(f"/v1/giving/my/campaigns/{self.id}", headers=self.organizer)
        self.campaign = data(r)
        return self.campaign

    async def give(self, amount: int, pay: bool = True, **fields: Any) -> dict[str, Any]:
        """A donation by a new donor (no account); paid on the sandbox checkout unless
        ``pay`` is False; waits until the donation is paid."""
        tag = secrets.token_hex(3)
        body = {"name": f"Donor {tag}", "email": f"donor-{tag}@example.com", "amount": amount}
        checkout = data(
            await self.http.post(
                f"/v1/giving/campaigns/{self.id}/donations", json={**body, **fields}
            ),
            201,
        )
        donation = checkout["donation"]
        if not pay:
            return dict(checkout)
        await sandbox_pay(self.http, checkout["authorization_url"])

        async def paid() -> dict[str, Any] | None:
            d = await self.donation(donation)
            return d if d["status"] == "paid" else None

        result: dict[str, Any] = await eventually(paid)
        return result

    async def donation(self, donation: dict[str, Any]) -> dict[str, Any]:
        r = await self.http.get(
            f"/v1/giving/donations/{donation['id']}", params={"token": donation["access_token"]}
        )
        return dict(data(r))


async def verified_organizer(
    http: httpx.AsyncClient,
    admin: Admin,
    email: str,
) -> dict[str, str]:
    """A user whose identity an admin verified through kro.kyc."""
    headers = await register_and_login(http, email, name="Chidi Okafor")
    body = {"bvn": "22222222222", "nin": "11111111111", "full_name": "Chidi Okafor"}
    case = data(await http.post("/v1/kyc", json=body, headers=headers))
    if case["status"] != "verified":
        queue = data(await http.get("/v1/admin/kyc/cases", headers=admin.headers))
        case_id = next(c["id"] for c in queue if c["user_id"] == case.get("user_id", c["user_id"]))
        data(
            await http.post(
                f"/v1/admin/kyc/cases/{case_id}/approve", json={}, headers=admin.headers
            )
        )
    return headers


@pytest.fixture
async def giving(http: httpx.AsyncClient) -> Giving:
    tag = secrets.token_hex(3)
    organizer = await register_and_login(http, f"organizer-{tag}@example.com", name="Chidi Okafor")
    admin = await enrolled_admin(http)
    return Giving(http, organizer, admin)
