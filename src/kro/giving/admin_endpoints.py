"""The admins' KROGiving API, ``/v1/admin/giving/…``: the review queue, campaigns by view
(held, featured) with holds and the featured flag, reports, refund requests, withdrawals to
authorize with TOTP, donations per day, the CSV export of a campaign's donations, the tip and
minimum-donation terms with their history, and flagged words of support. Thin handlers over
the use cases; each route lists its errors in ``responses=``. Everything here needs an admin
(401/403). Included by :mod:`.endpoints`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kro.giving import campaigns, config, donations, messages, reports, withdrawals
from kro.giving.errors import (
    CampaignNotFound,
    DonationNotFound,
    DonationNotRefundable,
    MessageNotFound,
    ReasonRequired,
    ReportNotFound,
    WithdrawalNotFound,
    WithdrawalsOnHold,
)
from kro.giving.schemas import (
    CampaignOut,
    ConfigurationOut,
    DayTotalOut,
    DecisionIn,
    DonationOut,
    FeatureIn,
    HoldIn,
    MessageOut,
    ModerationIn,
    OrganizerCampaignOut,
    RefundDecisionIn,
    ReportDecisionIn,
    ReportOut,
    ReviewIn,
    TermsIn,
    TermsOut,
    WithdrawalOut,
)
from kro.identity.dependencies import AdminUser, AppSettings, ClientIp
from kro.identity.errors import TotpRequired
from kro.kit.api import Envelope, ok
from kro.kit.days import DateRangeInvalid
from kro.kit.deps import DbSession
from kro.kit.errors import InvalidTransition
from kro.kit.openapi import error_responses
from kro.ledger.errors import InsufficientFunds, LedgerBusy
from kro.payouts.errors import BankAccountNotFound

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


# ---- reviews, reports, refunds, withdrawals ----------------------------------------------


@router.get("/review-queue")
async def review_queue(_: AdminUser, session: DbSession) -> Envelope[list[CampaignOut]]:
    """Campaigns waiting for approval."""
    return ok([CampaignOut.of(c) for c in await campaigns.review_queue(session)])


@router.get("/campaigns/{campaign_id}", responses=error_responses(CampaignNotFound))
async def admin_campaign(
    campaign_id: str, _: AdminUser, session: DbSession
) -> Envelope[OrganizerCampaignOut]:
    return ok(
        await OrganizerCampaignOut.load(session, await campaigns.get_any(session, campaign_id))
    )


@router.post(
    "/campaigns/{campaign_id}/review",
    responses=error_responses(CampaignNotFound, ReasonRequired, InvalidTransition),
)
async def review(
    campaign_id: str, body: ReviewIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[CampaignOut]:
    """``approve`` / ``reject`` (reason) a campaign in review; ``pause`` (suspend, reason),
    ``resume``, ``close`` a live one. Audit-logged."""
    from kro.giving import notices

    campaign = await campaigns.admin_act(session, user, campaign_id, body.action, body.reason, ip)
    if body.action in ("approve", "reject", "pause"):
        await notices.campaign_reviewed(session, campaign, body.reason)
    return ok(CampaignOut.of(campaign))


@router.post(
    "/campaigns/{campaign_id}/end",
    responses=error_responses(CampaignNotFound, InvalidTransition, InsufficientFunds, LedgerBusy),
)
async def end_campaign(
    campaign_id: str, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[CampaignOut]:
    """End a campaign now, as its end date would: all-or-nothing ones settle (a failure
    refunds every donor)."""
    return ok(CampaignOut.of(await donations.admin_end(session, user, campaign_id, ip)))


@router.put("/campaigns/{campaign_id}/hold", responses=error_responses(CampaignNotFound))
async def hold(
    campaign_id: str, body: HoldIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[CampaignOut]:
    """Hold the campaign's withdrawals with a reason the organizer sees, or lift it (null)."""
    return ok(CampaignOut.of(await campaigns.set_hold(session, user, campaign_id, body.reason, ip)))


@router.put("/campaigns/{campaign_id}/featured", responses=error_responses(CampaignNotFound))
async def feature(
    campaign_id: str, body: FeatureIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[CampaignOut]:
    """Mark or unmark as featured (browse shows featured campaigns first); audit-logged."""
    campaign = await campaigns.set_featured(session, user, campaign_id, body.featured, ip)
    return ok(CampaignOut.of(campaign))


@router.get("/reports")
async def open_reports(_: AdminUser, session: DbSession) -> Envelope[list[ReportOut]]:
    """Open reports, oldest first."""
    return ok([ReportOut.model_validate(r) for r in await campaigns.open_reports(session)])


@router.post("/reports/{report_id}", responses=error_responses(ReportNotFound))
async def resolve_report(
    report_id: str, body: ReportDecisionIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[ReportOut]:
    row = await campaigns.resolve_report(session, user, report_id, body.outcome, ip)
    return ok(ReportOut.model_validate(row))


@router.get("/refund-requests")
async def refund_requests(_: AdminUser, session: DbSession) -> Envelope[list[DonationOut]]:
    return ok([DonationOut.model_validate(d) for d in await donations.refund_requests(session)])


@router.post(
    "/donations/{donation_id}/refund",
    responses=error_responses(
        DonationNotFound, DonationNotRefundable, InsufficientFunds, LedgerBusy
    ),
)
async def decide_refund(
    donation_id: str, body: RefundDecisionIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[DonationOut]:
    """Approve (everything the donor paid goes back through the provider) or decline a
    donor's refund request. Audit-logged."""
    donation = await donations.decide_refund(session, user, donation_id, body.approve, ip)
    return ok(DonationOut.model_validate(donation))


@router.get("/withdrawals")
async def withdrawal_queue(
    _: AdminUser, session: DbSession, status: Annotated[str | None, Query(max_length=16)] = None
) -> Envelope[list[WithdrawalOut]]:
    """Withdrawals waiting for an admin (pending, error), or those of ``status``."""
    return ok([WithdrawalOut.model_validate(w) for w in await withdrawals.queue(session, status)])


@router.post(
    "/withdrawals/{withdrawal_id}/decision",
    responses=error_responses(
        TotpRequired,
        WithdrawalNotFound,
        InvalidTransition,
        WithdrawalsOnHold,
        BankAccountNotFound,
        InsufficientFunds,
        LedgerBusy,
    ),
)
async def decide_withdrawal(
    withdrawal_id: str, body: DecisionIn, user: AdminUser, session: DbSession, ip: ClientIp
) -> Envelope[WithdrawalOut]:
    """Authorize (a payout to the organizer's bank account starts) or reject (the money stays
    in the campaign). Needs a fresh TOTP (403 ``totp_required``); audit-logged."""
    row = await withdrawals.decide(
        session,
        user,
        withdrawal_id,
        approve=body.approve,
        totp_code=body.totp_code,
        note=body.note,
        ip=ip,
    )
    return ok(WithdrawalOut.model_validate(row))
