"""Notification use cases. Services take the session and only flush (the caller commits).

:func:`notify` is the one entry point for every module (an escrow state change, a phone code,
a magic link): in the caller's transaction it writes one ``notifications`` row per channel and
one ``notifications.send`` job per row (transactional outbox), so a message is sent if and
only if the state change commits, and never twice for the same ``dedupe_key``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import service as identity_service
from kro.identity.models import User
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.notifications.delivery import AttemptResult
from kro.notifications.errors import UnknownEvent
from kro.notifications.events import EVENTS, Channel, EventSpec, get_event
from kro.notifications.models import Notification, NotificationAttempt, NotificationPreference
from kro.notifications.templates import render

SEND_JOB = "notifications.send"
REDACTED = "[redacted]"


async def notify(
    session: AsyncSession,
    user_id: str,
    event: str,
    context: dict[str, Any],
    *,
    dedupe_key: str,
    channels: Iterable[Channel | str] | None = None,
    to: Mapping[str, str] | None = None,
) -> list[Notification]:
    """Queue ``event`` for ``user_id`` on each of its channels; returns the notifications
    (existing ones for a ``dedupe_key`` already used: nothing new is written or sent).

    - ``event``: a name from :data:`kro.notifications.events.EVENTS` (e.g. ``"order.funded"``).
    - ``context``: the template's variables (plain JSON; amounts in minor units), see
      :mod:`kro.notifications.events`. ``recipient_name`` defaults to the user's name.
    - ``dedupe_key``: what makes this occurrence unique, e.g. the order id for
      ``order.funded``, ``f"{order_id}:{condition_id}"`` for a condition; unique per
      ``(user, event, channel)``.
    - ``channels``: restrict to these (default: the event's channels); the user's preferences
      still apply to configurable events.
    - ``to``: addresses by channel overriding the profile (``{"sms": "+2348…"}``: a phone
      being verified). Without one, email goes to the user's email and SMS/WhatsApp to the
      user's *verified* phone; a channel without an address is skipped.

    Raises ``ValueError`` for an unknown event, a context that is not JSON or lacks a
    template variable (programming errors), ``UserNotFound`` (404) for an unknown user.
    """
    spec = get_event(event)
    user = await identity_service.get_user(session, user_id)
    context = {"recipient_name": user.full_name, **context}
    try:
        json.dumps(context, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"notification context is not plain JSON: {exc}") from exc
    wanted = await channels_for(session, user_id, spec, channels)
    written: list[Notification] = []
    for channel in sorted(wanted):
        address = (to or {}).get(channel) or _profile_address(user, channel)
        if not address:
            continue
        render(event, channel, context)  # fail now, in the caller, if the context is wrong
        notification = await _insert_once(
            session,
            user_id=user_id,
            event=event,
            channel=channel,
            dedupe_key=dedupe_key,
            address=address,
            context=context,
        )
        await enqueue(
            session,
            SEND_JOB,
            {"notification_id": notification.id},
            dedupe_key=f"notification:{notification.id}",
        )
        written.append(notification)
    return written


def guest_id(address: str) -> str:
    """The stand-in user id of someone known only by ``address`` (a donor without an
    account): stable, so dedupe keys work, and never a real user's id."""
    return "guest_" + hashlib.sha256(address.strip().lower().encode()).hexdigest()[:26]


async def notify_address(
    session: AsyncSession,
    address: str,
    event: str,
    context: dict[str, Any],
    *,
    dedupe_key: str,
    channel: Channel = Channel.EMAIL,
) -> Notification:
    """Queue ``event`` to an email address (or phone number) that belongs to no account —
    a guest donor's receipt. No preferences apply (the person asked for this message by
    giving the address); ``context`` must carry ``recipient_name``. Unique per
    ``(address, event, channel, dedupe_key)``; raises ``ValueError`` as :func:`notify`."""
    spec = get_event(event)
    if channel not in spec.channels:
        raise ValueError(f"{event} is not sent by {channel}")
    try:
        json.dumps(context, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"notification context is not plain JSON: {exc}") from exc
    render(event, channel, context)  # fail now, in the caller, if the context is wrong
    notification = await _insert_once(
        session,
        user_id=guest_id(address),
        event=event,
        channel=channel,
        dedupe_key=dedupe_key,
        address=address.strip(),
        context=context,
    )
    await enqueue(
        session,
        SEND_JOB,
        {"notification_id": notification.id},
        dedupe_key=f"notification:{notification.id}",
    )
    return notification


def _profile_address(user: User, channel: str) -> str | None:
    if channel == Channel.EMAIL:
        return user.email
    return user.phone if user.phone and user.phone_verified_at else None


async def channels_for(
    session: AsyncSession,
    user_id: str,
    spec: EventSpec,
    only: Iterable[Channel | str] | None = None,
) -> set[Channel]:
    """The channels ``spec`` goes out on for ``user_id``: its defaults (or ``only``), with the
    user's preferences applied when the event is configurable."""
    chosen = {Channel(c) for c in only} if only is not None else set(spec.channels)
    if not spec.configurable:
        return chosen & set(spec.channels) if only is not None else chosen
    prefs = await _preference_rows(session, user_id, spec.name)
    for row in prefs:
        channel = Channel(row.channel)
        if not row.enabled:
            chosen.discard(channel)
        elif only is None:  # opted in to a channel the event does not use by default
            chosen.add(channel)
    return chosen


async def _insert_once(session: AsyncSession, **values: Any) -> Notification:
    """Insert unless ``(user_id, event, channel, dedupe_key)`` exists; the row either way."""
    await session.flush()
    key = (values["user_id"], values["event"], values["channel"], values["dedupe_key"])
    existing = await _by_key(session, *key)
    if existing is not None:
        return existing
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    row = {"id": new_id("ntf"), "status": "pending", "created_at": utcnow(), **values}
    stmt = (
        insert(Notification)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["user_id", "event", "channel", "dedupe_key"])
    )
    await session.execute(stmt)
    found = await _by_key(session, *key)
    if found is None:  # pragma: no cover - inserted, or inserted concurrently
        raise RuntimeError("notification vanished after insert")
    return found


async def _by_key(
    session: AsyncSession, user_id: str, event: str, channel: str, dedupe_key: str
) -> Notification | None:
    return (
        await session.execute(
            select(Notification).where(
                Notification.user_id == user_id,
                Notification.event == event,
                Notification.channel == channel,
                Notification.dedupe_key == dedupe_key,
            )
        )
    ).scalar_one_or_none()


# Sending (used by the ``notifications.send`` job) ------------------------------------------


async def pending_notification(session: AsyncSession, notification_id: str) -> Notification | None:
    """The notification if it still has to be sent; None once ``sent`` (or gone)."""
    row = await session.get(Notification, notification_id, populate_existing=True)
    if row is None or row.status == "sent":
        return None
    return row


async def record_attempt(
    session: AsyncSession, notification_id: str, result: AttemptResult
) -> None:
    """Store one provider attempt; when it sent, mark the notification ``sent`` with the
    provider's message id and blank its sensitive context, in the same transaction."""
    session.add(
        NotificationAttempt(
            notification_id=notification_id,
            provider=result.provider,
            outcome=result.outcome,
            error=result.error,
            provider_message_id=result.message_id,
            duration_ms=result.duration_ms,
        )
    )
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is None:
        return
    if result.sent:
        row.status = "sent"
        row.provider = result.provider
        row.provider_message_id = result.message_id
        row.sent_at = utcnow()
        row.last_error = None
        row.context = _redacted(row.event, row.context)
    else:
        row.last_error = f"{result.provider}: {result.outcome}: {result.error or ''}"[:2000]
    await session.flush()


async def mark_failed(session: AsyncSession, notification_id: str) -> None:
    """Every provider failed on the job's last attempt: ``failed``, secrets blanked."""
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is not None and row.status != "sent":
        row.status = "failed"
        row.context = _redacted(row.event, row.context)
        await session.flush()


def _redacted(event: str, context: dict[str, Any]) -> dict[str, Any]:
    sensitive = EVENTS[event].sensitive if event in EVENTS else frozenset()
    return {k: (REDACTED if k in sensitive else v) for k, v in context.items()}


async def attempts_of(session: AsyncSession, notification_id: str) -> list[NotificationAttempt]:
    """Attempts of a notification, oldest first."""
    stmt = (
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id == notification_id)
        .order_by(NotificationAttempt.id)
    )
    return list((await session.execute(stmt)).scalars())


async def list_notifications(
    session: AsyncSession, user_id: str, *, limit: int = 50
) -> list[Notification]:
    """The user's notifications, newest first (``limit`` clamped to 1..200)."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    return list((await session.execute(stmt)).scalars())


# Preferences --------------------------------------------------------------------------------


async def _preference_rows(
    session: AsyncSession, user_id: str, event: str | None = None
) -> list[NotificationPreference]:
    stmt = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    if event is not None:
        stmt = stmt.where(NotificationPreference.event == event)
    return list((await session.execute(stmt)).scalars())


async def get_preferences(session: AsyncSession, user_id: str) -> dict[str, dict[str, bool]]:
    """``{event: {"email": bool, "sms": bool, "whatsapp": bool}}`` for every configurable
    event: the defaults with the user's choices applied."""
    rows = await _preference_rows(session, user_id)
    result = {
        name: {c.value: c in spec.channels for c in Channel}
        for name, spec in EVENTS.items()
        if spec.configurable
    }
    for row in rows:
        if row.event in result:
            result[row.event][row.channel] = row.enabled
    return result


async def set_preferences(
    session: AsyncSession, user_id: str, event: str, changes: Mapping[str, bool]
) -> dict[str, bool]:
    """Turn channels of ``event`` on or off for ``user_id``; returns the event's channels.

    Raises UnknownEvent (422) for an unknown or non-configurable event, ``ValueError`` for an
    unknown channel (the schema refuses it first).
    """
    spec = EVENTS.get(event)
    if spec is None or not spec.configurable:
        raise UnknownEvent(details={"event": event})
    existing = {r.channel: r for r in await _preference_rows(session, user_id, event)}
    for channel, enabled in changes.items():
        Channel(channel)
        row = existing.get(channel)
        if row is None:
            session.add(
                NotificationPreference(
                    user_id=user_id, event=event, channel=channel, enabled=enabled
                )
            )
        else:
            row.enabled = enabled
    await session.flush()
    return (await get_preferences(session, user_id))[event]


async def update_preferences(
    session: AsyncSession, user_id: str, choices: Mapping[str, Mapping[str, bool]]
) -> dict[str, dict[str, bool]]:
    """Apply a whole preferences form ``{event: {channel: enabled}}`` through
    :func:`set_preferences`, writing only the channels that differ from what is in effect (an
    untouched default stays a default); returns every event's channels as
    :func:`get_preferences`. Raises UnknownEvent (422) for an event that is not configurable."""
    current = await get_preferences(session, user_id)
    for event, channels in choices.items():
        if event not in current:
            raise UnknownEvent(details={"event": event})
        changes = {c: on for c, on in channels.items() if current[event].get(c) != on}
        if changes:
            await set_preferences(session, user_id, event, changes)
    return await get_preferences(session, user_id)
