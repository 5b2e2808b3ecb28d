"""The donor's page for a monthly gift, ``/giving/monthly/{gift_id}?token=…`` (the link in
every receipt): its amount and months so far, change the amount, or stop it. No account
needed; without the token it is a 404 page. Thin: each form calls the service the JSON API
calls, with its errors beside the same fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from kro.giving.config import GivingSettings
from kro.giving.monthly import service
from kro.kit.deps import DbSession
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["giving pages"])


def _url(gift_id: str, token: str) -> str:
    return f"/giving/monthly/{gift_id}?token={token}"


async def _page(
    request: Request, session: DbSession, gift_id: str, token: str, form: Form | None = None
) -> Response:
    found = await service.view(session, gift_id, token)
    return render(
        request,
        "giving/monthly/manage.html",
        {**(form.context() if form else {}), "view": found, "token": token},
        status=form.status if form else 200,
    )


@router.get("/giving/monthly/{gift_id}")
async def manage(
    gift_id: str,
    request: Request,
    session: DbSession,
    token: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The gift its ``token`` opens."""
    return await _page(request, session, gift_id, token)


@router.post("/giving/monthly/{gift_id}/amount")
async def change_amount(
    gift_id: str, request: Request, session: DbSession, settings: GivingSettings
) -> Response:
    """As ``POST /v1/giving/monthly/{id}/amount``, the amount typed in naira."""
    form = await read_form(request)
    token = form["token"]
    amount = form.amount("amount")
    if amount is not None:
        async with form.saving(session, field="amount"):
            await service.change_amount(session, settings, gift_id, token, amount)
    if not form.ok:
        return await _page(request, session, gift_id, token, form)
    return redirect(request, _url(gift_id, token), message="Your monthly gift is changed.")


@router.post("/giving/monthly/{gift_id}/cancel")
async def cancel(
    gift_id: str, request: Request, session: DbSession, settings: GivingSettings
) -> Response:
    """As ``POST /v1/giving/monthly/{id}/cancel``."""
    form = await read_form(request)
    token = form["token"]
    async with form.saving(session):
        await service.cancel(session, settings, gift_id, token)
    if not form.ok:
        return await _page(request, session, gift_id, token, form)
    return redirect(request, _url(gift_id, token), message="Your monthly gift is stopped.")
