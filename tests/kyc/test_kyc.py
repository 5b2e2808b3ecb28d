"""KYC: submission, name matching, the review queue, and the public status API."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kyc import service
from tests.support.api import data, error, register_and_login


async def test_status_through_the_life_of_a_case(session: AsyncSession) -> None:
    assert await service.status(session, "usr_a") == "none"
    case = await service.submit(
        session, "usr_a", bvn="222 3333 4444", nin="12345678901", full_name="Adaeze  Okafor"
    )
    assert (case.status, case.bvn_last4, case.full_name) == ("pending", "4444", "Adaeze Okafor")
    assert "22233334444" not in repr(vars(case))
    assert not await service.is_verified(session, "usr_a")
    await service.record_lookup(session, case.id, "OKAFOR ADAEZE CHIOMA", threshold_bps=8500)
    assert await service.is_verified(session, "usr_a")
    # A second answer for a case already decided changes nothing.
    await service.record_lookup(session, case.id, None, threshold_bps=8500)
    assert await service.status(session, "usr_a") == "verified"


async def test_a_poor_match_waits_for_an_admin(session: AsyncSession) -> None:
    case = await service.submit(
        session, "usr_b", bvn="22233334444", nin="12345678901", full_name="John Smith"
    )
    await service.record_lookup(session, case.id, "Adaeze Okafor", threshold_bps=8500)
    assert case.status == "pending" and case.needs_review
    assert [c.id for c in await service.review_queue(session)] == [case.id]
    await service.decide(session, "usr_admin", case.id, approve=False, reason="Name differs")
    assert await service.status(session, "usr_b") == "rejected"
    again = await service.submit(
        session, "usr_b", bvn="22233334444", nin="12345678901", full_name="Adaeze Okafor"
    )
    assert again.id == case.id and again.status == "pending" and again.reason is None


def test_name_match() -> None:
    assert service.name_match_bps("Adaeze Okafor", "OKAFOR, Adaeze") == 10_000
    assert service.name_match_bps("Adaeze Okafor", "Okafor Adaeze Chioma") >= 9_000
    assert service.name_match_bps("John Smith", "Adaeze Okafor") < 5_000


async def test_api(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "kyc-user@example.com")
    assert data(await client.get("/v1/kyc", headers=user))["status"] == "none"
    bad = {"bvn": "123", "nin": "12345678901", "full_name": "Ada Obi"}
    err = error(
        await client.post("/v1/kyc", json=bad, headers=user), 422, "invalid_identity_number"
    )
    assert err["details"]["field"] == "bvn"
    assert data(await client.get("/v1/kyc", headers=user))["status"] == "none"
    good = {"bvn": "22233334444", "nin": "12345678901", "full_name": "Ada Obi"}
    out = data(await client.post("/v1/kyc", json=good, headers=user))
    assert out["status"] == "pending" and out["bvn_last4"] == "4444"
    assert (await client.get("/v1/admin/kyc/cases", headers=user)).status_code in (401, 403)


async def test_the_kyc_page(client: httpx.AsyncClient) -> None:
    """Sign up through the pages, see ``none``, submit a bad BVN (the error beside the
    field), then a good one (pending)."""
    client.follow_redirects = False
    token = await _token(client, "/sign-up")
    form = {"csrf_token": token, "full_name": "Ada Obi", "email": "ada@example.com"}
    r = await client.post("/sign-up", data=form | {"password": "a long enough password"})
    assert r.status_code == 303, r.text
    page = await client.get("/kyc")
    assert page.status_code == 200 and "status-none" in page.text
    token = await _token(client, "/kyc")
    bad = {"csrf_token": token, "full_name": "Ada Obi", "bvn": "12", "nin": "12345678901"}
    r = await client.post("/kyc", data=bad)
    assert r.status_code == 422 and "invalid_identity_number" in r.text
    r = await client.post("/kyc", data=bad | {"bvn": "22233334444"})
    assert r.status_code == 303
    assert "status-pending" in (await client.get("/kyc")).text


async def _token(client: httpx.AsyncClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', (await client.get(path)).text)
    assert found, path
    return found.group(1)
