"""A simulator of Termii's Messaging API: ``POST /api/sms/send`` (SMS and WhatsApp).

Body (JSON; the key in the body): ``api_key``, ``to`` (international without ``+``, or a list
of up to 100), ``from`` (sender ID, 3–11 alphanumerics; for WhatsApp the device name), ``sms``,
``type`` ``"plain"``, ``channel`` ``generic`` | ``dnd`` | ``whatsapp``. Answer::

    {"code": "ok", "message_id": "3017…", "message_id_str": "3017…",
     "message": "Successfully Sent", "balance": 9999.5, "user": "KRO Sandbox"}

Source: developers.termii.com/messaging-api (providers.md 6.1). Termii's error bodies are not
documented; the simulator answers ``{"code": "fail", "message": …}`` with 400, or 401 for an
unknown key [U]. Fault switch: ``/_sandbox/faults`` (see :mod:`kro.sandbox.messaging.faults`).
"""

from kro.sandbox.termii.api import build_app

__all__ = ["build_app"]
