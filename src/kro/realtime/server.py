"""The Socket.IO server mounted on the platform's FastAPI app at ``/socket.io``.

:func:`mount_realtime` builds a :class:`Realtime` and mounts it; the host enters
:meth:`Realtime.running` in its lifespan (a mounted sub-app's lifespan never runs), before the
in-process worker so that it outlives the worker's last emit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import socketio
import structlog
from fastapi import FastAPI
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.identity import security
from kro.identity import service as identity_service
from kro.identity.errors import InvalidToken, UserInactive, UserNotFound
from kro.kit.errors import KroError
from kro.realtime import hub
from kro.realtime.managers import RedisManager, close_manager
from kro.realtime.service import user_room
from kro.settings import Settings
from kro.web import sessions as web_sessions
from kro.web.dependencies import USER_COOKIE

log = structlog.get_logger("kro.realtime")

REALTIME_PATH = "/socket.io"

CONNECTIONS = Gauge("kro_realtime_connections", "Socket.IO connections open on this process.")


class Realtime:
    """A Socket.IO server (python-socketio, ASGI) whose connections are authenticated users.

    - ``server``: the ``socketio.AsyncServer`` (with the Redis manager when
      ``settings.redis_url`` is set);
    - ``asgi_app``: what to mount at :data:`REALTIME_PATH`;
    - ``state``: where the host keeps its session factory (``app.state.sessions``), read at
      each connection to check that the token's user exists and is active.
    """

    def __init__(self, settings: Settings, state: Any) -> None:
        self.settings = settings
        self.state = state
        self.bus = hub.bus_of(settings)
        manager = (
            RedisManager(settings.redis_url, channel=settings.realtime_channel)
            if settings.redis_url
            else None
        )
        self.server = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=_origins(settings.realtime_cors_origins),
            logger=False,
            engineio_logger=False,
        )
        self.server.on("connect", self._on_connect)
        self.server.on("disconnect", self._on_disconnect)
        # socketio_path=None: every request that reaches the mount is Socket.IO's.
        self.asgi_app = socketio.ASGIApp(self.server, socketio_path=None)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Realtime]:
        """Serve: subscribe to the Redis channel now (not at the first connection, so no
        event published meanwhile is missed) and take this process's events; on exit, stop
        both and close the connections."""
        if self.bus is not None and not self.server.manager_initialized:
            self.server.manager_initialized = True
            self.server.manager.initialize()
        hub.register(self)
        log.info("realtime_started", shared=self.bus is not None)
        try:
            yield self
        finally:
            hub.unregister(self)
            await self.server.shutdown()
            if self.bus is not None:
                await close_manager(self.server.manager)

    async def emit(self, event: str, message: dict[str, Any], rooms: list[str]) -> None:
        """Send ``event`` to ``rooms`` (through Redis to the other servers, when shared)."""
        await self.server.emit(event, message, to=rooms)

    # -- connections ---------------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            token = _token_of(auth, environ)
            page_session = _page_session_of(environ)
            if token is None and page_session:
                user_id = await self._authenticate_page(page_session)
            else:
                user_id = await self._authenticate(token)
        except KroError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}
            ) from None
        await self.server.save_session(sid, {"user_id": user_id})
        await self.server.enter_room(sid, user_room(user_id))
        CONNECTIONS.inc()
        log.debug("realtime_connected", user_id=user_id)

    async def _on_disconnect(self, sid: str, *_: Any) -> None:
        CONNECTIONS.dec()

    async def _authenticate(self, token: str | None) -> str:
        """The id of the active user ``token`` belongs to; raises the 401/403 of
        :func:`kro.identity.dependencies.current_user` otherwise."""
        if not token:
            raise InvalidToken("An access token is required.", code="unauthorized")
        claims = security.decode_access_token(token, secret=self.settings.jwt_secret)
        sessions: async_sessionmaker[AsyncSession] = self.state.sessions
        async with sessions() as session:
            try:
                user = await identity_service.get_user(session, claims["sub"])
            except UserNotFound:
                raise InvalidToken() from None
            if not user.is_active:
                raise UserInactive()
            return user.id

    async def _authenticate_page(self, cookie: str) -> str:
        """The user of a web app's session cookie (same origin only: Socket.IO refuses other
        origins unless ``KRO_REALTIME_CORS_ORIGINS`` allows them)."""
        sessions: async_sessionmaker[AsyncSession] = self.state.sessions
        policy = web_sessions.SessionPolicy(
            ttl=self.settings.web_session_ttl, idle=self.settings.web_idle_timeout
        )
        async with sessions() as session:
            row = await web_sessions.resolve(session, cookie, "app", policy)
            if row is None:
                raise InvalidToken("Your session has ended; sign in again.")
            try:
                user = await identity_service.get_user(session, row.user_id)
            except UserNotFound:
                raise InvalidToken() from None
            if not user.is_active:
                raise UserInactive()
            await session.commit()  # last_seen_at, when it moved
            return user.id


def mount_realtime(app: FastAPI, settings: Settings) -> Realtime:
    """Mount a :class:`Realtime` on ``app`` at :data:`REALTIME_PATH` and keep it as
    ``app.state.realtime``. The caller enters ``realtime.running()`` in the lifespan."""
    realtime = Realtime(settings, app.state)
    app.mount(REALTIME_PATH, realtime.asgi_app)
    app.state.realtime = realtime
    return realtime


def _token_of(auth: Any, environ: dict[str, Any]) -> str | None:
    """The access token from the ``auth`` payload, ``?token=`` or ``Authorization: Bearer``."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        token: str = auth["token"]
        return token
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if query.get("token"):
        return query["token"][0]
    scheme, _, credentials = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return None


def _page_session_of(environ: dict[str, Any]) -> str | None:
    """The web app's session cookie (``kro_session``) of the handshake, if any."""
    cookies = SimpleCookie()
    try:
        cookies.load(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return None
    morsel = cookies.get(USER_COOKIE)
    return morsel.value if morsel else None


def _origins(setting: str) -> str | list[str] | None:
    """``""`` = same origin only (Socket.IO's default), ``"*"`` = any, else the listed ones."""
    if setting.strip() == "*":
        return "*"
    origins = [o.strip().rstrip("/") for o in setting.split(",") if o.strip()]
    return origins or None
