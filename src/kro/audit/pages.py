"""The admin console's audit log."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin audit pages"])
