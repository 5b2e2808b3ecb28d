"""The ``notifications.send`` job: render, send with failover, record every attempt.

Idempotent: the notification is marked ``sent`` (with the provider's message id) in its own
short transaction right after the provider accepted it, before the job completes, so a job
that runs again (a crash before completion, a retried dead job, a duplicate) finds it ``sent``
and does nothing. The only window for a duplicate is a crash between the provider's answer and
that commit. Every attempt is recorded in its own transaction too, so failed attempts stay
recorded when the job itself fails and is retried.

The handler never writes through ``ctx.session`` (on SQLite a second writer would wait on it).
"""

from __future__ import annotations

from typing import Any

from kro.jobs.errors import PermanentJobError
from kro.jobs.registry import JobContext, job_handler
from kro.kit.db import unit_of_work
from kro.notifications import service
from kro.notifications.channels import OutgoingMessage, senders_for
from kro.notifications.delivery import AttemptResult, send_with_failover
from kro.notifications.errors import AllProvidersFailed
from kro.notifications.events import Channel
from kro.notifications.templates import render


@job_handler(service.SEND_JOB)
async def send(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Payload ``{"notification_id": "ntf_…"}``. Raises AllProvidersFailed (retried with
    backoff; on the last attempt the notification is marked ``failed`` first)."""
    notification_id = str(payload.get("notification_id") or "")
    async with unit_of_work(ctx.sessions) as session:
        row = await service.pending_notification(session, notification_id)
        if row is None:
            return
        channel, address, event = Channel(row.channel), row.address, row.event
        context = dict(row.context)
    try:
        rendered = render(event, channel, context)
        senders = senders_for(channel, ctx.settings)
    except ValueError as exc:  # a template or configuration error: retrying cannot help
        raise PermanentJobError(str(exc)) from exc
    message = OutgoingMessage(
        channel=channel,
        to=address,
        text=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        to_name=str(context.get("recipient_name") or "") or None,
        reference=notification_id,
    )

    async def record(result: AttemptResult) -> None:
        async with unit_of_work(ctx.sessions) as s:
            await service.record_attempt(s, notification_id, result)

    sent = await send_with_failover(
        message, senders, record, per_provider=ctx.settings.notification_timeout + 1.0
    )
    if sent is not None:
        return
    if ctx.is_last_attempt:
        async with unit_of_work(ctx.sessions) as s:
            await service.mark_failed(s, notification_id)
    names = ", ".join(s.provider for s in senders)
    raise AllProvidersFailed(f"every {channel} provider failed ({names})")
