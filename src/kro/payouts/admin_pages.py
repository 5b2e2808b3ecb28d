"""The admin console's payouts waiting for approval (approve or reject with a fresh TOTP code)."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin payout pages"])
