"""The giving admin pages through plain HTTP (no browser): an admin signed in with a cookie,
forms posted with their CSRF token, and the page's ids checked for repeats."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from kro.kit.clock import clock
from tests.escrow.test_disputes import ADMIN, Admin

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
ID = re.compile(r'\sid="([^"]+)"')


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def repeated_ids(html: str) -> list[str]:
    """The HTML ids used more than once on the page."""
    return [i for i, n in Counter(ID.findall(html)).items() if n > 1]


def fresh_code(admin: Admin) -> str:
    """A code for a step after every one used so far: the clock (shared with the server)
    moves a minute on, as a real admin's next action would come later."""
    clock.advance(timedelta(seconds=60))
    admin.step = 0
    return admin.code()


@asynccontextmanager
async def console(base_url: str, admin: Admin) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to the admin console (password, then a fresh authenticator code)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        page = await client.get("/admin/sign-in")
        form = {**ADMIN, "csrf_token": token(page.text), "next": "/admin"}
        r = await client.post("/admin/sign-in", data=form)
        assert r.status_code == 303, r.text
        page = await client.get("/admin/sign-in/code")
        r = await client.post(
            "/admin/sign-in/code", data={"code": admin.code(), "csrf_token": token(page.text)}
        )
        assert r.status_code == 303, r.text
        yield client


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Open ``page`` for its CSRF token and post ``fields`` to ``action``."""
    html = (await client.get(page)).text
    return await client.post(action, data={**fields, "csrf_token": token(html)})


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> None:
    """Sign ``client`` in on the web pages (the cookie session)."""
    page = await client.get("/sign-in")
    form = {"email": email, "password": password, "csrf_token": token(page.text)}
    r = await client.post("/sign-in", data=form)
    assert r.status_code == 303, r.text
