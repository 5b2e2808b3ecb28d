"""The admin console's KRO Giving pages, one small page per job: ``/admin/giving`` (reviews,
withdrawals, refund requests, reports, flagged words of support: :mod:`.queue`),
``/admin/giving/campaigns`` (holds, featured: :mod:`.campaigns`), ``/admin/giving/reports``
(donations per day, CSV export: :mod:`.reports`), ``/admin/giving/settings`` (default tip
and minimum donation: :mod:`.settings`)."""

from __future__ import annotations

from kro.giving.admin_pages import campaigns, queue, reports, settings
from kro.web.routing import page_router

router = page_router()
for module in (queue, campaigns, reports, settings):
    router.include_router(module.router)
