"""Organizer withdrawals (Catarse's balance-transfer machine, :data:`states.WITHDRAWAL`).

- **request** (organizer, identity verified through :mod:`kro.kyc`, no hold on the campaign,
  the campaign withdrawable): the amount is held in the ledger (campaign → organizer's wallet,
  pending) and the withdrawal waits ``pending``.
- **authorize** (admin, fresh TOTP, audit-logged): the hold is posted and a payout through
  :mod:`kro.payouts` takes it from the organizer's wallet to their bank account →
  ``processing``. From ``error`` (the payout failed; the money is back in the wallet) the
  admin may authorize again: a new payout.
- **reject** (admin): the hold is voided; the money stays in the campaign.
- :func:`sync` follows the payout: ``success`` → ``transferred``; ``failed``/``reversed`` →
  ``error``.

The organizer hears of each step (:mod:`.notices`). Services only flush.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.giving import campaigns, money, notices, states
from kro.giving.errors import (
    InsufficientCampaignBalance,
    KycRequired,
    NotWithdrawable,
    WithdrawalNotFound,
    WithdrawalsOnHold,
)
from kro.giving.models import Withdrawal, WithdrawalEvent
from kro.identity.admin import require_totp
from kro.identity.models import User
from kro.kit.ids import new_id
from kro.kyc import service as kyc
from kro.payouts import service as payouts
from kro.payouts import states as payout_states


async def request(
    session: AsyncSession, organizer: User, campaign_id: str, amount: int, bank_account_id: str
) -> Withdrawal:
    """Ask to withdraw ``amount`` minor units to one of the organizer's bank accounts.

    Raises CampaignNotFound (404), BankAccountNotFound (404), KycRequired (403),
    WithdrawalsOnHold, NotWithdrawable, InsufficientCampaignBalance (409)."""
    campaign = await campaigns.own(session, organizer, campaign_id, lock=True)
    if not await kyc.is_verified(session, organizer.id):
        raise KycRequired()
    if campaign.hold_reason:
        raise WithdrawalsOnHold(details={"reason": campaign.hold_reason})
    if not states.withdrawable(campaign.status, campaign.funding_model):
        raise NotWithdrawable(details={"status": campaign.status})
    await payouts.get_bank_account(session, organizer.id, bank_account_id)
    if amount <= 0 or amount > await money.available(session, campaign):
        raise InsufficientCampaignBalance(
            details={"field": "amount", "available": await money.available(session, campaign)}
        )
    withdrawal = Withdrawal(
        id=new_id("gwd"),
        campaign_id=campaign.id,
        organizer_id=organizer.id,
        amount=amount,
        currency=campaign.currency,
        bank_account_id=bank_account_id,
        status=states.PENDING,
    )
    session.add(withdrawal)
    await session.flush()
    await money.hold_withdrawal(session, campaign, withdrawal)
    await _record(session, withdrawal, "request", "new", organizer.id, None)
    return withdrawal


async def _record(
    session: AsyncSession,
    withdrawal: Withdrawal,
    action: str,
    source: str,
    actor: str | None,
    reason: str | None,
) -> None:
    event = WithdrawalEvent(
        id=new_id("wev"),
        withdrawal_id=withdrawal.id,
        action=action,
        from_state=source,
        to_state=withdrawal.status,
        actor_id=actor,
        reason=reason,
    )
    session.add(event)
    await session.flush()
    await notices.withdrawal_updated(session, withdrawal, event.id)


async def _move(
    session: AsyncSession,
    withdrawal: Withdrawal,
    action: str,
    actor: str | None,
    reason: str | None = None,
) -> None:
    step = states.WITHDRAWAL.next(withdrawal.status, action)
    withdrawal.status = step.to_state
    await _record(session, withdrawal, action, step.from_state, actor, reason)


async def mine(
    session: AsyncSession, organizer: User, campaign_id: str | None = None
) -> list[Withdrawal]:
    stmt = select(Withdrawal).where(Withdrawal.organizer_id == organizer.id)
    if campaign_id:
        stmt = stmt.where(Withdrawal.campaign_id == campaign_id)
    rows = list((await session.execute(stmt.order_by(Withdrawal.id.desc()))).scalars())
    for row in rows:
        await sync(session, row)
    return rows


async def get_own(session: AsyncSession, organizer: User, withdrawal_id: str) -> Withdrawal:
    row = await session.get(Withdrawal, withdrawal_id)
    if row is None or row.organizer_id != organizer.id:
        raise WithdrawalNotFound()
    await sync(session, row)
    return row


async def events(session: AsyncSession, withdrawal_id: str) -> list[WithdrawalEvent]:
    stmt = select(WithdrawalEvent).where(WithdrawalEvent.withdrawal_id == withdrawal_id)
    return list((await session.execute(stmt.order_by(WithdrawalEvent.id))).scalars())


async def queue(session: AsyncSession, status: str | None = None) -> list[Withdrawal]:
    """Withdrawals for the admins: by status, or every one waiting for them."""
    stmt = select(Withdrawal)
    if status:
        stmt = stmt.where(Withdrawal.status == status)
    else:
        stmt = stmt.where(Withdrawal.status.in_((states.PENDING, states.ERROR)))
    return list((await session.execute(stmt.order_by(Withdrawal.id))).scalars())


async def decide(
    session: AsyncSession,
    admin: User,
    withdrawal_id: str,
    *,
    approve: bool,
    totp_code: str | None,
    note: str | None,
    ip: str | None,
) -> Withdrawal:
    """Authorize (with a fresh TOTP: money leaves) or reject (no code needed: the money stays
    in the campaign) a withdrawal; audit-logged.

    Raises TotpRequired (403), WithdrawalNotFound (404), InvalidTransition (409),
    WithdrawalsOnHold (409: authorizing while the campaign is held)."""
    if approve:
        await require_totp(session, admin, totp_code, field="totp_code")
    withdrawal = await session.get(Withdrawal, withdrawal_id, with_for_update=True)
    if withdrawal is None:
        raise WithdrawalNotFound()
    actor = admin.id
    withdrawal.note = note
    if not approve:
        await _move(session, withdrawal, "reject", actor, note)
        await money.void_withdrawal(session, withdrawal)
    else:
        campaign = await campaigns.get_any(session, withdrawal.campaign_id)
        if campaign.hold_reason:
            raise WithdrawalsOnHold(details={"reason": campaign.hold_reason})
        retry = withdrawal.status == states.ERROR
        await _move(session, withdrawal, "authorize", actor, note)
        if not retry:
            await money.post_withdrawal(session, withdrawal)
        withdrawal.attempts += 1
        payout, _ = await payouts.request_payout(
            session,
            withdrawal.organizer_id,
            amount=withdrawal.amount,
            currency=withdrawal.currency,
            bank_account_id=withdrawal.bank_account_id,
            idempotency_key=f"giving:{withdrawal.id}:{withdrawal.attempts}",
        )
        withdrawal.payout_id = payout.id
        await _move(session, withdrawal, "send", None, f"payout {payout.id}")
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.withdrawal.authorize" if approve else "giving.withdrawal.reject",
        target_type="giving_withdrawal",
        target_id=withdrawal.id,
        ip=ip,
        details={"amount": withdrawal.amount, "note": note},
    )
    await session.flush()
    return withdrawal


async def sync(session: AsyncSession, withdrawal: Withdrawal) -> bool:
    """Follow the payout of a ``processing`` withdrawal. Returns True when it moved."""
    if withdrawal.status != states.PROCESSING or withdrawal.payout_id is None:
        return False
    payout = await payouts.get_payout(session, withdrawal.organizer_id, withdrawal.payout_id)
    if payout.status == payout_states.SUCCESS:
        await _move(session, withdrawal, "transfer", None, f"payout {payout.id} succeeded")
        return True
    if payout.status in (payout_states.FAILED, payout_states.REVERSED):
        withdrawal.note = f"payout {payout.id} {payout.status}; the money is in your KRO wallet"
        await _move(session, withdrawal, "fail", None, withdrawal.note)
        return True
    return False


async def sync_open(session: AsyncSession, limit: int = 200) -> int:
    """Follow every ``processing`` withdrawal (periodic)."""
    stmt = select(Withdrawal).where(Withdrawal.status == states.PROCESSING).limit(limit)
    moved = 0
    for row in list((await session.execute(stmt.with_for_update())).scalars()):
        moved += await sync(session, row)
    return moved
