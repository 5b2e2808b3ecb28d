"""The JSON API of ``kro.kyc``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["kyc"])
