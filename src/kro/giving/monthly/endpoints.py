"""``/v1/giving/monthly/{gift_id}``: the donor manages a monthly gift with the token from the
link in every receipt (no account needed); without it, 404 ``monthly_gift_not_found``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kro.giving.config import GivingSettings
from kro.giving.errors import DonationBelowMinimum
from kro.giving.monthly import service
from kro.giving.monthly.errors import MonthlyGiftCancelled, MonthlyGiftNotFound
from kro.giving.monthly.schemas import GiftAmountIn, GiftTokenIn, MonthlyGiftOut
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.payments.errors import RecurringUnavailable
from kro.providers.errors import ProviderRejected, ProviderUnavailable

router = APIRouter(prefix="/v1/giving/monthly", tags=["giving"])


@router.get("/{gift_id}", responses=error_responses(MonthlyGiftNotFound))
async def get_gift(
    gift_id: str, session: DbSession, token: Annotated[str, Query(max_length=64)] = ""
) -> Envelope[MonthlyGiftOut]:
    """The monthly gift its ``token`` opens."""
    return ok(MonthlyGiftOut.model_validate(await service.for_donor(session, gift_id, token)))


@router.post(
    "/{gift_id}/cancel",
    responses=error_responses(MonthlyGiftNotFound, ProviderRejected, ProviderUnavailable),
)
async def cancel(
    gift_id: str, body: GiftTokenIn, session: DbSession, settings: GivingSettings
) -> Envelope[MonthlyGiftOut]:
    """No more months (the provider's subscription is disabled). Cancelling twice is a no-op."""
    gift = await service.cancel(session, settings, gift_id, body.token)
    return ok(MonthlyGiftOut.model_validate(gift))


@router.post(
    "/{gift_id}/amount",
    responses=error_responses(
        MonthlyGiftNotFound,
        MonthlyGiftCancelled,
        DonationBelowMinimum,
        RecurringUnavailable,
        ProviderRejected,
        ProviderUnavailable,
    ),
)
async def change_amount(
    gift_id: str, body: GiftAmountIn, session: DbSession, settings: GivingSettings
) -> Envelope[MonthlyGiftOut]:
    """Give ``amount`` minor units a month from the next charge on (tip and fee cover are
    recomputed). 409 for a cancelled gift; 422 below the minimum or before the first month
    is paid."""
    gift = await service.change_amount(session, settings, gift_id, body.token, body.amount)
    return ok(MonthlyGiftOut.model_validate(gift))
