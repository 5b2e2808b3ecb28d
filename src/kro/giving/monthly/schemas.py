"""Monthly gifts in and out of the JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class MonthlyGiftOut(BaseModel):
    """A monthly gift as its donor sees it; amounts in minor units a month."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    campaign_id: str
    donor_name: str
    amount: int = Field(description="minor units a month, to the campaign")
    tip: int = Field(description="minor units a month, to the platform")
    cover: int = Field(description="minor units a month, the provider's fee covered")
    total: int = Field(description="minor units charged a month")
    currency: str
    status: str = Field(description="pending | active | cancelled")
    created_at: datetime
    cancelled_at: datetime | None


class GiftTokenIn(BaseModel):
    """The gift's ``manage_token`` (from the link in a receipt)."""

    token: str = Field(min_length=1, max_length=64)


class GiftAmountIn(GiftTokenIn):
    """The new monthly amount to the campaign, minor units."""

    amount: int = Field(gt=0, le=10_000_000_000, description="minor units a month")
