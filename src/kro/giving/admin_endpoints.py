"""The admins' KROGiving API beyond reviews and withdrawals (:mod:`.endpoints`): campaigns by
view (held, featured), donations per day, the CSV export of a campaign's donations, the tip
and minimum-donation terms with their history, and flagged words of support. Thin handlers;
each route lists its errors in ``responses=``. Everything here needs an admin (401/403)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kro.giving import campaigns, config, messages, reports
from kro.giving.errors import CampaignNotFound, DateRangeInvalid, MessageNotFound, ReasonRequired
from kro.giving.schemas import (
    CampaignOut,
    ConfigurationOut,
    DayTotalOut,
    MessageOut,
    ModerationIn,
    TermsIn,
    TermsOut,
)
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses

router = APIRouter(prefix="/v1/admin/giving", tags=["admin: giving"])
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV, one row per donation"}
}


@router.get("/campaigns")
async def campaign_list(
    _: AdminUser,
    session: DbSession,
    view: Annotated[Literal["active", "held", "featured"], Query()] = "active",
) -> Envelope[list[CampaignOut]]:
    """``held`` (withdrawals on hold), ``featured``, or ``active`` campaigns, newest first."""
    return ok([CampaignOut.of(c) for c in await campaigns.admin_list(session, view)])


@router.get("/donations-per-day", responses=error_responses(DateRangeInvalid))
async def donations_per_day(
    _: AdminUser, session: DbSession, start: date, end: date
) -> Envelope[list[DayTotalOut]]:
    """Paid gifts per Lagos day from ``start`` to ``end`` (inclusive, at most 366 days):
    count, ``amount`` to campaigns, ``tip`` apart, ``cover``, ``total``; minor units."""
    rows = await reports.per_day(session, start, end)
    return ok([DayTotalOut.model_validate(r) for r in rows])


@router.get(
    "/campaigns/{campaign_id}/donations.csv",
    response_class=Response,
    responses={**CSV, **error_responses(CampaignNotFound)},
)
async def export_donations(campaign_id: str, _: AdminUser, session: DbSession) -> Response:
    """Every donation of a campaign as CSV: amounts in minor units and formatted, anonymous
    donors' names hidden as on the wall, emails present."""
    campaign, text = await reports.donations_csv(session, campaign_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{campaign.id}-donations.csv"'},
    )


async def _terms(session: DbSession, settings: AppSettings) -> TermsOut:
    terms = await config.current(session, settings)
    history = [ConfigurationOut.model_validate(r) for r in await config.history(session)]
    return TermsOut(
        default_tip_bps=terms.default_tip_bps, min_donation=terms.min_donation, history=history
    )


@router.get("/settings")
async def get_terms(_: AdminUser, session: DbSession, settings: AppSettings) -> Envelope[TermsOut]:
    """The default tip and minimum donation in force, and their history."""
    return ok(await _terms(session, settings))


@router.put("/settings", responses=error_responses(TotpRequired))
async def put_terms(
    body: TermsIn, user: AdminUser, session: DbSession, settings: AppSettings, ip: ClientIp
) -> Envelope[TermsOut]:
    """New terms for donations started from now on. Needs a fresh TOTP code (403
    ``totp_required``); audit-logged."""
    terms = config.Terms(body.default_tip_bps, body.min_donation)
    await config.change(session, user, terms, body.note, totp_code=body.totp_code, ip=ip)
    return ok(await _terms(session, settings))


@router.get("/messages/flagged")
async def flagged_messages(_: AdminUser, session: DbSession) -> Envelope[list[MessageOut]]:
    """Flagged words of support, oldest first, with their number of flags."""
    return ok([MessageOut.of(d, n) for d, n in await messages.flagged(session)])


@router.post(
    "/messages/{donation_id}",
    responses=error_responses(MessageNotFound, ReasonRequired),
)
async def moderate(
    donation_id: str, body: ModerationIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[MessageOut]:
    """``hide`` (a reason, recorded) or ``keep`` words of support; audit-logged."""
    donation = await messages.decide(session, user, donation_id, body.action, body.reason, ip)
    return ok(MessageOut.of(donation))
