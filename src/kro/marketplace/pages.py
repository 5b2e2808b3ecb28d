"""The pages of ``kro.marketplace``."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["marketplace pages"])
