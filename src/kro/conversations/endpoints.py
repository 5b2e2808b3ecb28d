"""The JSON API of ``kro.conversations``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["conversations"])
