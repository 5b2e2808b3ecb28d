"""Development-only endpoints (never mounted when ``KRO_ENV=production``).

``POST /v1/dev/clock/advance`` moves this process's :data:`kro.kit.clock` forward, so a demo
can let an inspection period or an expiry pass. Workers in other processes keep real time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kro.identity.dependencies import AdminUser
from kro.kit.api import Envelope, ok
from kro.kit.clock import clock

router = APIRouter(prefix="/v1/dev", tags=["development only"])


class AdvanceIn(BaseModel):
    seconds: int = Field(gt=0, le=90 * 24 * 3600)


class ClockOut(BaseModel):
    now: datetime


@router.post("/clock/advance")
async def advance_clock(body: AdvanceIn, _: AdminUser) -> Envelope[ClockOut]:
    """Move the server's clock forward by ``seconds`` (admins; development and test only)."""
    clock.advance(timedelta(seconds=body.seconds))
    return ok(ClockOut(now=clock.now()))
