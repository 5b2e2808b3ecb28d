"""The JSON API of ``kro.marketplace``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["marketplace"])
