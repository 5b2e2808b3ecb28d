"""Async client of SendGrid's v3 Mail Send API (api.sendgrid.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout → ``ProviderTimeout`` (the mail may have been
accepted); 4xx → ``ProviderRejected`` with the first error's ``message`` and ``field``.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import structlog

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

PROVIDER = "sendgrid"
log = structlog.get_logger("kro.providers.sendgrid")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SendGridClient:
    """Use as ``async with SendGridClient(base_url, api_key) as sendgrid:``.

    ``base_url``: ``https://api.sendgrid.com`` or the sandbox. ``timeout``: read timeout in
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

    async def __aenter__(self) -> SendGridClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def send_mail(
        self,
        *,
        to_email: str,
        to_name: str | None,
        from_email: str,
        from_name: str | None,
        subject: str,
        text: str,
        html: str | None = None,
        custom_args: dict[str, str] | None = None,
    ) -> str:
        """``POST /v3/mail/send`` of one message to one recipient; returns ``X-Message-Id``
        (empty string if SendGrid sent none). ``text`` goes first in ``content`` (SendGrid
        requires ``text/plain`` before ``text/html``)."""
        to: dict[str, str] = {"email": to_email}
        if to_name:
            to["name"] = to_name
        sender: dict[str, str] = {"email": from_email}
        if from_name:
            sender["name"] = from_name
        content = [{"type": "text/plain", "value": text}]
        if html is not None:
            content.append({"type": "text/html", "value": html})
        body: dict[str, Any] = {
            "personalizations": [{"to": [to]}],
            "from": sender,
            "subject": subject,
            "content": content,
        }
        if custom_args:
            body["custom_args"] = custom_args
        started = time.monotonic()
        try:
            response = await self._http.post(
                self.base_url + "/v3/mail/send",
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            )
        except _NOT_SENT as exc:
            raise _error(
                ProviderUnavailable, f"SendGrid is unreachable: {type(exc).__name__}"
            ) from exc
        except httpx.HTTPError as exc:
            raise _error(ProviderTimeout, f"No answer from SendGrid: {type(exc).__name__}") from exc
        finally:
            log.info("sendgrid_call", operation="send_mail", ms=_ms(started))
        return _read(response)


def _read(response: httpx.Response) -> str:
    status = response.status_code
    if status >= 500 or status == 429:
        raise _error(ProviderUnavailable, f"SendGrid answered HTTP {status}")
    if status >= 400:
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        errors = data.get("errors") if isinstance(data, dict) else None
        first = (
            errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        )
        raise ProviderRejected(
            str(first.get("message") or f"SendGrid answered HTTP {status}"),
            provider=PROVIDER,
            operation="send_mail",
            provider_status=status,
            provider_code=str(first["field"]) if first.get("field") else None,
        )
    return str(response.headers.get("x-message-id", ""))


def _error(cls: type[ProviderUnavailable | ProviderTimeout], message: str) -> Exception:
    return cls(message, provider=PROVIDER, operation="send_mail")


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
