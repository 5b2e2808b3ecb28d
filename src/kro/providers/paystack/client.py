"""The Paystack adapter: an async client of the Paystack API (api.paystack.co or the sandbox).

Every call sends ``Authorization: Bearer <secret key>`` and JSON, reads Paystack's envelope
``{status, message, data}`` and returns a typed model (amounts in kobo). Failures raise only
:mod:`kro.providers.errors`:

- connection refused / DNS / connect timeout, 429, 5xx on reads and non-money calls →
  ``ProviderUnavailable`` (safe to retry or fail over);
- read/write timeout, connection lost after sending, 500/504 on ``refund`` and
  ``initiate_transfer``, an unreadable 2xx → ``ProviderTimeout`` (outcome unknown: verify,
  never resend blindly — Paystack's transfer reference is the idempotency key for a retry);
- 4xx or ``status: false`` → ``ProviderRejected`` with Paystack's message, ``code``, ``type``.

Sources: paystack.com/docs/api (transaction, refund, miscellaneous/bank, verification,
transfer-recipient, transfer), paystack.com/docs/api/errors.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError

from kro.kit.http import make_client
from kro.providers.errors import (
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from kro.providers.paystack.schemas import (
    Bank,
    InitializedTransaction,
    Refund,
    ResolvedAccount,
    Transaction,
    Transfer,
    TransferRecipient,
)

PROVIDER = "paystack"
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
log = structlog.get_logger("kro.providers.paystack")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class PaystackClient:
    """Async Paystack API client. Use as ``async with PaystackClient(...) as paystack:``.

    ``base_url``: ``https://api.paystack.co`` or the sandbox (``…/sandbox/paystack``).
    ``timeout``: read timeout in seconds. ``http_client``: a shared ``httpx.AsyncClient`` (not
    closed by this client); without one, the client owns its own.
    """

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        *,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {secret_key}",
            "Accept": "application/json",
            "User-Agent": "kro-paystack/1",
        }
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> PaystackClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # Transactions ---------------------------------------------------------------------------

    async def initialize_transaction(
        self,
        email: str,
        amount: int,
        currency: str,
        reference: str,
        callback_url: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> InitializedTransaction:
        """``POST /transaction/initialize``: ``amount`` in kobo; ``reference`` is ours
        (alphanumerics and ``- . =``). A reused reference → ProviderRejected
        ("Duplicate Transaction Reference")."""
        body: dict[str, Any] = {
            "email": email,
            "amount": amount,
            "currency": currency,
            "reference": reference,
        }
        if callback_url:
            body["callback_url"] = callback_url
        if metadata is not None:
            body["metadata"] = metadata
        data = await self._call("POST", "/transaction/initialize", "initialize", json=body)
        return self._parse(InitializedTransaction, data, "initialize")

    async def verify_transaction(self, reference: str) -> Transaction:
        """``GET /transaction/verify/:reference`` — the source of truth before giving value.
        Unknown reference → ProviderRejected (``provider_code`` "transaction_not_found")."""
        path = f"/transaction/verify/{quote(reference, safe='')}"
        return self._parse(Transaction, await self._call("GET", path, "verify"), "verify")

    async def refund(self, transaction: str | int, amount: int | None = None) -> Refund:
        """``POST /refund`` of ``transaction`` (reference or id); ``amount`` kobo, default all
        that is left. Queued (``pending``); ``refund.processed`` follows. Moves money."""
        body: dict[str, Any] = {"transaction": str(transaction)}
        if amount is not None:
            body["amount"] = amount
        data = await self._call("POST", "/refund", "refund", json=body, moves_money=True)
        return self._parse(Refund, data, "refund")

    # Banks and name enquiry -----------------------------------------------------------------

    async def list_banks(self, country: str = "nigeria", currency: str = "NGN") -> list[Bank]:
        """``GET /bank`` for ``country``/``currency``, every page."""
        banks: list[Bank] = []
        page = 1
        while True:
            params = {"country": country, "currency": currency, "perPage": 100, "page": page}
            envelope = await self._call("GET", "/bank", "list_banks", params=params, envelope=True)
            banks.extend(self._parse_list(Bank, envelope.get("data"), "list_banks"))
            meta = envelope.get("meta") or {}
            page_count = meta.get("pageCount")
            if not isinstance(page_count, int) or page >= page_count or page >= 50:
                return banks
            page += 1

    async def resolve_account(self, account_number: str, bank_code: str) -> ResolvedAccount:
        """``GET /bank/resolve`` (NIP name enquiry). Not found → ProviderRejected (422)."""
        params = {"account_number": account_number, "bank_code": bank_code}
        data = await self._call("GET", "/bank/resolve", "resolve_account", params=params)
        return self._parse(ResolvedAccount, data, "resolve_account")

    # Transfers ------------------------------------------------------------------------------

    async def create_transfer_recipient(
        self, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        """``POST /transferrecipient`` (``type`` nuban). Idempotent on Paystack's side: the same
        account, bank and currency returns the existing recipient."""
        body = {
            "type": "nuban",
            "name": name,
            "account_number": account_number,
            "bank_code": bank_code,
            "currency": currency,
        }
        data = await self._call("POST", "/transferrecipient", "create_recipient", json=body)
        return self._parse(TransferRecipient, data, "create_recipient")

    async def initiate_transfer(
        self, amount: int, recipient_code: str, reference: str, reason: str, currency: str
    ) -> Transfer:
        """``POST /transfer`` from the balance: ``amount`` kobo to ``recipient_code``.

        ``reference`` (16 to 50 lower-case alphanumerics, ``-``, ``_``) is Paystack's idempotency
        key: after a ProviderTimeout, call ``verify_transfer(reference)``; a retry with the same
        reference gets "Duplicate Transfer Reference" rather than a second payment. Moves money.
        """
        body = {
            "source": "balance",
            "amount": amount,
            "recipient": recipient_code,
            "reference": reference,
            "reason": reason,
            "currency": currency,
        }
        data = await self._call(
            "POST", "/transfer", "initiate_transfer", json=body, moves_money=True
        )
        return self._parse(Transfer, data, "initiate_transfer")

    async def verify_transfer(self, reference: str) -> Transfer:
        """``GET /transfer/verify/:reference``. Unknown → ProviderRejected (404)."""
        path = f"/transfer/verify/{quote(reference, safe='')}"
        return self._parse(
            Transfer, await self._call("GET", path, "verify_transfer"), "verify_transfer"
        )

    # Plumbing -------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        moves_money: bool = False,
        envelope: bool = False,
    ) -> Any:
        """Send one request; return ``data`` (or the whole envelope), or raise a ProviderError."""
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
                f"Paystack is unreachable: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        except httpx.HTTPError as exc:
            # Sent (or partly sent) and no answer: Paystack may have acted on it.
            self._log(operation, None, started, error=type(exc).__name__)
            raise ProviderTimeout(
                f"No answer from Paystack: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        self._log(operation, response.status_code, started)
        return self._read(response, operation, moves_money=moves_money, envelope=envelope)

    def _read(
        self, response: httpx.Response, operation: str, *, moves_money: bool, envelope: bool
    ) -> Any:
        status = response.status_code
        if status >= 500 or status == 429:
            unknown = moves_money and status in (500, 504)
            error = ProviderTimeout if unknown else ProviderUnavailable
            raise error(f"Paystack answered HTTP {status}", provider=PROVIDER, operation=operation)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:
                raise self._rejected(status, {}, operation)
            raise ProviderTimeout(
                "Paystack's answer is not JSON", provider=PROVIDER, operation=operation
            )
        if status >= 400 or body.get("status") is not True:
            raise self._rejected(status, body, operation)
        return body if envelope else body.get("data")

    @staticmethod
    def _rejected(status: int, body: dict[str, Any], operation: str) -> ProviderRejected:
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        return ProviderRejected(
            str(body.get("message") or f"Paystack answered HTTP {status}"),
            provider=PROVIDER,
            operation=operation,
            provider_status=status,
            provider_code=body.get("code"),
            provider_type=body.get("type"),
            next_step=(meta or {}).get("nextStep"),
        )

    @staticmethod
    def _parse(model: type[M], data: Any, operation: str) -> M:
        return PaystackClient._validate(TypeAdapter(model), data, operation)

    @staticmethod
    def _parse_list(model: type[M], data: Any, operation: str) -> list[M]:
        return PaystackClient._validate(TypeAdapter(list[model]), data, operation)  # type: ignore[valid-type]

    @staticmethod
    def _validate(adapter: TypeAdapter[T], data: Any, operation: str) -> T:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            # A 2xx we cannot read: for a money-moving call the outcome is unknown.
            raise ProviderTimeout(
                f"Paystack's answer has an unexpected shape ({exc.error_count()} errors)",
                provider=PROVIDER,
                operation=operation,
            ) from exc

    @staticmethod
    def _log(operation: str, status: int | None, started: float, error: str | None = None) -> None:
        log.info(
            "paystack_call",
            operation=operation,
            status_code=status,
            error=error,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
