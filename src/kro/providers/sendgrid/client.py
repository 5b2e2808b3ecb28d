"""Async client of SendGrid's v3 Mail Send API (api.sendgrid.com or the sandbox).

Failures raise only :mod:`kro.providers.errors`: connection refused / DNS / connect timeout, 429
and 5xx → ``ProviderUnavailable``; read timeout → ``ProviderTimeout`` (the mail may have been
accepted); 4xx → ``ProviderRejected`` with the first error's ``message`` and ``field``.
"""

from __future__ import annotations

from typing import Any

import httpx

from kro.providers.http import ProviderClient, ProviderHttp, Rejection

PROVIDER = "sendgrid"


class SendGridClient(ProviderClient):
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
        self._http = ProviderHttp(
            PROVIDER,
            "SendGrid",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            read_rejection=_rejection,
        )

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
        # 202 with an empty body: the message id is in a header.
        response = await self._http.send("POST", "/v3/mail/send", "send_mail", json=body)
        if response.status_code >= 400:
            raise self._http.rejected_by(response, "send_mail")
        return str(response.headers.get("x-message-id", ""))


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """SendGrid's error: ``{errors: [{message, field}]}``; the first one speaks."""
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return Rejection(
        message=str(first["message"]) if first.get("message") else None,
        code=str(first["field"]) if first.get("field") else None,
    )
