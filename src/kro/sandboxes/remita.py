"""The Remita simulator as the embedded default mounts it (see :mod:`kro.sandboxes`)."""

from __future__ import annotations

from kro.sandboxes import Simulator
from kro.settings import Settings


def build(settings: Settings) -> Simulator | None:
    """The simulator for ``settings`` (our merchant id and API key are its merchant), or
    ``None`` when the sandbox is off."""
    if not settings.sandbox_enabled:
        return None
    from kro.sandbox.remita import RemitaSandbox, RemitaSandboxConfig

    return RemitaSandbox(
        RemitaSandboxConfig(
            database_url=settings.remita_sandbox_database_url,
            merchants={settings.remita_merchant_id: settings.remita_api_key},
            service_types={settings.remita_service_type_id: settings.remita_merchant_id},
            notification_url=f"{settings.base_url}/v1/webhooks/remita",
        )
    )
