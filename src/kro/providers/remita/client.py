"""An async client of Remita's eCollections API (or the sandbox).

- ``POST {base}/echannelsvc/merchant/api/paymentinit`` with ``serviceTypeId, amount (naira
  string), orderId, payerName, payerEmail, payerPhone, description``, header ``Authorization:
  remitaConsumerKey=<merchantId>,remitaConsumerToken=<apiHash>``, ``apiHash`` = SHA-512 hex of
  ``merchantId + serviceTypeId + orderId + amount + apiKey``. The answer is JSONP-wrapped
  (``jsonp ({"statuscode":"025","RRR":"…","status":"Payment Reference generated"})``);
  ``025`` = RRR generated, ``028`` = duplicate orderId [providers.md §4, "S": consistent across
  many integrations].
- ``GET {base}/echannelsvc/{merchantId}/{rrr}/{apiHash}/status.reg`` with ``apiHash`` =
  SHA-512 of ``rrr + apiKey + merchantId``: ``status`` ``00``/``01`` paid, ``021`` pending,
  ``025`` generated not paid; anything else failed or unknown [S].
- ``GET {base}/echannelsvc/{merchantId}/{orderId}/{hash}/orderstatus.reg`` (hash ``orderId +
  apiKey + merchantId``) finds a payment by our order id [U: not confirmed].
- The hosted page ``{host}/remita/ecomm/finalize.reg`` with ``merchantId, hash, rrr,
  responseurl`` (hash: SHA-512 of ``merchantId + rrr + apiKey``) [S: a third-party integration
  posts these as a form; we link with a query string, which Remita's page is not confirmed to
  accept — U]. Status codes seen besides: ``012`` aborted, ``02`` failed [S].

Failures raise only :mod:`kro.providers.errors`, as every adapter's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from kro.providers.errors import ProviderRejected
from kro.providers.http import ProviderClient, ProviderHttp, Rejection

PROVIDER = "remita"
GENERATED = "025"
PAID = frozenset({"00", "01"})
PENDING = frozenset({"021", "025"})
_JSONP = re.compile(r"^\s*jsonp\s*\((.*)\)\s*;?\s*$", re.S)


def _sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


def init_hash(merchant_id: str, service_type_id: str, order_id: str, amount: str, key: str) -> str:
    """The ``apiHash`` of ``paymentinit``: SHA-512 hex of the plain concatenation."""
    return _sha512(f"{merchant_id}{service_type_id}{order_id}{amount}{key}")


def status_hash(rrr_or_order: str, key: str, merchant_id: str) -> str:
    """The ``apiHash`` of ``status.reg`` / ``orderstatus.reg``."""
    return _sha512(f"{rrr_or_order}{key}{merchant_id}")


def naira(kobo: int) -> str:
    """Kobo → Remita's amount string (``"250000.00"``)."""
    return f"{Decimal(kobo) / 100:.2f}"


def kobo(value: Any) -> int:
    """Remita's amount (string or number, naira) → kobo, never through a float."""
    try:
        amount = Decimal(str(value).replace(",", "")) * 100
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    return int(amount.to_integral_value())


def _decode(response: httpx.Response) -> Any:
    """JSON, or JSONP ``jsonp ({…})`` as Remita wraps it."""
    text = response.text
    match = _JSONP.match(text)
    return json.loads(match.group(1) if match else text, parse_float=Decimal)


@dataclass(frozen=True)
class RemitaStatus:
    """What ``status.reg`` says: ``status`` code, ``amount`` kobo, ``paid_at`` if paid."""

    rrr: str
    status: str
    message: str
    amount: int
    order_id: str | None
    paid_at: datetime | None

    @property
    def paid(self) -> bool:
        return self.status in PAID

    @property
    def pending(self) -> bool:
        return self.status in PENDING


class RemitaClient(ProviderClient):
    """Async Remita client. ``base_url``: ``…/remita/exapp/api/v1/send/api`` (or the
    sandbox's). Use as ``async with``."""

    def __init__(
        self,
        base_url: str,
        merchant_id: str,
        service_type_id: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self.service_type_id = service_type_id
        self._key = api_key
        self._http = ProviderHttp(
            PROVIDER,
            "Remita",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={"Accept": "application/json", "User-Agent": "kro-remita/1"},
            read_rejection=_rejection,
            accepts=lambda body, operation: operation != "init" or body.get("RRR") is not None,
            decode=_decode,
        )

    def _auth(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"remitaConsumerKey={self.merchant_id},remitaConsumerToken={token}"
        }

    async def generate_rrr(
        self,
        order_id: str,
        amount: int,
        payer_name: str,
        payer_email: str,
        payer_phone: str,
        description: str,
    ) -> str:
        """An RRR for ``amount`` kobo; raises ProviderRejected (``028`` duplicate orderId…)."""
        amount_text = naira(amount)
        token = init_hash(self.merchant_id, self.service_type_id, order_id, amount_text, self._key)
        body = {
            "serviceTypeId": self.service_type_id,
            "amount": amount_text,
            "orderId": order_id,
            "payerName": payer_name,
            "payerEmail": payer_email,
            "payerPhone": payer_phone,
            "description": description,
        }
        data = await self._http.call_json(
            "POST",
            "/echannelsvc/merchant/api/paymentinit",
            "init",
            json=body,
            headers=self._auth(token),
        )
        return str(data["RRR"])

    async def status(self, rrr: str) -> RemitaStatus:
        """``status.reg`` by RRR: the source of truth before value moves."""
        token = status_hash(rrr, self._key, self.merchant_id)
        path = f"/echannelsvc/{self.merchant_id}/{rrr}/{token}/status.reg"
        data = await self._http.call_json("GET", path, "status", headers=self._auth(token))
        return _status(data, rrr)

    async def order_status(self, order_id: str) -> RemitaStatus:
        """``orderstatus.reg`` by our orderId [U]."""
        token = status_hash(order_id, self._key, self.merchant_id)
        path = f"/echannelsvc/{self.merchant_id}/{order_id}/{token}/orderstatus.reg"
        data = await self._http.call_json("GET", path, "status", headers=self._auth(token))
        return _status(data, str(data.get("RRR") or ""))

    def pay_page(self, rrr: str, return_url: str | None) -> str:
        """The hosted payment page of ``rrr`` (Remita's ``finalize.reg``)."""
        host = self.base_url.split("/remita/exapp/", 1)[0]
        token = _sha512(f"{self.merchant_id}{rrr}{self._key}")
        params = {"rrr": rrr, "merchantId": self.merchant_id, "hash": token}
        if return_url:
            params["responseurl"] = return_url
        return str(httpx.URL(f"{host}/remita/ecomm/finalize.reg", params=params))


def _status(data: dict[str, Any], rrr: str) -> RemitaStatus:
    paid_at = None
    for key in ("paymentDate", "transactiontime"):
        raw = data.get(key)
        if raw:
            try:
                paid_at = datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)
            except ValueError:
                paid_at = None
            break
    code = str(data.get("status") or data.get("statuscode") or "")
    if not code:
        raise ProviderRejected(
            str(data.get("message") or "No status"),
            provider=PROVIDER,
            operation="status",
            provider_status=200,
            provider_code="no_status",
        )
    return RemitaStatus(
        rrr=str(data.get("RRR") or rrr),
        status=code,
        message=str(data.get("message") or ""),
        amount=kobo(data.get("amount") or 0),
        order_id=str(data["orderId"]) if data.get("orderId") else None,
        paid_at=paid_at if code in PAID else None,
    )


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    code = body.get("statuscode") or body.get("status")
    message = body.get("status") if body.get("statuscode") else body.get("message")
    return Rejection(
        message=str(message) if message else None, code=str(code) if code is not None else None
    )
