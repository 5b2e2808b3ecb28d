"""The user app's notification preferences."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["notification pages"])
