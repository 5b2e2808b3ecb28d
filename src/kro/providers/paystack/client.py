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

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from kro.providers.http import ProviderClient, ProviderHttp, Rejection
from kro.providers.paystack.schemas import (
    Bank,
    InitializedTransaction,
    Plan,
    Refund,
    ResolvedAccount,
    Subscription,
    Transaction,
    Transfer,
    TransferRecipient,
)

PROVIDER = "paystack"
PER_PAGE = 100
MAX_PAGES = 1_000
"""A list longer than ``PER_PAGE * MAX_PAGES`` rows is refused rather than read forever."""
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class PaystackClient(ProviderClient):
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
        self._http = ProviderHttp(
            PROVIDER,
            "Paystack",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={
                "Authorization": f"Bearer {secret_key}",
                "Accept": "application/json",
                "User-Agent": "kro-paystack/1",
            },
            read_rejection=_rejection,
            accepts=lambda body, _: body.get("status") is True,
        )

    # Transactions ---------------------------------------------------------------------------

    async def initialize_transaction(
        self,
        email: str,
        amount: int,
        currency: str,
        reference: str,
        callback_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        plan: str | None = None,
    ) -> InitializedTransaction:
        """``POST /transaction/initialize``: ``amount`` in kobo; ``reference`` is ours
        (alphanumerics and ``- . =``). A reused reference → ProviderRejected
        ("Duplicate Transaction Reference"). ``plan`` (a plan code): paying subscribes the
        payer to it (the plan's amount replaces ``amount``)."""
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
        if plan:
            body["plan"] = plan
        data = await self._call("POST", "/transaction/initialize", "initialize", json=body)
        return self._parse(InitializedTransaction, data, "initialize")

    async def verify_transaction(self, reference: str) -> Transaction:
        """``GET /transaction/verify/:reference`` — the source of truth before giving value.
        Unknown reference → ProviderRejected (``provider_code`` "transaction_not_found")."""
        path = f"/transaction/verify/{quote(reference, safe='')}"
        return self._parse(Transaction, await self._call("GET", path, "verify"), "verify")

    async def list_transactions(
        self, start: datetime, end: datetime, status: str | None = None
    ) -> list[Transaction]:
        """``GET /transaction`` with ``from=start&to=end`` (aware datetimes; Paystack filters on
        ``created_at``), optionally one ``status``, every page (newest first, as Paystack
        lists). Only rows with ``start <= created_at < end`` are returned, whatever the
        provider's treatment of the bounds."""
        params: dict[str, Any] = {"from": _iso(start), "to": _iso(end, round_up=True)}
        if status:
            params["status"] = status
        rows = await self._every_page(Transaction, "/transaction", "list_transactions", params)
        return [tx for tx in rows if tx.created_at is None or start <= tx.created_at < end]

    async def fetch_transaction(self, transaction_id: int | str) -> Transaction:
        """``GET /transaction/:id`` (Paystack's numeric id). Unknown → ProviderRejected (404)."""
        path = f"/transaction/{quote(str(transaction_id), safe='')}"
        return self._parse(
            Transaction, await self._call("GET", path, "fetch_transaction"), "fetch_transaction"
        )

    async def refund(
        self,
        transaction: str | int,
        amount: int | None = None,
        *,
        currency: str | None = None,
        merchant_note: str | None = None,
        customer_note: str | None = None,
    ) -> Refund:
        """``POST /refund`` of ``transaction`` (reference or id); ``amount`` kobo, default all
        that is left. Queued (``pending``); ``refund.processed`` follows. Moves money, and
        Paystack takes no idempotency key for it: ``merchant_note`` is stored and listed
        (:meth:`list_refunds`), so a caller can put its own key there and look before retrying.
        """
        body: dict[str, Any] = {"transaction": str(transaction)}
        if amount is not None:
            body["amount"] = amount
        if currency:
            body["currency"] = currency
        if merchant_note:
            body["merchant_note"] = merchant_note
        if customer_note:
            body["customer_note"] = customer_note
        data = await self._call("POST", "/refund", "refund", json=body, moves_money=True)
        return self._parse(Refund, data, "refund")

    async def fetch_refund(self, refund_id: int | str) -> Refund:
        """``GET /refund/:id``. Unknown → ProviderRejected (404)."""
        path = f"/refund/{quote(str(refund_id), safe='')}"
        return self._parse(Refund, await self._call("GET", path, "fetch_refund"), "fetch_refund")

    async def list_refunds(self, transaction: str | int) -> list[Refund]:
        """``GET /refund?transaction=`` (the transaction's id or reference), every page."""
        params = {"transaction": str(transaction)}
        return await self._every_page(Refund, "/refund", "list_refunds", params)

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

    async def create_plan(
        self, name: str, amount: int, interval: str, currency: str = "NGN"
    ) -> Plan:
        """``POST /plan``: ``amount`` kobo every ``interval`` (``monthly``, …)."""
        body = {"name": name, "amount": amount, "interval": interval, "currency": currency}
        return self._parse(
            Plan, await self._call("POST", "/plan", "create_plan", json=body), "create_plan"
        )

    async def create_subscription(
        self, customer: str, plan: str, start_date: datetime | None = None
    ) -> Subscription:
        """``POST /subscription``: subscribe ``customer`` (email or customer code) whose card
        Paystack holds from an earlier payment to ``plan``; first charge at ``start_date``
        (ISO 8601; Paystack's default: now)."""
        body: dict[str, Any] = {"customer": customer, "plan": plan}
        if start_date is not None:
            body["start_date"] = _iso(start_date)
        data = await self._call("POST", "/subscription", "create_subscription", json=body)
        return self._parse(Subscription, data, "create_subscription")

    async def fetch_subscription(self, id_or_code: str) -> Subscription:
        """``GET /subscription/:id_or_code``."""
        path = f"/subscription/{quote(id_or_code, safe='')}"
        data = await self._call("GET", path, "fetch_subscription")
        return self._parse(Subscription, data, "fetch_subscription")

    async def disable_subscription(self, code: str, email_token: str) -> None:
        """``POST /subscription/disable``: no further charges (status ``non-renewing``)."""
        body = {"code": code, "token": email_token}
        await self._call("POST", "/subscription/disable", "disable_subscription", json=body)

    async def enable_subscription(self, code: str, email_token: str) -> None:
        """``POST /subscription/enable``."""
        body = {"code": code, "token": email_token}
        await self._call("POST", "/subscription/enable", "enable_subscription", json=body)

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
        body = await self._http.call_json(
            method, path, operation, json=json, params=params, moves_money=moves_money
        )
        return body if envelope else body.get("data")

    async def _every_page(
        self, model: type[M], path: str, operation: str, params: dict[str, Any]
    ) -> list[M]:
        """Follow Paystack's ``meta.pageCount`` (``perPage`` 100) up to :data:`MAX_PAGES`."""
        rows: list[M] = []
        page = 1
        while True:
            query = {**params, "perPage": PER_PAGE, "page": page}
            envelope = await self._call("GET", path, operation, params=query, envelope=True)
            rows.extend(self._parse_list(model, envelope.get("data"), operation))
            meta = envelope.get("meta") or {}
            page_count = meta.get("pageCount") if isinstance(meta, dict) else None
            if not isinstance(page_count, int) or page >= page_count:
                return rows
            if page >= MAX_PAGES:
                raise self._http.unexpected(operation, f"more than {MAX_PAGES} pages")
            page += 1

    def _parse(self, model: type[M], data: Any, operation: str) -> M:
        parsed: M = self._validate(_adapter(model), data, operation)
        return parsed

    def _parse_list(self, model: type[M], data: Any, operation: str) -> list[M]:
        return self._validate(_adapter(list[model]), data, operation)  # type: ignore[valid-type]

    def _validate(self, adapter: TypeAdapter[T], data: Any, operation: str) -> T:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise self._http.unexpected(operation, f"{exc.error_count()} errors") from exc


@functools.cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    """One validator per response shape, built once (building one costs more than using it)."""
    return TypeAdapter(shape)


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Paystack's error envelope: ``{status: false, message, code, type, meta: {nextStep}}``."""
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    message = body.get("message")
    return Rejection(
        message=str(message) if message else None,
        code=body.get("code"),
        type=body.get("type"),
        next_step=(meta or {}).get("nextStep"),
    )


def _iso(value: datetime, *, round_up: bool = False) -> str:
    """An aware datetime as Paystack writes one: UTC, milliseconds, ``Z``; ``round_up`` to the
    next millisecond (an end bound must not cut off what precedes it)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    utc = value.astimezone(UTC)
    if round_up and utc.microsecond % 1000:
        utc += timedelta(microseconds=1000 - utc.microsecond % 1000)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
