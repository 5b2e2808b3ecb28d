"""The pages of ``kro.pensions``."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["pensions pages"])
