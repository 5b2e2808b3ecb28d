"""The admin console's KRO Giving pages, one small page per job: ``/admin/giving`` (reviews,
withdrawals, refund requests, reports: :mod:`.queue`), ``/admin/giving/campaigns`` (holds,
featured: :mod:`.campaigns`), ``/admin/giving/reports`` (donations per day, CSV export:
:mod:`.reports`), ``/admin/giving/settings`` (tip and minimum donation: :mod:`.settings`)."""

from __future__ import annotations

from kro.giving.admin_pages import queue
from kro.web.routing import page_router

router = page_router()
router.include_router(queue.router)
