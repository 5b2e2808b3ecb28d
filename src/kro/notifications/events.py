"""The catalogue of notification events: template, default channels, who may turn them off.

An event name is ``"<module>.<what happened>"``; its template is ``templates/<event>.j2``. The
context every order event's template needs (amounts in minor units)::

    {"order_id": "ord_…", "title": "Website redesign", "amount": 25000000, "currency": "NGN",
     "url": "https://…"  (optional: where the recipient can see the order)}

plus, per event: ``counterparty`` (name of the other party; ``order.seller_invited``,
``order.accepted``), ``condition`` (``order.condition_fulfilled``), ``reason``
(``order.issue_reported``, ``order.disputed``, ``payout.failed``; optional), ``resolution``
(``order.resolved``), ``refund_amount`` (``order.refunded``; optional, default ``amount``),
``inspection_ends_at`` (``order.inspection_reminder``; ISO-8601). Payout events take
``payout_id``, ``amount``, ``currency`` and optionally ``account`` (e.g. "GTBank ••••6789").
``recipient_name`` is added from the user's profile. Security events: ``identity.phone_code``
``{"code": "123456", "minutes": 10}``, ``identity.magic_link`` ``{"link": "https://…",
"minutes": 15}``. Missing required variables raise ``ValueError`` in :func:`notify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True, slots=True)
class EventSpec:
    """How one event is sent.

    - ``channels``: channels used unless the user's preferences say otherwise.
    - ``configurable``: False for security messages, which always go (and only) where they
      are addressed: a user cannot turn off a sign-in link.
    - ``sensitive``: context keys (codes, links) blanked once the message is sent or failed,
      so secrets do not stay in the ``notifications`` table.
    """

    name: str
    channels: frozenset[Channel]
    configurable: bool = True
    sensitive: frozenset[str] = frozenset()


_EMAIL = frozenset({Channel.EMAIL})
_EMAIL_SMS = frozenset({Channel.EMAIL, Channel.SMS})

EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec("order.seller_invited", _EMAIL_SMS),
        EventSpec("order.accepted", _EMAIL),
        EventSpec("order.funded", _EMAIL_SMS),
        EventSpec("order.started", _EMAIL),
        EventSpec("order.completed", _EMAIL),
        EventSpec("order.condition_fulfilled", _EMAIL),
        EventSpec("order.released", _EMAIL_SMS),
        EventSpec("order.issue_reported", _EMAIL_SMS),
        EventSpec("order.disputed", _EMAIL_SMS),
        EventSpec("order.resolved", _EMAIL_SMS),
        EventSpec("order.refunded", _EMAIL_SMS),
        EventSpec("order.inspection_reminder", _EMAIL_SMS),
        EventSpec("payout.sent", _EMAIL_SMS),
        EventSpec("payout.failed", _EMAIL_SMS),
        # {"tenant_name", "endpoint_id", "endpoint_url", "mode", "reason"} (kro.tenants.tasks)
        EventSpec("tenants.webhook_endpoint_disabled", _EMAIL),
        EventSpec(
            "identity.phone_code",
            frozenset({Channel.SMS}),
            configurable=False,
            sensitive=frozenset({"code"}),
        ),
        EventSpec("identity.magic_link", _EMAIL, configurable=False, sensitive=frozenset({"link"})),
    )
}

ORDER_EVENTS: tuple[str, ...] = tuple(
    name for name in EVENTS if name.startswith(("order.", "payout."))
)


def get_event(name: str) -> EventSpec:
    """The spec of ``name``; ``ValueError`` for an event nobody declared (a programming error)."""
    spec = EVENTS.get(name)
    if spec is None:
        raise ValueError(f"unknown notification event {name!r}")
    return spec


# The core's own events, with their templates in notifications/templates (the products add
# theirs with :func:`register`, templates beside them).
CORE_EVENTS = frozenset(EVENTS)


def register(*specs: EventSpec, templates: Path | None = None) -> None:
    """Add a module's events to the catalogue, with its templates' folder (``<event>.j2``
    files, as ``notifications/templates``): products declare their events in their own
    package, e.g. ``register(EventSpec("giving.donation_received", EMAIL),
    templates=Path(__file__).parent / "notifications")``. Registering the same spec again
    is a no-op; another spec under a taken name is a ``ValueError``."""
    from kro.notifications.templates import add_template_dir

    for spec in specs:
        if EVENTS.get(spec.name, spec) != spec:
            raise ValueError(f"notification event {spec.name!r} is already registered")
        EVENTS[spec.name] = spec
    if templates is not None:
        add_template_dir(templates)


EMAIL = _EMAIL
EMAIL_SMS = _EMAIL_SMS
