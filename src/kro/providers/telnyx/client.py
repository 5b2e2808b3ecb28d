"""Async client of Telnyx's Messaging API v2 (api.telnyx.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout``; 4xx →
``ProviderRejected`` with the first error's ``code`` and ``detail`` (10009 authentication,
40310 invalid ``to``, …).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import structlog
from pydantic import ValidationError

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.telnyx.schemas import TelnyxMessage

PROVIDER = "telnyx"
log = structlog.get_logger("kro.providers.telnyx")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class TelnyxClient:
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
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> TelnyxClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def send_message(self, to: str, text: str, *, from_: str) -> TelnyxMessage:
        """``POST /v2/messages`` ``{from, to, text}`` (E.164 numbers); returns ``data``."""
        body = {"from": from_, "to": to, "text": text}
        started = time.monotonic()
        try:
            response = await self._http.post(
                self.base_url + "/v2/messages",
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            )
        except _NOT_SENT as exc:
            raise _error(
                ProviderUnavailable, f"Telnyx is unreachable: {type(exc).__name__}"
            ) from exc
        except httpx.HTTPError as exc:
            raise _error(ProviderTimeout, f"No answer from Telnyx: {type(exc).__name__}") from exc
        finally:
            log.info("telnyx_call", operation="send_message", ms=_ms(started))
        return _read(response)


def _read(response: httpx.Response) -> TelnyxMessage:
    status = response.status_code
    if status >= 500 or status == 429:
        raise _error(ProviderUnavailable, f"Telnyx answered HTTP {status}")
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if status >= 400:
        errors = data.get("errors") if isinstance(data, dict) else None
        first = (
            errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        )
        raise ProviderRejected(
            str(first.get("detail") or first.get("title") or f"Telnyx answered HTTP {status}"),
            provider=PROVIDER,
            operation="send_message",
            provider_status=status,
            provider_code=str(first["code"]) if first.get("code") is not None else None,
        )
    try:
        return TelnyxMessage.model_validate(data["data"])
    except (ValidationError, KeyError, TypeError) as exc:
        raise _error(ProviderTimeout, "Telnyx's answer has an unexpected shape") from exc


def _error(cls: type[ProviderUnavailable | ProviderTimeout], message: str) -> Exception:
    return cls(message, provider=PROVIDER, operation="send_message")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
