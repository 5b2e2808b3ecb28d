"""The dashboard's integration pages, under ``/dashboard/{tenant_id}/{mode}``:

- ``/providers…`` — provider configurations and routing rules (as ``/v1/tenants/{id}/
  provider-configs`` and ``/routing-rules``, through :mod:`kro.tenants.service`);
- ``/webhooks…`` and ``/events…`` — webhook endpoints (the secret shown once), their
  deliveries and attempts, retry, test (the services behind ``/v1/webhook-endpoints`` and
  ``/v1/events``, :mod:`kro.webhooks.service`, scoped by the tenant and mode).

Reading needs membership; changing needs the right to configure the mode
(:func:`kro.tenants.service.require_configurer`: owner/admin both modes, developer test only).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, TypedDict
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity.dependencies import AppSettings, ClientIp
from kro.kit.deps import DbSession
from kro.payments import provider_configs
from kro.payments.errors import ProviderConfigNotFound
from kro.payments.schemas import ProviderConfigIn, ProviderConfigPatch, RoutingRuleIn
from kro.providers import registry
from kro.settings import Settings
from kro.tenants import service
from kro.tenants.dependencies import Dashboard, DashboardPage
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render
from kro.webhooks import service as webhooks
from kro.webhooks.models import Event, WebhookEndpoint
from kro.webhooks.policy import ALL_EVENTS, EVENT_TYPES
from kro.webhooks.schemas import WebhookEndpointIn

router = page_router(tags=["dashboard pages"])
P = "/dashboard/{tenant_id}/{mode}"
PAGE = 50
CHANNELS = [("", "Any channel"), *((c, c.replace("_", " ")) for c in
            ("card", "bank_transfer", "ussd", "mobile_money", "qr"))]  # fmt: skip
CREDENTIALS = ("secret_key", "webhook_secret", "public_key", "account_id")


def _words(text: str) -> list[str]:
    """``"NGN, usd"`` → ``["NGN", "usd"]`` (commas or spaces between)."""
    return [w for w in re.split(r"[\s,]+", text) if w]


# Provider configurations and routing rules --------------------------------------------------


@router.get(P + "/providers")
async def providers(
    request: Request, dash: DashboardPage, session: DbSession, settings: AppSettings
) -> Response:
    """This mode's provider configurations in default routing order (credentials masked),
    and its routing rules in the order they are tried."""
    configs = await provider_configs.list_configs(session, dash.tenant.id, dash.mode)
    return render(
        request,
        "tenants/providers.html",
        {
            "dash": dash,
            "configs": [(c, provider_configs.masked(settings, c)) for c in configs],
            "rules": await provider_configs.list_rules(session, dash.tenant.id, dash.mode),
        },
    )


def _config_form(dash: Dashboard, form: Form, **extra: Any) -> dict[str, Any]:
    return form.context(
        dash=dash,
        names=[(n, n.capitalize()) for n in registry.NAMES],
        enabled_choices=[("yes", "Enabled"), ("no", "Disabled")],
        **extra,
    )


def _credentials(form: Form) -> dict[str, str] | None:
    fields = {name: form[name] for name in CREDENTIALS if form[name]}
    return fields or None


@router.get(P + "/providers/new")
async def new_provider(request: Request, dash: DashboardPage) -> Response:
    form = Form({"currencies": "NGN", "priority": "100", "weight": "1", "enabled": "yes"})
    return render(request, "tenants/provider_form.html", _config_form(dash, form, config=None))


@router.post(P + "/providers/new")
async def create_provider(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Configure a provider for this mode (as ``POST /v1/tenants/{id}/provider-configs``);
    test mode may leave the credentials empty (the platform's sandbox keys)."""
    form = await read_form(request)
    body = form.parse(
        ProviderConfigIn,
        {
            "provider": form["provider"],
            "mode": dash.mode,
            "enabled": form["enabled"] != "no",
            "priority": form["priority"] or 100,
            "weight": form["weight"] or 1,
            "currencies": _words(form["currencies"]),
            "credentials": _credentials(form),
        },
    )
    if body is not None:
        async with form.saving(session):
            await service.configure_provider(session, settings, dash.ms, body, ip=ip)
    if not form.ok:
        ctx = _config_form(dash, form, config=None)
        return render(request, "tenants/provider_form.html", ctx, status=form.status)
    return redirect(request, dash.url("providers"), message="The provider is configured.")


@router.get(P + "/providers/rules/new")
async def new_rule(request: Request, dash: DashboardPage) -> Response:
    form = Form({"priority": "100"})
    return render(request, "tenants/rule_form.html", form.context(dash=dash, channels=CHANNELS))


@router.post(P + "/providers/rules/new")
async def create_rule(
    request: Request, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Add a routing rule for this mode (as ``POST /v1/tenants/{id}/routing-rules``).
    Amounts are typed in naira and sent in minor units."""
    form = await read_form(request)
    low = form.amount("min_amount") if form["min_amount"] else None
    high = form.amount("max_amount") if form["max_amount"] else None
    body = form.parse(
        RoutingRuleIn,
        {
            "mode": dash.mode,
            "priority": form["priority"] or 100,
            "currency": form["currency"] or None,
            "min_amount": low,
            "max_amount": high,
            "channel": form["channel"] or None,
            "providers": [p.lower() for p in _words(form["providers"])],
            "weights": _words(form["weights"]) or None,
        },
    )
    if body is not None:
        async with form.saving(session):
            await service.add_routing_rule(session, dash.ms, body, ip=ip)
    if not form.ok:
        ctx = form.context(dash=dash, channels=CHANNELS)
        return render(request, "tenants/rule_form.html", ctx, status=form.status)
    return redirect(request, dash.url("providers"), message="The routing rule is added.")


@router.post(P + "/providers/rules/{rule_id}/remove")
async def remove_rule(
    request: Request, rule_id: str, dash: DashboardPage, session: DbSession, ip: ClientIp
) -> Response:
    """Remove a rule (as ``DELETE /v1/tenants/{id}/routing-rules/{id}``)."""
    await service.remove_routing_rule(session, dash.ms, rule_id, ip=ip)
    return redirect(request, dash.url("providers"), message="The routing rule is removed.")


async def _config(
    session: AsyncSession, settings: Settings, dash: Dashboard, config_id: str
) -> dict[str, Any]:
    config = await provider_configs.get_config(session, dash.tenant.id, config_id)
    if config.mode != dash.mode:  # the other mode's configuration is not this page's
        raise ProviderConfigNotFound()
    return {"config": config, "masked": provider_configs.masked(settings, config)}


@router.get(P + "/providers/{config_id}")
async def provider(
    request: Request,
    config_id: str,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """One configuration and the form to change it."""
    found = await _config(session, settings, dash, config_id)
    config = found["config"]
    form = Form(
        {
            "enabled": "yes" if config.enabled else "no",
            "priority": str(config.priority),
            "weight": str(config.weight),
            "currencies": ", ".join(config.currencies),
        }
    )
    return render(request, "tenants/provider_form.html", _config_form(dash, form, **found))


@router.post(P + "/providers/{config_id}")
async def update_provider(
    request: Request,
    config_id: str,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Change a configuration (as ``PATCH /v1/tenants/{id}/provider-configs/{id}``); the
    credentials change only when a secret key is typed."""
    found = await _config(session, settings, dash, config_id)
    form = await read_form(request)
    body = form.parse(
        ProviderConfigPatch,
        {
            "enabled": form["enabled"] != "no",
            "priority": form["priority"] or None,
            "weight": form["weight"] or None,
            "currencies": _words(form["currencies"]) or None,
            "credentials": _credentials(form),
        },
    )
    if body is not None:
        async with form.saving(session):
            await service.update_provider(session, settings, dash.ms, config_id, body, ip=ip)
    if not form.ok:
        ctx = _config_form(dash, form, **found)
        return render(request, "tenants/provider_form.html", ctx, status=form.status)
    return redirect(request, dash.url("providers"), message="The configuration is saved.")


@router.post(P + "/providers/{config_id}/remove")
async def remove_provider(
    request: Request,
    config_id: str,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
    ip: ClientIp,
) -> Response:
    """Remove a configuration (as ``DELETE /v1/tenants/{id}/provider-configs/{id}``); 409
    ``provider_config_in_use`` while its payments are open."""
    found = await _config(session, settings, dash, config_id)
    form = await read_form(request)
    async with form.saving(session):
        await service.remove_provider(session, dash.ms, config_id, ip=ip)
    if not form.ok:
        ctx = _config_form(dash, Form(), **found)
        ctx["form_error"] = form.context()["form_error"]
        return render(request, "tenants/provider_form.html", ctx, status=form.status)
    return redirect(request, dash.url("providers"), message="The configuration is removed.")


# Webhook endpoints ---------------------------------------------------------------------------


class _Scope(TypedDict):
    tenant_id: str
    mode: str


def _scope(dash: Dashboard) -> _Scope:
    """What every webhooks service call is scoped by, as for an API key: tenant and mode."""
    return {"tenant_id": dash.tenant.id, "mode": dash.mode}


async def _endpoints_page(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    form: Form | None = None,
    chosen: list[str] | None = None,
    created: WebhookEndpoint | None = None,
) -> Response:
    form = form or Form()
    ctx = form.context(
        dash=dash,
        endpoints=await webhooks.list_endpoints(session, **_scope(dash), limit=webhooks.MAX_PAGE),
        event_types=EVENT_TYPES,
        chosen=chosen if chosen is not None else [ALL_EVENTS],
        created=created,
    )
    return render(request, "tenants/webhooks.html", ctx, status=form.status)


@router.get(P + "/webhooks")
async def webhook_endpoints(request: Request, dash: DashboardPage, session: DbSession) -> Response:
    """This mode's endpoints (never their secrets) and the form to add one."""
    return await _endpoints_page(request, session, dash)


@router.post(P + "/webhooks")
async def create_webhook_endpoint(
    request: Request, dash: DashboardPage, session: DbSession, settings: AppSettings
) -> Response:
    """Add an endpoint (as ``POST /v1/webhook-endpoints``); its signing secret is shown on the
    page this answers with, once."""
    form = await read_form(request)
    chosen = [str(v) for v in (await request.form()).getlist("events")]
    events = [ALL_EVENTS] if ALL_EVENTS in chosen else chosen
    body = form.parse(
        WebhookEndpointIn,
        {"url": form["url"], "enabled_events": events, "description": form["description"] or None},
    )
    created = None
    if body is not None:
        async with form.saving(session):
            service.require_configurer(dash.ms, dash.mode)
            created = await webhooks.create_endpoint(
                session,
                **_scope(dash),
                url=body.url,
                enabled_events=body.enabled_events,
                description=body.description,
                allow_internal=settings.webhook_internal_test_urls,
            )
    if "enabled_events" in form.errors:  # shown beside the checkboxes
        form.errors["events"] = form.errors.pop("enabled_events")
    return await _endpoints_page(request, session, dash, form, chosen, created)


async def _endpoint_page(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    endpoint_id: str,
    before: str | None = None,
    form: Form | None = None,
    secret: str | None = None,
) -> Response:
    form = form or Form()
    endpoint = await webhooks.get_endpoint(session, **_scope(dash), endpoint_id=endpoint_id)
    rows = await webhooks.list_endpoint_deliveries(
        session, **_scope(dash), endpoint_id=endpoint_id, limit=PAGE + 1, before=before
    )
    more = len(rows) > PAGE
    next_url = (
        f"{dash.url('webhooks', endpoint.id)}?before={rows[PAGE - 1][0].id}" if more else None
    )
    ctx = form.context(
        dash=dash, endpoint=endpoint, deliveries=rows[:PAGE], next_url=next_url, secret=secret
    )
    return render(request, "tenants/webhook_endpoint.html", ctx, status=form.status)


@router.get(P + "/webhooks/{endpoint_id}")
async def webhook_endpoint(
    request: Request,
    endpoint_id: str,
    dash: DashboardPage,
    session: DbSession,
    before: str | None = Query(None, max_length=40),
) -> Response:
    """One endpoint: its subscription and status, and its deliveries (newest first), each
    linking to its event's attempts."""
    return await _endpoint_page(request, session, dash, endpoint_id, before)


@router.post(P + "/webhooks/{endpoint_id}/test")
async def test_webhook_endpoint(
    request: Request, endpoint_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """Send a ``webhook.test`` event to this endpoint only (as ``POST /v1/webhook-endpoints/
    {id}/test``)."""
    form = await read_form(request)
    event: Event | None = None
    async with form.saving(session):
        service.require_configurer(dash.ms, dash.mode)
        event = await webhooks.send_test(session, **_scope(dash), endpoint_id=endpoint_id)
    if event is None or not form.ok:
        return await _endpoint_page(request, session, dash, endpoint_id, form=form)
    return redirect(
        request, dash.url("events", event.id), message="A test event is on its way to the endpoint."
    )


@router.post(P + "/webhooks/{endpoint_id}/rotate-secret")
async def rotate_webhook_secret(
    request: Request,
    endpoint_id: str,
    dash: DashboardPage,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """A new signing secret, shown once (as ``POST /v1/webhook-endpoints/{id}/rotate-secret``);
    the old one also signs for ``KRO_WEBHOOK_SECRET_ROTATION_GRACE``."""
    form = await read_form(request)
    secret = None
    async with form.saving(session):
        service.require_configurer(dash.ms, dash.mode)
        grace = timedelta(seconds=settings.webhook_secret_rotation_grace)
        endpoint = await webhooks.rotate_secret(
            session, **_scope(dash), endpoint_id=endpoint_id, grace=grace
        )
        secret = endpoint.secret
    return await _endpoint_page(request, session, dash, endpoint_id, form=form, secret=secret)


@router.post(P + "/webhooks/{endpoint_id}/status")
async def set_webhook_status(
    request: Request, endpoint_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """Enable (forgetting its failures) or disable an endpoint (as ``PATCH
    /v1/webhook-endpoints/{id}`` with ``enabled``)."""
    form = await read_form(request)
    enabled = form["enabled"] == "yes"
    async with form.saving(session):
        service.require_configurer(dash.ms, dash.mode)
        await webhooks.update_endpoint(
            session, **_scope(dash), endpoint_id=endpoint_id, enabled=enabled
        )
    if not form.ok:
        return await _endpoint_page(request, session, dash, endpoint_id, form=form)
    message = "The endpoint is enabled." if enabled else "The endpoint is disabled."
    return redirect(request, dash.url("webhooks", endpoint_id), message=message)


@router.post(P + "/webhooks/{endpoint_id}/delete")
async def delete_webhook_endpoint(
    request: Request, endpoint_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """Delete an endpoint (as ``DELETE /v1/webhook-endpoints/{id}``)."""
    form = await read_form(request)
    async with form.saving(session):
        service.require_configurer(dash.ms, dash.mode)
        await webhooks.delete_endpoint(session, **_scope(dash), endpoint_id=endpoint_id)
    if not form.ok:
        return await _endpoint_page(request, session, dash, endpoint_id, form=form)
    return redirect(request, dash.url("webhooks"), message="The endpoint is deleted.")


# Events, deliveries, attempts ----------------------------------------------------------------


@router.get(P + "/events")
async def events(
    request: Request,
    dash: DashboardPage,
    session: DbSession,
    type: str | None = Query(None, max_length=64),
    before: str | None = Query(None, max_length=40),
) -> Response:
    """This mode's events, newest first, optionally of one type (as ``GET /v1/events``)."""
    rows = await webhooks.list_events(
        session, **_scope(dash), type=type or None, limit=PAGE + 1, before=before
    )
    more = len(rows) > PAGE
    next_url = None
    if more:
        query = {"type": type or "", "before": rows[PAGE - 1].id}
        next_url = f"{dash.url('events')}?{urlencode({k: v for k, v in query.items() if v})}"
    return render(
        request,
        "tenants/events.html",
        {
            "dash": dash,
            "events": rows[:PAGE],
            "type": type or "",
            "types": [("", "All types"), *((t, t) for t in (*EVENT_TYPES, webhooks.TEST_EVENT))],
            "next_url": next_url,
        },
    )


async def _event_page(
    request: Request,
    session: AsyncSession,
    dash: Dashboard,
    event_id: str,
    form: Form | None = None,
) -> Response:
    form = form or Form()
    event = await webhooks.get_event(session, **_scope(dash), event_id=event_id)
    deliveries = await webhooks.list_deliveries(session, event)
    attempts = await webhooks.list_attempts(
        session, **_scope(dash), event_id=event.id, limit=webhooks.MAX_PAGE
    )
    endpoints = await webhooks.list_endpoints(session, **_scope(dash), limit=webhooks.MAX_PAGE)
    ctx = form.context(
        dash=dash,
        event=event,
        deliveries=deliveries,
        attempts=attempts,
        urls={e.id: e.url for e in endpoints},
    )
    return render(request, "tenants/event.html", ctx, status=form.status)


@router.get(P + "/events/{event_id}")
async def event(
    request: Request, event_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """One event: the body sent, its delivery to each endpoint, every attempt (status code,
    the start of the answer, error, duration)."""
    return await _event_page(request, session, dash, event_id)


@router.post(P + "/events/{event_id}/retry")
async def retry_event(
    request: Request, event_id: str, dash: DashboardPage, session: DbSession
) -> Response:
    """Deliver the event again now, to one endpoint (``endpoint_id``) or every enabled one it
    went to (as ``POST /v1/events/{id}/retry``)."""
    form = await read_form(request)
    async with form.saving(session):
        service.require_configurer(dash.ms, dash.mode)
        await webhooks.retry_event(
            session, **_scope(dash), event_id=event_id, endpoint_id=form["endpoint_id"] or None
        )
    if not form.ok:
        return await _event_page(request, session, dash, event_id, form)
    return redirect(request, dash.url("events", event_id), message="The delivery is queued again.")
