"""Use cases for sending money: banks, name enquiry, recipients, transfers and their settlement.

A transfer is ``pending`` when initiated (the amount plus the transfer fee leaves the balance
at once); the background loop settles it after ``config.transfer_settle_after`` seconds:
``success`` (with a NIP session id), or ``failed`` / ``reversed`` for the designated test
accounts, each with its webhook. Failed and reversed transfers give the money back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.paystack import balances, inputs, webhooks
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.data import BANKS_BY_CODE, bank_rows
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.fees import transfer_fee
from kro.sandbox.paystack.models import Recipient, Transfer
from kro.sandbox.paystack.shapes import transfer_event_data
from kro.sandbox.paystack.util import new_session_id, random_code

UNRESOLVED = "Could not resolve account name. Check parameters or try again."
TERMINAL = ("success", "failed", "reversed")


def list_banks(country: str | None, currency: str | None) -> list[dict[str, Any]]:
    """Test banks for ``country`` (only ``nigeria`` has any) and ``currency`` (``NGN``)."""
    if country and country.lower() not in ("nigeria", "ng"):
        return []
    if currency and currency.upper() != "NGN":
        return []
    return bank_rows()


def resolve(config: PaystackSandboxConfig, account_number: str, bank_code: str) -> dict[str, Any]:
    """Name enquiry: ``{account_number, account_name, bank_id}``; else Paystack's 422."""
    bank = BANKS_BY_CODE.get(bank_code)
    if bank is None:
        raise PaystackApiError(
            f"Unknown bank code: {bank_code}", http_status=422, code="invalid_bank_code"
        )
    name = config.test_accounts.get(account_number) if inputs.nuban(account_number) else None
    if name is None:
        raise PaystackApiError(
            UNRESOLVED,
            http_status=422,
            code="invalid_bank_account",
            next_step="Ensure that you're passing the correct account number and bank code",
        )
    return {"account_number": account_number, "account_name": name, "bank_id": bank["id"]}


async def create_recipient(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    integration: int,
    body: dict[str, Any],
) -> Recipient:
    """A ``nuban`` recipient; the same account, bank and currency returns the existing one."""
    kind = inputs.required_str(body, "type", "Recipient type is required")
    if kind != "nuban":
        raise PaystackApiError(
            "Recipient type is invalid. Only nuban is supported by this sandbox",
            code="invalid_recipient_type",
        )
    name = inputs.required_str(body, "name", "Name is required")
    account_number = inputs.required_str(body, "account_number", "Account number is required")
    bank_code = inputs.required_str(body, "bank_code", "Bank code is required")
    currency = inputs.currency(body.get("currency"), config)
    if bank_code not in BANKS_BY_CODE:
        raise PaystackApiError("Invalid bank code", code="invalid_bank_code")
    try:
        resolved = resolve(config, account_number, bank_code)
    except PaystackApiError:
        raise PaystackApiError("Cannot resolve account", code="invalid_bank_account") from None
    existing = await session.scalar(
        select(Recipient).where(
            Recipient.integration == integration,
            Recipient.account_number == account_number,
            Recipient.bank_code == bank_code,
            Recipient.currency == currency,
        )
    )
    if existing is not None:
        return existing
    now = clock.now()
    recipient = Recipient(
        integration=integration,
        recipient_code="RCP_" + random_code(15),
        type=kind,
        name=name,
        account_number=account_number,
        account_name=resolved["account_name"],
        bank_code=bank_code,
        bank_name=BANKS_BY_CODE[bank_code]["name"],
        currency=currency,
        description=inputs.optional_str(body, "description"),
        metadata_=inputs.metadata(body.get("metadata")),
        created_at=now,
        updated_at=now,
    )
    session.add(recipient)
    await session.flush()
    return recipient


def _invalid_recipient() -> PaystackApiError:
    return PaystackApiError(
        "Recipient specified is invalid",
        code="invalid_transfer_recipient",
        next_step="Provide a valid recipient. Ensure you are passing the recipient code in "
        "the recipient param",
    )


def _duplicate() -> PaystackApiError:
    return PaystackApiError(
        "Duplicate Transfer Reference",
        code="duplicate_reference",
        next_step="Create a new reference for the new transfer",
    )


async def initiate(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    integration: int,
    body: dict[str, Any],
) -> tuple[Transfer, Recipient]:
    """Queue a transfer from the balance; ``status`` is ``pending`` until the loop settles it."""
    source = body.get("source") or "balance"
    if source != "balance":
        raise PaystackApiError("Invalid source. Only balance is supported", code="invalid_source")
    amount = inputs.amount(body.get("amount"), message="Invalid amount")
    code = inputs.required_str(body, "recipient", "Recipient is required")
    reference = inputs.transfer_reference(body.get("reference")) or random_code(20)
    recipient = await session.scalar(
        select(Recipient).where(
            Recipient.integration == integration, Recipient.recipient_code == code
        )
    )
    if recipient is None:
        raise _invalid_recipient()
    currency = inputs.currency(body.get("currency") or recipient.currency, config)
    if currency != recipient.currency:
        raise PaystackApiError(
            "Transfer currency does not match the recipient's currency", code="invalid_currency"
        )
    duplicate = await session.scalar(
        select(Transfer.id).where(
            Transfer.integration == integration, Transfer.reference == reference
        )
    )
    if duplicate is not None:
        raise _duplicate()
    fee = transfer_fee(amount, config.transfer_fee_tiers)
    await balances.debit(session, config, integration, currency, amount + fee)
    now = clock.now()
    transfer = Transfer(
        integration=integration,
        reference=reference,
        transfer_code="TRF_" + random_code(16),
        request_id=int(now.timestamp() * 1000) % 1_000_000_000,
        recipient_id=recipient.id,
        amount=amount,
        fee_charged=fee,
        currency=currency,
        source="balance",
        reason=inputs.optional_str(body, "reason") or "",
        status="pending",
        settle_at=now + timedelta(seconds=config.transfer_settle_after),
        created_at=now,
        updated_at=now,
    )
    session.add(transfer)
    try:
        await session.flush()
    except IntegrityError as exc:
        if "reference" not in str(exc.orig):
            raise
        raise _duplicate() from None
    return transfer, recipient


async def find(
    session: AsyncSession, integration: int, reference: str, *, for_update: bool = False
) -> tuple[Transfer, Recipient]:
    """A transfer of ``integration`` by reference; else Paystack's 404."""
    query = select(Transfer).where(
        Transfer.integration == integration, Transfer.reference == reference
    )
    transfer = await session.scalar(query.with_for_update() if for_update else query)
    if transfer is None:
        raise PaystackApiError("Transfer not found", http_status=404, code=None)
    recipient = await session.get(Recipient, transfer.recipient_id)
    assert recipient is not None
    return transfer, recipient


async def set_outcome(
    session: AsyncSession, config: PaystackSandboxConfig, transfer: Transfer, outcome: str
) -> bool:
    """Move ``transfer`` to ``success`` | ``failed`` | ``reversed`` and queue ``transfer.*``.

    Allowed: pending → any; success → reversed. Anything else changes nothing (``False``).
    """
    allowed = transfer.status == "pending" or (
        transfer.status == "success" and outcome == "reversed"
    )
    if not allowed or outcome not in TERMINAL:
        return False
    now = clock.now()
    transfer.status = outcome
    transfer.updated_at = now
    if outcome == "success":
        transfer.transferred_at = now
        transfer.session_id = new_session_id()
        transfer.gateway_response = "Approved or completed successfully"
    else:
        transfer.gateway_response = (
            "Beneficiary bank unavailable" if outcome == "reversed" else "Transfer failed"
        )
        transfer.failures = {"reason": transfer.gateway_response}
        total = transfer.amount + transfer.fee_charged
        await balances.credit(session, config, transfer.integration, transfer.currency, total)
    recipient = await session.get(Recipient, transfer.recipient_id)
    assert recipient is not None
    await webhooks.enqueue(
        session,
        integration=transfer.integration,
        event=f"transfer.{outcome}",
        data=transfer_event_data(transfer, recipient, config),
        reference=transfer.reference,
    )
    await session.flush()
    return True


async def settle_due(session: AsyncSession, config: PaystackSandboxConfig) -> int:
    """Settle pending transfers whose ``settle_at`` has passed, by recipient account."""
    due = (
        await session.scalars(
            select(Transfer)
            .where(Transfer.status == "pending", Transfer.settle_at <= clock.now())
            .order_by(Transfer.id)
            .limit(50)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for transfer in due:
        recipient = await session.get(Recipient, transfer.recipient_id)
        assert recipient is not None
        outcome = "success"
        if recipient.account_number == config.failing_account_number:
            outcome = "failed"
        elif recipient.account_number == config.reversing_account_number:
            outcome = "reversed"
        await set_outcome(session, config, transfer, outcome)
    return len(due)
