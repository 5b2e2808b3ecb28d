"""Banks, name enquiry, recipients and transfers on the Paystack sandbox, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from kro.providers.errors import ProviderRejected
from kro.providers.paystack import PaystackClient
from kro.sandbox.paystack import FAILING_ACCOUNT_NUMBER, REVERSING_ACCOUNT_NUMBER
from tests.sandbox.paystack_fixtures import SandboxServer, eventually, transfer_ref


async def test_list_banks(paystack: PaystackClient, http: httpx.AsyncClient) -> None:
    banks = await paystack.list_banks()
    codes = {b.code: b.name for b in banks}
    for code in ("058", "044", "033", "057", "011", "50211"):
        assert code in codes
    assert codes["058"] == "Guaranty Trust Bank" and codes["50211"] == "Kuda Bank"
    assert all(b.currency == "NGN" and b.type == "nuban" for b in banks)
    assert await paystack.list_banks(country="ghana", currency="GHS") == []

    page = (await http.get("/bank", params={"country": "nigeria", "perPage": 5, "page": 2})).json()
    assert page["message"] == "Banks retrieved" and len(page["data"]) == 5
    assert page["meta"]["perPage"] == 5 and page["meta"]["page"] == 2
    assert page["meta"]["total"] == len(banks) and page["meta"]["pageCount"] == -(-len(banks) // 5)


async def test_resolve_account(paystack: PaystackClient, http: httpx.AsyncClient) -> None:
    resolved = await paystack.resolve_account("0000000001", "058")
    assert (resolved.account_number, resolved.account_name) == ("0000000001", "ADAEZE OKAFOR")

    with pytest.raises(ProviderRejected) as unknown:
        await paystack.resolve_account("1234567890", "058")
    assert unknown.value.provider_status == 422
    assert unknown.value.message == "Could not resolve account name. Check parameters or try again."
    bad_bank = await http.get(
        "/bank/resolve", params={"account_number": "0000000001", "bank_code": "999"}
    )
    assert bad_bank.status_code == 422 and bad_bank.json()["message"] == "Unknown bank code: 999"
    missing = await http.get("/bank/resolve", params={"bank_code": "058"})
    assert missing.status_code == 400 and missing.json()["message"] == "Account number is required"


async def test_recipient_is_idempotent_on_same_details(paystack: PaystackClient) -> None:
    first = await paystack.create_transfer_recipient("Chinedu", "0000000003", "033", "NGN")
    again = await paystack.create_transfer_recipient("Chinedu E.", "0000000003", "033", "NGN")
    other_bank = await paystack.create_transfer_recipient("Chinedu", "0000000003", "057", "NGN")
    assert first.recipient_code.startswith("RCP_") and again.recipient_code == first.recipient_code
    assert other_bank.recipient_code != first.recipient_code
    assert (
        first.details.account_name == "CHINEDU EZE"
        and first.details.bank_name == "United Bank For Africa"
    )


def _body(**changes: str | None) -> dict[str, str]:
    base = {"type": "nuban", "name": "X", "account_number": "0000000001", "bank_code": "058"}
    merged = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_body(bank_code="000"), "Invalid bank code"),
        (_body(account_number="5555555555"), "Cannot resolve account"),
        (_body(type="mobile_money"), "Recipient type is invalid"),
        (_body(name=None), "Name is required"),
    ],
)
async def test_recipient_validation(
    http: httpx.AsyncClient, body: dict[str, str], message: str
) -> None:
    response = await http.post("/transferrecipient", json=body)
    assert response.status_code == 400 and response.json()["message"].startswith(message)


async def _recipient(paystack: PaystackClient, account: str = "0000000004") -> str:
    return (await paystack.create_transfer_recipient("Payee", account, "057", "NGN")).recipient_code


async def test_transfer_pending_then_success(
    sandbox: SandboxServer, paystack: PaystackClient
) -> None:
    ref = transfer_ref()
    code = await _recipient(paystack)
    queued = await paystack.initiate_transfer(200_000, code, ref, "Payout", "NGN")
    assert (queued.status, queued.reference, queued.amount) == ("pending", ref, 200_000)
    assert queued.transfer_code.startswith("TRF_") and queued.reason == "Payout"

    hooks = await eventually(lambda: sandbox.receiver.for_reference(ref, "transfer.success"))
    data = hooks[0].payload["data"]
    assert data["status"] == "success" and data["recipient"]["recipient_code"] == code
    assert data["session"]["provider"] == "nip" and data["integration"]["id"] > 0
    settled = await paystack.verify_transfer(ref)
    assert settled.status == "success" and settled.is_final and settled.transferred_at
    assert settled.fee_charged == 1_000  # ₦10 up to ₦5,000


@pytest.mark.parametrize(
    ("account", "event"),
    [(FAILING_ACCOUNT_NUMBER, "transfer.failed"), (REVERSING_ACCOUNT_NUMBER, "transfer.reversed")],
)
async def test_designated_accounts_fail_or_reverse(
    sandbox: SandboxServer, paystack: PaystackClient, account: str, event: str
) -> None:
    ref = transfer_ref()
    await paystack.initiate_transfer(10_000, await _recipient(paystack, account), ref, "x", "NGN")
    await eventually(lambda: sandbox.receiver.for_reference(ref, event))
    assert (await paystack.verify_transfer(ref)).status == event.removeprefix("transfer.")


async def test_control_forces_outcomes(
    sandbox: SandboxServer, paystack: PaystackClient, http: httpx.AsyncClient
) -> None:
    code = await _recipient(paystack)
    slow = transfer_ref()
    await paystack.initiate_transfer(10_000, code, slow, "x", "NGN")
    forced = await http.post(f"/_sandbox/transfers/{slow}/fail")
    assert forced.status_code == 200 and forced.json()["data"]["status"] == "failed"
    assert (await http.post(f"/_sandbox/transfers/{slow}/success")).status_code == 409

    ok = transfer_ref()
    await paystack.initiate_transfer(10_000, code, ok, "x", "NGN")
    await eventually(lambda: sandbox.receiver.for_reference(ok, "transfer.success"))
    assert (await http.post(f"/_sandbox/transfers/{ok}/reverse")).json()["data"][
        "status"
    ] == "reversed"
    await eventually(lambda: sandbox.receiver.for_reference(ok, "transfer.reversed"))
    assert (await paystack.verify_transfer(ok)).status == "reversed"


async def test_transfer_errors(paystack: PaystackClient, http: httpx.AsyncClient) -> None:
    code = await _recipient(paystack)
    ref = transfer_ref()
    await paystack.initiate_transfer(10_000, code, ref, "x", "NGN")
    with pytest.raises(ProviderRejected) as duplicate:
        await paystack.initiate_transfer(10_000, code, ref, "x", "NGN")
    assert duplicate.value.message == "Duplicate Transfer Reference"
    with pytest.raises(ProviderRejected) as invalid:
        await paystack.initiate_transfer(10_000, "RCP_doesnotexist", transfer_ref(), "x", "NGN")
    assert invalid.value.provider_code == "invalid_transfer_recipient"
    assert invalid.value.message == "Recipient specified is invalid"
    with pytest.raises(ProviderRejected, match="Invalid transfer reference"):
        await paystack.initiate_transfer(10_000, code, "UPPER-Case-Ref-0001", "x", "NGN")
    with pytest.raises(ProviderRejected) as missing:
        await paystack.verify_transfer("no-such-transfer-reference")
    assert missing.value.provider_status == 404 and missing.value.message == "Transfer not found"


async def test_insufficient_balance(paystack: PaystackClient, http: httpx.AsyncClient) -> None:
    code = await _recipient(paystack)
    before = (await http.get("/balance")).json()["data"]
    ngn = next(b["balance"] for b in before if b["currency"] == "NGN")
    try:
        assert (
            await http.put("/_sandbox/balance", json={"currency": "NGN", "balance": 5_000})
        ).status_code == 200
        with pytest.raises(ProviderRejected) as poor:
            await paystack.initiate_transfer(5_000, code, transfer_ref(), "x", "NGN")  # + ₦10 fee
        assert poor.value.message == "Your balance is not enough to fulfil this request"
        await paystack.initiate_transfer(4_000, code, transfer_ref(), "x", "NGN")
        after = (await http.get("/balance")).json()["data"]
        assert next(b["balance"] for b in after if b["currency"] == "NGN") == 0
    finally:
        await http.put("/_sandbox/balance", json={"currency": "NGN", "balance": ngn})
