"""``POST /v1/webhooks/providus``: Providus's settlement notifications into the inbox.

Providus expects HTTP 200 and its own reply, not our envelope:
``{"requestSuccessful": true, "sessionId", "responseMessage", "responseCode"}``.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from kro.identity.dependencies import AppSettings
from kro.kit.db import unit_of_work
from kro.payments.bank_transfer import service as bank_transfer

router = APIRouter(tags=["webhooks"])
log = structlog.get_logger("kro.payments.providus")


class ProvidusAck(BaseModel):
    """Our answer to a notification. ``responseCode``: ``00`` accepted, ``01`` duplicate
    (``settlementId`` already received), ``02`` rejected (bad signature, unreadable body,
    account not ours), ``03`` system failure (Providus retries)."""

    request_successful: bool = Field(True, alias="requestSuccessful")
    session_id: str | None = Field(None, alias="sessionId")
    response_message: str = Field(alias="responseMessage")
    response_code: str = Field(alias="responseCode")


@router.post("/v1/webhooks/providus", responses={200: {"model": ProvidusAck}})
async def providus_notification(request: Request, settings: AppSettings) -> JSONResponse:
    """Receive a settlement notification (``Client-Id`` + ``X-Auth-Signature``). It is stored
    once per ``settlementId`` and confirmed with Providus by a job before any value moves."""
    raw = await request.body()
    try:
        # The endpoint owns its transaction (not ``DbSession``) so that a database failure,
        # commit included, is still answered in Providus's terms: 03, retry later.
        async with unit_of_work(request.app.state.sessions) as session:
            reply = await bank_transfer.receive_providus_notification(
                session, request.headers, raw, settings
            )
    except SQLAlchemyError:
        log.exception("providus_notification_failed")
        reply = bank_transfer.system_failure(raw)
    return JSONResponse(reply.body())
