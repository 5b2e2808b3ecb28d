"""What the employer portal's pages share: the path prefix and what every employer page
shows (the employer, the viewer's role, coverage)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.pensions import employers
from kro.pensions.employers import Access
from kro.settings import Settings
from kro.web.forms import Form
from kro.web.templating import render

P = "/pensions/{employer_id}"


async def base(session: AsyncSession, settings: Settings, found: Access) -> dict[str, Any]:
    """The employer, the viewer's membership, the headcount and whether the PRA covers it."""
    count = await employers.headcount(session, found.employer.id, utcnow().date())
    return {
        "employer": found.employer,
        "member": found.member,
        "headcount": count,
        "covered": employers.covered(settings, count),
        "threshold": settings.pensions_coverage_threshold,
    }


def show(
    request: Request, template: str, context: dict[str, Any], form: Form | None = None
) -> Response:
    """Render ``template``; with a failed ``form``, its values and errors too, and its status."""
    if form is None:
        return render(request, template, context)
    return render(request, template, form.context(**context), status=form.status)
