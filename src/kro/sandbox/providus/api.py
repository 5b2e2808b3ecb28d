"""Providus's PiP (Xpress account / DCS) paths, served by the simulator.

Every endpoint needs ``Client-Id`` and ``X-Auth-Signature`` (upper-case hex SHA-512 of
``"client_id:client_secret"``); without them: 401 ``{"requestSuccessful": false,
"responseMessage": "Invalid Client-Id or X-Auth-Signature", "responseCode": "03"}``.

- ``POST /PiPCreateDynamicAccountNumber {account_name}`` → ``{account_number, account_name,
  requestSuccessful, responseMessage: "OPERATION SUCCESSFUL", responseCode: "00",
  initiationTranRef}``
- ``POST /PiPCreateReservedAccountNumber {account_name, bvn}`` → ``{account_number,
  account_name, bvn, requestSuccessful, responseMessage, responseCode}``
- ``POST /PiPUpdateAccountName {account_number, account_name}``
- ``POST /PiPBlacklistAccount {account_number, blacklist_flg: 1}``
- ``GET /PiPverifyTransaction?session_id=…`` or ``?settlement_id=…`` → the settlement (the
  notification's fields, naira strings), or 200 with empty fields when unknown.
"""

import hmac
import re
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.inputs import json_object
from kro.sandbox.common.service import session_dependency
from kro.sandbox.providus import accounts, settlements
from kro.sandbox.providus.errors import ProvidusApiError, invalid_credentials
from kro.sandbox.providus.util import signature

if TYPE_CHECKING:
    from kro.sandbox.providus.app import ProvidusSandbox

_BVN = re.compile(r"^\d{11}$")
_NUBAN = re.compile(r"^\d{10}$")
SUCCESS = {
    "requestSuccessful": True,
    "responseMessage": "OPERATION SUCCESSFUL",
    "responseCode": "00",
}


def client_of(sandbox: "ProvidusSandbox", client_id: str | None, auth_signature: str | None) -> str:
    """The client id whose credentials the headers carry; Providus's 401 otherwise."""
    if not client_id or not auth_signature:
        raise invalid_credentials()
    secret = sandbox.config.clients.get(client_id)
    if secret is None:
        raise invalid_credentials()
    expected = signature(client_id, secret)
    if not hmac.compare_digest(expected.encode(), auth_signature.strip().upper().encode()):
        raise invalid_credentials()
    return client_id


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body; anything else is Providus's 400."""
    invalid = "Invalid request body"
    return await json_object(request, ProvidusApiError, not_json=invalid, not_object=invalid)


def required_str(body: dict[str, Any], name: str, *, max_length: int = 200) -> str:
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ProvidusApiError(f"{name} is required")
    if len(value.strip()) > max_length:
        raise ProvidusApiError(f"{name} is too long")
    return value.strip()


def account_number(body: dict[str, Any]) -> str:
    number = required_str(body, "account_number")
    if not _NUBAN.match(number):
        raise ProvidusApiError("Invalid account_number")
    return number


def build_api_router(sandbox: "ProvidusSandbox") -> APIRouter:
    router = APIRouter(tags=["providus"])
    config = sandbox.config

    def client(
        client_id: Annotated[str | None, Header(alias="Client-Id")] = None,
        auth_signature: Annotated[str | None, Header(alias="X-Auth-Signature")] = None,
    ) -> str:
        return client_of(sandbox, client_id, auth_signature)

    Client = Annotated[str, Depends(client)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.post("/PiPCreateDynamicAccountNumber")
    async def create_dynamic(request: Request, client_id: Client, session: Db) -> JSONResponse:
        """A one-time account for one transfer, valid ``dynamic_account_validity`` seconds."""
        name = required_str(await read_body(request), "account_name")
        account = await accounts.create_dynamic(session, config, client_id, name)
        return JSONResponse(
            {
                "account_number": account.account_number,
                "account_name": account.account_name,
                **SUCCESS,
                "initiationTranRef": account.initiation_tran_ref,
            }
        )

    @router.post("/PiPCreateReservedAccountNumber")
    async def create_reserved(request: Request, client_id: Client, session: Db) -> JSONResponse:
        body = await read_body(request)
        name = required_str(body, "account_name")
        bvn = required_str(body, "bvn")
        if not _BVN.match(bvn):
            raise ProvidusApiError("Invalid BVN")
        account = await accounts.create_reserved(session, config, client_id, name, bvn)
        return JSONResponse(
            {
                "account_number": account.account_number,
                "account_name": account.account_name,
                "bvn": account.bvn,
                **SUCCESS,
            }
        )

    @router.post("/PiPUpdateAccountName")
    async def update_name(request: Request, client_id: Client, session: Db) -> JSONResponse:
        body = await read_body(request)
        account = await accounts.find(session, client_id, account_number(body), for_update=True)
        account.account_name = required_str(body, "account_name")
        return JSONResponse(
            {"account_number": account.account_number, "account_name": account.account_name}
            | SUCCESS
        )

    @router.post("/PiPBlacklistAccount")
    async def blacklist(request: Request, client_id: Client, session: Db) -> JSONResponse:
        body = await read_body(request)
        account = await accounts.find(session, client_id, account_number(body), for_update=True)
        flag = str(body.get("blacklist_flg", "1"))
        account.status = "blacklisted" if flag == "1" else "active"
        return JSONResponse({"account_number": account.account_number} | SUCCESS)

    @router.get("/PiPverifyTransaction")
    async def verify(
        client_id: Client,
        session: Db,
        session_id: str | None = None,
        settlement_id: str | None = None,
    ) -> JSONResponse:
        """The settlement by NIP ``session_id`` or by ``settlement_id`` (the source of truth
        before giving value); unknown → 200 with empty fields and ``TRANSACTION NOT FOUND``."""
        if not session_id and not settlement_id:
            raise ProvidusApiError("session_id or settlement_id is required")
        found = await settlements.find(
            session, client_id, session_id=session_id, settlement_id=settlement_id
        )
        if found is None:
            return JSONResponse(settlements.NOT_FOUND)
        return JSONResponse(settlements.payload(found))

    return router
