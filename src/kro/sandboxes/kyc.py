"""The kyc simulator (Dojah) as the embedded default mounts it (see :mod:`kro.sandboxes`)."""

from __future__ import annotations

from kro.sandboxes import Simulator
from kro.settings import Settings


def build(settings: Settings) -> Simulator | None:
    """The simulator for ``settings`` (our app id and secret are its app), or ``None`` when
    the sandbox is off."""
    if not settings.sandbox_enabled:
        return None
    from kro.sandbox.kyc import DojahSandbox, DojahSandboxConfig

    return DojahSandbox(
        DojahSandboxConfig(
            database_url=settings.sandbox_database_url,
            app_id=settings.dojah_app_id,
            secret_key=settings.dojah_secret_key,
        )
    )
