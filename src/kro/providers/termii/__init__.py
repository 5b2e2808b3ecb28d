"""The Termii adapter (SMS and WhatsApp through Termii's Messaging API).

``POST {base_url}/api/sms/send`` with the API key *in the JSON body* (not a header); ``to`` in
international format without ``+``. Answers ``{code: "ok", message_id, message, balance, user}``.
Source: developers.termii.com/messaging-api (reference/providers.md section 6.1).
"""

from kro.providers.termii.client import PROVIDER, TermiiClient
from kro.providers.termii.schemas import TermiiMessage

__all__ = ["PROVIDER", "TermiiClient", "TermiiMessage"]
