"""``/v1/disputes`` (a party's own disputes) and ``/v1/admin/disputes`` (every product's
disputes; resolution with a fresh TOTP).

The parties complain, answer and attach evidence through their product's routes (escrow's
``/v1/escrow/orders/{id}/issues``…, the marketplace's ``…/dispute``); these routes read the
disputes and decide them. Each route lists its own errors in ``responses=``; ``CurrentUser``'s
and ``AdminUser``'s (401/403) and request validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.disputes import resolution, service, states
from kro.disputes.errors import DisputeClosed, DisputeNotFound, InvalidOutcome, InvalidSplit
from kro.disputes.schemas import DisputeOut, ResolveIn
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp, CurrentUser
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidTransition
from kro.kit.openapi import error_responses
from kro.ledger.errors import LedgerBusy

router = APIRouter(tags=["disputes"])


@router.get("/v1/disputes")
async def my_disputes(
    user: CurrentUser, session: DbSession, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> Envelope[list[DisputeOut]]:
    """The caller's disputes as buyer or seller, newest first."""
    rows = await service.list_for_party(session, user, limit)
    return ok([DisputeOut.of(d) for d in rows])


@router.get("/v1/disputes/{dispute_id}", responses=error_responses(DisputeNotFound))
async def my_dispute(
    dispute_id: str, user: CurrentUser, session: DbSession
) -> Envelope[DisputeOut]:
    """One of the caller's disputes with its thread and transitions; 404
    ``dispute_not_found`` for anyone else's."""
    dispute = await service.get_for_party(session, user, dispute_id)
    thread = await service.thread(session, dispute.id)
    return ok(DisputeOut.of(dispute, thread, await service.events(session, dispute.id)))


@router.get("/v1/admin/disputes", tags=["admin: disputes"])
async def search(
    _: AdminUser,
    session: DbSession,
    purpose: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[list[DisputeOut]]:
    """Every product's disputes, newest first: by ``purpose`` (``escrow``, ``marketplace``),
    ``status`` (``active`` for open and escalated ones) and ``q`` (a dispute, order or user
    id, or words of the title); ``before`` is a dispute id cursor."""
    statuses = tuple(sorted(states.ACTIVE)) if status == "active" else (status,) if status else ()
    rows = await service.search(
        session, purpose=purpose, statuses=statuses, query=q, limit=limit, before=before
    )
    return ok([DisputeOut.of(d) for d in rows])


@router.get(
    "/v1/admin/disputes/{dispute_id}",
    tags=["admin: disputes"],
    responses=error_responses(DisputeNotFound),
)
async def get_dispute(dispute_id: str, _: AdminUser, session: DbSession) -> Envelope[DisputeOut]:
    """Any dispute with its thread and transitions; 404 ``dispute_not_found``."""
    dispute = await service.get(session, dispute_id)
    thread = await service.thread(session, dispute.id)
    return ok(DisputeOut.of(dispute, thread, await service.events(session, dispute.id)))


@router.post(
    "/v1/admin/disputes/{dispute_id}/resolve",
    tags=["admin: disputes"],
    responses=error_responses(
        TotpRequired,
        DisputeNotFound,
        DisputeClosed,
        InvalidTransition,
        InvalidOutcome,
        InvalidSplit,
        LedgerBusy,
    ),
)
async def resolve(
    dispute_id: str,
    body: ResolveIn,
    admin: AdminUser,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Envelope[DisputeOut]:
    """Decide an open or escalated dispute with a fresh TOTP code (403 ``totp_required``;
    audit-logged): one of its product's outcomes, a split with ``seller_amount`` minor units.
    409 ``dispute_closed`` once it was resolved or withdrawn (a second decision changes
    nothing); the product's own refusals (e.g. 422 ``invalid_split`` for a share out of
    bounds, 409 for an order that can no longer move) come back as they are."""
    dispute = await resolution.resolve_with_totp(
        session,
        admin,
        dispute_id,
        body.outcome,
        body.note,
        totp_code=body.totp_code,
        seller_amount=body.seller_amount,
        settings=settings,
        ip=ip,
    )
    thread = await service.thread(session, dispute.id)
    return ok(DisputeOut.of(dispute, thread, await service.events(session, dispute.id)))
