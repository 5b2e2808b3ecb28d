"""A simulator of Twilio's Programmable Messaging API (SMS and ``whatsapp:`` addresses).

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP Basic (AccountSid:AuthToken),
  form-encoded ``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` (≤1600 characters) →
  ``201`` with the Message resource in snake_case, ``status`` ``queued`` (``accepted`` with a
  Messaging Service).
- ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json``: the Message resource.

Errors are Twilio's ``{"code", "message", "more_info", "status"}``: 20003 authenticate (401),
20404 not found, 21211 invalid ``To``, 21602 body required, 21603 ``From`` required, 21604
``To`` required, 21617 body too long. Source: twilio.com/docs/messaging/api/message-resource
(providers.md 6.2), twilio.com/docs/errors. Fault switch: ``/_sandbox/faults``.
"""

from kro.sandbox.twilio.api import build_app

__all__ = ["build_app"]
