"""The PenCom register simulator: ``GET /api/v1/rsa/{pin}``, ``GET /api/v1/pfas``,
``GET /api/v1/pfcs``; control ``POST /_sandbox/holders`` (a list of holders to enrol)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Date, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit import data
from kro.sandbox.common.lifecycle import open_database
from kro.sandbox.db import SandboxBase

# The licensed operators, read from the platform's one data file (kro.sandbox may import only
# kro.kit). Codes are ours, NOT official PenCom codes; custodians invented likewise.
_OPERATORS = data.load("pension_operators.json")
PFCS: dict[str, str] = {p["code"]: p["name"] for p in _OPERATORS["pfcs"]}
PFAS: dict[str, tuple[str, str]] = {p["code"]: (p["name"], p["pfc"]) for p in _OPERATORS["pfas"]}


class Holder(SandboxBase):
    """An RSA holder as the register knows them."""

    __tablename__ = "pencom_holders"

    pin: Mapped[str] = mapped_column(String(20), primary_key=True)
    surname: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    other_names: Mapped[str | None] = mapped_column(String(100), default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    pfa_code: Mapped[str] = mapped_column(String(10))


class HolderIn(BaseModel):
    pin: str
    surname: str
    first_name: str
    other_names: str | None = None
    date_of_birth: date | None = None
    pfa_code: str


class PencomSandbox:
    """Mount ``.app`` at :attr:`path`; enter ``running()`` to open its database."""

    path = "/sandbox/pencom"

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.app = FastAPI(title="PenCom register sandbox", version="1")
        self.app.include_router(self._router())

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PencomSandbox]:
        async with open_database(self.database_url, "pencom_") as sessions:
            self._sessions = sessions
            try:
                yield self
            finally:
                self._sessions = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            raise RuntimeError("PencomSandbox is not running")
        return self._sessions

    def _router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/api/v1/pfas")
        async def pfas() -> JSONResponse:
            rows = [{"code": c, "name": n, "pfc_code": p} for c, (n, p) in PFAS.items()]
            return JSONResponse({"data": rows, "official_codes": False})

        @router.get("/api/v1/pfcs")
        async def pfcs() -> JSONResponse:
            rows = [{"code": c, "name": n} for c, n in PFCS.items()]
            return JSONResponse({"data": rows, "official_codes": False})

        @router.get("/api/v1/rsa/{pin}")
        async def holder(pin: str) -> JSONResponse:
            async with self.sessions() as session:
                found = await session.get(Holder, pin.strip().upper())
            if found is None:
                return JSONResponse({"error": "pin_not_found", "message": "No such PIN"}, 404)
            name, pfc = PFAS.get(found.pfa_code, (found.pfa_code, ""))
            return JSONResponse(
                {
                    "data": {
                        "pin": found.pin,
                        "surname": found.surname,
                        "first_name": found.first_name,
                        "other_names": found.other_names,
                        "date_of_birth": found.date_of_birth.isoformat()
                        if found.date_of_birth
                        else None,
                        "pfa_code": found.pfa_code,
                        "pfa_name": name,
                        "pfc_code": pfc,
                    }
                }
            )

        @router.post("/_sandbox/holders")
        async def enrol(holders: list[HolderIn]) -> JSONResponse:
            """Enrol (or update) holders, as a PFA would through ECRS."""
            unknown = [h.pfa_code for h in holders if h.pfa_code not in PFAS]
            if unknown:
                return JSONResponse({"error": "unknown_pfa", "codes": unknown}, 422)
            async with self.sessions() as session, session.begin():
                for h in holders:
                    row = await session.get(Holder, h.pin.upper())
                    if row is None:
                        row = Holder(pin=h.pin.upper())
                        session.add(row)
                    row.surname, row.first_name, row.other_names = (
                        h.surname,
                        h.first_name,
                        h.other_names,
                    )
                    row.date_of_birth, row.pfa_code = h.date_of_birth, h.pfa_code
            return JSONResponse({"enrolled": len(holders)})

        @router.get("/_sandbox/holders")
        async def listing() -> JSONResponse:
            async with self.sessions() as session:
                rows = list(await session.scalars(select(Holder).limit(1000)))
            return JSONResponse({"data": [{"pin": r.pin, "pfa_code": r.pfa_code} for r in rows]})

        return router
