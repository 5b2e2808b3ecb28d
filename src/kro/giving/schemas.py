"""KROGiving request and response bodies. Amounts are integers in minor units (kobo)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kro.giving import campaigns as campaign_service
from kro.giving.campaigns import CampaignDraft
from kro.giving.donations import Gift
from kro.giving.models import Campaign, Donation

Category = Literal["medical", "education", "emergency", "community", "faith", "business", "other"]


class CampaignIn(BaseModel):
    title: str = Field(min_length=3, max_length=200)
    story: str = Field(min_length=10, max_length=20_000)
    category: Category
    goal: int = Field(gt=0, le=100_000_000_000, description="minor units (kobo)")
    funding_model: Literal["keep_it_all", "all_or_nothing"] = "keep_it_all"
    beneficiary_type: Literal["myself", "someone", "charity"] = "myself"
    beneficiary_name: str | None = Field(default=None, max_length=200)
    ends_at: datetime | None = None
    close_at_goal: bool = False
    cover_image_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    video_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")

    def to_draft(self) -> CampaignDraft:
        return CampaignDraft(**self.model_dump())


class CampaignOut(BaseModel):
    """A campaign with its totals; ``raised`` never includes tips or fee cover."""

    id: str
    title: str
    story: str
    category: str
    status: str
    funding_model: str
    goal: int
    currency: str
    raised: int
    donors: int
    progress_bps: int
    days_left: int | None
    ends_at: datetime | None
    close_at_goal: bool
    beneficiary_type: str
    beneficiary_name: str | None
    cover_image_url: str | None
    has_cover_image: bool
    video_url: str | None
    featured: bool
    hold_reason: str | None
    review_note: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        t = campaign_service.totals(c)
        return cls(
            id=c.id,
            title=c.title,
            story=c.story,
            category=c.category,
            status=c.status,
            funding_model=c.funding_model,
            goal=c.goal,
            currency=c.currency,
            raised=t.raised,
            donors=t.donors,
            progress_bps=t.progress_bps,
            days_left=t.days_left,
            ends_at=c.ends_at,
            close_at_goal=c.close_at_goal,
            beneficiary_type=c.beneficiary_type,
            beneficiary_name=c.beneficiary_name,
            cover_image_url=c.cover_image_url,
            has_cover_image=c.cover_image_key is not None,
            video_url=c.video_url,
            featured=c.featured,
            hold_reason=c.hold_reason,
            review_note=c.review_note,
            created_at=c.created_at,
        )


class OrganizerCampaignOut(CampaignOut):
    """The organizer's view: also the balance they may withdraw now (minor units)."""

    available: int

    @classmethod
    async def load(cls, session: AsyncSession, c: Campaign) -> OrganizerCampaignOut:
        """With the available balance read from the ledger."""
        available = await campaign_service.balance(session, c)
        return cls(**CampaignOut.of(c).model_dump(), available=available)


class DonationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    amount: int = Field(gt=0, le=10_000_000_000, description="minor units")
    tip: int | None = Field(
        default=None, ge=0, le=10_000_000_000, description="minor units; omitted: the default share"
    )
    cover_fees: bool = False
    anonymous: bool = False
    hide_amount: bool = False
    message: str | None = Field(default=None, max_length=1000)
    opt_in: bool = False
    monthly: bool = Field(
        default=False, description="give this every month (Paystack card subscription)"
    )
    callback_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")

    def to_gift(self) -> Gift:
        return Gift(
            name=self.name,
            email=str(self.email),
            amount=self.amount,
            tip=self.tip,
            cover_fees=self.cover_fees,
            anonymous=self.anonymous,
            hide_amount=self.hide_amount,
            message=self.message,
            opt_in=self.opt_in,
            monthly=self.monthly,
        )


class DonationOut(BaseModel):
    """The donor's view of their donation (``access_token`` opens it again)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    donor_name: str
    donor_email: str
    amount: int
    tip: int
    cover: int
    total: int
    currency: str
    anonymous: bool
    hide_amount: bool
    message: str | None
    opt_in: bool
    status: str
    receipt_number: str | None
    access_token: str
    paid_at: datetime | None
    created_at: datetime


class CheckoutOut(BaseModel):
    donation: DonationOut
    payment_id: str
    authorization_url: str | None


class QuoteOut(BaseModel):
    amount: int
    tip: int
    cover: int
    total: int


class WallEntry(BaseModel):
    """One line of the donor wall: "Anonymous" for anonymous gifts, ``amount`` None when the
    donor hid it."""

    name: str
    amount: int | None
    message: str | None
    at: datetime | None

    @classmethod
    def of(cls, d: Donation) -> WallEntry:
        return cls(
            name=d.public_name,
            amount=None if d.hide_amount else d.amount,
            message=d.public_message,
            at=d.paid_at,
        )


class OrganizerDonationOut(BaseModel):
    """What the organizer sees of a gift: anonymous donors stay anonymous to them too."""

    id: str
    name: str
    email: str | None
    amount: int
    status: str
    receipt_number: str | None
    paid_at: datetime | None

    @classmethod
    def of(cls, d: Donation) -> OrganizerDonationOut:
        return cls(
            id=d.id,
            name="Anonymous" if d.anonymous else d.donor_name,
            email=None if d.anonymous or not d.opt_in else d.donor_email,
            amount=d.amount,
            status=d.status,
            receipt_number=d.receipt_number,
            paid_at=d.paid_at,
        )


class RefundAskIn(BaseModel):
    token: str = Field(min_length=8, max_length=64)
    reason: str = Field(min_length=3, max_length=500)


class UpdateIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class UpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    title: str
    body: str
    created_at: datetime


class ReportIn(BaseModel):
    reason: Literal["fraud", "misleading", "prohibited"]
    details: str | None = Field(default=None, max_length=2000)
    email: EmailStr | None = None


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    reason: str
    details: str | None
    status: str
    created_at: datetime


class WithdrawalIn(BaseModel):
    amount: int = Field(gt=0, description="minor units")
    bank_account_id: str = Field(min_length=1, max_length=32)


class WithdrawalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    amount: int
    currency: str
    bank_account_id: str
    status: str
    payout_id: str | None
    attempts: int
    note: str | None
    created_at: datetime


class ReviewIn(BaseModel):
    action: Literal["approve", "reject", "pause", "resume", "close"]
    reason: str | None = Field(default=None, max_length=500)


class HoldIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500, description="None lifts the hold")


class FeatureIn(BaseModel):
    featured: bool


class DecisionIn(BaseModel):
    approve: bool
    totp_code: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=500)


class RefundDecisionIn(BaseModel):
    approve: bool


class ReportDecisionIn(BaseModel):
    outcome: Literal["dismissed", "actioned"]


class TermsIn(BaseModel):
    """New giving terms (in force for donations started from now on); a fresh TOTP code."""

    default_tip_bps: int = Field(ge=0, le=3_000, description="basis points; 1000 = 10 %")
    min_donation: int = Field(ge=100, le=100_000_000, description="minor units")
    note: str | None = Field(default=None, max_length=500)
    totp_code: str | None = Field(default=None, max_length=16)


class ConfigurationOut(BaseModel):
    """One configuration row: the newest is in force."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    default_tip_bps: int
    min_donation: int
    created_by: str
    note: str | None
    created_at: datetime


class TermsOut(BaseModel):
    """The terms in force (``default_tip_bps`` basis points, ``min_donation`` minor units)
    and the history of changes, newest first (empty: the settings' defaults apply)."""

    default_tip_bps: int
    min_donation: int
    history: list[ConfigurationOut]


class DayTotalOut(BaseModel):
    """One Lagos day's paid gifts: minor units, tips apart from ``amount``."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    count: int
    amount: int
    tip: int
    cover: int
    total: int


class ReasonIn(BaseModel):
    """Why words of support are flagged (anyone) or hidden (the organizer): recorded."""

    reason: str = Field(min_length=3, max_length=500)


class ModerationIn(BaseModel):
    """An admin's decision on flagged words of support: ``hide`` (with a reason) or
    ``keep``."""

    action: Literal["hide", "keep"]
    reason: str | None = Field(default=None, max_length=500)


class MessageOut(BaseModel):
    """Words of support as moderators see them (``message_status``: shown | flagged |
    hidden)."""

    donation_id: str
    campaign_id: str
    name: str
    message: str | None
    message_status: str
    flags: int = 0

    @classmethod
    def of(cls, d: Donation, flags: int = 0) -> MessageOut:
        return cls(
            donation_id=d.id,
            campaign_id=d.campaign_id,
            name=d.public_name,
            message=d.message,
            message_status=d.message_status,
            flags=flags,
        )


class UnsubscribeIn(BaseModel):
    token: str = Field(min_length=10, max_length=1000, description="from the email's link")


class UnsubscribedOut(BaseModel):
    """The campaign whose updates stop, and the address (lower-cased)."""

    campaign_id: str
    email: str
