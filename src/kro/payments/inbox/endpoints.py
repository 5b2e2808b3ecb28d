"""``POST /v1/webhooks/{paystack,flutterwave,stripe,fincra,remita}``: the inbox doors, one for
every payment — a merchant's or a product's (:mod:`kro.payments.inbox.events`). Verify on the
raw body, store once, answer 200 fast; a job does the rest (asking the provider first).
Providus's door is :mod:`kro.payments.inbox.providus` (it answers in Providus's terms)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kro.identity.dependencies import AppSettings
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.errors import BadRequest
from kro.kit.openapi import error_responses
from kro.payments.errors import InvalidWebhookSignature
from kro.payments.inbox import events as merchant_webhooks
from kro.payments.inbox import service
from kro.providers.errors import FincraWebhookInvalid, PaystackWebhookInvalid, UnknownProvider
from kro.providers.fincra import event_key as fincra_event_key
from kro.providers.fincra import parse_event, verify_signature

router = APIRouter(tags=["webhooks"])


class WebhookAck(BaseModel):
    event_id: str
    duplicate: bool


@router.post(
    "/v1/webhooks/paystack",
    responses=error_responses(InvalidWebhookSignature, PaystackWebhookInvalid),
)
async def paystack_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    """Receive a Paystack event. The ``x-paystack-signature`` header must be the HMAC-SHA512
    of the raw body keyed with our secret key (401 ``invalid_signature`` otherwise). The event
    is stored once and processed by a job; duplicates answer 200 and change nothing."""
    raw = await request.body()
    merchant = await merchant_webhooks.receive(session, settings, "paystack", raw, request.headers)
    if merchant is not None:  # a merchant API payment, signed with the tenant's key
        return ok(WebhookAck(event_id=merchant[0].id, duplicate=not merchant[1]))
    event, is_new = await service.receive_paystack_webhook(
        session, raw, request.headers.get("x-paystack-signature"), settings.paystack_secret_key
    )
    return ok(WebhookAck(event_id=event.id, duplicate=not is_new))


async def _merchant_webhook(
    provider: str, request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    raw = await request.body()
    received = await merchant_webhooks.receive(session, settings, provider, raw, request.headers)
    if received is None:  # names no payment of ours: nobody whose key could have signed it
        raise InvalidWebhookSignature("The event names no payment of this platform.")
    event, is_new = received
    return ok(WebhookAck(event_id=event.id, duplicate=not is_new))


@router.post(
    "/v1/webhooks/flutterwave",
    responses=error_responses(InvalidWebhookSignature, BadRequest, UnknownProvider),
)
async def flutterwave_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    """Receive a Flutterwave v3 event (``charge.completed``…). ``verif-hash`` must equal the
    merchant's secret hash (or ``flutterwave-signature`` its HMAC-SHA256 of the raw body):
    401 ``invalid_signature`` otherwise; 400 for a body that is not a Flutterwave event.
    Stored once; duplicates answer 200 and change nothing."""
    return await _merchant_webhook("flutterwave", request, session, settings)


@router.post(
    "/v1/webhooks/stripe",
    responses=error_responses(InvalidWebhookSignature, BadRequest, UnknownProvider),
)
async def stripe_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    """Receive a Stripe event. ``Stripe-Signature`` (``t=…,v1=…``: HMAC-SHA256 of
    ``"{t}.{body}"`` with the endpoint's ``whsec_`` secret) must match and ``t`` be within
    300 s: 401 ``invalid_signature`` otherwise. Stored once per event id."""
    return await _merchant_webhook("stripe", request, session, settings)


@router.post(
    "/v1/webhooks/fincra", responses=error_responses(InvalidWebhookSignature, FincraWebhookInvalid)
)
async def fincra_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[WebhookAck]:
    """Receive a Fincra event. The ``signature`` header must be the hex HMAC-SHA512 of the
    body keyed with the webhook secret key (401 ``invalid_signature`` otherwise; 400 for a
    body that is not a Fincra event). Stored once and confirmed with Fincra's verify by a job
    before value moves (Fincra wants a 200 to stop retrying: docs.fincra.com/docs/webhooks);
    an event about no payment of ours is stored as ``ignored``."""
    raw = await request.body()
    received = await merchant_webhooks.receive(session, settings, "fincra", raw, request.headers)
    if received is None:
        if not verify_signature(
            raw, request.headers.get("signature"), settings.fincra_webhook_secret
        ):
            raise InvalidWebhookSignature()
        event = parse_event(raw)
        reference = event.data.get("merchantReference")
        received = await service.store_in_inbox(
            session,
            "fincra",
            fincra_event_key(event),
            event.event,
            raw,
            None,
            ignored_because=f"unknown reference {reference!r}"[:200],
        )
    event_row, is_new = received
    return ok(WebhookAck(event_id=event_row.id, duplicate=not is_new))


class RemitaAck(BaseModel):
    """How many payments of the notification are ours (stored, each checked by a job)."""

    received: int
    ours: int


@router.post("/v1/webhooks/remita", responses=error_responses(BadRequest))
async def remita_webhook(
    request: Request, session: DbSession, settings: AppSettings
) -> Envelope[RemitaAck]:
    """Receive Remita's payment notification: a JSON array of payments, **unsigned**
    (providers.md §4). Each payment naming an RRR of ours is stored once in the inbox and
    processed by a job that asks Remita's ``status.reg`` before any value moves, so a forged
    notification changes nothing; those naming no RRR of ours are dropped. 400 for a body
    that is not a JSON array of objects with ``rrr``."""
    try:
        items = json.loads(await request.body())
    except ValueError:
        raise BadRequest("Not a Remita payment notification.") from None
    items = items if isinstance(items, list) else [items]
    if not items or not all(isinstance(i, dict) and i.get("rrr") for i in items):
        raise BadRequest("Not a Remita payment notification.")
    ours = 0
    for item in items:
        body = json.dumps([item], separators=(",", ":")).encode()
        received = await merchant_webhooks.receive(session, settings, "remita", body, {})
        ours += received is not None
    return ok(RemitaAck(received=len(items), ours=ours))
