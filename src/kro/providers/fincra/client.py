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

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from kro.providers.fincra.amounts import dumps, loads, to_fincra
from kro.providers.fincra.schemas import CheckoutLink, FincraPayment
from kro.providers.http import ProviderClient, ProviderHttp, Rejection

PROVIDER = "fincra"
PAYMENT_NOT_FOUND = "payment_not_found"


class FincraClient(ProviderClient):
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
        self._public_key = public_key
        self._http = ProviderHttp(
            PROVIDER,
            "Fincra",
            base_url,
            timeout=timeout,
            http_client=http_client,
            headers={
                "api-key": secret_key,
                "accept": "application/json",
                "user-agent": "kro-fincra/1",
            },
            read_rejection=_rejection,
            accepts=lambda body, _: (
                body.get("status") is not False and body.get("success") is not False
            ),
            decode=lambda response: loads(response.content),  # numbers as Decimal
        )

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
            raise self._http.unexpected("initiate_checkout", type(exc).__name__) from exc

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
            raise self._http.unexpected("verify", type(exc).__name__) from exc

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
        """Send one request (numbers in ``body`` as Fincra's JSON numbers); return the JSON
        object (numbers as Decimal) or raise."""
        content = None
        if body is not None:
            content = dumps(body).encode()
            headers = {**headers, "content-type": "application/json"}
        return await self._http.call_json(method, path, operation, content=content, headers=headers)


def _rejection(status: int, body: dict[str, Any], operation: str) -> Rejection:
    """Fincra's error: ``message`` and/or ``error``; a 404 on verify is
    :data:`PAYMENT_NOT_FOUND`."""
    code = PAYMENT_NOT_FOUND if status == 404 and operation == "verify" else None
    error = body.get("error")
    message = body.get("message") or error
    return Rejection(
        message=str(message) if message else None,
        code=code or (str(error) if isinstance(error, str) else None),
    )
