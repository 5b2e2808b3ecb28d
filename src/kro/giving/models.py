"""Tables of ``kro.giving`` (imported by ``kro.registry``, so ``Base.metadata`` has them):
``giving_campaigns``, ``giving_campaign_events``, ``giving_donations``,
``giving_receipt_counters``, ``giving_withdrawals``, ``giving_withdrawal_events``,
``giving_updates``, ``giving_reports``, ``giving_configurations``, ``giving_message_events``,
``giving_update_optouts``.

Users, payments, payouts and bank accounts are referred to by id, never by relationship.
Amounts are minor units of the row's ``currency``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class Campaign(Base):
    """A fundraiser. ``raised`` counts donations only (never tips or fee cover); the money
    itself is in the ledger account ``giving:campaign:{id}:{currency}``."""

    __tablename__ = "giving_campaigns"
    __table_args__ = (Index("ix_giving_campaigns_status_ends", "status", "ends_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cmp"))
    organizer_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    story: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32), index=True)
    cover_image_url: Mapped[str | None] = mapped_column(String(500), default=None)
    cover_image_key: Mapped[str | None] = mapped_column(
        String(300), default=None, comment="uploaded cover in the file storage"
    )
    cover_image_type: Mapped[str | None] = mapped_column(String(64), default=None)
    video_url: Mapped[str | None] = mapped_column(String(500), default=None)
    goal: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3), default="NGN")
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    beneficiary_type: Mapped[str] = mapped_column(String(16), comment="myself | someone | charity")
    beneficiary_name: Mapped[str | None] = mapped_column(String(200), default=None)
    funding_model: Mapped[str] = mapped_column(String(16), comment="keep_it_all | all_or_nothing")
    close_at_goal: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    raised: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units, no tips")
    donors: Mapped[int] = mapped_column(default=0, comment="paid donations")
    featured: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str | None] = mapped_column(
        String(500), default=None, comment="withdrawals held by an admin while set"
    )
    review_note: Mapped[str | None] = mapped_column(String(500), default=None)
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignEvent(Base):
    """One recorded campaign transition: who, when, from, to, why."""

    __tablename__ = "giving_campaign_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cev"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(16), comment="organizer | admin | system")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Donation(Base):
    """One gift. The donor pays ``total = amount + tip + cover``; the campaign is credited
    ``amount`` (less ``fee_share`` unless covered), the platform keeps ``tip``.
    ``access_token`` is the donor's capability for the thank-you page and receipt (no account
    needed)."""

    __tablename__ = "giving_donations"
    __table_args__ = (
        UniqueConstraint("receipt_year", "receipt_seq"),
        Index("ix_giving_donations_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("don"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"))
    donor_email: Mapped[str] = mapped_column(String(320), index=True)
    donor_name: Mapped[str] = mapped_column(String(200))
    donor_user_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units, to the campaign")
    tip: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units, platform")
    cover: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units, fee cover")
    total: Mapped[int] = mapped_column(MinorUnits, comment="minor units charged")
    currency: Mapped[str] = mapped_column(String(3))
    fee_share: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    anonymous: Mapped[bool] = mapped_column(default=False)
    hide_amount: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(String(1000), default=None)
    message_status: Mapped[str] = mapped_column(
        String(8),
        default="shown",
        server_default="shown",
        comment="shown | flagged (waits for an admin, still shown) | hidden",
    )
    opt_in: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(
        String(20),
        default="pending",
        comment="pending | paid | failed | refund_requested | refunded",
    )
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    monthly_gift_id: Mapped[str | None] = mapped_column(
        String(32), default=None, index=True, comment="giving_monthly_gifts.id, monthly gifts"
    )
    access_token: Mapped[str] = mapped_column(String(64), unique=True)
    receipt_year: Mapped[int | None] = mapped_column(default=None)
    receipt_seq: Mapped[int | None] = mapped_column(default=None)
    refund_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def public_name(self) -> str:
        """The name the donor wall shows: "Anonymous" for an anonymous gift."""
        return "Anonymous" if self.anonymous else self.donor_name

    @property
    def public_message(self) -> str | None:
        """The words of support the campaign page shows (none once hidden)."""
        return None if self.message_status == "hidden" else self.message

    @property
    def receipt_number(self) -> str | None:
        """``KG-2026-000001``: sequential per calendar year (Lagos)."""
        if self.receipt_year is None or self.receipt_seq is None:
            return None
        return f"KG-{self.receipt_year}-{self.receipt_seq:06d}"


class ReceiptCounter(Base):
    """The last receipt number given in ``year`` (locked while the next one is taken)."""

    __tablename__ = "giving_receipt_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Withdrawal(Base):
    """An organizer's withdrawal of a campaign's balance (Catarse's balance transfer). While
    ``pending`` the amount is held (a pending ledger transfer campaign → organizer's wallet);
    ``authorize`` posts it and starts a payout through :mod:`kro.payouts`."""

    __tablename__ = "giving_withdrawals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gwd"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"), index=True)
    organizer_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    bank_account_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payout_id: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WithdrawalEvent(Base):
    """One recorded withdrawal transition."""

    __tablename__ = "giving_withdrawal_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("wev"))
    withdrawal_id: Mapped[str] = mapped_column(ForeignKey("giving_withdrawals.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignUpdate(Base):
    """News the organizer posts on a campaign (emailed to donors who opted in)."""

    __tablename__ = "giving_updates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gup"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignReport(Base):
    """Someone reported a campaign; it waits in the admins' review queue."""

    __tablename__ = "giving_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("grp"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16), comment="fraud | misleading | prohibited")
    details: Mapped[str | None] = mapped_column(String(2000), default=None)
    reporter_email: Mapped[str | None] = mapped_column(String(320), default=None)
    status: Mapped[str] = mapped_column(
        String(16), default="open", comment="open | dismissed | actioned"
    )
    resolved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GivingConfiguration(Base):
    """The tip and minimum donation in force (an admin's change). Rows are never changed: the
    newest is in force, the older ones are its history (as escrow's fee configurations); with
    no row the settings ``KRO_GIVING_DEFAULT_TIP_BPS`` and ``KRO_GIVING_MIN_DONATION`` apply."""

    __tablename__ = "giving_configurations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gcf"))
    default_tip_bps: Mapped[int] = mapped_column(comment="basis points of the gift; 1000 = 10 %")
    min_donation: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    created_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageEvent(Base):
    """Moderation of a donor's words of support (the donation's message): ``flag`` (anyone),
    ``hide`` (the organizer or an admin, with a reason), ``keep`` (an admin clears the flags).
    Who, when, why."""

    __tablename__ = "giving_message_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gme"))
    donation_id: Mapped[str] = mapped_column(ForeignKey("giving_donations.id"), index=True)
    action: Mapped[str] = mapped_column(String(8), comment="flag | hide | keep")
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(16), comment="public | organizer | admin")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UpdateOptOut(Base):
    """An address that asked (through the signed link in an update email) for no more of a
    campaign's updates."""

    __tablename__ = "giving_update_optouts"
    __table_args__ = (UniqueConstraint("campaign_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("guo"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"))
    email: Mapped[str] = mapped_column(String(320), comment="lower-cased")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
