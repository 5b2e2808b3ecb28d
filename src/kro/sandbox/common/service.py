"""The skeleton every payment simulator shares: :class:`SandboxService`.

A simulator is one object with a mountable ``.app`` (its provider's API, hosted page and
``/_sandbox`` control, errors in the provider's shape, the fault switch) and ``running()``
(its database, the HTTP client its deliveries go out on, and the background loop). What is
the provider's own — its routers, error bodies, sender and the due work of a tick — comes from
the subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

import httpx
import structlog
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.kit.http import make_client
from kro.sandbox.common.delivery import DeliverySender, WebhookConfig
from kro.sandbox.common.errors import install_error_handlers
from kro.sandbox.common.faults import Faults, install_faults
from kro.sandbox.common.lifecycle import background_loop, open_database


class SandboxConfig(Protocol):
    """What :class:`SandboxService` reads from a simulator's configuration."""

    @property
    def database_url(self) -> str: ...

    @property
    def startup_delay(self) -> float: ...

    @property
    def poll_interval(self) -> float: ...


class SenderType(Protocol):
    """A :class:`DeliverySender` class built from its simulator's config (``WebhookSender``)."""

    def __call__(
        self, config: Any, sessions: async_sessionmaker[AsyncSession], http: httpx.AsyncClient
    ) -> DeliverySender: ...


class HasSessions(Protocol):
    """Anything with the session factory of a running simulator."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...


C = TypeVar("C", bound=SandboxConfig)


def session_dependency(sandbox: HasSessions) -> Callable[[], AsyncIterator[AsyncSession]]:
    """A FastAPI dependency yielding one unit of work on ``sandbox``'s database per request
    (committed when the endpoint returns; use it with ``Depends(..., scope="function")``)."""

    async def db() -> AsyncIterator[AsyncSession]:
        async with unit_of_work(sandbox.sessions) as session:
            yield session

    return db


class SandboxService(ABC, Generic[C]):
    """One provider's simulator: ``.app`` to mount, ``running()`` to serve, ``.faults`` its
    fault switch.

    A subclass names its ``provider`` (the prefix of its tables and log events), the app's
    ``title``, ``description`` and ``version``, its ``error_type``, its ``sender_type`` and
    the path prefixes the faults leave alone (``fault_exempt``), and gives :meth:`routers`,
    :meth:`not_running`, the error bodies (:meth:`http_error`, :meth:`invalid`,
    :meth:`internal`, :meth:`fault_error`) and :meth:`tick`. Deliveries go to the config's
    ``webhook_url`` with its ``webhook_timeout`` unless the subclass overrides
    :attr:`delivery_timeout` and :meth:`started_fields`.
    """

    provider: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    version: ClassVar[str] = "1"
    error_type: ClassVar[type[Exception]]
    sender_type: ClassVar[SenderType]
    fault_exempt: ClassVar[tuple[str, ...]] = ("/_sandbox",)

    def __init__(self, config: C) -> None:
        self.config = config
        self.faults = Faults()
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._sender: DeliverySender | None = None
        self._log = structlog.get_logger(f"kro.sandbox.{self.provider}")
        self.app = self._build_app()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Session factory of the sandbox database (only while running; else the provider's
        503, :meth:`not_running`)."""
        if self._sessions is None:
            raise self.not_running()
        return self._sessions

    @property
    def is_running(self) -> bool:
        """Whether ``running()`` has been entered (and not left)."""
        return self._sessions is not None and self._sender is not None

    @property
    def delivery_timeout(self) -> float:
        """Seconds a delivery may take: the default of the HTTP client deliveries go out on."""
        return cast(WebhookConfig, self.config).webhook_timeout

    def started_fields(self) -> dict[str, Any]:
        """What the ``<provider>_sandbox_started`` log line says about where deliveries go."""
        return {"webhook_url": cast(WebhookConfig, self.config).webhook_url or None}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Self]:
        """Open the database (creating the ``<provider>_*`` tables), start the background loop
        (:meth:`tick`); stop and close both on exit."""
        if self._sessions is not None:
            raise RuntimeError(f"{type(self).__name__}.running() entered twice")
        async with (
            open_database(self.config.database_url, f"{self.provider}_") as sessions,
            make_client(timeout=self.delivery_timeout) as http,
        ):
            self._sessions = sessions
            self._sender = self.sender_type(self.config, sessions, http)
            try:
                async with background_loop(
                    self.tick,
                    provider=self.provider,
                    startup_delay=self.config.startup_delay,
                    poll_interval=self.config.poll_interval,
                ):
                    self._log.info(f"{self.provider}_sandbox_started", **self.started_fields())
                    yield self
            finally:
                self._sessions = self._sender = None

    async def deliver_due(self) -> int:
        """Send the deliveries that are due; how many were attempted (0 when not running)."""
        return await self._sender.deliver_due() if self._sender else 0

    @abstractmethod
    async def tick(self) -> dict[str, int]:
        """One pass of due work; how many of each kind were done (``POST /_sandbox/tick``)."""

    @abstractmethod
    def routers(self) -> Sequence[APIRouter]:
        """The routers of ``.app``, in order: the API, the hosted page, the control endpoints."""

    @abstractmethod
    def not_running(self) -> Exception:
        """The provider's 503 for a request served outside ``running()``."""

    @abstractmethod
    def http_error(self, detail: str, status: int) -> dict[str, Any]:
        """The body of a routing error (404, 405, …) in the provider's shape."""

    @abstractmethod
    def invalid(self, message: str) -> dict[str, Any]:
        """The body of a 400 for a request that fails validation."""

    @abstractmethod
    def internal(self) -> dict[str, Any]:
        """The body of a 500 for a bug."""

    @abstractmethod
    def fault_error(self, status: int) -> dict[str, Any]:
        """The body of a ``down`` or ``error_rate`` fault answered with ``status``."""

    def _build_app(self) -> FastAPI:
        app = FastAPI(title=self.title, description=self.description, version=self.version)
        for router in self.routers():
            app.include_router(router)
        install_error_handlers(
            app,
            provider=self.provider,
            error_type=self.error_type,
            http_error=self.http_error,
            invalid=self.invalid,
            internal=self.internal,
        )
        install_faults(app, self.faults, error_body=self.fault_error, exempt=self.fault_exempt)
        return app
