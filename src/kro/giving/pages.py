"""The pages of ``kro.giving``."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["giving pages"])
