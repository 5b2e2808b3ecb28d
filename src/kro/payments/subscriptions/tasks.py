"""Job handlers of recurring collections: ``payments.subscription_event`` takes a
platform-signed Paystack event from the inbox — ``subscription.*`` (the subscription's own
lifecycle) or a renewal's ``charge.success`` (a plan, a reference not ours) — and applies it,
asking the provider first for anything that moves money. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.jobs.errors import RetryJob
from kro.jobs.registry import JobContext, job_handler
from kro.kit.db import unit_of_work
from kro.kit.errors import BadRequest
from kro.payments.inbox.service import finish_event, received_event
from kro.payments.reconciliation import verification
from kro.payments.subscriptions import service
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.paystack.webhooks import parse_event


@job_handler("payments.subscription_event")
async def subscription_event(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Apply a subscription event, or verify and book a renewal (no transaction open while
    the provider is asked; a provider that cannot answer now is asked again in 30 s)."""
    event_id = str(payload["event_id"])
    async with unit_of_work(ctx.sessions) as read:
        event = await received_event(read, event_id)
        if event is None:
            return
        parsed = parse_event(event.payload.encode())
        renewal = None
        if parsed.event == "charge.success":
            plan = parsed.data.get("plan") or {}
            renewal = await service.find_renewal(
                read, str(plan.get("plan_code")), str(parsed.data.get("reference") or "")
            )
    event = await received_event(ctx.session, event_id, lock=True)
    if event is None:
        return
    if parsed.event.startswith("subscription."):
        try:
            reported = service.parse_subscription(parsed.data)
        except BadRequest as exc:
            finish_event(event, "ignored", exc.message)
            return
        outcome = await service.on_subscription_event(ctx.session, parsed.event, reported)
        finish_event(event, "processed", outcome)
        return
    if renewal is None or not renewal.reference:
        finish_event(event, "ignored", "no subscription of ours on this plan")
        return
    try:
        charge = await service.ask_renewal(ctx.settings, renewal)
    except (ProviderUnavailable, ProviderTimeout) as exc:
        raise RetryJob(timedelta(seconds=30), f"provider: {exc.code}") from exc
    except ProviderRejected as exc:
        finish_event(event, "ignored", f"{exc.code}: {exc.message}")
        return
    payment = await service.book_renewal(ctx.session, renewal, charge)
    finish_event(event, "processed", f"renewal payment {payment.id} {payment.status}")
    await verification.schedule(ctx.session, payment)
