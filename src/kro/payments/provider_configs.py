"""A tenant's payment providers and routing rules, per mode (seed 003 §4.5, §2.3).

Credentials are sealed with AES-256-GCM (:class:`kro.kit.crypto.SecretBox`, the key id kept
beside them, the configuration's id as associated data) and never returned: views show only
a masked hint. In **test** mode a configuration may omit credentials and then uses the
platform's sandbox keys; test mode only ever reaches the sandbox (:func:`base_url`). Changes
are audit-logged against the tenant with the actor and IP. Services only flush.

Creating a payment reads a tenant's configurations and rules through :func:`routing_snapshot`,
kept in process for :data:`ROUTING_CACHE_TTL` seconds per tenant and mode; every change made
here forgets that entry (at once, and again when the change commits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.audit import service as audit
from kro.kit.cache import ReadCache
from kro.kit.crypto import SecretBox
from kro.kit.db import unit_of_work
from kro.payments import states
from kro.payments.errors import (
    InvalidProviderConfig,
    ProviderConfigExists,
    ProviderConfigInUse,
    ProviderConfigNotFound,
    RoutingRuleNotFound,
)
from kro.payments.models import Payment, ProviderConfig, Refund, RoutingRule
from kro.providers import registry
from kro.providers.base import Credentials
from kro.settings import Settings

MODES = ("test", "live")


@dataclass(frozen=True)
class ConfigChange:
    """What a caller sets on a configuration; None leaves a field as it is. ``credentials``:
    ``{"secret_key", "webhook_secret"?, "public_key"?, "account_id"?}``."""

    enabled: bool | None = None
    priority: int | None = None
    weight: int | None = None
    currencies: list[str] | None = None
    credentials: dict[str, str] | None = None


ROUTING_CACHE_TTL = 5.0
"""Seconds a process keeps a tenant's routing (configurations and rules) read once: a change
made through another process applies here within this time (kro.kit.cache)."""


@dataclass(frozen=True)
class RoutingSnapshot:
    """A tenant's configurations and rules in one mode, detached from any session."""

    configs: tuple[ProviderConfig, ...]
    rules: tuple[RoutingRule, ...]


ROUTING: ReadCache[tuple[str, str], RoutingSnapshot] = ReadCache("routing", ttl=ROUTING_CACHE_TTL)


async def routing_snapshot(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str, mode: str
) -> RoutingSnapshot:
    """The tenant's routing in ``mode``: from the cache, else read in a short transaction of
    its own (no transaction of the caller's stays open: a provider call follows)."""

    async def load() -> RoutingSnapshot:
        async with unit_of_work(sessions) as read:
            configs = await list_configs(read, tenant_id, mode)
            rules = await list_rules(read, tenant_id, mode)
            read.expunge_all()
        return RoutingSnapshot(tuple(configs), tuple(rules))

    return await ROUTING.get((tenant_id, mode), load)


def _changed(session: AsyncSession, tenant_id: str, mode: str) -> None:
    ROUTING.forget((tenant_id, mode), session)


@lru_cache(maxsize=4)
def _box(keyring: str, current: str) -> SecretBox:
    return SecretBox.from_spec(keyring, current or None)


def secret_box(settings: Settings) -> SecretBox:
    """The keyring of ``KRO_SECRETS_KEYRING`` (current key ``KRO_SECRETS_CURRENT_KEY``)."""
    return _box(settings.secrets_keyring, settings.secrets_current_key)


def base_url(settings: Settings, provider: str, mode: str) -> str:
    """Where ``provider`` is reached in ``mode``: live → its real API (``KRO_<P>_LIVE_BASE_URL``),
    test → the sandbox simulator, always."""
    if mode == "live":
        return str(getattr(settings, f"{provider}_live_base_url"))
    root = settings.gateway_sandbox_base_url or f"{settings.base_url}/sandbox"
    return f"{root.rstrip('/')}/{provider}"


def sandbox_credentials(settings: Settings, provider: str) -> Credentials:
    """The platform's own keys with the sandbox of ``provider`` (test mode default)."""
    if provider == "paystack":
        return Credentials(settings.paystack_secret_key)
    if provider == "flutterwave":
        return Credentials(
            settings.flutterwave_sandbox_secret_key,
            webhook_secret=settings.flutterwave_sandbox_secret_hash,
            public_key=settings.flutterwave_sandbox_public_key,
        )
    if provider == "fincra":  # the platform's own Fincra sandbox business
        return Credentials(
            settings.fincra_secret_key,
            webhook_secret=settings.fincra_webhook_secret,
            public_key=settings.fincra_public_key,
            account_id=settings.fincra_business_id,
        )
    return Credentials(
        settings.stripe_sandbox_secret_key,
        webhook_secret=settings.stripe_sandbox_webhook_secret,
        public_key=settings.stripe_sandbox_publishable_key,
    )


def credentials(settings: Settings, config: ProviderConfig) -> Credentials:
    """The decrypted credentials of ``config`` (sandbox keys for a test config without any)."""
    if config.credentials is None:
        return sandbox_credentials(settings, config.provider)
    fields = json.loads(secret_box(settings).open(config.credentials, config.id))
    return Credentials(
        fields["secret_key"],
        webhook_secret=fields.get("webhook_secret"),
        public_key=fields.get("public_key"),
        account_id=fields.get("account_id"),
    )


def masked(settings: Settings, config: ProviderConfig) -> dict[str, Any] | None:
    """What a view may show of the credentials: the key's first and last characters."""
    if config.credentials is None:
        return None
    keys = credentials(settings, config)
    secret = keys.secret_key
    return {
        "secret_key": f"{secret[:8]}…{secret[-4:]}" if len(secret) > 16 else "…",
        "webhook_secret_set": keys.webhook_secret is not None,
        "key_id": config.key_id,
    }


async def list_configs(session: AsyncSession, tenant_id: str, mode: str) -> list[ProviderConfig]:
    """The tenant's configurations in ``mode``, by priority then provider."""
    rows = await session.scalars(
        select(ProviderConfig)
        .where(ProviderConfig.tenant_id == tenant_id, ProviderConfig.mode == mode)
        .order_by(ProviderConfig.priority, ProviderConfig.provider)
    )
    return list(rows)


async def get_config(session: AsyncSession, tenant_id: str, config_id: str) -> ProviderConfig:
    """One of the tenant's configurations; another tenant's → ProviderConfigNotFound (404)."""
    config = await session.get(ProviderConfig, config_id)
    if config is None or config.tenant_id != tenant_id:
        raise ProviderConfigNotFound()
    return config


async def create_config(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    mode: str,
    provider: str,
    change: ConfigChange,
    actor_id: str,
    ip: str | None,
) -> ProviderConfig:
    """Configure ``provider`` for the tenant in ``mode``.

    Raises UnknownProvider (404), InvalidProviderConfig (422: live mode without credentials, a
    currency the provider does not take, a missing webhook secret), ProviderConfigExists (409).
    """
    spec = registry.merchant_spec(provider)
    config = ProviderConfig(
        tenant_id=tenant_id,
        mode=mode,
        provider=provider,
        currencies=sorted(spec.currencies & {"NGN"}) or sorted(spec.currencies)[:1],
    )
    session.add(config)
    try:
        await session.flush()
    except IntegrityError:
        raise ProviderConfigExists() from None
    _apply(settings, config, change)
    if mode == "live" and config.credentials is None:
        raise InvalidProviderConfig("Live mode needs the provider's credentials.")
    await session.flush()
    _changed(session, tenant_id, mode)
    await _audit(session, config, "payments.provider_configured", actor_id, ip, change)
    return config


async def update_config(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    config_id: str,
    change: ConfigChange,
    actor_id: str,
    ip: str | None,
) -> ProviderConfig:
    """Change a configuration (see :class:`ConfigChange`); errors as :func:`create_config`."""
    config = await get_config(session, tenant_id, config_id)
    _apply(settings, config, change)
    await session.flush()
    _changed(session, config.tenant_id, config.mode)
    await _audit(session, config, "payments.provider_config_updated", actor_id, ip, change)
    return config


async def delete_config(
    session: AsyncSession, *, tenant_id: str, config_id: str, actor_id: str, ip: str | None
) -> None:
    """Remove a configuration: its provider is no longer routed to. Refused (409
    ``provider_config_in_use``) while a payment through it is open or authorized, or one of its
    refunds is pending — their webhooks, refunds and reconciliation need its credentials."""
    config = await get_config(session, tenant_id, config_id)
    if await _in_use(session, config):
        raise ProviderConfigInUse()
    await _audit(session, config, "payments.provider_config_deleted", actor_id, ip, ConfigChange())
    await session.delete(config)
    await session.flush()
    _changed(session, config.tenant_id, config.mode)


async def _in_use(session: AsyncSession, config: ProviderConfig) -> bool:
    unsettled = (*states.OPEN, states.REQUIRES_CAPTURE)
    open_payment = await session.scalar(
        select(Payment.id)
        .where(Payment.provider_config_id == config.id, Payment.status.in_(unsettled))
        .limit(1)
    )
    if open_payment is not None:
        return True
    pending_refund = await session.scalar(
        select(Refund.id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.provider_config_id == config.id, Refund.status == "pending")
        .limit(1)
    )
    return pending_refund is not None


def _apply(settings: Settings, config: ProviderConfig, change: ConfigChange) -> None:
    spec = registry.spec(config.provider)
    if change.currencies is not None:
        currencies = sorted({c.upper() for c in change.currencies})
        unsupported = sorted(set(currencies) - spec.currencies)
        if not currencies or unsupported:
            raise InvalidProviderConfig(
                f"{config.provider} does not take {', '.join(unsupported) or 'no currency'}.",
                details={"unsupported": unsupported, "supported": sorted(spec.currencies)},
            )
        config.currencies = currencies
    if change.enabled is not None:
        config.enabled = change.enabled
    if change.priority is not None:
        config.priority = change.priority
    if change.weight is not None:
        config.weight = change.weight
    if change.credentials is not None:
        _seal(settings, config, change.credentials)


CREDENTIAL_FIELDS = ("secret_key", "webhook_secret", "public_key", "account_id")


def _seal(settings: Settings, config: ProviderConfig, fields: dict[str, str]) -> None:
    spec = registry.spec(config.provider)
    if not fields.get("secret_key"):
        raise InvalidProviderConfig("credentials.secret_key is required.")
    if spec.needs_webhook_secret and not fields.get("webhook_secret"):
        raise InvalidProviderConfig(
            f"{config.provider} signs webhooks with its own secret: credentials.webhook_secret."
        )
    if spec.needs_account_id and not fields.get("account_id"):
        raise InvalidProviderConfig(
            f"{config.provider} calls name the merchant's account: credentials.account_id."
        )
    kept = {k: v for k, v in fields.items() if k in CREDENTIAL_FIELDS}
    box = secret_box(settings)
    config.credentials = box.seal(json.dumps(kept), config.id)
    config.key_id = box.current


async def reseal_credentials(session: AsyncSession, settings: Settings) -> int:
    """Seal again, with the current key (``KRO_SECRETS_CURRENT_KEY``), every provider
    configuration's credentials still sealed with an older key; returns how many. Run after
    adding a key to ``KRO_SECRETS_KEYRING`` and making it current; once it returns 0 on every
    database, the old key can leave the keyring (docs/operations.md)."""
    box = secret_box(settings)
    stale = (
        await session.execute(
            select(ProviderConfig)
            .where(ProviderConfig.credentials.is_not(None), ProviderConfig.key_id != box.current)
            .with_for_update()
        )
    ).scalars()
    count = 0
    for config in stale:
        assert config.credentials is not None
        config.credentials = box.seal(box.open(config.credentials, config.id), config.id)
        config.key_id = box.current
        count += 1
    await session.flush()
    return count


async def _audit(
    session: AsyncSession,
    config: ProviderConfig,
    action: str,
    actor_id: str,
    ip: str | None,
    change: ConfigChange,
) -> None:
    details: dict[str, Any] = {"provider_config_id": config.id, "provider": config.provider}
    details["mode"] = config.mode
    for name in ("enabled", "priority", "weight", "currencies"):
        if getattr(change, name) is not None:
            details[name] = getattr(change, name)
    if change.credentials is not None:
        details["credentials"] = "changed"  # never the secrets themselves
    await audit.record(
        session,
        actor_id=actor_id,
        action=action,
        target_type="tenant",
        target_id=config.tenant_id,
        ip=ip,
        details=details,
    )


# Routing rules ----------------------------------------------------------------------------


async def list_rules(session: AsyncSession, tenant_id: str, mode: str) -> list[RoutingRule]:
    """The tenant's rules in ``mode``, in the order they are tried."""
    rows = await session.scalars(
        select(RoutingRule)
        .where(RoutingRule.tenant_id == tenant_id, RoutingRule.mode == mode)
        .order_by(RoutingRule.priority, RoutingRule.id)
    )
    return list(rows)


async def create_rule(
    session: AsyncSession, rule: RoutingRule, *, actor_id: str, ip: str | None
) -> RoutingRule:
    """Add ``rule`` (its tenant and mode set). Raises InvalidProviderConfig (422) for an
    unknown provider, weights of another length than providers, or min above max."""
    for name in rule.providers:
        if name not in registry.NAMES:
            raise InvalidProviderConfig(f"Unknown provider {name!r} in the rule.")
    if rule.weights is not None and len(rule.weights) != len(rule.providers):
        raise InvalidProviderConfig("weights must have one entry per provider.")
    low, high = rule.min_amount, rule.max_amount
    if low is not None and high is not None and low > high:
        raise InvalidProviderConfig("min_amount is above max_amount.")
    session.add(rule)
    await session.flush()
    _changed(session, rule.tenant_id, rule.mode)
    await audit.record(
        session,
        actor_id=actor_id,
        action="payments.routing_rule_created",
        target_type="tenant",
        target_id=rule.tenant_id,
        ip=ip,
        details={"routing_rule_id": rule.id, "mode": rule.mode, "providers": rule.providers},
    )
    return rule


async def get_rule(session: AsyncSession, tenant_id: str, rule_id: str) -> RoutingRule:
    """One of the tenant's rules; another tenant's → RoutingRuleNotFound (404)."""
    rule = await session.get(RoutingRule, rule_id)
    if rule is None or rule.tenant_id != tenant_id:
        raise RoutingRuleNotFound()
    return rule


async def delete_rule(
    session: AsyncSession, *, tenant_id: str, rule_id: str, actor_id: str, ip: str | None
) -> None:
    """Remove one of the tenant's rules; another tenant's → RoutingRuleNotFound (404)."""
    rule = await get_rule(session, tenant_id, rule_id)
    await audit.record(
        session,
        actor_id=actor_id,
        action="payments.routing_rule_deleted",
        target_type="tenant",
        target_id=tenant_id,
        ip=ip,
        details={"routing_rule_id": rule.id, "mode": rule.mode},
    )
    await session.delete(rule)
    await session.flush()
    _changed(session, rule.tenant_id, rule.mode)
