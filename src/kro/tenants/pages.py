"""The merchant dashboard (seed 003): tenants, team and invitations, API keys, provider
configurations and routing, webhook endpoints and deliveries, the audit log, test and live
mode.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["dashboard pages"])
