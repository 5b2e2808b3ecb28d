"""The Telnyx adapter (Messaging API v2, SMS).

``POST {base_url}/v2/messages`` with ``Authorization: Bearer <API key>`` and JSON
``{from, to, text}`` (E.164); the answer is ``{"data": {"id", "record_type": "message",
"to": [{"phone_number", "status"}], …}}`` and errors are ``{"errors": [{code, title, detail}]}``.
Source: developers.telnyx.com/api/messaging/send-message.
"""

from kro.providers.telnyx.client import PROVIDER, TelnyxClient
from kro.providers.telnyx.schemas import TelnyxMessage

__all__ = ["PROVIDER", "TelnyxClient", "TelnyxMessage"]
