"""The user app's notification preferences (which events reach me on which channel) and the
messages KRO sent me. Thin: the form is saved through
:func:`kro.notifications.service.update_preferences` (each changed event through
``set_preferences``, as ``PUT /v1/me/notification-preferences/{event}``); the list is
``list_notifications`` (as ``GET /v1/me/notifications``).

A checkbox that is not ticked is not sent by the browser, so the form names every event and
channel it shows and an absent box means *off*.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kro.kit.deps import DbSession
from kro.notifications import service
from kro.notifications.events import EVENTS, Channel
from kro.web.dependencies import PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["notification pages"])

URL = "/settings/notifications"
CHANNELS = {Channel.EMAIL: "Email", Channel.SMS: "SMS", Channel.WHATSAPP: "WhatsApp"}
# What each event means to the person choosing (events without a line show their name).
EVENT_LABELS = {
    "order.seller_invited": "You are invited to an order as seller",
    "order.accepted": "The seller accepted your order",
    "order.funded": "An order is paid into escrow",
    "order.started": "The seller started the work",
    "order.completed": "The seller marked the work completed",
    "order.condition_fulfilled": "A condition was fulfilled",
    "order.released": "Money was released to the seller",
    "order.issue_reported": "An issue was reported on an order",
    "order.disputed": "An order was escalated to a dispute",
    "order.resolved": "A dispute was resolved",
    "order.refunded": "An order was refunded",
    "order.inspection_reminder": "The inspection period is ending",
    "payout.sent": "A withdrawal reached your bank",
    "payout.failed": "A withdrawal failed",
    "tenants.webhook_endpoint_disabled": "A business webhook endpoint was disabled",
    "identity.phone_code": "Phone verification code",
    "identity.magic_link": "Sign-in link",
}
CONFIGURABLE = [name for name, spec in EVENTS.items() if spec.configurable]


def field_name(event: str, channel: str) -> str:
    """The checkbox of ``channel`` for ``event`` (``order.funded:sms``)."""
    return f"{event}:{channel}"


async def _page(
    request: Request,
    viewer: PageUser,
    session: DbSession,
    form: Form | None = None,
    prefs: dict[str, dict[str, bool]] | None = None,
) -> Response:
    form = form or Form()
    if prefs is None:
        prefs = await service.get_preferences(session, viewer.id)
    ctx = form.context(
        events=[(e, EVENT_LABELS.get(e, e), prefs[e]) for e in CONFIGURABLE if e in prefs],
        channels=list(CHANNELS.items()),
        labels=EVENT_LABELS,
        notifications=await service.list_notifications(session, viewer.id, limit=50),
    )
    return render(request, "notifications/pages/settings.html", ctx, status=form.status)


@router.get(URL)
async def settings_page(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """A checkbox per event and channel, ticked where the event reaches me; my messages."""
    return await _page(request, viewer, session)


@router.post(URL)
async def save_settings(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """Save every box of the form (unticked = off); only what changed is written."""
    form = await read_form(request)
    choices = {
        event: {str(c): form[field_name(event, c)] == "on" for c in CHANNELS}
        for event in CONFIGURABLE
    }
    async with form.saving(session):
        await service.update_preferences(session, viewer.id, choices)
    if not form.ok:
        return await _page(request, viewer, session, form)
    return redirect(request, URL, message="Your notification preferences are saved.")
