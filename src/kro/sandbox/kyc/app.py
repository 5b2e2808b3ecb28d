"""A local simulator of Dojah's Nigerian identity lookups (docs.dojah.io, KYC service).

Paths, as Dojah serves them under its host (``https://api.dojah.io``, sandbox
``https://sandbox.dojah.io``), with the headers ``AppId: <app id>`` and
``Authorization: <secret key>`` (not ``Bearer``), both confirmed in Dojah's docs:

- ``GET /api/v1/kyc/bvn/full?bvn=…`` → ``{"entity": {"bvn", "first_name", "middle_name",
  "last_name", "date_of_birth", "phone_number1", "gender", …}}`` [U: Dojah documents this path
  as *Lookup BVN (full)*; its *validate* variant, with names as query parameters, answers with
  ``confidence_value`` per field instead — not simulated]
- ``GET /api/v1/kyc/nin?nin=…`` → ``{"entity": {"nin", "first_name", "middle_name",
  "last_name", "date_of_birth", "phone_number", "gender"}}`` [U: field names of the NIN entity]
- errors: 400 ``{"error": "…"}`` for a malformed number, 404 ``{"error": "…"}`` for one not
  found, 401 ``{"error": "…"}`` for wrong credentials [U: the exact status codes and texts].
- ``POST /_sandbox/identities`` (control, for tests and demos): register a record.

Seeded with Dojah's published sandbox test BVN ``22222222222`` (John Doe) [U: the holder's
name is ours].
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.sandbox.common.lifecycle import open_database
from kro.sandbox.kyc.models import DojahIdentity

ELEVEN = re.compile(r"^\d{11}$")
SEED = [("bvn", "22222222222", "John", "", "Doe"), ("nin", "70123456789", "John", "", "Doe")]


@dataclass(frozen=True)
class DojahSandboxConfig:
    """The app the simulator accepts (``AppId`` and secret key) and its database."""

    database_url: str
    app_id: str
    secret_key: str


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _entity(row: DojahIdentity) -> dict[str, Any]:
    common = {
        "first_name": row.first_name,
        "middle_name": row.middle_name,
        "last_name": row.last_name,
        "date_of_birth": row.date_of_birth,
        "gender": row.gender,
    }
    if row.kind == "bvn":
        return {"bvn": row.number, "phone_number1": row.phone_number, "phone_number2": "", **common}
    return {"nin": row.number, "phone_number": row.phone_number, **common}


class DojahSandbox:
    """A Dojah look-alike; ``.app`` to mount, ``running()`` to open its database."""

    path = "/sandbox/dojah"

    def __init__(self, config: DojahSandboxConfig) -> None:
        self.config = config
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.app = FastAPI(title="Dojah sandbox", version="1")
        self.app.include_router(self._router())

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DojahSandbox]:
        async with open_database(self.config.database_url, "dojah_") as sessions:
            self._sessions = sessions
            for kind, number, first, middle, last in SEED:
                await self._save(kind, number, first, middle, last)
            try:
                yield self
            finally:
                self._sessions = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            raise RuntimeError("DojahSandbox is not running")
        return self._sessions

    async def _save(self, kind: str, number: str, first: str, middle: str, last: str) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.scalar(
                select(DojahIdentity).where(
                    DojahIdentity.kind == kind, DojahIdentity.number == number
                )
            )
            if row is None:
                row = DojahIdentity(kind=kind, number=number)
                session.add(row)
            row.first_name, row.middle_name, row.last_name = first, middle, last

    def _authorised(self, request: Request) -> bool:
        app_id = request.headers.get("appid", "")
        secret = request.headers.get("authorization", "")
        return hmac.compare_digest(app_id, self.config.app_id) and hmac.compare_digest(
            secret, self.config.secret_key
        )

    async def _lookup(self, request: Request, kind: str) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, "Unauthorized: invalid AppId or secret key")
        number = request.query_params.get(kind, "")
        if not ELEVEN.match(number):
            return _error(400, f"Invalid {kind.upper()}: it must be 11 digits")
        async with self.sessions() as session:
            row = await session.scalar(
                select(DojahIdentity).where(
                    DojahIdentity.kind == kind, DojahIdentity.number == number
                )
            )
        if row is None:
            return _error(404, f"{kind.upper()} not found")
        return JSONResponse({"entity": _entity(row)})

    def _router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/api/v1/kyc/bvn/full")
        async def bvn(request: Request) -> JSONResponse:
            return await self._lookup(request, "bvn")

        @router.get("/api/v1/kyc/nin")
        async def nin(request: Request) -> JSONResponse:
            return await self._lookup(request, "nin")

        @router.post("/_sandbox/identities")
        async def register(request: Request) -> JSONResponse:
            body = await request.json()
            kind, number = str(body.get("kind", "")), str(body.get("number", ""))
            if kind not in ("bvn", "nin") or not ELEVEN.match(number):
                return _error(400, "kind must be bvn or nin, number 11 digits")
            await self._save(
                kind,
                number,
                str(body.get("first_name", "")),
                str(body.get("middle_name", "")),
                str(body.get("last_name", "")),
            )
            return JSONResponse({"status": True}, status_code=201)

        return router
