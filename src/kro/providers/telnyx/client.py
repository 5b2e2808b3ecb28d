"""Async client of Telnyx's Messaging API v2 (api.telnyx.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout``; 4xx →
``ProviderRejected`` with the first error's ``code`` and ``detail`` (10009 authentication,
40310 invalid ``to``, …).
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import ValidationError

from kro.providers.http import ProviderClient, ProviderHttp, Rejection
from kro.providers.telnyx.schemas import TelnyxMessage

PROVIDER = "telnyx"


class TelnyxClient(ProviderClient):
    """Use as ``async with TelnyxClient(base_url, api_key) as telnyx:``.

    ``base_url``: ``https://api.telnyx.com`` or the sandbox. ``timeout``: read timeout in
    seconds. ``http_client``: shared client (not closed here).
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
        self._http = ProviderHttp(
            PROVIDER,
            "Telnyx",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            read_rejection=_rejection,
        )

    async def send_message(self, to: str, text: str, *, from_: str) -> TelnyxMessage:
        """``POST /v2/messages`` ``{from, to, text}`` (E.164 numbers); returns ``data``."""
        body = {"from": from_, "to": to, "text": text}
        answer = await self._http.call_json("POST", "/v2/messages", "send_message", json=body)
        try:
            return TelnyxMessage.model_validate(answer["data"])
        except (ValidationError, KeyError) as exc:
            raise self._http.unexpected("send_message") from exc


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Telnyx's error: ``{errors: [{code, title, detail}]}``; the first one speaks."""
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    message = first.get("detail") or first.get("title")
    return Rejection(
        message=str(message) if message else None,
        code=str(first["code"]) if first.get("code") is not None else None,
    )
