"""How ``create_app`` builds the simulators added with the products (the earlier ones are
built in :mod:`kro.app`): one module per simulator, each with ``build(settings)`` returning
a :class:`Simulator` to mount, or ``None`` (sandbox off, or not built yet)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from kro.settings import Settings


class Simulator(Protocol):
    """A provider simulator: ``path`` it is mounted at (``/sandbox/remita``), its ASGI
    ``app``, and ``running()`` entered in the platform's lifespan."""

    @property
    def path(self) -> str: ...

    @property
    def app(self) -> Any: ...

    def running(self) -> AbstractAsyncContextManager[Any]: ...


def builders() -> list[Callable[[Settings], Simulator | None]]:
    from kro.sandboxes import kyc, pencom, remita

    return [kyc.build, remita.build, pencom.build]
