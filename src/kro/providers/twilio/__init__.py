"""The Twilio adapter (Programmable Messaging: SMS and WhatsApp).

``POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic auth
(AccountSid:AuthToken), form-encoded PascalCase parameters (``To``, ``From``, ``Body``); the
answer is the Message resource in snake_case (``sid`` "SM…", ``status`` "queued", …). WhatsApp
is the same call with ``whatsapp:+…`` addresses. Errors are ``{code, message, more_info,
status}``. Source: twilio.com/docs/messaging/api/message-resource (providers.md section 6.2).
"""

from kro.providers.twilio.client import PROVIDER, TwilioClient
from kro.providers.twilio.schemas import TwilioMessage

__all__ = ["PROVIDER", "TwilioClient", "TwilioMessage"]
