"""The JSON API of ``kro.giving``: ``/v1/giving/…`` (public campaigns, the donation flow and
words of support, no account needed; organizers' campaigns, updates and withdrawals); the
admins' ``/v1/admin/giving/…`` is :mod:`.admin_endpoints`, included here.

Thin handlers over the use cases (:mod:`.campaigns`, :mod:`.donations`,
:mod:`.withdrawals`, :mod:`.receipts`); each route lists its errors in ``responses=``.
Another organizer's campaign or withdrawal, or a donation without its token, is 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Path, Query, Response, UploadFile, status

from kro.giving import (
    admin_endpoints,
    campaigns,
    donations,
    messages,
    receipts,
    social,
    subscribers,
    withdrawals,
)
from kro.giving.config import GivingSettings
from kro.giving.errors import (
    CampaignNotAcceptingDonations,
    CampaignNotFound,
    DonationBelowMinimum,
    DonationNotFound,
    DonationNotRefundable,
    ImageTooLarge,
    InsufficientCampaignBalance,
    KycRequired,
    MessageNotFound,
    NoCoverImage,
    NotWithdrawable,
    ReasonRequired,
    RefundWindowClosed,
    UnsubscribeLinkInvalid,
    UnsupportedImage,
    WithdrawalNotFound,
    WithdrawalsOnHold,
)
from kro.giving.schemas import (
    CampaignIn,
    CampaignOut,
    CheckoutOut,
    DonationIn,
    DonationOut,
    MessageOut,
    OrganizerCampaignOut,
    OrganizerDonationOut,
    QuoteOut,
    ReasonIn,
    RefundAskIn,
    ReportIn,
    ReportOut,
    UnsubscribedOut,
    UnsubscribeIn,
    UpdateIn,
    UpdateOut,
    WallEntry,
    WithdrawalIn,
    WithdrawalOut,
)
from kro.identity.dependencies import AppSettings, CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession, FileStorage
from kro.kit.errors import InvalidTransition
from kro.kit.openapi import error_responses
from kro.ledger.errors import InsufficientFunds, LedgerBusy
from kro.payments.errors import NoProviderAvailable, PaymentRejected, ProvidersUnavailable
from kro.payouts.errors import BankAccountNotFound

router = APIRouter(tags=["giving"])
public = APIRouter(prefix="/v1/giving", tags=["giving"])
organizer = APIRouter(prefix="/v1/giving/my", tags=["giving"])
PDF = {"content": {"application/pdf": {}}, "description": "A PDF"}


# ---- public --------------------------------------------------------------------------------


@public.get("/campaigns")
async def browse(
    session: DbSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    sort: Annotated[str, Query(pattern="^(newest|trending|featured)$")] = "newest",
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
) -> Envelope[list[CampaignOut]]:
    """Live campaigns: search words ``q``, ``category``, ``sort`` newest | trending |
    featured."""
    rows = await campaigns.browse(session, q=q, category=category, sort=sort, limit=limit)
    return ok([CampaignOut.of(c) for c in rows])


@public.get("/campaigns/{campaign_id}", responses=error_responses(CampaignNotFound))
async def get_campaign(campaign_id: str, session: DbSession) -> Envelope[CampaignOut]:
    """A public campaign with its totals (raised excludes tips). 404 ``campaign_not_found``
    (also for drafts and campaigns in review)."""
    return ok(CampaignOut.of(await campaigns.public(session, campaign_id)))


@public.get("/campaigns/{campaign_id}/donors", responses=error_responses(CampaignNotFound))
async def donor_wall(campaign_id: str, session: DbSession) -> Envelope[list[WallEntry]]:
    """The donor wall: anonymous gifts as "Anonymous", hidden amounts as null."""
    campaign = await campaigns.public(session, campaign_id)
    return ok([WallEntry.of(d) for d in await donations.wall(session, campaign.id)])


@public.get("/campaigns/{campaign_id}/updates", responses=error_responses(CampaignNotFound))
async def campaign_updates(campaign_id: str, session: DbSession) -> Envelope[list[UpdateOut]]:
    """The organizer's updates, newest first."""
    campaign = await campaigns.public(session, campaign_id)
    return ok([UpdateOut.model_validate(u) for u in await campaigns.updates(session, campaign.id)])


@public.get(
    "/campaigns/{campaign_id}/cover",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}}},
        **error_responses(CampaignNotFound, NoCoverImage),
    },
)
async def cover_image(campaign_id: str, session: DbSession, storage: FileStorage) -> Response:
    """The campaign's cover image (its Open Graph image). 404 ``cover_image_not_found``."""
    data, content_type = await campaigns.cover(session, storage, campaign_id)
    return Response(data, media_type=content_type, headers={"Cache-Control": "public, max-age=300"})


@public.get(
    "/campaigns/{campaign_id}/social.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **error_responses(CampaignNotFound)},
)
async def social_image(
    campaign_id: str,
    session: DbSession,
    storage: FileStorage,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The campaign's social preview (its ``og:image``): a 1200 × 630 PNG of the cover, the
    title and the progress, made once per change and cached; ETag, 304 when unchanged."""
    png, version = await social.preview(session, storage, campaign_id)
    headers = {"ETag": f'"{version}"', "Cache-Control": "public, max-age=300"}
    if if_none_match == f'"{version}"':
        return Response(status_code=304, headers=headers)
    return Response(png, media_type="image/png", headers=headers)


@public.get("/quote", responses=error_responses(DonationBelowMinimum))
async def quote(
    settings: GivingSettings,
    amount: Annotated[int, Query(gt=0, le=10_000_000_000)],
    tip: Annotated[int | None, Query(ge=0, le=10_000_000_000)] = None,
    cover_fees: bool = False,
) -> Envelope[QuoteOut]:
    """What a gift will cost the donor: amount, tip (default share when omitted), fee cover
    (Paystack's rule, grossed up), total. 422 ``donation_below_minimum``."""
    q = donations.quote(settings, amount, tip, cover_fees)
    return ok(QuoteOut(amount=q.amount, tip=q.tip, cover=q.cover, total=q.total))


@public.post(
    "/campaigns/{campaign_id}/donations",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        CampaignNotFound,
        CampaignNotAcceptingDonations,
        DonationBelowMinimum,
        NoProviderAvailable,
        PaymentRejected,
        ProvidersUnavailable,
    ),
)
async def donate(
    campaign_id: str, body: DonationIn, session: DbSession, settings: GivingSettings
) -> Envelope[CheckoutOut]:
    """Give to a live campaign, no account needed: returns the donation (keep its
    ``access_token``) and the hosted checkout to send the donor to. 409
    ``campaign_not_accepting_donations``; 422 ``donation_below_minimum``."""
    donation, payment = await donations.donate(
        session, settings, campaign_id, body.to_gift(), callback_url=body.callback_url
    )
    return ok(
        CheckoutOut(
            donation=DonationOut.model_validate(donation),
            payment_id=payment.id,
            authorization_url=payment.authorization_url,
        )
    )


@public.get("/donations/{donation_id}", responses=error_responses(DonationNotFound))
async def get_donation(
    donation_id: str, session: DbSession, token: Annotated[str, Query(max_length=64)] = ""
) -> Envelope[DonationOut]:
    """The donor's donation, opened by its ``token``; 404 ``donation_not_found`` otherwise."""
    return ok(DonationOut.model_validate(await donations.for_donor(session, donation_id, token)))


@public.get(
    "/donations/{donation_id}/receipt.pdf",
    response_class=Response,
    responses={200: PDF, **error_responses(DonationNotFound)},
)
async def receipt(
    donation_id: str, session: DbSession, token: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """The receipt PDF (once paid). 404 ``donation_not_found``."""
    donation = await donations.for_donor(session, donation_id, token)
    pdf = await receipts.receipt_pdf(session, donation)
    name = f"{donation.receipt_number}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@public.post(
    "/donations/{donation_id}/refund-request",
    responses=error_responses(DonationNotFound, DonationNotRefundable, RefundWindowClosed),
)
async def ask_refund(
    donation_id: str, body: RefundAskIn, session: DbSession, settings: AppSettings
) -> Envelope[DonationOut]:
    """The donor asks for their money back (within ``KRO_GIVING_REFUND_WINDOW``); an admin
    decides. 409 ``donation_not_refundable`` / ``refund_window_closed``."""
    donation = await donations.ask_refund(session, settings, donation_id, body.token, body.reason)
    return ok(DonationOut.model_validate(donation))


@public.post(
    "/campaigns/{campaign_id}/reports",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(CampaignNotFound),
)
async def report(campaign_id: str, body: ReportIn, session: DbSession) -> Envelope[ReportOut]:
    """Report a campaign (fraud, misleading story, prohibited use): it goes to the admins'
    queue."""
    row = await campaigns.report(
        session, campaign_id, body.reason, body.details, str(body.email) if body.email else None
    )
    return ok(ReportOut.model_validate(row))


@public.post(
    "/campaigns/{campaign_id}/messages/{donation_id}/flag",
    responses=error_responses(CampaignNotFound, MessageNotFound),
)
async def flag_message(
    campaign_id: str, donation_id: str, body: ReasonIn, session: DbSession
) -> Envelope[MessageOut]:
    """Anyone flags a donor's words of support: it waits for an admin (still shown)."""
    donation = await messages.flag(session, campaign_id, donation_id, body.reason)
    return ok(MessageOut.of(donation))


@public.post(
    "/updates/unsubscribe",
    responses=error_responses(UnsubscribeLinkInvalid, CampaignNotFound),
)
async def unsubscribe(
    body: UnsubscribeIn, session: DbSession, settings: AppSettings
) -> Envelope[UnsubscribedOut]:
    """Stop a campaign's update emails to the address the link's signed ``token`` names (no
    account needed; idempotent). 404 ``unsubscribe_link_invalid``."""
    campaign, email = await subscribers.unsubscribe(session, settings, body.token)
    return ok(UnsubscribedOut(campaign_id=campaign.id, email=email))


@public.get("/me/donations")
async def my_donations(user: CurrentUser, session: DbSession) -> Envelope[list[DonationOut]]:
    """A signed-in donor's donations (given while signed in, or to their email)."""
    return ok([DonationOut.model_validate(d) for d in await donations.for_user(session, user)])


@public.get("/me/statement/{year}.pdf", response_class=Response, responses={200: PDF})
async def my_statement(year: int, user: CurrentUser, session: DbSession) -> Response:
    """The signed-in donor's yearly statement: each gift of ``year`` once."""
    pdf = await receipts.statement_pdf(session, user.email, year)
    return Response(pdf, media_type="application/pdf")


# ---- organizer -----------------------------------------------------------------------------


@organizer.post("/campaigns", status_code=status.HTTP_201_CREATED)
async def create_campaign(
    body: CampaignIn, user: CurrentUser, session: DbSession
) -> Envelope[OrganizerCampaignOut]:
    """Start a campaign in ``draft``."""
    campaign = await campaigns.create(session, user, body.to_draft())
    return ok(await OrganizerCampaignOut.load(session, campaign))


@organizer.get("/campaigns")
async def my_campaigns(user: CurrentUser, session: DbSession) -> Envelope[list[CampaignOut]]:
    return ok([CampaignOut.of(c) for c in await campaigns.mine(session, user)])


@organizer.get("/campaigns/{campaign_id}", responses=error_responses(CampaignNotFound))
async def my_campaign(
    campaign_id: str, user: CurrentUser, session: DbSession
) -> Envelope[OrganizerCampaignOut]:
    """One of the caller's campaigns with its withdrawable balance; 404 for anyone else's."""
    return ok(
        await OrganizerCampaignOut.load(session, await campaigns.own(session, user, campaign_id))
    )


@organizer.put(
    "/campaigns/{campaign_id}", responses=error_responses(CampaignNotFound, InvalidTransition)
)
async def edit_campaign(
    campaign_id: str, body: CampaignIn, user: CurrentUser, session: DbSession
) -> Envelope[OrganizerCampaignOut]:
    """Edit a draft (or a rejected campaign, which goes back to draft); a live one's words."""
    campaign = await campaigns.edit(session, user, campaign_id, body.to_draft())
    return ok(await OrganizerCampaignOut.load(session, campaign))


@organizer.get("/campaigns/{campaign_id}/donations", responses=error_responses(CampaignNotFound))
async def campaign_donations(
    campaign_id: str, user: CurrentUser, session: DbSession
) -> Envelope[list[OrganizerDonationOut]]:
    campaign = await campaigns.own(session, user, campaign_id)
    return ok(
        [OrganizerDonationOut.of(d) for d in await donations.of_campaign(session, campaign.id)]
    )


@organizer.post(
    "/campaigns/{campaign_id}/updates",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(CampaignNotFound),
)
async def post_update(
    campaign_id: str,
    body: UpdateIn,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[UpdateOut]:
    """Post news; every donor who opted in (account or not) is emailed once, with a link to
    unsubscribe."""
    update = await campaigns.post_update(
        session, settings, user, campaign_id, body.title, body.body
    )
    return ok(UpdateOut.model_validate(update))


@organizer.post(
    "/campaigns/{campaign_id}/withdrawals",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        CampaignNotFound,
        BankAccountNotFound,
        KycRequired,
        WithdrawalsOnHold,
        NotWithdrawable,
        InsufficientCampaignBalance,
        InsufficientFunds,
        LedgerBusy,
    ),
)
async def request_withdrawal(
    campaign_id: str, body: WithdrawalIn, user: CurrentUser, session: DbSession
) -> Envelope[WithdrawalOut]:
    """Ask to withdraw to one of your verified bank accounts (``/v1/bank-accounts``): the
    amount is held until an admin authorizes. 403 ``kyc_required``; 409
    ``withdrawals_on_hold`` / ``campaign_not_withdrawable`` / ``insufficient_campaign_balance``."""
    row = await withdrawals.request(session, user, campaign_id, body.amount, body.bank_account_id)
    return ok(WithdrawalOut.model_validate(row))


@organizer.put(
    "/campaigns/{campaign_id}/cover",
    responses=error_responses(CampaignNotFound, UnsupportedImage, ImageTooLarge),
)
async def upload_cover(
    campaign_id: str,
    user: CurrentUser,
    session: DbSession,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Envelope[OrganizerCampaignOut]:
    """Upload the cover image (PNG, JPEG or WebP, at most 5 MB; multipart ``file``). 415
    ``unsupported_file_type``; 413 ``file_too_large``."""
    content_type = (file.content_type or "").split(";")[0].strip()
    data = await file.read(campaigns.IMAGE_MAX_BYTES + 1)
    campaign = await campaigns.set_cover(session, storage, user, campaign_id, data, content_type)
    return ok(await OrganizerCampaignOut.load(session, campaign))


@organizer.get("/withdrawals")
async def my_withdrawals(user: CurrentUser, session: DbSession) -> Envelope[list[WithdrawalOut]]:
    return ok([WithdrawalOut.model_validate(w) for w in await withdrawals.mine(session, user)])


@organizer.get("/withdrawals/{withdrawal_id}", responses=error_responses(WithdrawalNotFound))
async def my_withdrawal(
    withdrawal_id: str, user: CurrentUser, session: DbSession
) -> Envelope[WithdrawalOut]:
    return ok(WithdrawalOut.model_validate(await withdrawals.get_own(session, user, withdrawal_id)))


# Last: its path would otherwise take POST …/updates and …/withdrawals.
@organizer.post(
    "/campaigns/{campaign_id}/messages/{donation_id}/hide",
    responses=error_responses(CampaignNotFound, MessageNotFound, ReasonRequired),
)
async def hide_message(
    campaign_id: str, donation_id: str, body: ReasonIn, user: CurrentUser, session: DbSession
) -> Envelope[MessageOut]:
    """The organizer hides words of support on their campaign, with a reason (recorded); the
    gift stays on the wall."""
    donation = await messages.hide_as_organizer(
        session, user, campaign_id, donation_id, body.reason
    )
    return ok(MessageOut.of(donation))


@organizer.post(
    "/campaigns/{campaign_id}/{action}",
    responses=error_responses(CampaignNotFound, InvalidTransition),
)
async def act(
    campaign_id: str,
    action: Annotated[str, Path(pattern="^(submit|pause|resume|close)$")],
    user: CurrentUser,
    session: DbSession,
) -> Envelope[OrganizerCampaignOut]:
    """``submit`` for review, ``pause``, ``resume``, ``close``. 409 ``invalid_transition``."""
    campaign = await campaigns.organizer_act(session, user, campaign_id, action)
    return ok(await OrganizerCampaignOut.load(session, campaign))


router.include_router(public)
router.include_router(organizer)
router.include_router(admin_endpoints.router)
