"""Async client of Twilio's Messages API (api.twilio.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout or an unreadable 2xx → ``ProviderTimeout`` (the
message may have gone out); 4xx → ``ProviderRejected`` with Twilio's numeric ``code`` (e.g.
21211 invalid ``To``, 20003 authentication).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from pydantic import ValidationError

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.twilio.schemas import TwilioMessage

PROVIDER = "twilio"
log = structlog.get_logger("kro.providers.twilio")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class TwilioClient:
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
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> TwilioClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

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
        started = time.monotonic()
        try:
            response = await self._http.post(
                self.base_url + path, data=form, auth=self._auth, timeout=self._timeout
            )
        except _NOT_SENT as exc:
            raise _error(
                ProviderUnavailable, f"Twilio is unreachable: {type(exc).__name__}"
            ) from exc
        except httpx.HTTPError as exc:
            raise _error(ProviderTimeout, f"No answer from Twilio: {type(exc).__name__}") from exc
        finally:
            log.info("twilio_call", operation="create_message", ms=_ms(started))
        return _read(response)


def _read(response: httpx.Response) -> TwilioMessage:
    status = response.status_code
    if status >= 500 or status == 429:
        raise _error(ProviderUnavailable, f"Twilio answered HTTP {status}")
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if status >= 400:
        body = data if isinstance(data, dict) else {}
        raise ProviderRejected(
            str(body.get("message") or f"Twilio answered HTTP {status}"),
            provider=PROVIDER,
            operation="create_message",
            provider_status=status,
            provider_code=str(body["code"]) if body.get("code") is not None else None,
        )
    try:
        return TwilioMessage.from_api(data)
    except (ValidationError, AttributeError) as exc:
        raise _error(ProviderTimeout, "Twilio's answer has an unexpected shape") from exc


def _error(cls: type[ProviderUnavailable | ProviderTimeout], message: str) -> Exception:
    return cls(message, provider=PROVIDER, operation="create_message")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
