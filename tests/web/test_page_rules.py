"""Rules every page owes, checked over every page route of the app (no browser needed):

- every form (each POST of a page router) refuses a request without its CSRF token, before
  anything else runs, signed in or not;
- a page of another user's object is the 404 page, and so is every form posted at it;
- signing out ends the session on the server (the old cookie opens nothing).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from kro.app import create_app
from kro.settings import Settings
from kro.web.routing import PageRoute

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


def browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kro.test", follow_redirects=False
    )


async def token_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    found = TOKEN.search(page.text)
    assert found, f"{path} has no CSRF field"
    return found.group(1)


async def sign_up(client: httpx.AsyncClient, email: str) -> None:
    token = await token_of(client, "/sign-up")
    r = await client.post(
        "/sign-up",
        data={
            "csrf_token": token,
            "full_name": email.split("@")[0],
            "email": email,
            "password": "a long enough password",
        },
    )
    assert r.status_code == 303, r.text


def page_posts(app: FastAPI) -> list[str]:
    paths = []
    for route in iter_route_contexts(app.routes):  # the routes of every included router
        if isinstance(route.original_route, PageRoute) and "POST" in (route.methods or ()):
            paths.append(re.sub(r"\{[^}]+\}", "x0000000000000000000000000", route.path))
    return sorted(set(paths))


async def test_every_form_refuses_a_missing_csrf_token(app: FastAPI) -> None:
    posts = page_posts(app)
    assert len(posts) >= 10  # the sweep covers the apps' forms, not an empty list
    async with browser(app) as anonymous, browser(app) as signed_in:
        await sign_up(signed_in, "ada@example.com")
        for client in (anonymous, signed_in):
            for path in posts:
                r = await client.post(path, data={"anything": "1"})
                assert r.status_code == 403, (path, r.status_code)
                assert 'data-code="csrf_failed"' in r.text, path


async def test_another_users_order_is_a_404_page_and_so_are_its_forms(app: FastAPI) -> None:
    async with browser(app) as ada, browser(app) as eve, browser(app) as seller:
        await sign_up(seller, "sola@example.com")
        await sign_up(ada, "ada@example.com")
        await sign_up(eve, "eve@example.com")
        token = await token_of(ada, "/orders/new")
        r = await ada.post(
            "/orders/new",
            data={
                "csrf_token": token,
                "seller_email": "sola@example.com",
                "title": "Laptop",
                "amount": "150,000",
                "conditions": "Works",
                "inspection_days": "3",
            },
        )
        assert r.status_code == 303, r.text
        order_url = r.headers["location"]
        assert (await ada.get(order_url)).status_code == 200
        assert (await seller.get(order_url)).status_code == 200

        page = await eve.get(order_url)
        assert page.status_code == 404 and 'data-code="order_not_found"' in page.text
        eve_token = await token_of(eve, "/orders/new")
        order_posts = [p for p in page_posts(app) if p.startswith("/orders/x")]
        assert len(order_posts) >= 8
        for path in order_posts:
            target = path.replace("/orders/x0000000000000000000000000", order_url, 1)
            r = await eve.post(
                target,
                data={
                    "csrf_token": eve_token,
                    "message": "hi",
                    "issue": "x",
                    "reason": "x",
                    "method": "card",
                },
            )
            assert r.status_code in (404, 422), (target, r.status_code)
            assert r.status_code == 404 or "validation_error" in r.text, target
        # Still untouched: the seller can accept it.
        assert "Accept order" in (await seller.get(order_url)).text


async def test_signing_out_ends_the_session_on_the_server(app: FastAPI) -> None:
    async with browser(app) as ada:
        await sign_up(ada, "ada@example.com")
        cookie = ada.cookies.get("kro_session")
        assert cookie and (await ada.get("/profile")).status_code == 200
        token = await token_of(ada, "/profile")
        assert (await ada.post("/sign-out", data={"csrf_token": token})).status_code == 303
    async with browser(app) as thief:
        thief.cookies.set("kro_session", cookie)
        r = await thief.get("/profile")
        assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/profile"
