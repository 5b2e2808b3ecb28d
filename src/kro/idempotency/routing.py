"""Idempotency on FastAPI routes: a route class and a dependency, used together::

    router = APIRouter(prefix="/v1/things", route_class=IdempotentRoute)

    @router.post("", dependencies=[idempotent(user_scope)])
    async def create_thing(...): ...

The dependency (after authentication, which gives the caller's scope) claims the key before
the endpoint runs — in a short transaction of its own, committed, so that a twin in any
process meets it — or answers 409/422, or makes the route replay the stored response.

The endpoint's response is stored *in the request's own transaction* (the ``DbSession``,
which commits after the response is built and before its first byte is sent): the route
handler stores it right after the endpoint returns, so the work and its stored response commit
together, or neither does. A response rendered after that transaction ended (an error raised
by the endpoint) is stored by the route class, which wraps the route's ASGI app *outside*
FastAPI's dependency exit stack, in a transaction of its own. A request that failed with an
unhandled error (a 5xx: its transaction rolled back) releases the key so that a retry runs
afresh; every other response, errors included, is stored and replayed.

(No ``from __future__ import annotations`` here: FastAPI must resolve the guard's annotations,
which name the closure's ``caller_scope``, at definition time.)
"""

import hashlib
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kro.idempotency import service
from kro.identity import security
from kro.identity.errors import InvalidToken
from kro.kit.clock import utcnow
from kro.kit.deps import DbSession
from kro.kit.idempotency import HEADER, fingerprint, validate_key
from kro.settings import Settings

_SLOT = "kro.idempotency"  # ASGI scope key shared by the route class and the dependency
REPLAYED_HEADER = "Idempotent-Replayed"


class _Replay(Exception):
    """Raised by the dependency so that the route sends the stored response instead."""

    def __init__(self, stored: service.StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


async def _body_of(request: Request) -> bytes:
    """The request's body for its fingerprint. A multipart form was already parsed (and its
    stream consumed) by the time dependencies run: then the fields stand for the body, each
    file by its name, type and SHA-256."""
    try:
        return await request.body()
    except RuntimeError:
        pass
    parts: list[str] = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            parts.append(f"{name}={value}")
            continue
        content = await value.read()
        await value.seek(0)
        digest = hashlib.sha256(content).hexdigest()
        parts.append(f"{name}=file:{value.filename}:{value.content_type}:{digest}")
    return "\n".join(parts).encode()


class IdempotentRoute(APIRoute):
    """An APIRoute whose POSTs honour ``Idempotency-Key`` (with :func:`idempotent`)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Wraps the whole route (FastAPI may serve an included route through a copy of its
        # ASGI app, so ``handle`` is the one place every request passes).
        await _IdempotentApp(super().handle)(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def store_with_the_work(request: Request) -> Response:
            # Runs inside the request's dependency scope: the DbSession has not committed yet.
            response = await handler(request)
            slot = request.scope.get(_SLOT)
            body = getattr(response, "body", None)
            if slot and "claim" in slot and response.status_code < 500 and type(body) is bytes:
                stored = service.StoredResponse(
                    response.status_code, response.headers.get("content-type"), body
                )
                await service.complete_in(slot["session"], slot["claim"], stored)
                slot["stored"] = stored
            return response

        return store_with_the_work


class _IdempotentApp:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slot: dict[str, Any] = {}
        scope[_SLOT] = slot
        held: list[Message] = []

        async def hold_if_claimed(message: Message) -> None:
            if "claim" in slot:
                held.append(message)
            else:
                await send(message)

        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.sessions
        try:
            await self.app(scope, receive, hold_if_claimed)
        except _Replay as replay:
            await _send_stored(send, replay.stored)
            return
        except BaseException:
            if "claim" in slot:
                await service.release(sessions, slot["claim"])
            raise
        if "claim" not in slot:
            return
        response = _collect(held)
        if slot.get("stored") == response:
            pass  # stored in the request's transaction, which committed (it is being sent)
        elif response.status >= 500:
            await service.release(sessions, slot["claim"])
        else:
            await service.complete(sessions, slot["claim"], response)
        for message in held:
            await send(message)


def _collect(messages: list[Message]) -> service.StoredResponse:
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return service.StoredResponse(int(start["status"]), headers.get("content-type"), body)


async def _send_stored(send: Send, stored: service.StoredResponse) -> None:
    headers = [
        (b"content-length", str(len(stored.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


CallerScope = Callable[..., Awaitable[str]]


def idempotent(caller_scope: CallerScope) -> Any:
    """The dependency that makes a POST of an :class:`IdempotentRoute` idempotent.

    ``caller_scope`` is a dependency returning the caller's scope (keys of different callers
    never meet): :func:`user_scope`, or the tenant-and-mode of an API key. Returns the
    ``Depends(...)`` to list in the route's ``dependencies``.
    """

    async def guard(
        request: Request,
        scope: Annotated[str, Depends(caller_scope)],
        session: DbSession,  # the request's (the endpoint gets the same): the response's store
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=HEADER,
                description="Makes the POST safe to retry: the first response (errors "
                "included) is stored for 24 h and replayed. Same key, other parameters: 422 "
                "`idempotency_key_reused`; while the first still runs: 409 "
                "`idempotency_key_in_use`.",
            ),
        ] = None,
    ) -> None:
        if idempotency_key is None or request.method != "POST":
            return
        slot = request.scope.get(_SLOT)
        if slot is None:
            raise RuntimeError("idempotent() needs the router's route_class=IdempotentRoute")
        settings: Settings = request.app.state.settings
        outcome = await service.claim(
            request.app.state.sessions,
            scope=scope,
            key=validate_key(idempotency_key),
            fingerprint=fingerprint(
                request.method,
                request.url.path,
                request.url.query,
                await _body_of(request),
            ),
            now=utcnow(),
            policy=service.Policy(
                ttl=timedelta(seconds=settings.idempotency_ttl),
                lock_timeout=timedelta(seconds=settings.idempotency_lock_timeout),
            ),
        )
        if isinstance(outcome, service.StoredResponse):
            raise _Replay(outcome)
        slot["claim"], slot["session"] = outcome, session

    return Depends(guard)


async def user_scope(request: Request) -> str:
    """``user:<id>`` of the bearer access token, from the token alone (no database: the
    claim must run before the request's transaction starts). 401 like ``CurrentUser``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("A bearer access token is required.", code="unauthorized")
    settings: Settings = request.app.state.settings
    claims = security.decode_access_token(token.strip(), secret=settings.jwt_secret)
    return f"user:{claims['sub']}"
