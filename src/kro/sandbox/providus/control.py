"""Control endpoints under ``/_sandbox`` — not Providus's API; for tests, the demo and merchants.

Authentication: optional unless ``config.control_requires_auth``. Without the client headers
they act on any client's accounts (lists show every client); with ``Client-Id`` +
``X-Auth-Signature`` on that client's only.

- ``POST /_sandbox/transfers`` ``{account_number, amount, source_account_number?,
  source_account_name?, source_bank_name?, remarks?, channel_id?}``: a customer's bank
  transfer into ``account_number``. ``amount`` is **kobo** (an integer; Providus itself speaks
  naira strings). Records the settlement (fees per the config) and queues its notification.
  404 for an unknown account; 409 for an expired or already used dynamic account, or a
  blacklisted one. Answers the settlement as Providus reports it, plus ``notification_id``.
- ``GET /_sandbox/accounts/{account_number}``: the account, with its kind, status and expiry.
- ``GET /_sandbox/notifications?account_number=&settlement_id=&status=``: notifications,
  newest first, with their attempts and payload.
- ``POST /_sandbox/notifications/{id}/resend``: a new delivery of the same bytes (a duplicate).
- ``POST /_sandbox/tick``: send due notifications now.

Answers: ``{"requestSuccessful": true, "responseMessage": ..., "responseCode": "00",
"data": ...}``; errors in Providus's shape.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.control import newest, owned
from kro.sandbox.common.service import session_dependency
from kro.sandbox.providus import accounts, notifications, settlements
from kro.sandbox.providus.api import client_of, read_body, required_str
from kro.sandbox.providus.errors import ProvidusApiError
from kro.sandbox.providus.models import Notification

if TYPE_CHECKING:
    from kro.sandbox.providus.app import ProvidusSandbox


def done(message: str, data: Any) -> JSONResponse:
    return JSONResponse(
        {"requestSuccessful": True, "responseMessage": message, "responseCode": "00", "data": data}
    )


def _kobo(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ProvidusApiError("amount must be a positive integer (kobo)")
    return value


def _optional(body: dict[str, Any], name: str, default: str) -> str:
    return required_str(body, name) if body.get(name) not in (None, "") else default


def build_control_router(sandbox: "ProvidusSandbox") -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["providus sandbox control"])
    config = sandbox.config

    def scope(
        client_id: Annotated[str | None, Header(alias="Client-Id")] = None,
        auth_signature: Annotated[str | None, Header(alias="X-Auth-Signature")] = None,
    ) -> str | None:
        if client_id or auth_signature or config.control_requires_auth:
            return client_of(sandbox, client_id, auth_signature)
        return None

    Scope = Annotated[str | None, Depends(scope)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.post("/transfers")
    async def transfer(request: Request, client_id: Scope, session: Db) -> JSONResponse:
        body = await read_body(request)
        defaults = settlements.IncomingTransfer(account_number="", amount=0)
        incoming = settlements.IncomingTransfer(
            account_number=required_str(body, "account_number"),
            amount=_kobo(body.get("amount")),
            source_account_number=_optional(
                body, "source_account_number", defaults.source_account_number
            ),
            source_account_name=_optional(
                body, "source_account_name", defaults.source_account_name
            ),
            source_bank_name=_optional(body, "source_bank_name", defaults.source_bank_name),
            remarks=body.get("remarks") if isinstance(body.get("remarks"), str) else None,
            channel_id=_optional(body, "channel_id", defaults.channel_id),
        )
        settlement, notification = await settlements.receive_transfer(
            session, config, client_id, incoming
        )
        data = settlements.payload(settlement) | {"notification_id": notification.id}
        return done("Transfer received", data)

    @router.get("/accounts/{account_number}")
    async def get_account(account_number: str, client_id: Scope, session: Db) -> JSONResponse:
        account = await accounts.find(session, client_id, account_number)
        return done("Account retrieved", accounts.account_data(account))

    @router.get("/notifications")
    async def list_notifications(
        client_id: Scope,
        session: Db,
        account_number: str | None = None,
        settlement_id: str | None = None,
        status: str | None = None,
    ) -> JSONResponse:
        rows = await newest(
            session,
            Notification,
            client_id=client_id,
            account_number=account_number,
            settlement_id=settlement_id,
            status=status,
        )
        return done("Notifications retrieved", [notifications.notification_data(r) for r in rows])

    @router.post("/notifications/{notification_id}/resend")
    async def resend(notification_id: int, client_id: Scope, session: Db) -> JSONResponse:
        original = await owned(session, Notification, notification_id, client_id=client_id)
        if original is None:
            raise ProvidusApiError("Notification not found", http_status=404)
        copy = await notifications.resend(session, original)
        return done("Notification queued", notifications.notification_data(copy))

    @router.post("/tick")
    async def tick() -> JSONResponse:
        return done("Tick done", await sandbox.tick())

    return router
