"""The merchant dashboard's payment pages live in :mod:`kro.tenants.payment_pages`, not here:
a dashboard page first checks the viewer's membership of the tenant (``kro.tenants``), and a
core module never imports a product (the import-linter contract). They call this package's
services — :mod:`kro.payments.merchant.service` (list, detail, events, refunds, provider
health) — as ``/v1/payments`` does. This router stays empty (it is wired in ``kro.app``).
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["dashboard payment pages"])
