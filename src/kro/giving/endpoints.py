"""The JSON API of ``kro.giving``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["giving"])
