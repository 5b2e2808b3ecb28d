"""Async client of Termii's Messaging API (api.ng.termii.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout`` (the
message may have gone out); 4xx or ``code != "ok"`` → ``ProviderRejected``. Messages are not
money, so the notifications failover treats every one of them as "try the next provider".
"""

from __future__ import annotations

import time
from typing import Any, Literal

import httpx
import structlog
from pydantic import ValidationError

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.termii.schemas import TermiiMessage

PROVIDER = "termii"
log = structlog.get_logger("kro.providers.termii")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

Channel = Literal["generic", "dnd", "whatsapp"]


class TermiiClient:
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
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> TermiiClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

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
        response = await self._post("/api/sms/send", body, "send")
        status, data = response.status_code, _json(response)
        if status >= 400:
            raise _rejected(status, data)
        if not isinstance(data, dict):
            raise ProviderTimeout(
                "Termii's answer is not JSON", provider=PROVIDER, operation="send"
            )
        if data.get("code") != "ok" and not data.get("message_id"):
            raise _rejected(status, data)
        try:
            return TermiiMessage.model_validate(data)
        except ValidationError as exc:
            raise ProviderTimeout(
                "Termii's answer has an unexpected shape", provider=PROVIDER, operation="send"
            ) from exc

    async def _post(self, path: str, body: dict[str, Any], operation: str) -> httpx.Response:
        started = time.monotonic()
        try:
            response = await self._http.post(self.base_url + path, json=body, timeout=self._timeout)
        except _NOT_SENT as exc:
            raise ProviderUnavailable(
                f"Termii is unreachable: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderTimeout(
                f"No answer from Termii: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        finally:
            log.info(
                "termii_call", operation=operation, ms=round((time.monotonic() - started) * 1e3)
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(
                f"Termii answered HTTP {response.status_code}",
                provider=PROVIDER,
                operation=operation,
            )
        return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _rejected(status: int, data: Any) -> ProviderRejected:
    body = data if isinstance(data, dict) else {}
    return ProviderRejected(
        str(body.get("message") or f"Termii answered HTTP {status}"),
        provider=PROVIDER,
        operation="send",
        provider_status=status,
        provider_code=str(body["code"]) if body.get("code") is not None else None,
    )
