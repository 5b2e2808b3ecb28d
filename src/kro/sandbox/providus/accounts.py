"""Use cases on virtual accounts: create dynamic and reserved accounts, rename, blacklist.

Every function takes the session and only flushes; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.providus.config import ProvidusSandboxConfig
from kro.sandbox.providus.errors import ProvidusApiError, account_not_found
from kro.sandbox.providus.models import Account
from kro.sandbox.providus.util import digits, new_initiation_ref


async def _free_number(session: AsyncSession, config: ProvidusSandboxConfig) -> str:
    for _ in range(20):
        number = config.account_prefix + digits(10 - len(config.account_prefix))
        if await session.scalar(select(Account.id).where(Account.account_number == number)) is None:
            return number
    raise ProvidusApiError("Error Completing Operation", http_status=500)  # pragma: no cover


async def create_dynamic(
    session: AsyncSession, config: ProvidusSandboxConfig, client_id: str, account_name: str
) -> Account:
    """A one-time account that takes one transfer within ``dynamic_account_validity``."""
    now = clock.now()
    account = Account(
        client_id=client_id,
        account_number=await _free_number(session, config),
        account_name=account_name,
        kind="dynamic",
        initiation_tran_ref=new_initiation_ref(),
        status="active",
        expires_at=now + timedelta(seconds=config.dynamic_account_validity),
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    await session.flush()
    return account


async def create_reserved(
    session: AsyncSession,
    config: ProvidusSandboxConfig,
    client_id: str,
    account_name: str,
    bvn: str,
) -> Account:
    """A permanent account for a customer's BVN; the same BVN gets the same account back."""
    existing = await session.scalar(
        select(Account).where(
            Account.client_id == client_id, Account.kind == "reserved", Account.bvn == bvn
        )
    )
    if existing is not None:
        return existing
    now = clock.now()
    account = Account(
        client_id=client_id,
        account_number=await _free_number(session, config),
        account_name=account_name,
        kind="reserved",
        bvn=bvn,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    await session.flush()
    return account


async def find(
    session: AsyncSession, client_id: str | None, account_number: str, *, for_update: bool = False
) -> Account:
    """The account (of ``client_id`` unless ``None``); else Providus's "does not exist"."""
    query = select(Account).where(Account.account_number == account_number)
    if client_id is not None:
        query = query.where(Account.client_id == client_id)
    if for_update:
        query = query.with_for_update()
    account = await session.scalar(query)
    if account is None:
        raise account_not_found()
    return account


def refusal(account: Account) -> str | None:
    """Why a transfer into ``account`` would fail now (the sending bank's name enquiry fails),
    or ``None`` when it can be credited."""
    if account.status == "blacklisted":
        return "Account is blacklisted"
    if account.kind == "dynamic":
        if account.status == "used":
            return "Dynamic account has already been used"
        if account.expires_at is not None and clock.now() >= account.expires_at:
            return "Dynamic account has expired"
    return None


def account_data(account: Account) -> dict[str, object]:
    """An account as the control API shows it."""
    return {
        "account_number": account.account_number,
        "account_name": account.account_name,
        "kind": account.kind,
        "bvn": account.bvn,
        "initiationTranRef": account.initiation_tran_ref,
        "status": "expired"
        if refusal(account) == "Dynamic account has expired"
        else account.status,
        "expires_at": account.expires_at.isoformat() if account.expires_at else None,
        "created_at": account.created_at.isoformat(),
    }
