"""KYC through the Dojah adapter against its simulator (mounted by the platform): a name
that matches the BVN's holder verifies at once; one that does not waits for an admin."""

from __future__ import annotations

import httpx

from tests.escrow.conftest import http, platform  # noqa: F401  (fixtures reused)
from tests.support.api import data, error, register_and_login
from tests.support.platform import Platform


async def test_lookup_and_name_match(http: httpx.AsyncClient, platform: Platform) -> None:  # noqa: F811
    sandbox = f"{platform.base_url}/sandbox/dojah"
    for kind, number in (("bvn", "22233334444"), ("nin", "12345678901")):
        body = {
            "kind": kind,
            "number": number,
            "first_name": "ADAEZE",
            "middle_name": "CHIOMA",
            "last_name": "OKAFOR",
        }
        assert (await http.post(f"{sandbox}/_sandbox/identities", json=body)).status_code == 201
    # The simulator speaks Dojah: AppId and the secret key, else 401.
    r = await http.get(f"{sandbox}/api/v1/kyc/bvn/full", params={"bvn": "22233334444"})
    assert r.status_code == 401 and "error" in r.json()

    ada = await register_and_login(http, "ada@example.com")
    good = {"bvn": "22233334444", "nin": "12345678901", "full_name": "Adaeze Okafor"}
    assert data(await http.post("/v1/kyc", json=good, headers=ada))["status"] == "verified"
    error(await http.post("/v1/kyc", json=good, headers=ada), 409, "kyc_already_verified")

    john = await register_and_login(http, "john@example.com")
    other = {**good, "full_name": "John Smith"}
    assert data(await http.post("/v1/kyc", json=other, headers=john))["status"] == "pending"
    unknown = {"bvn": "99999999999", "nin": "12345678901", "full_name": "Adaeze Okafor"}
    bola = await register_and_login(http, "bola@example.com")
    assert data(await http.post("/v1/kyc", json=unknown, headers=bola))["status"] == "pending"
