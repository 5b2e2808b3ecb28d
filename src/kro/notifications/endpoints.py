"""``/v1/me/notification-preferences`` and ``/v1/me/notifications``.

Each route lists its own errors in ``responses=``; ``CurrentUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from kro.identity.dependencies import CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.notifications import service
from kro.notifications.errors import UnknownEvent
from kro.notifications.schemas import ChannelsIn, ChannelsOut, NotificationOut, PreferenceOut

router = APIRouter(tags=["notifications"])


@router.get("/v1/me/notification-preferences")
async def get_preferences(user: CurrentUser, session: DbSession) -> Envelope[list[PreferenceOut]]:
    """Every event the caller can choose channels for, with the channels in effect."""
    prefs = await service.get_preferences(session, user.id)
    return ok([PreferenceOut(event=e, channels=ChannelsOut(**c)) for e, c in sorted(prefs.items())])


@router.put("/v1/me/notification-preferences/{event}", responses=error_responses(UnknownEvent))
async def set_preferences(
    event: str, body: ChannelsIn, user: CurrentUser, session: DbSession
) -> Envelope[PreferenceOut]:
    """Turn channels of ``event`` on or off. 422 ``unknown_notification_event`` for an event
    that does not exist or cannot be turned off (sign-in links, phone codes)."""
    changes = body.model_dump(exclude_none=True)
    channels = await service.set_preferences(session, user.id, event, changes)
    return ok(PreferenceOut(event=event, channels=ChannelsOut(**channels)))


@router.get("/v1/me/notifications")
async def list_notifications(
    user: CurrentUser, session: DbSession, limit: int = Query(50, ge=1, le=200)
) -> Envelope[list[NotificationOut]]:
    """The caller's notifications, newest first (secrets never shown: no body, no context)."""
    rows = await service.list_notifications(session, user.id, limit=limit)
    return ok([NotificationOut.model_validate(r) for r in rows])
