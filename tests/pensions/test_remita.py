"""The Remita adapter against its simulator (in process): the SHA-512 ``apiHash`` is checked,
an RRR is generated (JSONP answer read), a duplicate orderId is refused (``028``), the status
by RRR is ``025`` until paid and ``00`` after, the hosted page refuses a wrong hash, and the
gateway maps it all to the payments core's statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kro.providers.base import ChargeRequest, ChargeStatus, Credentials
from kro.providers.errors import ProviderRejected
from kro.providers.remita import RemitaClient, init_hash
from kro.providers.remita.gateway import RemitaGateway
from kro.sandbox.remita import RemitaSandbox, RemitaSandboxConfig

MERCHANT, SERVICE, KEY = "2547916", "4430731", "1946"
BASE = "http://remita.test/remita/exapp/api/v1/send/api"


@pytest.fixture
async def http(tmp_path) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    sandbox = RemitaSandbox(
        RemitaSandboxConfig(f"sqlite+aiosqlite:///{tmp_path}/remita.db", {MERCHANT: KEY})
    )
    async with sandbox.running():
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://remita.test") as c:
            yield c


async def test_rrr_status_and_hosted_page(http: httpx.AsyncClient) -> None:
    client = RemitaClient(BASE, MERCHANT, SERVICE, KEY, http_client=http)
    rrr = await client.generate_rrr("order-1", 25_000_050, "Zenon", "a@b.ng", "0803", "Pension")
    assert len(rrr) == 12 and rrr.isdigit()
    with pytest.raises(ProviderRejected) as duplicate:
        await client.generate_rrr("order-1", 25_000_050, "Zenon", "a@b.ng", "0803", "Pension")
    assert duplicate.value.provider_code == "028"
    status = await client.status(rrr)
    assert (status.status, status.amount, status.paid) == ("025", 25_000_050, False)

    page = await http.get(client.pay_page(rrr, None).replace("http://remita.test", ""))
    assert rrr in page.text and "250,000.50" not in page.text and "250000.50" in page.text
    forged = await http.get(
        "/remita/ecomm/finalize.reg", params={"rrr": rrr, "merchantId": MERCHANT, "hash": "x"}
    )
    assert forged.status_code == 400
    assert (
        await http.post("/remita/ecomm/finalize.reg/pay", params={"rrr": rrr})
    ).status_code == 200
    paid = await client.status(rrr)
    assert paid.paid and paid.paid_at is not None and paid.amount == 25_000_050


async def test_a_wrong_api_hash_is_refused(http: httpx.AsyncClient) -> None:
    body = {"serviceTypeId": SERVICE, "amount": "100.00", "orderId": "o-2", "payerName": "x"}
    token = init_hash(MERCHANT, SERVICE, "o-2", "100.00", "wrong-key")
    r = await http.post(
        "/remita/exapp/api/v1/send/api/echannelsvc/merchant/api/paymentinit",
        json=body,
        headers={"Authorization": f"remitaConsumerKey={MERCHANT},remitaConsumerToken={token}"},
    )
    assert r.status_code == 401 and r.text.startswith("jsonp (")


async def test_the_gateway_speaks_the_payments_core(http: httpx.AsyncClient) -> None:
    gateway = RemitaGateway(
        BASE, Credentials(KEY, public_key=SERVICE, account_id=MERCHANT), timeout=5, http_client=http
    )
    charge = await gateway.create_charge(
        ChargeRequest(reference="pay-1", amount=1_000_000, currency="NGN", email="a@b.ng")
    )
    assert charge.status is ChargeStatus.REQUIRES_ACTION and charge.redirect_url
    assert (await gateway.get_charge("pay-1", charge.provider_id)).status is ChargeStatus.PENDING
    await http.post("/remita/ecomm/finalize.reg/decline", params={"rrr": charge.provider_id})
    assert (await gateway.get_charge("pay-1", None)).status is ChargeStatus.FAILED
    assert gateway.verify_webhook(b"[]", {}, None)  # type: ignore[arg-type]  # unsigned
    hint = gateway.parse_webhook(b'[{"rrr": "123", "orderId": "pay-1"}]')
    assert (hint.provider_id, hint.reference) == ("123", "pay-1")
