"""The JSON API of ``kro.pensions``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pensions"])
