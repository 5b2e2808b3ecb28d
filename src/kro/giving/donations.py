"""Donations: the public flow (no account needed), the payment's outcome (jobs
``giving.payment_*``), receipts numbered per year, refunds (the donor asks within the window,
an admin approves; an all-or-nothing failure refunds everyone).

A donor reaches their donation with its ``access_token`` (in the thank-you link and the
receipt email); without it, or with another donation's, it is DonationNotFound (404).
Services only flush.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.giving import campaigns, money, states
from kro.giving.errors import (
    CampaignNotAcceptingDonations,
    DonationBelowMinimum,
    DonationNotFound,
    DonationNotRefundable,
    RefundWindowClosed,
)
from kro.giving.fees import FeeRule, cover_for, fee_share, tip_for
from kro.giving.models import Campaign, Donation, ReceiptCounter
from kro.giving.monthly.models import MonthlyGift
from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.payments import states as pay_states
from kro.payments.collect import service as payments
from kro.payments.collect.service import CollectRequest
from kro.payments.models import Payment
from kro.payments.refunds import service as refunds
from kro.payments.subscriptions import service as subscriptions
from kro.settings import Settings

log = structlog.get_logger("kro.giving")
PURPOSE = "giving"
LAGOS = ZoneInfo("Africa/Lagos")


@dataclass(frozen=True)
class Gift:
    """What the donor fills in. ``amount`` and ``tip`` in minor units (``tip`` None: the
    default share ``KRO_GIVING_DEFAULT_TIP_BPS``; 0: no tip)."""

    name: str
    email: str
    amount: int
    tip: int | None = None
    cover_fees: bool = False
    anonymous: bool = False
    hide_amount: bool = False
    message: str | None = None
    opt_in: bool = False
    monthly: bool = False


@dataclass(frozen=True)
class Quote:
    """What the donor will be charged, minor units."""

    amount: int
    tip: int
    cover: int
    total: int


def fee_rule(settings: Settings) -> FeeRule:
    return FeeRule(
        settings.giving_fee_percent_bps,
        settings.giving_fee_flat,
        settings.giving_fee_flat_waived_below,
        settings.giving_fee_cap,
    )


def quote(settings: Settings, amount: int, tip: int | None, cover_fees: bool) -> Quote:
    """The charge for a gift; raises DonationBelowMinimum (422)."""
    if amount < settings.giving_min_donation:
        raise DonationBelowMinimum(
            details={"field": "amount", "minimum": settings.giving_min_donation}
        )
    tip = tip_for(amount, settings.giving_default_tip_bps) if tip is None else tip
    cover = cover_for(fee_rule(settings), amount + tip) if cover_fees else 0
    return Quote(amount, tip, cover, amount + tip + cover)


async def donate(
    session: AsyncSession,
    settings: Settings,
    campaign_id: str,
    gift: Gift,
    *,
    donor: User | None = None,
    callback_url: str | None = None,
) -> tuple[Donation, Payment]:
    """Start a donation: a hosted checkout for ``amount + tip + cover`` through
    :func:`kro.payments.collect.collect` (purpose ``giving``) that credits the campaign's
    account; the donation is ``pending`` until ``giving.payment_completed``. A ``monthly``
    gift's checkout is on a monthly plan: paying it subscribes the donor, and every later
    month's charge is a donation of its own (:mod:`kro.giving.monthly`).

    The campaign is read without a lock, the provider asked, and only then the donation is
    written. Raises CampaignNotFound (404), CampaignNotAcceptingDonations (409),
    DonationBelowMinimum (422), RecurringUnavailable (422) and the payments core's errors.
    """
    campaign = await campaigns.public(session, campaign_id)
    _check_open(campaign)
    charge = quote(settings, gift.amount, gift.tip, gift.cover_fees)
    account = await money.ensure_campaign_account(session, campaign)
    donation_id = new_id("don")
    request = CollectRequest(
        purpose=PURPOSE,
        purpose_id=donation_id,
        payer_id=donor.id if donor else None,
        email=gift.email,
        name=gift.name,
        amount=charge.total,
        currency=campaign.currency,
        credit_account_id=account.id,
        callback_url=callback_url,
        description=f"KRO Giving {campaign.title}"[:60],
        metadata={"campaign_id": campaign.id, "donation_id": donation_id},
    )
    monthly_gift = None
    if gift.monthly:
        monthly_gift, payment = await _start_monthly(
            session, settings, campaign, gift, charge, request
        )
    else:
        payment = await payments.collect(session, settings, request)
    donation = Donation(
        id=donation_id,
        campaign_id=campaign.id,
        donor_email=gift.email.lower(),
        donor_name=gift.name,
        donor_user_id=donor.id if donor else None,
        amount=charge.amount,
        tip=charge.tip,
        cover=charge.cover,
        total=charge.total,
        currency=campaign.currency,
        anonymous=gift.anonymous,
        hide_amount=gift.hide_amount,
        message=gift.message,
        opt_in=gift.opt_in,
        status="pending",
        payment_id=payment.id,
        monthly_gift_id=monthly_gift.id if monthly_gift else None,
        access_token=secrets.token_urlsafe(24),
    )
    session.add(donation)
    await session.flush()
    return donation, payment


async def _start_monthly(
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    gift: Gift,
    charge: Quote,
    request: CollectRequest,
) -> tuple[MonthlyGift, Payment]:
    """The first donation of a monthly gift: a checkout on a monthly plan of the same total
    (:func:`kro.payments.subscriptions.service.start`), and the gift (``pending`` until paid)."""
    gift_id = new_id("gmon")
    subscription, payment = await subscriptions.start(
        session,
        settings,
        request,
        interval="monthly",
        purpose_id=gift_id,
        plan_name=f"KRO Giving monthly: {campaign.title}",
    )
    monthly_gift = MonthlyGift(
        id=gift_id,
        campaign_id=campaign.id,
        donor_email=gift.email.lower(),
        donor_name=gift.name,
        donor_user_id=request.payer_id,
        amount=charge.amount,
        tip=charge.tip,
        cover=charge.cover,
        total=charge.total,
        currency=campaign.currency,
        cover_fees=gift.cover_fees,
        anonymous=gift.anonymous,
        hide_amount=gift.hide_amount,
        opt_in=gift.opt_in,
        status="pending",
        subscription_id=subscription.id,
        manage_token=secrets.token_urlsafe(24),
    )
    session.add(monthly_gift)
    await session.flush()
    return monthly_gift, payment


def _check_open(campaign: Campaign) -> None:
    if campaign.status not in states.TAKES_DONATIONS or (
        campaign.ends_at is not None and campaign.ends_at <= utcnow()
    ):
        raise CampaignNotAcceptingDonations(details={"status": campaign.status})


async def for_donor(session: AsyncSession, donation_id: str, token: str | None) -> Donation:
    """The donation its ``access_token`` opens; DonationNotFound (404) otherwise."""
    donation = await session.get(Donation, donation_id)
    if donation is None or not token or not secrets.compare_digest(donation.access_token, token):
        raise DonationNotFound()
    return donation


async def for_user(session: AsyncSession, user: User) -> list[Donation]:
    """A signed-in donor's donations: given while signed in, or to their account's email."""
    stmt = select(Donation).where(
        (Donation.donor_user_id == user.id) | (Donation.donor_email == user.email.lower())
    )
    return list((await session.execute(stmt.order_by(Donation.id.desc()))).scalars())


async def wall(session: AsyncSession, campaign_id: str, limit: int = 50) -> list[Donation]:
    """Paid donations, newest first (the page shows anonymous ones as "Anonymous" and hides
    the amounts donors asked to hide, so the wall still adds up)."""
    stmt = select(Donation).where(Donation.campaign_id == campaign_id, Donation.status == "paid")
    return list((await session.execute(stmt.order_by(Donation.id.desc()).limit(limit))).scalars())


async def of_campaign(session: AsyncSession, campaign_id: str) -> list[Donation]:
    """Every donation of a campaign, oldest first (organizer, admins, CSV export)."""
    stmt = select(Donation).where(Donation.campaign_id == campaign_id)
    return list((await session.execute(stmt.order_by(Donation.id))).scalars())


async def completed(session: AsyncSession, payment_id: str, donation_id: str) -> bool:
    """The donor's payment is verified and in the campaign's account (job
    ``giving.payment_completed``; idempotent): book the tip and the fee part, number the
    receipt, count it in the campaign's totals. A payment for a campaign that has failed is
    given back at once. Returns False when nothing was done."""
    found = await session.get(Donation, donation_id)
    if found is None or found.status != "pending":
        return False
    # Locks in one order everywhere: campaign, donation, payment (as settle and refund).
    campaign = await campaigns.get_any(session, found.campaign_id, lock=True)
    donation = await session.get(
        Donation, donation_id, with_for_update=True, populate_existing=True
    )
    assert donation is not None
    payment = await payments.find_payment(session, payment_id, lock=True)
    if payment is None or payment.status != pay_states.COMPLETED:
        return False
    # A monthly gift's renewal pays for the gift, and its donation names the payment.
    ours = payment.purpose_id == donation.id or payment.id == donation.payment_id
    if payment.purpose != PURPOSE or not ours or donation.status != "pending":
        return False
    donation.payment_id = payment.id
    donation.fee_share = donation.cover or fee_share(
        payment.provider_fee, donation.amount, donation.total
    )
    await money.book_donation(session, campaign, donation)
    donation.status, donation.paid_at = "paid", utcnow()
    await _number_receipt(session, donation)
    if donation.monthly_gift_id is not None:  # its first month is paid: the gift is on
        gift = await session.get(MonthlyGift, donation.monthly_gift_id, with_for_update=True)
        if gift is not None and gift.status == "pending":
            gift.status = "active"
    campaign.raised += donation.amount
    campaign.donors += 1
    await session.flush()
    if campaign.status == states.FAILED:
        await refund(session, donation, "the campaign did not reach its goal", campaign)
    elif (
        campaign.close_at_goal
        and campaign.status == states.LIVE
        and campaign.raised >= campaign.goal
    ):
        await end(session, campaign, "goal reached")
    return True


async def failed(session: AsyncSession, donation_id: str) -> None:
    """The checkout failed or was abandoned: nothing was booked."""
    donation = await session.get(Donation, donation_id, with_for_update=True)
    if donation is not None and donation.status == "pending":
        donation.status = "failed"
        await session.flush()


async def _number_receipt(session: AsyncSession, donation: Donation) -> None:
    """The next number of the year (Lagos time), under the year's counter lock."""
    year = (donation.paid_at or utcnow()).astimezone(LAGOS).year
    counter = await session.get(ReceiptCounter, year, with_for_update=True, populate_existing=True)
    if counter is None:
        try:
            async with session.begin_nested():
                session.add(ReceiptCounter(year=year, last=0))
        except IntegrityError:
            pass
        counter = await session.get(
            ReceiptCounter, year, with_for_update=True, populate_existing=True
        )
        assert counter is not None
    counter.last += 1
    donation.receipt_year, donation.receipt_seq = year, counter.last


async def ask_refund(
    session: AsyncSession, settings: Settings, donation_id: str, token: str | None, reason: str
) -> Donation:
    """The donor asks for a refund within ``KRO_GIVING_REFUND_WINDOW``; an admin decides.
    Raises DonationNotFound (404), DonationNotRefundable, RefundWindowClosed (409)."""
    donation = await for_donor(session, donation_id, token)
    if donation.status != "paid":
        raise DonationNotRefundable(details={"status": donation.status})
    assert donation.paid_at is not None
    if utcnow() - donation.paid_at > timedelta(seconds=settings.giving_refund_window):
        raise RefundWindowClosed()
    donation.status, donation.refund_reason = "refund_requested", reason
    await session.flush()
    return donation


async def refund_requests(session: AsyncSession) -> list[Donation]:
    stmt = select(Donation).where(Donation.status == "refund_requested").order_by(Donation.id)
    return list((await session.execute(stmt)).scalars())


async def decide_refund(
    session: AsyncSession, admin: User, donation_id: str, approve: bool, ip: str | None
) -> Donation:
    """An admin approves (everything the donor paid goes back) or declines a refund request;
    audit-logged. Raises DonationNotFound (404), DonationNotRefundable (409),
    InsufficientFunds (409: the organizer already withdrew it)."""
    found = await session.get(Donation, donation_id)
    if found is None:
        raise DonationNotFound()
    # Locks in one order everywhere: campaign, donation, payment.
    campaign = await campaigns.get_any(session, found.campaign_id, lock=True)
    donation = await session.get(
        Donation, donation_id, with_for_update=True, populate_existing=True
    )
    assert donation is not None
    if donation.status != "refund_requested":
        raise DonationNotRefundable(details={"status": donation.status})
    if approve:
        await refund(session, donation, donation.refund_reason or "asked by the donor", campaign)
    else:
        donation.status = "paid"
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.refund.approve" if approve else "giving.refund.decline",
        target_type="giving_donation",
        target_id=donation.id,
        ip=ip,
        details={"amount": donation.total},
    )
    await session.flush()
    return donation


async def refund(
    session: AsyncSession, donation: Donation, reason: str, campaign: Campaign | None = None
) -> None:
    """Give back everything the donor paid (amount, tip and cover) through the core refunds:
    the tip and fee bookings reversed, then ``campaign → provider``. The campaign's totals
    drop by the gift. Idempotent per donation (refund id ``rfd_{donation}``)."""
    if donation.status not in ("paid", "refund_requested") or donation.payment_id is None:
        return
    campaign = campaign or await campaigns.get_any(session, donation.campaign_id, lock=True)
    payment = await payments.find_payment(session, donation.payment_id, lock=True)
    assert payment is not None
    await money.unbook_donation(session, donation)
    account = await money.ensure_campaign_account(session, campaign)
    await refunds.request_refund(
        session, payment, None, reason, from_account_id=account.id, refund_id=f"rfd_{donation.id}"
    )
    donation.status, donation.refunded_at = "refunded", utcnow()
    campaign.raised -= donation.amount
    campaign.donors -= 1
    await session.flush()


async def end(session: AsyncSession, campaign: Campaign, reason: str) -> None:
    """End a live (or paused) campaign: keep-it-all → ``ended``; all-or-nothing →
    ``waiting_funds``, then :func:`settle` decides."""
    await campaigns.transition(
        session, campaign, states.end_action(campaign.funding_model), None, "system", reason
    )
    if campaign.status == states.WAITING_FUNDS:
        await settle(session, campaign)


PAYMENT_GRACE = timedelta(minutes=30)
"""How long an all-or-nothing campaign waits for checkouts opened before its end."""


async def settle(session: AsyncSession, campaign: Campaign) -> bool:
    """An all-or-nothing campaign in ``waiting_funds`` once no checkout opened in the last
    :data:`PAYMENT_GRACE` is still pending: ``successful`` if the goal was reached, else
    ``failed`` and every donor refunded (card authorisations last about 7 days, so donations
    were charged at once: see docs/giving.md). Returns True when it settled."""
    if campaign.status != states.WAITING_FUNDS:
        return False
    stmt = (
        select(Donation.id)
        .where(
            Donation.campaign_id == campaign.id,
            Donation.status == "pending",
            Donation.created_at > utcnow() - PAYMENT_GRACE,
        )
        .limit(1)
    )
    if (await session.execute(stmt)).first() is not None:
        return False
    if campaign.raised >= campaign.goal:
        await campaigns.transition(session, campaign, "settle_success", None, "system")
        return True
    await campaigns.transition(
        session,
        campaign,
        "settle_fail",
        None,
        "system",
        f"raised {campaign.raised} of {campaign.goal}",
    )
    for donation in await of_campaign(session, campaign.id):
        if donation.status in ("paid", "refund_requested"):
            await refund(session, donation, "the campaign did not reach its goal", campaign)
    return True


async def end_due(session: AsyncSession, limit: int = 200) -> int:
    """End campaigns whose end date passed, and settle those waiting for funds (periodic)."""
    now = utcnow()
    stmt = (
        select(Campaign.id)
        .where(
            Campaign.status.in_((states.LIVE, states.PAUSED, states.WAITING_FUNDS)),
            (Campaign.ends_at <= now) | (Campaign.status == states.WAITING_FUNDS),
        )
        .limit(limit)
    )
    done = 0
    for campaign_id in list((await session.execute(stmt)).scalars()):
        campaign = await campaigns.get_any(session, campaign_id, lock=True)
        if campaign.status == states.WAITING_FUNDS:
            done += await settle(session, campaign)
        elif campaign.ends_at is not None and campaign.ends_at <= now:
            if campaign.status == states.PAUSED and campaign.funding_model == states.KEEP_IT_ALL:
                continue  # a paused keep-it-all campaign has no 'end'; the organizer closes it
            await end(session, campaign, "end date reached")
            done += 1
    return done


async def admin_end(
    session: AsyncSession, admin: User, campaign_id: str, ip: str | None
) -> Campaign:
    """End a campaign now (as if its end date passed); audit-logged."""
    campaign = await campaigns.get_any(session, campaign_id, lock=True)
    await end(session, campaign, f"ended by admin {admin.id}")
    await audit.record(
        session,
        actor_id=admin.id,
        action="giving.campaign.end",
        target_type="giving_campaign",
        target_id=campaign.id,
        ip=ip,
    )
    return campaign
