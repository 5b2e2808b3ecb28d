"""Async client of Twilio's Messages API (api.twilio.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout`` (the
message may have gone out); 4xx → ``ProviderRejected`` with Twilio's numeric ``code`` (e.g.
21211 invalid ``To``, 20003 authentication).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from kro.providers.http import ProviderClient, ProviderHttp, Rejection
from kro.providers.twilio.schemas import TwilioMessage

PROVIDER = "twilio"


class TwilioClient(ProviderClient):
    """Use as ``async with TwilioClient(base_url, account_sid, auth_token) as twilio:``.

    ``base_url``: ``https://api.twilio.com`` or the sandbox. ``timeout``: read timeout in
    seconds. ``http_client``: shared client (not closed here).
    """

    def __init__(
        self,
        base_url: str,
        account_sid: str,
        auth_token: str,
        *,
        timeout: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_sid = account_sid
        self._http = ProviderHttp(
            PROVIDER,
            "Twilio",
            base_url,
            timeout=timeout,
            http_client=http_client,
            auth=httpx.BasicAuth(account_sid, auth_token),
            read_rejection=_rejection,
        )

    async def create_message(
        self, to: str, body: str, *, from_: str, whatsapp: bool = False
    ) -> TwilioMessage:
        """``POST /2010-04-01/Accounts/{sid}/Messages.json`` with ``To``, ``From``, ``Body``.

        ``to`` / ``from_``: E.164 (``+234…``); with ``whatsapp=True`` both are sent as
        ``whatsapp:+…``. ``body``: at most 1600 characters. Returns the queued Message.
        """
        if whatsapp:
            to, from_ = f"whatsapp:{to}", f"whatsapp:{from_}"
        form = {"To": to, "From": from_, "Body": body}
        path = f"/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json"
        answer = await self._http.call_json("POST", path, "create_message", data=form)
        try:
            return TwilioMessage.from_api(answer)
        except ValidationError as exc:
            raise self._http.unexpected("create_message") from exc


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Twilio's error: ``{code, message, more_info, status}`` (``code`` numeric, e.g. 21211)."""
    message = body.get("message")
    return Rejection(
        message=str(message) if message else None,
        code=str(body["code"]) if body.get("code") is not None else None,
    )
