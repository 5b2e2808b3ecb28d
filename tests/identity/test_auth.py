from datetime import timedelta

import httpx

from kro.kit.clock import clock
from tests.support.api import data, error

PW = "correct horse battery"


async def _register(client: httpx.AsyncClient, email: str = "ada@example.com") -> dict:
    r = await client.post(
        "/v1/auth/register", json={"email": email, "password": PW, "full_name": "Ada Obi"}
    )
    return data(r, 201)


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    user = await _register(client, "Ada@Example.com")
    assert user["id"].startswith("usr_") and user["email"] == "ada@example.com"
    assert "password_hash" not in user
    tokens = data(
        await client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PW})
    )
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = data(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    )
    assert me["id"] == user["id"] and me["role"] == "user"


async def test_duplicate_email_and_bad_input(client: httpx.AsyncClient) -> None:
    await _register(client)
    error(
        await client.post(
            "/v1/auth/register", json={"email": "ADA@example.com", "password": PW, "full_name": "x"}
        ),
        409,
        "email_taken",
    )
    err = error(
        await client.post(
            "/v1/auth/register", json={"email": "nope", "password": "short", "full_name": ""}
        ),
        422,
        "validation_error",
    )
    assert {d["field"] for d in err["details"]} == {"email", "password", "full_name"}


async def test_wrong_password_and_missing_token(client: httpx.AsyncClient) -> None:
    await _register(client)
    error(
        await client.post(
            "/v1/auth/login", json={"email": "ada@example.com", "password": "wrong password"}
        ),
        401,
        "invalid_credentials",
    )
    error(
        await client.post("/v1/auth/login", json={"email": "who@example.com", "password": PW}),
        401,
        "invalid_credentials",
    )
    error(await client.get("/v1/me"), 401, "unauthorized")
    error(
        await client.get("/v1/me", headers={"Authorization": "Bearer garbage"}),
        401,
        "invalid_token",
    )


async def test_access_token_expires_after_15_minutes(client: httpx.AsyncClient) -> None:
    await _register(client)
    tokens = data(
        await client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PW})
    )
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    clock.advance(timedelta(minutes=14))
    data(await client.get("/v1/me", headers=auth))
    clock.advance(timedelta(minutes=2))
    error(await client.get("/v1/me", headers=auth), 401, "token_expired")


async def test_refresh_rotates_and_detects_reuse(client: httpx.AsyncClient) -> None:
    await _register(client)
    first = data(
        await client.post("/v1/auth/login", json={"email": "ada@example.com", "password": PW})
    )
    second = data(
        await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    )
    assert second["refresh_token"] != first["refresh_token"]
    data(await client.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"}))
    # Presenting the rotated token again revokes the whole family, including the new one.
    error(
        await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        401,
        "refresh_token_reused",
    )
    error(
        await client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "refresh_token_reused",
    )
