"""The chart of accounts: which ledger accounts exist, their codes, kinds, flags and direction.

Each ``*_account`` function returns an :class:`AccountDef` (pure, no I/O); each ``ensure_*``
helper creates the account if missing and returns it (race-safe, see
:func:`kro.ledger.service.get_or_create_account`). Codes are stable strings, so any module can
find an account again from its business key.

Direction, in double entry: an **asset** or **expense** account grows with debits; a
**liability**, **equity** or **revenue** account grows with credits. A customer's payment of
₦10,000 through Paystack for an escrow order, Paystack keeping ₦150, is::

    debit  provider:paystack:clearing:NGN   10,000   (Paystack now holds it for us)
    credit escrow:ord_…:NGN                 10,000   (we owe it to buyer/seller)
    debit  provider:paystack:fees:NGN          150   (what Paystack charged us)
    credit provider:paystack:clearing:NGN      150   (... out of what it holds)

Hot accounts (one per provider or currency, touched by most transactions) are sharded
(``balance_shards = HOT_SHARDS``) and carry no limit flag; per-user and per-order accounts carry
``debits_must_not_exceed_credits`` so they can never go below zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger.models import LedgerAccount
from kro.ledger.service import get_or_create_account

HOT_SHARDS = 16


@dataclass(frozen=True, slots=True)
class AccountDef:
    """What :func:`ensure_account` needs to create an account (see ``LedgerAccount``)."""

    code: str
    currency: str
    kind: str
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    owner_id: str | None = None
    balance_shards: int = 1


def provider_clearing_account(provider: str, currency: str) -> AccountDef:
    """Asset: money ``provider`` holds for us (collected, not yet paid out or settled).

    Debited when a customer pays through the provider; credited when the provider pays out on
    our instruction, settles to our bank, or deducts its fees. Hot, so sharded.
    """
    return AccountDef(
        f"provider:{provider}:clearing:{currency}", currency, "asset", balance_shards=HOT_SHARDS
    )


def provider_fees_account(provider: str, currency: str) -> AccountDef:
    """Expense: fees ``provider`` charged us. Debited per fee (credit: the clearing account)."""
    return AccountDef(
        f"provider:{provider}:fees:{currency}", currency, "expense", balance_shards=HOT_SHARDS
    )


def escrow_account(order_id: str, currency: str) -> AccountDef:
    """Liability: money held for one order until release or refund.

    Credited by funding (or by posting a hold into it); debited on release to the seller and
    the platform fee, or on refund. ``debits_must_not_exceed_credits``: never pays out more
    than it received.
    """
    return AccountDef(
        f"escrow:{order_id}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
    )


def wallet_account(user_id: str, currency: str) -> AccountDef:
    """Liability: what we owe ``user_id`` in ``currency`` (a seller's or organizer's balance).

    Credited when money is released or paid to the user; debited by withdrawals (toward
    payouts in flight) and payments out of the wallet. ``debits_must_not_exceed_credits``
    (posted and held debits ≤ posted credits), so a wallet cannot go negative;
    ``owner_id = user_id`` for :func:`~kro.ledger.service.balances_for_owner`.
    """
    return AccountDef(
        f"wallet:{user_id}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
        owner_id=user_id,
    )


def platform_fees_account(currency: str) -> AccountDef:
    """Revenue: the platform's fees. Credited by every release that takes a fee; debited only
    by a fee refund. Hot, so sharded."""
    return AccountDef(f"platform:fees:{currency}", currency, "revenue", balance_shards=HOT_SHARDS)


def payouts_in_flight_account(currency: str) -> AccountDef:
    """Liability: withdrawals sent to a provider and not yet confirmed.

    Credited when a payout starts (debit: the wallet); debited when the provider confirms it
    (credit: the provider clearing account) or when it fails (credit: back to the wallet).
    Hot, so sharded.
    """
    return AccountDef(
        f"payouts:in_flight:{currency}", currency, "liability", balance_shards=HOT_SHARDS
    )


async def ensure_account(session: AsyncSession, definition: AccountDef) -> LedgerAccount:
    """The account ``definition`` describes, created if missing.

    Raises :class:`~kro.ledger.errors.AccountExists` (409) if its code exists with other
    attributes.
    """
    fields = asdict(definition)
    code, currency, kind = fields.pop("code"), fields.pop("currency"), fields.pop("kind")
    return await get_or_create_account(session, code, currency, kind, **fields)


async def ensure_provider_clearing(
    session: AsyncSession, provider: str, currency: str
) -> LedgerAccount:
    """See :func:`provider_clearing_account`."""
    return await ensure_account(session, provider_clearing_account(provider, currency))


async def ensure_provider_fees(
    session: AsyncSession, provider: str, currency: str
) -> LedgerAccount:
    """See :func:`provider_fees_account`."""
    return await ensure_account(session, provider_fees_account(provider, currency))


async def ensure_escrow(session: AsyncSession, order_id: str, currency: str) -> LedgerAccount:
    """See :func:`escrow_account`."""
    return await ensure_account(session, escrow_account(order_id, currency))


async def ensure_wallet(session: AsyncSession, user_id: str, currency: str) -> LedgerAccount:
    """See :func:`wallet_account`."""
    return await ensure_account(session, wallet_account(user_id, currency))


async def ensure_platform_fees(session: AsyncSession, currency: str) -> LedgerAccount:
    """See :func:`platform_fees_account`."""
    return await ensure_account(session, platform_fees_account(currency))


async def ensure_payouts_in_flight(session: AsyncSession, currency: str) -> LedgerAccount:
    """See :func:`payouts_in_flight_account`."""
    return await ensure_account(session, payouts_in_flight_account(currency))


def merchant_balance_account(tenant_id: str, mode: str, currency: str) -> AccountDef:
    """Liability: what we owe a merchant (a tenant of the merchant API) in ``currency``, per
    ``mode`` (test-mode money is the sandbox's, never mixed with live).

    Credited by each collection (less fees); debited by refunds and settlements.
    ``debits_must_not_exceed_credits``: a refund cannot take it below zero.
    """
    return AccountDef(
        f"merchant:{tenant_id}:{mode}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
        owner_id=tenant_id,
    )


async def ensure_merchant_balance(
    session: AsyncSession, tenant_id: str, mode: str, currency: str
) -> LedgerAccount:
    """See :func:`merchant_balance_account`."""
    return await ensure_account(session, merchant_balance_account(tenant_id, mode, currency))
