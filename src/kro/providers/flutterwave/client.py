"""The Flutterwave v3 client: an async client of Flutterwave's API (or the sandbox).

Every call sends ``Authorization: Bearer <FLWSECK…>`` (providers.md 2). Amounts cross this
boundary as ``int`` minor units; Flutterwave's major-unit numbers are converted here with
``Decimal`` (:mod:`kro.providers.flutterwave.amounts`). Failures raise only
:mod:`kro.providers.errors` (classified by :class:`kro.providers.http.ProviderHttp`):

- not sent, 429, 5xx → ``ProviderUnavailable``; for a refund (moves money) a 500/504 →
  ``ProviderTimeout``;
- sent and no answer, or an unreadable 2xx → ``ProviderTimeout`` (reconcile with verify);
- 4xx or ``status != "success"`` → ``ProviderRejected`` with Flutterwave's ``message``;
  an unknown transaction on verify → ``provider_code`` :data:`TRANSACTION_NOT_FOUND`.

Opening a hosted payment (``POST /v3/payments``) only makes a link: it is not money-moving.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from kro.providers.flutterwave.amounts import dumps, loads, to_flutterwave
from kro.providers.flutterwave.schemas import (
    FlutterwaveRefund,
    FlutterwaveTransaction,
    TransactionPage,
)
from kro.providers.http import ProviderClient, ProviderHttp, Rejection

PROVIDER = "flutterwave"
TRANSACTION_NOT_FOUND = "transaction_not_found"
MAX_LIST_PAGES = 1_000  # a guard against a list that never ends, not a business rule
M = TypeVar("M", bound=BaseModel)


class FlutterwaveClient(ProviderClient):
    """Async Flutterwave v3 client. Use as ``async with FlutterwaveClient(...) as flw:``.

    ``base_url``: ``https://api.flutterwave.com`` or the sandbox (``…/sandbox/flutterwave``);
    paths are ``/v3/…``. ``timeout``: read timeout in seconds. ``http_client``: a shared
    ``httpx.AsyncClient`` (not closed by this client).
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
            "Flutterwave",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={
                "authorization": f"Bearer {secret_key}",
                "accept": "application/json",
                "user-agent": "kro-flutterwave/1",
            },
            read_rejection=_rejection,
            accepts=lambda body, _: body.get("status") == "success",
            decode=lambda response: loads(response.content),  # numbers as Decimal
        )

    async def initiate_payment(
        self,
        *,
        tx_ref: str,
        amount: int,
        currency: str,
        customer_email: str,
        customer_name: str | None = None,
        customer_phone: str | None = None,
        redirect_url: str | None = None,
        meta: dict[str, Any] | None = None,
        customizations: dict[str, str] | None = None,
        payment_options: str | None = None,
    ) -> str:
        """``POST /v3/payments``: a standard (hosted) payment of ``amount`` **minor units**
        (sent in major units); returns the hosted ``link``. ``tx_ref`` is ours and unique."""
        customer = {"email": customer_email}
        if customer_name:
            customer["name"] = customer_name
        if customer_phone:
            customer["phonenumber"] = customer_phone
        body: dict[str, Any] = {
            "tx_ref": tx_ref,
            "amount": to_flutterwave(amount, currency),
            "currency": currency,
            "customer": customer,
        }
        optional = {
            "redirect_url": redirect_url,
            "meta": meta,
            "customizations": customizations,
            "payment_options": payment_options,
        }
        body.update({k: v for k, v in optional.items() if v})
        answer = await self._call("POST", "/v3/payments", "initiate_payment", body=body)
        data = answer.get("data")
        link = data.get("link") if isinstance(data, dict) else None
        if not isinstance(link, str) or not link:
            raise self._http.unexpected("initiate_payment", "no data.link")
        return link

    async def verify(self, transaction_id: int | str) -> FlutterwaveTransaction:
        """``GET /v3/transactions/:id/verify``: the transaction — the source of truth before
        value. Unknown → ProviderRejected (:data:`TRANSACTION_NOT_FOUND`)."""
        path = f"/v3/transactions/{quote(str(transaction_id), safe='')}/verify"
        answer = await self._call("GET", path, "verify")
        return self._read(FlutterwaveTransaction, answer.get("data"), "verify")

    async def verify_by_reference(self, tx_ref: str) -> FlutterwaveTransaction:
        """``GET /v3/transactions/verify_by_reference?tx_ref=``: the transaction by *our*
        reference. Unknown → ProviderRejected (:data:`TRANSACTION_NOT_FOUND`)."""
        answer = await self._call(
            "GET", "/v3/transactions/verify_by_reference", "verify", params={"tx_ref": tx_ref}
        )
        return self._read(FlutterwaveTransaction, answer.get("data"), "verify")

    async def list_transactions(
        self, start: date, end: date, *, page: int = 1, status: str | None = None
    ) -> TransactionPage:
        """``GET /v3/transactions?from=&to=&page=``: one page of transactions created on the
        days ``start`` … ``end`` (both inclusive), with Flutterwave's ``page_info``."""
        params: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), "page": page}
        if status:
            params["status"] = status
        answer = await self._call("GET", "/v3/transactions", "list_transactions", params=params)
        meta = answer.get("meta")
        info = meta.get("page_info") if isinstance(meta, dict) else None
        data = answer.get("data")
        if not isinstance(info, dict) or not isinstance(data, list):
            raise self._http.unexpected("list_transactions", "no data or meta.page_info")
        return self._read(TransactionPage, {"transactions": data, **info}, "list_transactions")

    async def refund(
        self,
        transaction_id: int | str,
        amount: int | None,
        currency: str,
        *,
        comments: str | None = None,
    ) -> FlutterwaveRefund:
        """``POST /v3/transactions/:id/refund``: refund ``amount`` minor units of
        ``currency`` (None: all that is left). Moves money: a 500/504 is ProviderTimeout."""
        body: dict[str, Any] = {}
        if amount is not None:
            body["amount"] = to_flutterwave(amount, currency)
        if comments:
            body["comments"] = comments
        path = f"/v3/transactions/{quote(str(transaction_id), safe='')}/refund"
        answer = await self._call("POST", path, "refund", body=body, moves_money=True)
        return self._refund(answer.get("data"), currency, "refund")

    async def list_refunds(
        self, transaction_id: int | str, currency: str | None = None
    ) -> list[FlutterwaveRefund]:
        """Every refund of transaction ``transaction_id``: ``GET /v3/refunds?id=&page=``, every
        page. The transaction filter's name is not confirmed [U], so the answer is also cut to
        the transaction's refunds here. List items carry no currency: ``currency`` (the
        transaction's) is used, or the transaction is verified for it."""
        tx_id = int(str(transaction_id))
        if currency is None:
            currency = (await self.verify(tx_id)).currency
        found: list[FlutterwaveRefund] = []
        page = 1
        while page <= MAX_LIST_PAGES:
            params = {"id": tx_id, "page": page}
            answer = await self._call("GET", "/v3/refunds", "list_refunds", params=params)
            meta = answer.get("meta")
            info = meta.get("page_info") if isinstance(meta, dict) else None
            data = answer.get("data")
            if not isinstance(info, dict) or not isinstance(data, list):
                raise self._http.unexpected("list_refunds", "no data or meta.page_info")
            for item in data:
                refund = self._refund(item, currency, "list_refunds")
                if refund.tx_id == tx_id:
                    found.append(refund)
            total_pages = info.get("total_pages")
            if not isinstance(total_pages, int) or page >= total_pages:
                break
            page += 1
        return found

    async def get_refund(self, refund_id: int | str) -> FlutterwaveRefund:
        """``GET /v3/refunds/:id``. The refund object carries no currency, so the refunded
        transaction (``tx_id``) is verified for it: two calls."""
        path = f"/v3/refunds/{quote(str(refund_id), safe='')}"
        answer = await self._call("GET", path, "get_refund")
        data = answer.get("data")
        tx_id = data.get("tx_id") if isinstance(data, dict) else None
        if isinstance(tx_id, bool) or not isinstance(tx_id, int | str):
            raise self._http.unexpected("get_refund", "no data.tx_id")
        transaction = await self.verify(tx_id)
        return self._refund(data, transaction.currency, "get_refund")

    # Plumbing -------------------------------------------------------------------------------

    def _refund(self, data: Any, currency: str, operation: str) -> FlutterwaveRefund:
        with_currency = {**data, "currency": currency} if isinstance(data, dict) else data
        return self._read(FlutterwaveRefund, with_currency, operation)

    def _read(self, model: type[M], data: Any, operation: str) -> M:
        try:
            return model.model_validate(data)
        except (ValidationError, ValueError) as exc:
            raise self._http.unexpected(operation, type(exc).__name__) from exc

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        moves_money: bool = False,
    ) -> dict[str, Any]:
        """Send one request (``body`` numbers as JSON numbers); return the JSON object
        (numbers as Decimal) or raise."""
        content, headers = None, None
        if body is not None:
            content = dumps(body).encode()
            headers = {"content-type": "application/json"}
        return await self._http.call_json(
            method, path, operation, moves_money=moves_money, content=content,
            headers=headers, params=params,
        )  # fmt: skip


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Flutterwave's error: ``{"status": "error", "message", "data"}``; a 404 (or "No
    transaction was found") on verify is :data:`TRANSACTION_NOT_FOUND`."""
    message = body.get("message")
    text = str(message) if message else None
    missing = status == 404 or (text is not None and "no transaction was found" in text.lower())
    code = TRANSACTION_NOT_FOUND if operation == "verify" and missing else None
    return Rejection(message=text, code=code)
