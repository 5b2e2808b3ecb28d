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

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from kro.providers.errors import ProviderRejected
from kro.providers.http import ProviderClient, ProviderHttp, Rejection
from kro.providers.providus.schemas import DynamicAccount, ReservedAccount, Settlement
from kro.providers.providus.webhooks import compute_signature

PROVIDER = "providus"
TRANSACTION_NOT_FOUND = "transaction_not_found"
M = TypeVar("M", bound=BaseModel)


class ProvidusClient(ProviderClient):
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
        self._http = ProviderHttp(
            PROVIDER,
            "Providus",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={
                "Client-Id": client_id,
                "X-Auth-Signature": compute_signature(client_id, client_secret),
                "Accept": "application/json",
                "User-Agent": "kro-providus/1",
            },
            read_rejection=_rejection,
            # verify answers "not found" in a 200 with a failure code; verify_transaction reads it.
            accepts=lambda body, operation: operation == "verify" or not _failed(body),
        )

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
        return await self._http.call_json(method, path, operation, json=json, params=params)

    def _parse(self, model: type[M], data: Any, operation: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self._http.unexpected(operation, f"{exc.error_count()} errors") from exc


def _failed(body: dict[str, Any]) -> bool:
    """Providus's flat answer says failure: ``requestSuccessful: false`` or a code not ``00``."""
    return body.get("requestSuccessful") is False or body.get("responseCode") not in (None, "00")


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Providus's error: ``responseMessage`` and ``responseCode``."""
    code, message = body.get("responseCode"), body.get("responseMessage")
    return Rejection(
        message=str(message) if message else None,
        code=str(code) if code is not None else None,
    )
