"""The integration's Paystack balance (kobo, per currency).

Credited with ``amount - fees`` when a charge succeeds; debited by refunds (when created) and
by transfers plus their fee (when initiated); a failed or reversed transfer gives it back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.errors import insufficient_balance
from kro.sandbox.paystack.models import Balance


async def get_balance(
    session: AsyncSession, config: PaystackSandboxConfig, integration: int, currency: str
) -> Balance:
    """The balance row, created at ``config.initial_balance`` on first use."""
    # Locked (PostgreSQL) so that concurrent debits cannot overdraw or lose an update.
    row = await session.scalar(
        select(Balance)
        .where(Balance.integration == integration, Balance.currency == currency)
        .with_for_update()
    )
    if row is None:
        row = Balance(integration=integration, currency=currency, balance=config.initial_balance)
        session.add(row)
        await session.flush()
    return row


async def credit(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    integration: int,
    currency: str,
    amount: int,
) -> None:
    row = await get_balance(session, config, integration, currency)
    row.balance += amount


async def debit(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    integration: int,
    currency: str,
    amount: int,
) -> None:
    """Take ``amount`` kobo; raises Paystack's insufficient-balance error if it is not there."""
    row = await get_balance(session, config, integration, currency)
    if row.balance < amount:
        raise insufficient_balance()
    row.balance -= amount
