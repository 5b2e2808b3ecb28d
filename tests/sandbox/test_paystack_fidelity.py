"""Fidelity check: a third-party Paystack client (pypaystack2) drives the sandbox, and its own
response models must parse every answer — ``.data`` is the model, never ``None`` with only
``.raw`` (pypaystack2's fallback when Paystack's shape and its model disagree)."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from pypaystack2 import AsyncPaystackClient
from pypaystack2.base_clients import AbstractAPIClient
from pypaystack2.enums import Channel, Country, Currency, RecipientType
from pypaystack2.models.response_models import (
    Bank,
    BankAccountInfo,
    InitTransaction,
    Refund,
    Transaction,
    Transfer,
    TransferRecipient,
    WebhookPayload,
)

from kro.kit.ids import new_id
from tests.sandbox.paystack_fixtures import SECRET_KEY, SandboxServer, eventually, pay, transfer_ref


@pytest.fixture
def client(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AsyncPaystackClient]:
    # pypaystack2 builds every URL from this class attribute (base_clients.AbstractAPIClient).
    monkeypatch.setattr(AbstractAPIClient, "_BASE_URL", sandbox.url)
    yield AsyncPaystackClient(secret_key=SECRET_KEY)


def _parsed(response: Any, model: type) -> Any:
    assert response.status is True, response.raw
    assert response.data is not None, f"{model.__name__} did not parse: {response.raw}"
    if isinstance(response.data, list):
        assert response.data and all(isinstance(item, model) for item in response.data)
    else:
        assert isinstance(response.data, model)
    return response.data


async def test_transactions_and_refund(sandbox: SandboxServer, client: AsyncPaystackClient) -> None:
    reference = new_id("fid").replace("_", "-")
    init = _parsed(
        await client.transactions.initialize(
            amount=500_000, email="fidelity@example.com", currency=Currency.NGN,
            reference=reference, callback_url="https://shop.test/cb", metadata={"cart": 1},
            channels=[Channel.CARD],
        ),
        InitTransaction,
    )  # fmt: skip
    assert init.reference == reference

    abandoned = _parsed(await client.transactions.verify(reference), Transaction)
    assert abandoned.status == "abandoned"

    await pay(sandbox, init.authorization_url)
    paid = _parsed(await client.transactions.verify(reference), Transaction)
    assert (paid.status, paid.amount, paid.fees, paid.currency) == (
        "success",
        500_000,
        17_500,
        Currency.NGN,
    )
    assert paid.paid_at is not None and paid.log is not None and paid.log.success

    refund = _parsed(await client.refunds.create(transaction=reference, amount=100_000), Refund)
    assert (refund.status, refund.amount, refund.deducted_amount) == ("pending", 100_000, 100_000)
    assert isinstance(refund.transaction, Transaction) and refund.transaction.reference == reference


async def test_banks_and_name_enquiry(client: AsyncPaystackClient) -> None:
    banks = _parsed(await client.miscellaneous.get_banks(country=Country.NIGERIA), Bank)
    assert {"058", "044", "033", "057", "011", "50211"} <= {b.code for b in banks}
    info = _parsed(
        await client.verification.resolve_account_number("0000000002", "044"), BankAccountInfo
    )
    assert info.account_name == "BABATUNDE ADEYEMI"


async def test_recipients_and_transfers(
    sandbox: SandboxServer, client: AsyncPaystackClient
) -> None:
    recipient = _parsed(
        await client.transfer_recipients.create(
            type_=RecipientType.NUBAN, name="Fidelity Payee", account_number="0000000005",
            bank_code="011", currency=Currency.NGN,
        ),
        TransferRecipient,
    )  # fmt: skip
    assert recipient.recipient_code.startswith("RCP_") and recipient.details.bank_code == "011"

    reference = transfer_ref()
    queued = _parsed(
        await client.transfers.initiate(
            amount=250_000, recipient=recipient.recipient_code, reason="Fidelity payout",
            currency=Currency.NGN, reference=reference,
        ),
        Transfer,
    )  # fmt: skip
    assert (queued.status, queued.reference, queued.recipient) == (
        "pending",
        reference,
        recipient.id,
    )

    await eventually(lambda: sandbox.receiver.for_reference(reference, "transfer.success"))
    settled = _parsed(await client.transfers.verify(reference), Transfer)
    assert settled.status == "success" and isinstance(settled.recipient, TransferRecipient)
    assert settled.session.provider == "nip" and settled.fee_charged == 1_000  # ₦10 up to ₦5,000


async def test_errors_and_webhooks_read_alike(
    sandbox: SandboxServer, client: AsyncPaystackClient
) -> None:
    missing: Any = await client.transactions.verify("no-such-reference")
    assert missing.status_code == HTTPStatus.BAD_REQUEST and missing.status is False
    assert (
        missing.message == "Transaction reference not found"
        and missing.code == "transaction_not_found"
    )

    reference = new_id("hook").replace("_", "-")
    init = _parsed(
        await client.transactions.initialize(
            amount=10_000, email="w@example.com", reference=reference
        ),
        InitTransaction,
    )
    async with httpx.AsyncClient() as browser:
        await browser.post(f"{init.authorization_url}/pay")
    [hook] = await eventually(lambda: sandbox.receiver.for_reference(reference, "charge.success"))
    assert client.is_verified_webhook_payload(hook.body, hook.headers["x-paystack-signature"])
    payload = WebhookPayload.model_validate_json(hook.body)
    assert payload.event == "charge.success"
    assert Transaction.model_validate(payload.data).reference == reference
