"""Tenant job handlers: ``tenants.webhook_endpoint_disabled`` (tell the owners)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kro.jobs.registry import JobContext, job_handler
from kro.notifications.service import notify
from kro.tenants.models import Tenant, TenantMember
from kro.webhooks import service as webhooks
from kro.webhooks.models import EndpointStatus
from kro.webhooks.policy import REASON_TEXT

NOTICE = "tenants.webhook_endpoint_disabled"


@job_handler(webhooks.ENDPOINT_DISABLED_JOB)
async def webhook_endpoint_disabled(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Email each owner of the tenant that ``kro.webhooks`` disabled one of its endpoints
    (410 Gone, or five days of failures; Standard Webhooks: "disable and notify").

    Payload ``{"endpoint_id", "tenant_id"}``. Idempotent: one notice per owner per disabling
    (deduplicated on the endpoint and its ``disabled_at``); nothing if the endpoint was
    enabled again or deleted before this ran."""
    endpoint = await webhooks.find_endpoint(ctx.session, str(payload["endpoint_id"]))
    tenant = await ctx.session.get(Tenant, str(payload["tenant_id"]))
    if endpoint is None or tenant is None or endpoint.tenant_id != tenant.id:
        return
    if endpoint.status != EndpointStatus.DISABLED or endpoint.deleted_at is not None:
        return
    reason = endpoint.disabled_reason or ""
    context = {
        "tenant_name": tenant.name,
        "endpoint_id": endpoint.id,
        "endpoint_url": endpoint.url,
        "mode": endpoint.mode,
        "reason": REASON_TEXT.get(reason, reason),
    }
    disabled_at = endpoint.disabled_at.isoformat() if endpoint.disabled_at else ""
    owners = await ctx.session.execute(
        select(TenantMember.user_id)
        .where(TenantMember.tenant_id == tenant.id, TenantMember.role == "owner")
        .order_by(TenantMember.id)
    )
    for user_id in owners.scalars():
        await notify(
            ctx.session, user_id, NOTICE, context, dedupe_key=f"{endpoint.id}:{disabled_at}"
        )
