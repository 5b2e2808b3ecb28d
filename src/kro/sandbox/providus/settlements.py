"""A customer's bank transfer into a virtual account: the settlement, its fees, its shape.

:func:`receive_transfer` is what happens at Providus when NIP credits one of the merchant's
accounts: a :class:`Settlement` with fees is recorded and its notification queued, in one
transaction. :func:`payload` is the flat object both ``PiPverifyTransaction`` and the
notification carry, amounts as naira strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.common.delivery import add_due
from kro.sandbox.providus import accounts
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.errors import ProvidusApiError
from kro.sandbox.providus.models import Notification, Settlement
from kro.sandbox.providus.util import (
    bps_of,
    naira,
    new_session_id,
    new_settlement_id,
    tran_date_time,
)


@dataclass(frozen=True)
class IncomingTransfer:
    """A transfer a customer makes from their bank; ``amount`` in kobo."""

    account_number: str
    amount: int
    source_account_number: str = "0123456789"
    source_account_name: str = "SANDBOX PAYER"
    source_bank_name: str = "ACCESS BANK"
    remarks: str | None = None
    channel_id: str = "1"


def fees(config: ProvidusSandboxConfig, amount: int) -> tuple[int, int]:
    """``(fee, vat)`` in kobo on a transfer of ``amount`` kobo; never more than the amount."""
    fee = bps_of(amount, config.fee_percent_bps)
    if config.fee_cap:
        fee = min(fee, config.fee_cap)
    vat = bps_of(fee, config.vat_bps)
    if fee + vat > amount:
        fee, vat = amount, 0
    return fee, vat


async def receive_transfer(
    session: AsyncSession, config: ProvidusSandboxConfig, client_id: str | None, t: IncomingTransfer
) -> tuple[Settlement, Notification]:
    """Credit ``t.account_number``: record the settlement and queue its notification.

    Raises ProvidusApiError: 404 for an unknown account, 409 for an expired, used or
    blacklisted one (the transfer never leaves the customer's bank).
    """
    account = await accounts.find(session, client_id, t.account_number, for_update=True)
    refused = accounts.refusal(account)
    if refused is not None:
        raise ProvidusApiError(refused, http_status=409)
    fee, vat = fees(config, t.amount)
    now = clock.now()
    settlement = Settlement(
        client_id=account.client_id,
        account_number=account.account_number,
        session_id=new_session_id(),
        settlement_id=new_settlement_id(),
        initiation_tran_ref=account.initiation_tran_ref,
        transaction_amount=t.amount,
        fee_amount=fee,
        vat_amount=vat,
        settled_amount=t.amount - fee - vat,
        currency="NGN",
        tran_remarks=t.remarks or f"FROM {t.source_account_name} TO {account.account_name}"[:200],
        source_account_number=t.source_account_number,
        source_account_name=t.source_account_name,
        source_bank_name=t.source_bank_name,
        channel_id=t.channel_id,
        tran_date_time=now,
        created_at=now,
    )
    session.add(settlement)
    if account.kind == "dynamic":
        account.status, account.updated_at = "used", now
    await session.flush()
    notification = await enqueue(session, settlement)
    return settlement, notification


async def enqueue(session: AsyncSession, settlement: Settlement) -> Notification:
    """Queue the notification of ``settlement``, due now. Only flushes."""
    notification = Notification(
        client_id=settlement.client_id,
        settlement_id=settlement.settlement_id,
        account_number=settlement.account_number,
        body=json.dumps(payload(settlement), separators=(",", ":")),
    )
    return await add_due(session, notification)


async def find(
    session: AsyncSession,
    client_id: str,
    *,
    session_id: str | None = None,
    settlement_id: str | None = None,
) -> Settlement | None:
    """A settlement of ``client_id`` by NIP session id or by settlement id."""
    query = select(Settlement).where(Settlement.client_id == client_id)
    if session_id:
        query = query.where(Settlement.session_id == session_id)
    elif settlement_id:
        query = query.where(Settlement.settlement_id == settlement_id)
    else:
        return None
    return await session.scalar(query)


def payload(s: Settlement) -> dict[str, Any]:
    """The settlement as Providus sends and reports it (amounts: naira strings)."""
    return {
        "sessionId": s.session_id,
        "accountNumber": s.account_number,
        "tranRemarks": s.tran_remarks,
        "transactionAmount": naira(s.transaction_amount),
        "settledAmount": naira(s.settled_amount),
        "feeAmount": naira(s.fee_amount),
        "vatAmount": naira(s.vat_amount),
        "currency": s.currency,
        "initiationTranRef": s.initiation_tran_ref or "",
        "settlementId": s.settlement_id,
        "sourceAccountNumber": s.source_account_number,
        "sourceAccountName": s.source_account_name,
        "sourceBankName": s.source_bank_name,
        "channelId": s.channel_id,
        "tranDateTime": tran_date_time(s.tran_date_time),
    }


NOT_FOUND: dict[str, Any] = {
    **dict.fromkeys(
        (
            "sessionId", "accountNumber", "tranRemarks", "transactionAmount", "settledAmount",
            "feeAmount", "vatAmount", "currency", "initiationTranRef", "settlementId",
            "sourceAccountNumber", "sourceAccountName", "sourceBankName", "channelId",
            "tranDateTime",
        )
    ),
    "requestSuccessful": False,
    "responseMessage": "TRANSACTION NOT FOUND",
    "responseCode": "03",
}  # fmt: skip
"""``PiPverifyTransaction`` for an id Providus does not know: HTTP 200 and empty fields (the
SDKs test ``sessionId``/``settlementId`` for emptiness and read ``responseMessage``)."""
