"""A simulator of Telnyx's Messaging API v2: ``POST /v2/messages`` (SMS).

``Authorization: Bearer <API key>``, JSON ``{from, to, text}`` (E.164) → ``200 {"data": {id,
record_type: "message", direction: "outbound", type: "SMS", from: {phone_number}, to:
[{phone_number, status: "queued"}], text, parts, encoding, received_at, …}}``. Errors are
``{"errors": [{code, title, detail, source?}]}``: 10009 authentication failed (401), 10005
missing parameter (422) [U: code], 40310 invalid ``to`` (400) [U: code]. Source:
developers.telnyx.com/api/messaging/send-message. Fault switch: ``/_sandbox/faults``.
"""

from kro.sandbox.telnyx.api import build_app

__all__ = ["build_app"]
