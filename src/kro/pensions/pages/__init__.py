"""The pages of ``kro.pensions``: the employer portal (team, employees with the import wizard
and its row errors, one employee's details and pay, schedules — prepare, submit, approve with
a code, pay on Remita — per-PFA files, GLI, compliance and the certificate) and the public
verification page; the admin console's ``/admin/pensions`` (:mod:`kro.pensions.admin_pages`).
Thin: each handler takes the caller's access to the employer from
:mod:`kro.pensions.dependencies`, calls the service function the JSON endpoint calls and
shows its errors in place."""

from __future__ import annotations

from kro.pensions import admin_pages
from kro.pensions.pages import compliance, employees, portal, schedules
from kro.web import navigation
from kro.web.routing import page_router

router = page_router(tags=["pensions pages"])
navigation.add("app", "Pensions", "/pensions", order=40)
for module in (portal, employees, schedules, compliance, admin_pages):
    router.include_router(module.router)
