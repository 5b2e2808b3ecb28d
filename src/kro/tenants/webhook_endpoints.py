"""The merchant API's outgoing webhooks: ``/v1/webhook-endpoints…`` and ``/v1/events…``.

Thin handlers over :mod:`kro.webhooks.service`, authenticated by an API key
(``Authorization: Bearer sk_test_…|sk_live_…``): every query is scoped by the key's tenant and
mode, so another tenant's id, or the other mode's, is a 404. POSTs honour
``Idempotency-Key`` (kro.idempotency). Deliveries are signed per Standard Webhooks
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).

Each route lists its own errors in ``responses=``; those of the API key (401, 429), of the
``Idempotency-Key`` and of request validation are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, TypedDict, TypeVar

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from kro.idempotency.routing import IdempotentRoute
from kro.identity.dependencies import ApiKeyIdempotency, AppSettings, CurrentTenant, TenantContext
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.webhooks import service
from kro.webhooks.errors import (
    EventNotFound,
    InvalidEventType,
    InvalidWebhookUrl,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
)
from kro.webhooks.models import WebhookEndpoint
from kro.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    EventDetailOut,
    EventOut,
    RetryIn,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEndpointSecretOut,
)

router = APIRouter(tags=["merchant API: webhooks"], route_class=IdempotentRoute)

M = TypeVar("M", bound=BaseModel)
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=40, description="`next_cursor` of the last page")]


class _Scope(TypedDict):
    tenant_id: str
    mode: str


def _scope(ctx: TenantContext) -> _Scope:
    """What every service call is scoped by: the API key's tenant and mode."""
    return {"tenant_id": ctx.tenant_id, "mode": ctx.mode}


def _page(rows: list[Any], limit: int, out: type[M]) -> tuple[list[M], Pagination]:
    """``rows`` fetched with ``limit + 1``: the page, and its pagination (cursor = last id)."""
    page = rows[:limit]
    more = len(rows) > limit
    cursor = page[-1].id if more else None
    items = [out.model_validate(row) for row in page]
    return items, Pagination(limit=limit, has_more=more, next_cursor=cursor)


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointSecretOut:
    shown = WebhookEndpointOut.model_validate(endpoint).model_dump()
    return WebhookEndpointSecretOut(**shown, secret=endpoint.secret)


# -- endpoints -------------------------------------------------------------------------------


@router.post(
    "/v1/webhook-endpoints",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ApiKeyIdempotency],
    responses=error_responses(InvalidWebhookUrl, InvalidEventType),
)
async def create_webhook_endpoint(
    body: WebhookEndpointIn, ctx: CurrentTenant, session: DbSession, settings: AppSettings
) -> Envelope[WebhookEndpointSecretOut]:
    """Register an endpoint for the key's mode. The response carries its signing ``secret``
    (``whsec_…``) this once.

    Test mode accepts http and https URLs (private hosts only outside production); live mode
    https to a public host only.

    Errors: 401 ``invalid_api_key``; 422 ``invalid_webhook_url``, ``invalid_event_type``
    (``enabled_events`` must be ``["*"]`` or types of ``EVENT_TYPES``), ``validation_error``.
    """
    endpoint = await service.create_endpoint(
        session,
        **_scope(ctx),
        url=body.url,
        enabled_events=body.enabled_events,
        description=body.description,
        allow_internal=settings.webhook_internal_test_urls,
    )
    return ok(_with_secret(endpoint))


@router.get("/v1/webhook-endpoints")
async def list_webhook_endpoints(
    ctx: CurrentTenant, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Envelope[list[WebhookEndpointOut]]:
    """The key's tenant's endpoints in the key's mode, newest first, cursor paginated
    (``meta.pagination``). Secrets are never listed. Errors: 401 ``invalid_api_key``."""
    rows = await service.list_endpoints(session, **_scope(ctx), limit=limit + 1, before=cursor)
    items, pagination = _page(rows, limit, WebhookEndpointOut)
    return ok(items, pagination=pagination)


@router.get(
    "/v1/webhook-endpoints/{endpoint_id}", responses=error_responses(WebhookEndpointNotFound)
)
async def get_webhook_endpoint(
    endpoint_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[WebhookEndpointOut]:
    """One endpoint. Errors: 401 ``invalid_api_key``; 404 ``webhook_endpoint_not_found``
    (also for another tenant's or the other mode's)."""
    endpoint = await service.get_endpoint(session, **_scope(ctx), endpoint_id=endpoint_id)
    return ok(WebhookEndpointOut.model_validate(endpoint))


@router.patch(
    "/v1/webhook-endpoints/{endpoint_id}",
    responses=error_responses(WebhookEndpointNotFound, InvalidWebhookUrl, InvalidEventType),
)
async def update_webhook_endpoint(
    endpoint_id: str,
    body: WebhookEndpointPatch,
    ctx: CurrentTenant,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[WebhookEndpointOut]:
    """Change ``url``, ``enabled_events``, ``description`` or ``enabled``. Re-enabling
    (``enabled: true``) clears the failure history (``failing_since``); disabling stops
    deliveries (pending ones fail when due).

    Errors: 401 ``invalid_api_key``; 404 ``webhook_endpoint_not_found``; 422
    ``invalid_webhook_url``, ``invalid_event_type``, ``validation_error``.
    """
    sent = body.model_fields_set
    endpoint = await service.update_endpoint(
        session,
        **_scope(ctx),
        endpoint_id=endpoint_id,
        url=body.url,
        enabled_events=body.enabled_events,
        description=body.description if "description" in sent else service.UNSET,
        enabled=body.enabled,
        allow_internal=settings.webhook_internal_test_urls,
    )
    return ok(WebhookEndpointOut.model_validate(endpoint))


@router.delete(
    "/v1/webhook-endpoints/{endpoint_id}", responses=error_responses(WebhookEndpointNotFound)
)
async def delete_webhook_endpoint(
    endpoint_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[dict[str, str]]:
    """Delete an endpoint; nothing more is sent to it. Errors: 401 ``invalid_api_key``;
    404 ``webhook_endpoint_not_found``."""
    await service.delete_endpoint(session, **_scope(ctx), endpoint_id=endpoint_id)
    return ok({"id": endpoint_id, "status": "deleted"})


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ApiKeyIdempotency],
    responses=error_responses(WebhookEndpointNotFound),
)
async def rotate_webhook_secret(
    endpoint_id: str, ctx: CurrentTenant, session: DbSession, settings: AppSettings
) -> Envelope[WebhookEndpointSecretOut]:
    """A new signing ``secret``, shown this once. For ``KRO_WEBHOOK_SECRET_ROTATION_GRACE``
    (24 h) every message carries two ``v1,`` signatures, the new secret's and the old one's,
    so receivers can switch without losing messages.

    Errors: 401 ``invalid_api_key``; 404 ``webhook_endpoint_not_found``.
    """
    grace = timedelta(seconds=settings.webhook_secret_rotation_grace)
    endpoint = await service.rotate_secret(
        session, **_scope(ctx), endpoint_id=endpoint_id, grace=grace
    )
    return ok(_with_secret(endpoint))


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[ApiKeyIdempotency],
    responses=error_responses(WebhookEndpointNotFound, WebhookEndpointDisabled),
)
async def test_webhook_endpoint(
    endpoint_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[EventOut]:
    """Send a ``webhook.test`` event to this endpoint only (queued; see its attempts at
    ``GET /v1/events/{id}/attempts``).

    Errors: 401 ``invalid_api_key``; 404 ``webhook_endpoint_not_found``; 409
    ``webhook_endpoint_disabled``.
    """
    event = await service.send_test(session, **_scope(ctx), endpoint_id=endpoint_id)
    return ok(EventOut.model_validate(event))


# -- events ----------------------------------------------------------------------------------


@router.get("/v1/events")
async def list_events(
    ctx: CurrentTenant,
    session: DbSession,
    type: Annotated[str | None, Query(max_length=64, description="e.g. payment.completed")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Envelope[list[EventOut]]:
    """Events of the key's tenant and mode (a test key never sees live events), newest first,
    optionally of one ``type``; cursor paginated (``meta.pagination``).
    Errors: 401 ``invalid_api_key``."""
    rows = await service.list_events(
        session, **_scope(ctx), type=type, limit=limit + 1, before=cursor
    )
    items, pagination = _page(rows, limit, EventOut)
    return ok(items, pagination=pagination)


@router.get("/v1/events/{event_id}", responses=error_responses(EventNotFound))
async def get_event(
    event_id: str, ctx: CurrentTenant, session: DbSession
) -> Envelope[EventDetailOut]:
    """One event with its deliveries (status, attempts, next attempt per endpoint).
    Errors: 401 ``invalid_api_key``; 404 ``event_not_found``."""
    event = await service.get_event(session, **_scope(ctx), event_id=event_id)
    deliveries = [
        DeliveryOut.model_validate(d) for d in await service.list_deliveries(session, event)
    ]
    shown = EventOut.model_validate(event).model_dump()
    return ok(EventDetailOut(**shown, deliveries=deliveries))


@router.get("/v1/events/{event_id}/attempts", responses=error_responses(EventNotFound))
async def list_event_attempts(
    event_id: str,
    ctx: CurrentTenant,
    session: DbSession,
    endpoint_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Envelope[list[AttemptOut]]:
    """The event's delivery attempts (optionally to one endpoint), newest first: status code,
    first 1 KB of the response, error, duration; cursor paginated.
    Errors: 401 ``invalid_api_key``; 404 ``event_not_found``."""
    rows = await service.list_attempts(
        session,
        **_scope(ctx),
        event_id=event_id,
        endpoint_id=endpoint_id,
        limit=limit + 1,
        before=cursor,
    )
    items, pagination = _page(rows, limit, AttemptOut)
    return ok(items, pagination=pagination)


@router.post(
    "/v1/events/{event_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[ApiKeyIdempotency],
    responses=error_responses(EventNotFound, WebhookEndpointNotFound, WebhookEndpointDisabled),
)
async def retry_event(
    event_id: str, ctx: CurrentTenant, session: DbSession, body: RetryIn | None = None
) -> Envelope[list[DeliveryOut]]:
    """Deliver the event again now: to every enabled endpoint it went to, or to
    ``endpoint_id`` only (also one that never received it). Returns the queued deliveries.

    Errors: 401 ``invalid_api_key``; 404 ``event_not_found``, ``webhook_endpoint_not_found``;
    409 ``webhook_endpoint_disabled``.
    """
    deliveries = await service.retry_event(
        session,
        **_scope(ctx),
        event_id=event_id,
        endpoint_id=body.endpoint_id if body else None,
    )
    return ok([DeliveryOut.model_validate(d) for d in deliveries])
