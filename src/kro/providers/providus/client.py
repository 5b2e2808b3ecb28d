"""The Providus adapter: an async client of Providus Bank's PiP virtual-account API (or the
sandbox).

Every call sends ``Client-Id`` and ``X-Auth-Signature`` (upper-case hex SHA-512 of
``"client_id:client_secret"``) and JSON, reads Providus's flat answers (``requestSuccessful``,
``responseCode`` ``"00"`` = success) and returns a typed model (amounts in kobo). Failures
raise only :mod:`kro.providers.errors`:

- connection refused / DNS / connect timeout, 429, 5xx → ``ProviderUnavailable`` (none of these
  calls moves money, so retrying is safe);
- read/write timeout, connection lost after sending, an unreadable 2xx → ``ProviderTimeout``
  (a dynamic account may have been created: harmless, it expires unused);
- 4xx, ``requestSuccessful: false`` or a ``responseCode`` other than ``00`` →
  ``ProviderRejected`` with Providus's ``responseMessage`` and ``responseCode``; a settlement
  Providus does not know → ``ProviderRejected`` with ``provider_code``
  :data:`TRANSACTION_NOT_FOUND`.

Sources: providers.md 5.2; stephenjude/providus-sdk (``ManagesAccount``,
``ManagesTransaction``); fussion-integrator/providus_api_doc (create-dynamic-account).
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

import httpx
import structlog
from pydantic import BaseModel, ValidationError

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.providus.schemas import DynamicAccount, ReservedAccount, Settlement
from kro.providers.providus.webhooks import compute_signature

PROVIDER = "providus"
TRANSACTION_NOT_FOUND = "transaction_not_found"
M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger("kro.providers.providus")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class ProvidusClient:
    """Async Providus client. Use as ``async with ProvidusClient(...) as providus:``.

    ``base_url``: Providus's PiP base (``…/appdevapi/api``) or the sandbox
    (``…/sandbox/providus``). ``timeout``: read timeout in seconds. ``http_client``: a shared
    ``httpx.AsyncClient`` (not closed by this client); without one, the client owns its own.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {
            "Client-Id": client_id,
            "X-Auth-Signature": compute_signature(client_id, client_secret),
            "Accept": "application/json",
            "User-Agent": "kro-providus/1",
        }
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> ProvidusClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def create_dynamic_account(self, account_name: str) -> DynamicAccount:
        """``POST PiPCreateDynamicAccountNumber``: a one-time account number for one transfer,
        valid 10 minutes unless Providus configured the merchant otherwise (up to 48 h)."""
        body = {"account_name": account_name}
        data = await self._call("POST", "/PiPCreateDynamicAccountNumber", "create_account", body)
        return self._parse(DynamicAccount, data, "create_account")

    async def create_reserved_account(self, account_name: str, bvn: str) -> ReservedAccount:
        """``POST PiPCreateReservedAccountNumber``: a permanent account for a customer's BVN."""
        body = {"account_name": account_name, "bvn": bvn}
        data = await self._call(
            "POST", "/PiPCreateReservedAccountNumber", "create_reserved_account", body
        )
        return self._parse(ReservedAccount, data, "create_reserved_account")

    async def verify_transaction(
        self, session_id: str | None = None, settlement_id: str | None = None
    ) -> Settlement:
        """``GET PiPverifyTransaction?session_id=`` (or ``?settlement_id=``): the settlement as
        Providus recorded it — the source of truth before giving value.

        Raises ``ValueError`` without an id; ProviderRejected (``provider_code``
        :data:`TRANSACTION_NOT_FOUND`) when Providus does not know it.
        """
        if session_id:
            params = {"session_id": session_id}
        elif settlement_id:
            params = {"settlement_id": settlement_id}
        else:
            raise ValueError("session_id or settlement_id is required")
        data = await self._call("GET", "/PiPverifyTransaction", "verify", params=params)
        if not data.get("sessionId") or not data.get("settlementId"):
            raise ProviderRejected(
                str(data.get("responseMessage") or data.get("tranRemarks") or "Not found"),
                provider=PROVIDER,
                operation="verify",
                provider_status=200,
                provider_code=TRANSACTION_NOT_FOUND,
            )
        return self._parse(Settlement, data, "verify")

    # Plumbing -------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        json: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request; return the JSON object, or raise a ProviderError."""
        started = time.monotonic()
        try:
            response = await self._http.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                headers=self._headers,
                timeout=self._timeout,
            )
        except _NOT_SENT as exc:
            self._log(operation, None, started, error=type(exc).__name__)
            raise ProviderUnavailable(
                f"Providus is unreachable: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        except httpx.HTTPError as exc:
            self._log(operation, None, started, error=type(exc).__name__)
            raise ProviderTimeout(
                f"No answer from Providus: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        self._log(operation, response.status_code, started)
        return self._read(response, operation)

    @staticmethod
    def _read(response: httpx.Response, operation: str) -> dict[str, Any]:
        status = response.status_code
        if status >= 500 or status == 429:
            raise ProviderUnavailable(
                f"Providus answered HTTP {status}", provider=PROVIDER, operation=operation
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:
                raise ProvidusClient._rejected(status, {}, operation)
            raise ProviderTimeout(
                "Providus's answer is not JSON", provider=PROVIDER, operation=operation
            )
        failed = body.get("requestSuccessful") is False or body.get("responseCode") not in (
            None,
            "00",
        )
        if status >= 400 or (failed and operation != "verify"):
            raise ProvidusClient._rejected(status, body, operation)
        return body

    @staticmethod
    def _rejected(status: int, body: dict[str, Any], operation: str) -> ProviderRejected:
        code = body.get("responseCode")
        return ProviderRejected(
            str(body.get("responseMessage") or f"Providus answered HTTP {status}"),
            provider=PROVIDER,
            operation=operation,
            provider_status=status,
            provider_code=str(code) if code is not None else None,
        )

    @staticmethod
    def _parse(model: type[M], data: Any, operation: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ProviderTimeout(
                f"Providus's answer has an unexpected shape ({exc.error_count()} errors)",
                provider=PROVIDER,
                operation=operation,
            ) from exc

    @staticmethod
    def _log(operation: str, status: int | None, started: float, error: str | None = None) -> None:
        log.info(
            "providus_call",
            operation=operation,
            status_code=status,
            error=error,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
