"""Realtime updates over Socket.IO (DESIGN.md section 2; seed 001's gateway), on the same ASGI app.

Clients connect to ``/socket.io`` with their access token (Socket.IO ``auth`` payload
``{"token": "<access token>"}``, or ``?token=``, or ``Authorization: Bearer``; a page of the
web apps is authenticated by its session cookie instead); a connection
without a valid token of an active user is refused with ``connect_error``
``{"message": …, "data": {"code": "unauthorized" | "invalid_token" | "token_expired" |
"user_inactive"}}``. Each connection joins the room ``user:{user_id}``.

Publishing goes through the outbox, in the caller's transaction (DESIGN.md section 5)::

    from kro.realtime import publish
    await publish(session, [order.buyer_id, order.seller_id], "order.updated",
                  {"order_id": order.id, "status": order.status},
                  dedupe_key=f"order.updated:{order.id}:{event.id}")

The ``realtime.emit`` job (:mod:`kro.realtime.tasks`) then emits ``event`` to those users'
rooms with the argument ``{"id": "<job id>", "data": {...}}``; ``id`` is the same on every
retry, so a client can drop the rare duplicate (delivery is at least once). A client that is
not connected misses the event: the REST API stays the source of truth.

Several processes: with ``KRO_REDIS_URL`` set, every server uses Socket.IO's Redis manager on
``KRO_REALTIME_CHANNEL``, so an event emitted by any process (a server, or a ``kro worker``
without a server) reaches clients connected to every process. Without it, events stay in the
process (the embedded default, whose worker runs inside ``kro serve``).

Wiring (``kro.app``): ``realtime = mount_realtime(app, settings)``, and enter
``realtime.running()`` in the lifespan.
"""

from kro.realtime.server import REALTIME_PATH, Realtime, mount_realtime
from kro.realtime.service import EMIT_JOB, publish, user_room

__all__ = ["EMIT_JOB", "REALTIME_PATH", "Realtime", "mount_realtime", "publish", "user_room"]
