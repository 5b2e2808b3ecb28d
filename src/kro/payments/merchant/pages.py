"""The merchant dashboard's payments (filters, detail with events and routing attempts), refunds,
provider health and reconciliation reports.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["dashboard payment pages"])
