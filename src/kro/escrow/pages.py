"""The user app's orders: dashboard as buyer and seller, create, accept or decline, pay, the
order page with its timeline, conditions, issues, messages, evidence and escalation.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["escrow pages"])
