"""Async client of Termii's Messaging API (api.ng.termii.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout`` (the
message may have gone out); 4xx or ``code != "ok"`` → ``ProviderRejected``. Messages are not
money, so the notifications failover treats every one of them as "try the next provider".
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import ValidationError

from kro.providers.http import ProviderClient, ProviderHttp, Rejection
from kro.providers.termii.schemas import TermiiMessage

PROVIDER = "termii"

Channel = Literal["generic", "dnd", "whatsapp"]


class TermiiClient(ProviderClient):
    """Use as ``async with TermiiClient(base_url, api_key) as termii:``.

    ``base_url``: ``https://api.ng.termii.com`` (account-specific) or the sandbox.
    ``timeout``: read timeout in seconds. ``http_client``: shared client (not closed here).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._http = ProviderHttp(
            PROVIDER,
            "Termii",
            base_url,
            timeout=timeout,
            http_client=http_client,
            read_rejection=_rejection,
            # Termii answers 200 with a ``code`` other than "ok" when it did not send.
            accepts=lambda body, _: body.get("code") == "ok" or bool(body.get("message_id")),
        )

    async def send(
        self, to: str, sms: str, *, sender: str, channel: Channel = "dnd"
    ) -> TermiiMessage:
        """``POST /api/sms/send``: one plain message to ``to`` (E.164, ``+`` optional).

        ``sender``: the sender ID (3–11 alphanumerics) or, for ``channel="whatsapp"``, the
        device name. ``channel``: ``dnd`` (transactional, reaches DND numbers), ``generic``
        (promotional) or ``whatsapp``. Returns Termii's answer with ``message_id``.
        """
        body: dict[str, Any] = {
            "api_key": self._api_key,
            "to": to.lstrip("+"),
            "from": sender,
            "sms": sms,
            "type": "plain",
            "channel": channel,
        }
        answer = await self._http.call_json("POST", "/api/sms/send", "send", json=body)
        try:
            return TermiiMessage.model_validate(answer)
        except ValidationError as exc:
            raise self._http.unexpected("send") from exc


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Termii's error: ``{code, message}``."""
    message = body.get("message")
    return Rejection(
        message=str(message) if message else None,
        code=str(body["code"]) if body.get("code") is not None else None,
    )
