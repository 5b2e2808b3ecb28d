"""The admin console's orders and disputes (thread, evidence, resolve with TOTP), fee
configuration with history, condition templates.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin escrow pages"])
