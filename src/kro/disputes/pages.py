"""The admin console's disputes of every product: ``/admin/disputes`` (search), one dispute
(its thread, evidence and transitions) and its resolution with a fresh TOTP code.

Thin: each page calls the function ``/v1/admin/disputes`` calls (:mod:`kro.disputes.service`,
:func:`kro.disputes.resolution.resolve_with_totp`), with the same errors beside the same
fields. The seller's share of a split is typed in major units (naira) and carried in minor
units.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import registry, resolution, service, states
from kro.disputes.models import DisputeMessage
from kro.disputes.schemas import ResolveIn
from kro.identity import service as identity
from kro.identity.admin_pages import add_tile
from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession, FileStorage
from kro.web import navigation
from kro.web.dependencies import PageAdmin
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

M = TypeVar("M", bound=BaseModel)

router = page_router(tags=["admin dispute pages"])
navigation.add("admin", "Disputes", "/admin/disputes", order=25)
add_tile("Disputes in every product", "/admin/disputes?status=active", service.count_active)

ACTIVE = "active"  # the filter for open and escalated disputes
STATUS_FILTERS = [
    ("", "Every status"),
    (ACTIVE, "Waiting (open or escalated)"),
    *[(s, s.capitalize()) for s in sorted(states.DISPUTE.states() - {states.NEW})],
]


def dispute_url(dispute_id: str) -> str:
    return f"/admin/disputes/{dispute_id}"


def download(message: DisputeMessage, data: bytes) -> Response:
    """An evidence file as a download, never shown inline (a party's HTML or SVG must not
    run in the console)."""
    return Response(
        content=data,
        media_type=message.evidence_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{message.evidence_name}"'},
    )


@router.get("/admin/disputes")
async def disputes(
    request: Request,
    viewer: PageAdmin,
    session: DbSession,
    purpose: str = Query("", max_length=32),
    status: str = Query("", max_length=16),
    q: str = Query("", max_length=100),
    before: str = Query("", max_length=32),
) -> Response:
    """Every product's disputes by product, status and words (as ``GET /v1/admin/disputes``),
    50 a page."""
    statuses = tuple(sorted(states.ACTIVE)) if status == ACTIVE else (status,) if status else ()
    rows = await service.search(
        session,
        purpose=purpose or None,
        statuses=statuses,
        query=q or None,
        limit=50,
        before=before or None,
    )
    older = None
    if len(rows) == 50:
        older = f"/admin/disputes?purpose={purpose}&status={status}&q={q}&before={rows[-1].id}"
    purposes = [("", "Every product"), *[(p.name, p.label) for p in registry.purposes()]]
    ctx = {
        "disputes": rows,
        "purpose": purpose,
        "purposes": purposes,
        "status": status,
        "filters": STATUS_FILTERS,
        "q": q,
        "older": older,
    }
    return render(request, "disputes/list.html", ctx)


async def _dispute_page(
    request: Request, session: AsyncSession, dispute_id: str, form: Form | None = None
) -> Response:
    dispute = await service.get(session, dispute_id)
    purpose = registry.get(dispute.purpose)
    ctx = form.context() if form else {"values": {"outcome": purpose.outcomes[0][0]}}
    product_url = purpose.admin_url.format(id=dispute.purpose_id) if purpose.admin_url else None
    return render(
        request,
        "disputes/dispute.html",
        {
            **ctx,
            "dispute": dispute,
            "purpose": purpose,
            "product_url": product_url,
            "buyer": await identity.get_user(session, dispute.buyer_id),
            "seller": await identity.get_user(session, dispute.seller_id),
            "thread": await service.thread(session, dispute.id),
            "events": await service.events(session, dispute.id),
            "active": dispute.status in states.ACTIVE,
            "outcomes": list(purpose.outcomes),
        },
        status=form.status if form else 200,
    )


@router.get("/admin/disputes/{dispute_id}")
async def dispute_page(
    request: Request, dispute_id: str, viewer: PageAdmin, session: DbSession
) -> Response:
    """One dispute: the product object, the parties, the thread with its evidence, the
    transitions and (while it is open or escalated) the resolution form."""
    return await _dispute_page(request, session, dispute_id)


@router.get("/admin/disputes/{dispute_id}/messages/{message_id}/evidence")
async def evidence(
    dispute_id: str, message_id: str, viewer: PageAdmin, session: DbSession, storage: FileStorage
) -> Response:
    """A file a party attached to the thread, as a download (never shown inline)."""
    dispute = await service.get(session, dispute_id)
    message, data = await service.evidence_file(
        session, storage, message_id, purpose=dispute.purpose, purpose_id=dispute.purpose_id
    )
    return download(message, data)


async def read_resolution(request: Request, model: type[M], currency: str) -> tuple[Form, M | None]:
    """The posted resolution form, parsed with the API's schema ``model`` (``outcome``,
    ``seller_amount``, ``note``, ``totp_code``); the seller's share of a split is typed in
    major units of ``currency`` and carried in minor units. ``None`` with the form's errors
    when it does not parse."""
    form = await read_form(request)
    outcome = form["outcome"]
    amount = form.amount("seller_amount", currency) if outcome == "split" else None
    values = {
        "outcome": outcome,
        "seller_amount": amount,
        "note": form["note"],
        "totp_code": form["totp_code"],
    }
    return form, form.parse(model, values)


@router.post("/admin/disputes/{dispute_id}/resolve")
async def resolve(
    request: Request,
    dispute_id: str,
    viewer: PageAdmin,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Decide the dispute (as ``POST /v1/admin/disputes/{id}/resolve``) with a fresh TOTP
    code in the same form."""
    dispute = await service.get(session, dispute_id)
    form, body = await read_resolution(request, ResolveIn, dispute.currency)
    if body is not None:
        async with form.saving(session):
            await resolution.resolve_with_totp(
                session,
                viewer,
                dispute_id,
                body.outcome,
                body.note,
                totp_code=body.totp_code,
                seller_amount=body.seller_amount,
                settings=settings,
                ip=ip,
            )
    if not form.ok:
        return await _dispute_page(request, session, dispute_id, form)
    return redirect(request, dispute_url(dispute_id), message="The dispute is resolved.")
