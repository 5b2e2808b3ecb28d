"""The PenCom register simulator as the embedded default mounts it (see :mod:`kro.sandboxes`)."""

from __future__ import annotations

from kro.sandboxes import Simulator
from kro.settings import Settings


def build(settings: Settings) -> Simulator | None:
    """The simulator for ``settings``, or ``None`` when the sandbox is off."""
    if not settings.sandbox_enabled:
        return None
    from kro.sandbox.pencom import PencomSandbox

    return PencomSandbox(settings.sandbox_database_url)
