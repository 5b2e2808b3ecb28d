"""The portal's schedules: the list, preparing a month, one schedule with its actions (submit,
approve with a code, reject, discard, adjust, pay on Remita's page), the return from Remita
and the per-PFA files."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession
from kro.pensions import exports, schedules
from kro.pensions.dependencies import APPROVE, MAINTAIN, PageHrOfficer, PageMember
from kro.pensions.employers import Access
from kro.pensions.errors import ScheduleNotFound
from kro.pensions.pages.common import P, base, show
from kro.pensions.schemas import ScheduleIn
from kro.pensions.states import SCHEDULE
from kro.web.forms import FORM, Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router()
ROLES = {  # who may take each action of the schedule page (kro.pensions.dependencies)
    "submit": MAINTAIN,
    "discard": MAINTAIN,
    "adjust": MAINTAIN,
    "approve": APPROVE,
    "reject": APPROVE,
    "pay": APPROVE,
}


@router.get(P + "/schedules")
async def schedules_page(
    request: Request, found: PageMember, session: DbSession, settings: AppSettings
) -> Response:
    context = {
        **await base(session, settings, found),
        "schedules": await schedules.list_for(session, found),
        "values": {"period": utcnow().date().strftime("%Y-%m")},
    }
    return render(request, "pensions/schedules.html", context)


@router.post(P + "/schedules")
async def prepare(
    request: Request, found: PageHrOfficer, session: DbSession, settings: AppSettings
) -> Response:
    form = await read_form(request)
    body = form.parse(
        ScheduleIn,
        {"period": form["period"], "employer_bears_all": form["employer_bears_all"] == "on"},
    )
    if body is not None:
        async with form.saving(session, field="period"):
            view = await schedules.prepare(
                session, settings, found, body.period, employer_bears_all=body.employer_bears_all
            )
    if not form.ok:
        context = {
            **await base(session, settings, found),
            "schedules": await schedules.list_for(session, found),
        }
        return render(
            request, "pensions/schedules.html", form.context(**context), status=form.status
        )
    url = f"/pensions/{found.employer.id}/schedules/{view.schedule.id}"
    return redirect(request, url, message="Schedule prepared.")


async def _schedule_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    found: Access,
    schedule_id: str,
    form: Form | None = None,
) -> Response:
    view = await schedules.get(session, settings, found, schedule_id)
    groups = [
        {"pfa": pfa, "lines": len(items), "total": sum(x.total for x in items)}
        for pfa, items in exports.by_pfa(view.lines).items()
    ]
    context = {
        **await base(session, settings, found),
        "view": view,
        "s": view.schedule,
        "allowed": SCHEDULE.allowed(view.schedule.status),
        "groups": groups,
        "url": f"/pensions/{found.employer.id}/schedules/{schedule_id}",
    }
    return show(request, "pensions/schedule.html", context, form)


@router.get(P + "/schedules/{schedule_id}")
async def schedule_page(
    request: Request,
    found: PageMember,
    schedule_id: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    return await _schedule_page(request, session, settings, found, schedule_id)


@router.post(P + "/schedules/{schedule_id}/{action}")
async def act(
    request: Request,
    found: PageMember,
    schedule_id: str,
    action: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """submit | approve (``totp_code``) | reject | discard | adjust | pay (to Remita's page),
    each by the role :data:`ROLES` names (``role_required`` shown on the page otherwise)."""
    if action not in ROLES:
        raise ScheduleNotFound()
    form = await read_form(request)
    url = f"/pensions/{found.employer.id}/schedules/{schedule_id}"
    target = url
    async with form.saving(session, field="totp_code" if action == "approve" else FORM):
        found.require(*ROLES[action])
        if action == "submit":
            await schedules.submit(session, settings, found, schedule_id)
        elif action == "approve":
            await schedules.approve(session, settings, found, schedule_id, form["totp_code"])
        elif action == "reject":
            reason = form["reason"] or "rejected"
            await schedules.reject(session, settings, found, schedule_id, reason)
        elif action == "discard":
            await schedules.discard(session, settings, found, schedule_id)
        elif action == "adjust":
            made = await schedules.adjust(session, settings, found, schedule_id)
            target = f"/pensions/{found.employer.id}/schedules/{made.schedule.id}"
        else:
            callback = f"{settings.base_url}{url}/return"
            _, payment = await schedules.pay(session, settings, found, schedule_id, callback)
            target = payment.authorization_url or url
    if not form.ok:
        return await _schedule_page(request, session, settings, found, schedule_id, form)
    message = None if action == "pay" else f"Schedule: {action} done."
    return redirect(request, target, message=message)


@router.get(P + "/schedules/{schedule_id}/return")
async def back_from_remita(
    request: Request, found: PageMember, schedule_id: str, session: DbSession
) -> Response:
    """Back from Remita's page: the payment is checked with Remita now (never from the URL)."""
    await schedules.check_payment(session, found, schedule_id)
    url = f"/pensions/{found.employer.id}/schedules/{schedule_id}"
    return redirect(request, url, message="Remita is being asked about your payment.")


@router.get(P + "/schedules/{schedule_id}/exports/{name}")
async def download(
    found: PageMember,
    schedule_id: str,
    name: str,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """``<PFA>.csv``, ``<PFA>.xlsx`` or ``summary.pdf``."""
    schedule = await schedules.load(session, found, schedule_id)
    view = await schedules.view(session, settings, schedule)
    content, media = exports.export_file(found.employer, schedule, view.lines, name)
    headers = {"Content-Disposition": f'attachment; filename="{schedule.period}-{name}"'}
    return Response(content, media_type=media, headers=headers)
