"""The admin console's inbound provider webhooks with their payloads."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin webhook pages"])
