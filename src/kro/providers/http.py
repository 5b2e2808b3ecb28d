"""One provider's HTTP plumbing, shared by every adapter: send a request, time and log it, and
classify its failures into :mod:`kro.providers.errors` (DESIGN.md section 5).

- not sent (connection refused / reset before sending, DNS, connect or pool timeout) →
  ``ProviderUnavailable``;
- sent and no answer (read/write timeout, connection lost) → ``ProviderTimeout``;
- 429 or 5xx → ``ProviderUnavailable``, except 500/504 on a call that ``moves_money`` →
  ``ProviderTimeout`` (the provider may have acted: reconcile, never resend blindly);
- 4xx → ``ProviderRejected`` with what the adapter's ``read_rejection`` finds in the body;
- a 2xx that :meth:`ProviderHttp.call_json` cannot read as a JSON object → ``ProviderTimeout``;
  one whose envelope the adapter's ``accepts`` says is a failure (``status: false``…) →
  ``ProviderRejected``.

The adapters keep what is the provider's own: authentication, paths, the shapes of their
envelopes and errors (as ``accepts`` and ``read_rejection``) and the models they return.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import httpx
import structlog

from kro.kit import http
from kro.kit.http import make_client, not_sent
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable


@dataclass(frozen=True)
class Rejection:
    """What a provider's error body says. ``message`` None → ``"<Name> answered HTTP <status>"``."""

    message: str | None = None
    code: str | None = None
    type: str | None = None
    next_step: str | None = None


ReadRejection = Callable[[int, dict[str, Any], str], Rejection]
"""``(HTTP status, JSON body or {}, operation) -> Rejection``: the provider's error shape."""

Accepts = Callable[[dict[str, Any], str], bool]
"""``(JSON body of a 2xx, operation) -> bool``: False when the envelope says the call failed."""


def _json(response: httpx.Response) -> Any:
    return response.json()


class ProviderHttp:
    """Requests to one provider at ``base_url``, with ``headers`` and ``auth`` on every call.

    ``provider``: the adapter's id in errors and logs (``"paystack"``; logs ``paystack_call``
    on ``kro.providers.paystack``). ``name``: how messages spell it (``"Paystack"``).
    ``timeout``: read timeout in seconds. ``http_client``: a shared ``httpx.AsyncClient`` (not
    closed by :meth:`aclose`); without one, this owns its own. ``read_rejection`` and
    ``accepts``: the provider's error and success shapes (see above). ``decode``: body → JSON
    (raises ``ValueError`` when it is not JSON), ``response.json()`` by default.
    """

    def __init__(
        self,
        provider: str,
        name: str,
        base_url: str,
        *,
        timeout: float,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        read_rejection: ReadRejection = lambda status, body, operation: Rejection(),
        accepts: Accepts = lambda body, operation: True,
        decode: Callable[[httpx.Response], Any] = _json,
    ) -> None:
        self.provider = provider
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers or {})
        self._auth = auth
        self._timeout_extension = http.timeout(timeout)
        self._read_rejection = read_rejection
        self._accepts = accepts
        self._decode = decode
        self._owns_client = http_client is None
        self._client = http_client or make_client(timeout=timeout)
        self._log = structlog.get_logger(f"kro.providers.{provider}")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        moves_money: bool = False,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request to ``base_url + path``; return a response below 500 other than 429.

        ``headers`` are added to this client's own. Raises ProviderUnavailable or
        ProviderTimeout as the module says; a 4xx is returned for the caller to read.
        """
        request = httpx.Request(
            method,
            self.base_url + path,
            json=json,
            params=params,
            data=data,
            content=content,
            headers={**self._headers, **(headers or {})},
            extensions={"timeout": self._timeout_extension},
        )
        started = time.monotonic()
        try:
            if self._auth is None:
                response = await http.send(self._client, request)
            else:
                response = await self._client.send(request, auth=self._auth)
        except httpx.HTTPError as exc:
            self._logged(operation, None, started, error=type(exc).__name__)
            if not_sent(exc):
                raise ProviderUnavailable(
                    f"{self.name} is unreachable: {type(exc).__name__}",
                    provider=self.provider,
                    operation=operation,
                ) from exc
            # Sent (or partly sent) and no answer: the provider may have acted on it.
            raise ProviderTimeout(
                f"No answer from {self.name}: {type(exc).__name__}",
                provider=self.provider,
                operation=operation,
            ) from exc
        status = response.status_code
        self._logged(operation, status, started)
        if status >= 500 or status == 429:
            unknown = moves_money and status in (500, 504)
            error = ProviderTimeout if unknown else ProviderUnavailable
            raise error(
                f"{self.name} answered HTTP {status}", provider=self.provider, operation=operation
            )
        return response

    async def call_json(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        moves_money: bool = False,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> dict[str, Any]:
        """:meth:`send`, then return the answer's JSON object. A 4xx, or a 2xx that ``accepts``
        refuses → ProviderRejected; a 2xx that is not a JSON object → ProviderTimeout (for a
        money call the outcome is unknown)."""
        response = await self.send(
            method,
            path,
            operation,
            moves_money=moves_money,
            headers=headers,
            json=json,
            params=params,
            data=data,
            content=content,
        )
        body = self._body(response)
        status = response.status_code
        if status >= 400:
            raise self.rejected(status, body or {}, operation)
        if body is None:
            raise ProviderTimeout(
                f"{self.name}'s answer is not JSON", provider=self.provider, operation=operation
            )
        if not self._accepts(body, operation):
            raise self.rejected(status, body, operation)
        return body

    def rejected_by(self, response: httpx.Response, operation: str) -> ProviderRejected:
        """The ProviderRejected for an error ``response`` (its body read as far as it can be)."""
        return self.rejected(response.status_code, self._body(response) or {}, operation)

    def rejected(self, status: int, body: dict[str, Any], operation: str) -> ProviderRejected:
        """The ProviderRejected for ``body`` (a JSON object, ``{}`` if none) at HTTP ``status``."""
        said = self._read_rejection(status, body, operation)
        return ProviderRejected(
            said.message or f"{self.name} answered HTTP {status}",
            provider=self.provider,
            operation=operation,
            provider_status=status,
            provider_code=said.code,
            provider_type=said.type,
            next_step=said.next_step,
        )

    def unexpected(self, operation: str, detail: str | None = None) -> ProviderTimeout:
        """A 2xx whose shape we cannot read: for a money-moving call the outcome is unknown."""
        suffix = f" ({detail})" if detail else ""
        return ProviderTimeout(
            f"{self.name}'s answer has an unexpected shape{suffix}",
            provider=self.provider,
            operation=operation,
        )

    def _body(self, response: httpx.Response) -> dict[str, Any] | None:
        try:
            body = self._decode(response)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _logged(
        self, operation: str, status: int | None, started: float, error: str | None = None
    ) -> None:
        self._log.info(
            f"{self.provider}_call",
            operation=operation,
            status_code=status,
            error=error,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )


class ProviderClient:
    """Base of an adapter over a :class:`ProviderHttp` (``self._http``), used as
    ``async with Adapter(...) as client:``; :meth:`aclose` closes the HTTP client if owned."""

    _http: ProviderHttp

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
