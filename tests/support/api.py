"""Small helpers for driving the JSON API in tests."""

from __future__ import annotations

from typing import Any

import httpx


def data(response: httpx.Response, status: int = 200) -> Any:
    """Assert the status and the success envelope; return ``data``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True, body
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    return body["data"]


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the status and the error envelope (with ``code`` if given); return ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False, body
    if code is not None:
        assert body["error"]["code"] == code, body
    err: dict[str, Any] = body["error"]
    return err


async def register_and_login(
    client: httpx.AsyncClient, email: str, password: str = "correct horse battery", name: str = ""
) -> dict[str, str]:
    """Register a user and return Authorization headers for them."""
    await client.post(
        "/v1/auth/register",
        json={"email": email, "password": password, "full_name": name or email.split("@")[0]},
    )
    r = await client.post("/v1/auth/login", json={"email": email, "password": password})
    token = data(r)["access_token"]
    return {"Authorization": f"Bearer {token}"}
