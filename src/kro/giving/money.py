"""KROGiving's ledger accounts and bookings (DESIGN.md section 4).

A donation's payment credits the campaign's account with everything the donor paid (the
payments core books ``provider clearing → campaign`` and the provider's fee as the platform's
expense). Then, in one batch, ids derived from the donation::

    campaign → giving tips (revenue)     tip                                   trf_{don}_tip
    campaign → platform fees (revenue)   cover, or the campaign's fee share    trf_{don}_fee

so the campaign keeps ``amount`` (covered) or ``amount − fee share`` (not covered), and the
tip never reaches the organizer. A refund reverses both and gives the donor back everything
they paid through :mod:`kro.payments.refunds` (the provider keeps its fee: the platform bears
it). A withdrawal holds ``campaign → organizer's wallet`` (pending) until an admin authorizes;
the payout then leaves the wallet through :mod:`kro.payouts`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving.models import Campaign, Donation, Withdrawal
from kro.ledger import chart
from kro.ledger.models import LedgerAccount
from kro.ledger.service import create_transfers, get_balance, get_transfer
from kro.ledger.specs import PostPending, TransferRequest, TransferSpec, VoidPending


def campaign_account(campaign_id: str, currency: str) -> chart.AccountDef:
    """Liability: what the campaign's donations left for its organizer; never below zero."""
    return chart.AccountDef(
        f"giving:campaign:{campaign_id}:{currency}",
        currency,
        "liability",
        debits_must_not_exceed_credits=True,
    )


def tips_account(currency: str) -> chart.AccountDef:
    """Revenue: platform tips donors add to their gifts. Hot, so sharded."""
    return chart.AccountDef(
        f"giving:tips:{currency}", currency, "revenue", balance_shards=chart.HOT_SHARDS
    )


async def ensure_campaign_account(session: AsyncSession, campaign: Campaign) -> LedgerAccount:
    return await chart.ensure_account(session, campaign_account(campaign.id, campaign.currency))


async def available(session: AsyncSession, campaign: Campaign) -> int:
    """The campaign's balance the organizer may still withdraw (held withdrawals taken off),
    minor units."""
    account = await ensure_campaign_account(session, campaign)
    return (await get_balance(session, account.id)).available


async def book_donation(session: AsyncSession, campaign: Campaign, donation: Donation) -> None:
    """Move the tip and the fee part out of the campaign (see the module's docstring)."""
    account = await ensure_campaign_account(session, campaign)
    currency = donation.currency
    batch: list[TransferRequest] = []
    if donation.tip > 0:
        tips = await chart.ensure_account(session, tips_account(currency))
        batch.append(
            TransferSpec(
                f"trf_{donation.id}_tip",
                account.id,
                tips.id,
                donation.tip,
                currency,
                "giving.tip",
                donation.id,
            )
        )
    if donation.fee_share > 0:
        fees = await chart.ensure_platform_fees(session, currency)
        batch.append(
            TransferSpec(
                f"trf_{donation.id}_fee",
                account.id,
                fees.id,
                donation.fee_share,
                currency,
                "giving.fee",
                donation.id,
            )
        )
    if batch:
        await create_transfers(session, batch)


async def unbook_donation(session: AsyncSession, donation: Donation) -> None:
    """Reverse :func:`book_donation` so that the campaign holds all the donor paid again."""
    batch: list[TransferRequest] = []
    for suffix in ("tip", "fee"):
        booked = await get_transfer(session, f"trf_{donation.id}_{suffix}")
        if booked is not None:
            batch.append(
                TransferSpec(
                    f"trf_{donation.id}_{suffix}_rev",
                    booked.credit_account_id,
                    booked.debit_account_id,
                    booked.amount,
                    booked.currency,
                    f"giving.{suffix}_reversed",
                    donation.id,
                )
            )
    if batch:
        await create_transfers(session, batch)


def _hold_id(withdrawal: Withdrawal) -> str:
    return f"trf_{withdrawal.id}_hold"


async def hold_withdrawal(
    session: AsyncSession, campaign: Campaign, withdrawal: Withdrawal
) -> None:
    """Hold the amount: a pending transfer campaign → organizer's wallet. Raises
    InsufficientFunds (409) when the campaign's available balance does not cover it."""
    account = await ensure_campaign_account(session, campaign)
    wallet = await chart.ensure_wallet(session, withdrawal.organizer_id, withdrawal.currency)
    await create_transfers(
        session,
        [
            TransferSpec(
                _hold_id(withdrawal),
                account.id,
                wallet.id,
                withdrawal.amount,
                withdrawal.currency,
                "giving.withdrawal_hold",
                withdrawal.id,
                pending=True,
            )
        ],
    )


async def post_withdrawal(session: AsyncSession, withdrawal: Withdrawal) -> None:
    """The admin authorized it: the money is the organizer's (their wallet), on its way out."""
    hold = _hold_id(withdrawal)
    await create_transfers(session, [PostPending(id=f"{hold}_post", pending_id=hold)])


async def void_withdrawal(session: AsyncSession, withdrawal: Withdrawal) -> None:
    """Rejected: the held amount returns to the campaign."""
    hold = _hold_id(withdrawal)
    await create_transfers(session, [VoidPending(id=f"{hold}_void", pending_id=hold)])
