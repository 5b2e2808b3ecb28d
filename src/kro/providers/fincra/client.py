"""The Fincra adapter: an async client of Fincra's checkout API (or the sandbox).

Every call sends ``api-key`` (the secret key); creating a checkout adds ``x-pub-key`` (the
public key) and verifying adds ``x-business-id`` (docs.fincra.com/reference/api-authentication,
checkout-redirect). Amounts cross this boundary as ``int`` minor units; Fincra's major-unit
numbers are converted here with ``Decimal`` (:mod:`kro.providers.fincra.amounts`). Failures
raise only :mod:`kro.providers.errors`:

- connection refused / DNS / connect timeout, 429, 5xx → ``ProviderUnavailable`` (neither
  call moves money: a checkout is only a link, so retrying is safe);
- read/write timeout, connection lost after sending, an unreadable or unexpected 2xx →
  ``ProviderTimeout`` (a checkout may exist: harmless, nobody has its link);
- 4xx or ``status: false`` → ``ProviderRejected`` with Fincra's ``message``; verify of a
  reference Fincra does not know → ``ProviderRejected`` with ``provider_code``
  :data:`PAYMENT_NOT_FOUND`.

Endpoints: ``POST /checkout/payments`` (older docs: ``/checkout-core/payments``) and
``GET /checkout/payments/merchant-reference/{reference}`` — the latter is what public Fincra
integrations call to verify; Fincra's API reference names it "Verify payment".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from pydantic import ValidationError

from kro.kit.http import make_client
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.fincra.amounts import dumps, loads, to_fincra
from kro.providers.fincra.schemas import CheckoutLink, FincraPayment

PROVIDER = "fincra"
PAYMENT_NOT_FOUND = "payment_not_found"
log = structlog.get_logger("kro.providers.fincra")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class FincraClient:
    """Async Fincra client. Use as ``async with FincraClient(...) as fincra:``.

    ``base_url``: ``https://sandboxapi.fincra.com`` / ``https://api.fincra.com`` or the sandbox
    (``…/sandbox/fincra``). ``timeout``: read timeout in seconds. ``http_client``: a shared
    ``httpx.AsyncClient`` (not closed by this client); without one, the client owns its own.
    """

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        public_key: str,
        business_id: str,
        *,
        timeout: float = 30.0,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.business_id = business_id
        self._secret_key = secret_key
        self._public_key = public_key
        self._timeout = timeout
        self._owns_http = http_client is None
        self._http = http_client or make_client(timeout=timeout)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> FincraClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def initiate_checkout(
        self,
        *,
        amount: int,
        currency: str,
        reference: str,
        customer_name: str,
        customer_email: str,
        customer_phone: str | None = None,
        redirect_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        fee_bearer: str = "business",
        payment_methods: Sequence[str] = ("card", "bank_transfer"),
        default_payment_method: str | None = None,
    ) -> CheckoutLink:
        """``POST /checkout/payments``: a hosted checkout for ``amount`` **minor units** of
        ``currency`` (sent to Fincra in major units). ``reference`` is ours, unique; Fincra
        appends it to ``redirect_url`` as ``?reference=``. ``fee_bearer="business"`` keeps
        the customer's charge equal to ``amount`` (Fincra's fee comes out of the settlement).
        """
        customer: dict[str, Any] = {"name": customer_name, "email": customer_email}
        if customer_phone:
            customer["phoneNumber"] = customer_phone
        body: dict[str, Any] = {
            "amount": to_fincra(amount, currency),
            "currency": currency,
            "customer": customer,
            "reference": reference,
            "feeBearer": fee_bearer,
            "paymentMethods": list(payment_methods),
            "metadata": metadata or {},
        }
        if redirect_url:
            body["redirectUrl"] = redirect_url
        if default_payment_method:
            body["defaultPaymentMethod"] = default_payment_method
        answer = await self._call(
            "POST",
            "/checkout/payments",
            "initiate_checkout",
            body=body,
            headers={"x-pub-key": self._public_key},
        )
        data = answer.get("data")
        if isinstance(data, dict):
            data = {**data, "merchant_reference": reference}
        try:
            return CheckoutLink.model_validate(data)
        except ValidationError as exc:
            raise self._unexpected("initiate_checkout", exc) from exc

    async def verify_payment(self, reference: str) -> FincraPayment:
        """``GET /checkout/payments/merchant-reference/{reference}``: the payment as Fincra
        recorded it, by *our* reference — the source of truth before giving value.

        Raises ProviderRejected (``provider_code`` :data:`PAYMENT_NOT_FOUND`) when Fincra does
        not know the reference.
        """
        path = f"/checkout/payments/merchant-reference/{quote(reference, safe='')}"
        answer = await self._call(
            "GET", path, "verify", headers={"x-business-id": self.business_id}
        )
        try:
            return FincraPayment.model_validate(answer.get("data"))
        except (ValidationError, ValueError) as exc:
            raise self._unexpected("verify", exc) from exc

    # Plumbing -------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str],
    ) -> dict[str, Any]:
        """Send one request; return the JSON object (numbers as Decimal) or raise."""
        started = time.monotonic()
        all_headers = {
            "api-key": self._secret_key,
            "accept": "application/json",
            "user-agent": "kro-fincra/1",
            **headers,
        }
        content = None
        if body is not None:
            content = dumps(body).encode()
            all_headers["content-type"] = "application/json"
        try:
            response = await self._http.request(
                method,
                self.base_url + path,
                content=content,
                headers=all_headers,
                timeout=self._timeout,
            )
        except _NOT_SENT as exc:
            self._log(operation, None, started, error=type(exc).__name__)
            raise ProviderUnavailable(
                f"Fincra is unreachable: {type(exc).__name__}",
                provider=PROVIDER,
                operation=operation,
            ) from exc
        except httpx.HTTPError as exc:
            self._log(operation, None, started, error=type(exc).__name__)
            raise ProviderTimeout(
                f"No answer from Fincra: {type(exc).__name__}",
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
                f"Fincra answered HTTP {status}", provider=PROVIDER, operation=operation
            )
        try:
            body = loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 400:
                raise FincraClient._rejected(status, {}, operation)
            raise ProviderTimeout(
                "Fincra's answer is not JSON", provider=PROVIDER, operation=operation
            )
        if status >= 400 or body.get("status") is False or body.get("success") is False:
            raise FincraClient._rejected(status, body, operation)
        return body

    @staticmethod
    def _rejected(status: int, body: dict[str, Any], operation: str) -> ProviderRejected:
        code = PAYMENT_NOT_FOUND if status == 404 and operation == "verify" else None
        error = body.get("error")
        return ProviderRejected(
            str(body.get("message") or error or f"Fincra answered HTTP {status}"),
            provider=PROVIDER,
            operation=operation,
            provider_status=status,
            provider_code=code or (str(error) if isinstance(error, str) else None),
        )

    @staticmethod
    def _unexpected(operation: str, exc: Exception) -> ProviderTimeout:
        return ProviderTimeout(
            f"Fincra's answer has an unexpected shape ({type(exc).__name__})",
            provider=PROVIDER,
            operation=operation,
        )

    @staticmethod
    def _log(operation: str, status: int | None, started: float, error: str | None = None) -> None:
        log.info(
            "fincra_call",
            operation=operation,
            status_code=status,
            error=error,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
