"""The table of monthly gifts (``giving_monthly_gifts``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class MonthlyGift(Base):
    """A donor's monthly gift to a campaign: every month the provider charges ``total`` minor
    units (``amount`` to the campaign, ``tip`` to the platform, ``cover`` for the provider's
    fee), each charge a donation of its own (``giving_donations.monthly_gift_id``).

    ``status``: ``pending`` (first checkout not yet paid) → ``active`` → ``cancelled`` (by the
    donor from the link in a receipt, or because the campaign ended). ``manage_token`` is the
    donor's capability for that link (no account needed). ``subscription_id``: the payments
    core's subscription.
    """

    __tablename__ = "giving_monthly_gifts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("gmon"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("giving_campaigns.id"), index=True)
    donor_email: Mapped[str] = mapped_column(String(320), index=True)
    donor_name: Mapped[str] = mapped_column(String(200))
    donor_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units a month, to the campaign")
    tip: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units a month")
    cover: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units a month")
    total: Mapped[int] = mapped_column(MinorUnits, comment="minor units charged a month")
    currency: Mapped[str] = mapped_column(String(3))
    cover_fees: Mapped[bool] = mapped_column(default=False)
    anonymous: Mapped[bool] = mapped_column(default=False)
    hide_amount: Mapped[bool] = mapped_column(default=False)
    opt_in: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    subscription_id: Mapped[str] = mapped_column(String(32))
    manage_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
