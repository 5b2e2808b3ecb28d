"""With reCAPTCHA enabled, register, login and magic-link requests need a passing token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.platform import Platform, run_platform


@pytest.fixture
def captcha_platform(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sbx')}/sandbox.db"
    with run_platform(db_url, sandbox_db, recaptcha_enabled=True) as p:
        yield p


async def test_captcha_guards_sign_in(captcha_platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=captcha_platform.base_url) as http:
        body = {"email": "cap@example.com", "password": "long enough pw", "full_name": "Cap"}
        r = await http.post("/v1/auth/register", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "captcha_failed"
        r = await http.post("/v1/auth/register", json=body, headers={"X-Captcha-Token": "pass-1"})
        assert r.status_code == 201, r.text
        creds = {"email": body["email"], "password": body["password"]}
        r = await http.post("/v1/auth/login", json=creds, headers={"X-Captcha-Token": "nope"})
        assert r.status_code == 400
        r = await http.post("/v1/auth/login", json=creds, headers={"X-Captcha-Token": "pass-2"})
        assert r.status_code == 200
        r = await http.post("/v1/auth/magic-link", json={"email": body["email"]})
        assert r.status_code == 400
        r = await http.post(
            "/v1/auth/magic-link",
            json={"email": body["email"]},
            headers={"X-Captcha-Token": "pass-3"},
        )
        assert r.status_code == 202
