"""The pages of ``kro.giving``: browse and search, the public campaign page (Open Graph tags,
totals, donor wall, updates, the donation form: no account needed), the thank-you page with
the receipt, and the organizer's dashboard (new campaign, submit, pause, updates, donors,
withdrawals). Thin: each handler calls the function the JSON endpoint calls and shows its
errors beside their fields.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from kro.giving import campaigns, donations, messages, states, subscribers, withdrawals
from kro.giving.config import GivingSettings
from kro.giving.errors import CampaignNotFound
from kro.giving.models import Campaign
from kro.giving.schemas import (
    CampaignIn,
    DonationIn,
    ReasonIn,
    ReportIn,
    UpdateIn,
    WithdrawalIn,
)
from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.deps import DbSession, FileStorage
from kro.payouts import service as payouts
from kro.web import navigation
from kro.web.dependencies import OptionalViewer, PageUser
from kro.web.errors import SignInRequired
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["giving pages"])
navigation.add("app", "Giving", "/giving", order=40)
navigation.add("app", "My fundraisers", "/giving/my", order=41)
navigation.add("app", "My donations", "/giving/donations", order=42)

ORGANIZER_MOVES = {
    "submit": "Sent for review. We will tell you when it is live.",
    "pause": "Paused: it takes no donations until you resume it.",
    "resume": "Live again.",
    "close": "Closed.",
}


def _category_options(everything: str | None = None) -> list[tuple[str, str]]:
    first = [("", everything)] if everything else []
    return first + [(c, c.capitalize()) for c in campaigns.CATEGORIES]


def _image_url(base: str, campaign: Campaign) -> str | None:
    """The cover shown on the page: the uploaded one, else the organizer's image link (the
    Open Graph image is the generated preview, :mod:`.social`)."""
    if campaign.cover_image_key:
        return f"{base}/v1/giving/campaigns/{campaign.id}/cover"
    return campaign.cover_image_url


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/giving")
async def browse(
    request: Request,
    session: DbSession,
    viewer: OptionalViewer,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    sort: Annotated[str, Query(pattern="^(newest|trending|featured)$")] = "newest",
) -> Response:
    """Live campaigns: search, category, newest | trending | featured."""
    rows = await campaigns.browse(session, q=q, category=category or None, sort=sort)
    featured = [] if q or category else await campaigns.browse(session, featured_only=True, limit=4)
    return render(
        request,
        "giving/browse.html",
        {
            "campaigns": rows,
            "featured": featured,
            "q": q or "",
            "category": category or "",
            "sort": sort,
            "category_options": _category_options("All"),
            "totals": campaigns.totals,
        },
    )


async def _campaign_page(
    request: Request,
    session: DbSession,
    settings: GivingSettings,
    viewer: User | None,
    campaign: Campaign,
    form: Form | None = None,
    failed: str | None = None,
) -> Response:
    ctx = form.context() if form else {}
    base = _base_url(request)
    return render(
        request,
        "giving/campaign.html",
        {
            **ctx,
            "campaign": campaign,
            "totals": campaigns.totals(campaign),
            "wall": await donations.wall(session, campaign.id),
            "updates": await campaigns.updates(session, campaign.id),
            "open": campaign.status in states.TAKES_DONATIONS,
            "presets": settings.giving_amount_presets,
            "minimum": settings.giving_min_donation,
            "tip_percent": f"{settings.giving_default_tip_bps / 100:g}",
            "page_url": f"{base}/giving/campaigns/{campaign.id}",
            "image_url": _image_url(base, campaign),
            "social_url": (
                f"{base}/v1/giving/campaigns/{campaign.id}/social.png"
                if campaign.status in states.PUBLIC
                else None
            ),
            "is_organizer": viewer is not None and viewer.id == campaign.organizer_id,
            "failed": failed,
        },
        status=form.status if form else 200,
    )


@router.get("/giving/campaigns/{campaign_id}")
async def campaign_page(
    campaign_id: str,
    request: Request,
    session: DbSession,
    settings: GivingSettings,
    viewer: OptionalViewer,
) -> Response:
    """The shareable campaign page; 404 before it is approved (except to its organizer)."""
    campaign = await campaigns.public(session, campaign_id, viewer)
    return await _campaign_page(request, session, settings, viewer, campaign)


@router.post("/giving/campaigns/{campaign_id}/donate")
async def donate(
    campaign_id: str,
    request: Request,
    session: DbSession,
    settings: GivingSettings,
    viewer: OptionalViewer,
) -> Response:
    """As ``POST /v1/giving/campaigns/{id}/donations``: a preset or a custom amount in naira,
    the tip in naira (empty: the default share), then the hosted checkout."""
    campaign = await campaigns.public(session, campaign_id, viewer)
    form = await read_form(request)
    amount = form.amount("custom_amount") if form["custom_amount"] else _preset(form)
    tip = form.amount("tip") if form["tip"] else None
    body = form.parse(
        DonationIn,
        {
            "name": form["name"],
            "email": form["email"],
            "amount": amount,
            "tip": tip,
            "cover_fees": form["cover_fees"] == "on",
            "anonymous": form["anonymous"] == "on",
            "hide_amount": form["hide_amount"] == "on",
            "message": form["message"] or None,
            "opt_in": form["opt_in"] == "on",
            "monthly": form["monthly"] == "on",
        },
    )
    result = None
    if body is not None:
        async with form.saving(session, field="custom_amount"):
            result = await donations.donate(
                session,
                settings,
                campaign.id,
                body.to_gift(),
                donor=viewer,
                callback_url=f"{_base_url(request)}/giving/thanks",
            )
    if result is None or not form.ok:
        return await _campaign_page(request, session, settings, viewer, campaign, form)
    donation, payment = result
    thanks = f"/giving/donations/{donation.id}?token={donation.access_token}"
    response = RedirectResponse(payment.authorization_url or thanks, status_code=303)
    # Where the checkout's return lands: the thank-you page of this donation.
    response.set_cookie("kro_giving_last", thanks, max_age=3600, httponly=True, samesite="lax")
    return response


def _preset(form: Form) -> int | None:
    raw = form["amount"]
    if not raw.isdigit():
        form.error("custom_amount", "validation_error", "Pick an amount or type one.")
        return None
    return int(raw)


@router.get("/giving/thanks")
async def back_from_checkout(request: Request) -> Response:
    """The hosted checkout sends the donor back here: on to their donation's page."""
    return RedirectResponse(request.cookies.get("kro_giving_last") or "/giving", status_code=303)


@router.get("/giving/donations/{donation_id}")
async def thank_you(
    donation_id: str,
    request: Request,
    session: DbSession,
    token: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The donor's page (opened by the token in the link): thanks, status, the receipt."""
    donation = await donations.for_donor(session, donation_id, token)
    campaign = await campaigns.get_any(session, donation.campaign_id)
    return render(
        request, "giving/thanks.html", {"donation": donation, "campaign": campaign, "token": token}
    )


@router.post("/giving/campaigns/{campaign_id}/report")
async def report(
    campaign_id: str,
    request: Request,
    session: DbSession,
    settings: GivingSettings,
    viewer: OptionalViewer,
) -> Response:
    """As ``POST /v1/giving/campaigns/{id}/reports``: the campaign goes to the review queue."""
    campaign = await campaigns.public(session, campaign_id, viewer)
    form = await read_form(request)
    body = form.parse(
        ReportIn,
        {"reason": form["report_reason"] or None, "details": form["report_details"] or None},
    )
    if body is not None:
        async with form.saving(session, field="report_reason"):
            await campaigns.report(
                session, campaign.id, body.reason, body.details, viewer.email if viewer else None
            )
    if not form.ok:
        if "reason" in form.errors:  # the API's field, shown beside the page's
            form.errors["report_reason"] = form.errors.pop("reason")
        return await _campaign_page(request, session, settings, viewer, campaign, form)
    message = "Thank you: our trust and safety team will look at this fundraiser."
    return redirect(request, f"/giving/campaigns/{campaign.id}", message=message)


@router.post("/giving/campaigns/{campaign_id}/messages/{donation_id}/{action}")
async def moderate_message(
    campaign_id: str,
    donation_id: str,
    action: Literal["flag", "hide"],
    request: Request,
    session: DbSession,
    settings: GivingSettings,
    viewer: OptionalViewer,
) -> Response:
    """As ``POST /v1/giving/campaigns/{id}/messages/{donation}/flag`` (anyone) or, for the
    organizer, ``POST /v1/giving/my/campaigns/{id}/messages/{donation}/hide``."""
    campaign = await campaigns.public(session, campaign_id, viewer)
    if action == "hide" and viewer is None:
        raise SignInRequired()
    if action == "hide" and viewer is not None and viewer.id != campaign.organizer_id:
        raise CampaignNotFound()  # another organizer's campaign: the 404 page
    form = await read_form(request)
    body = form.parse(ReasonIn, {"reason": form["reason"]})
    if body is not None:
        async with form.saving(session, field="reason"):
            if viewer is not None and action == "hide":
                await messages.hide_as_organizer(
                    session, viewer, campaign.id, donation_id, body.reason
                )
            else:
                await messages.flag(session, campaign.id, donation_id, body.reason)
    if not form.ok:
        return await _campaign_page(request, session, settings, viewer, campaign, form, donation_id)
    done = "Hidden." if action == "hide" else "Thank you: an admin will look at these words."
    return redirect(request, f"/giving/campaigns/{campaign.id}", message=done)


@router.get("/giving/updates/unsubscribe")
async def unsubscribe_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """What the link in an update email opens: the campaign and the address, and a button
    (a mail scanner following the link changes nothing). A forged link: the 404 page."""
    campaign, email = await subscribers.read_token(session, settings, token)
    ctx = {"campaign": campaign, "email": email, "token": token, "done": False}
    return render(request, "giving/unsubscribe.html", ctx)


@router.post("/giving/updates/unsubscribe")
async def unsubscribe(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """As ``POST /v1/giving/updates/unsubscribe``."""
    form = await read_form(request)
    campaign, email = await subscribers.unsubscribe(session, settings, form["token"])
    ctx = {"campaign": campaign, "email": email, "token": form["token"], "done": True}
    return render(request, "giving/unsubscribe.html", ctx)


@router.get("/giving/donations")
async def my_donations(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """A signed-in donor's donations (given while signed in, or to their email)."""
    rows = await donations.for_user(session, viewer)
    titles = {
        c.id: c.title
        for c in [await campaigns.get_any(session, i) for i in {d.campaign_id for d in rows}]
    }
    return render(request, "giving/my_donations.html", {"donations": rows, "titles": titles})


# ---- organizer -----------------------------------------------------------------------------


@router.get("/giving/my")
async def dashboard(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """The organizer's campaigns and the form for a new one."""
    rows = await campaigns.mine(session, viewer)
    return render(
        request,
        "giving/dashboard.html",
        {
            "campaigns": rows,
            "totals": campaigns.totals,
            "category_options": _category_options(),
        },
    )


@router.post("/giving/my")
async def create(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """As ``POST /v1/giving/my/campaigns``: the goal in naira."""
    form = await read_form(request)
    body = form.parse(
        CampaignIn,
        {
            "title": form["title"],
            "story": form["story"],
            "category": form["category"],
            "goal": form.amount("goal"),
            "funding_model": form["funding_model"] or "keep_it_all",
            "beneficiary_type": form["beneficiary_type"] or "myself",
            "beneficiary_name": form["beneficiary_name"] or None,
            "close_at_goal": form["close_at_goal"] == "on",
        },
    )
    campaign = None
    if body is not None:
        async with form.saving(session):
            campaign = await campaigns.create(session, viewer, body.to_draft())
    if campaign is None or not form.ok:
        rows = await campaigns.mine(session, viewer)
        ctx = form.context(
            campaigns=rows, totals=campaigns.totals, category_options=_category_options()
        )
        return render(request, "giving/dashboard.html", ctx, status=form.status)
    url = f"/giving/my/{campaign.id}"
    return redirect(request, url, message="Draft saved. Submit it for review when ready.")


async def _manage_page(
    request: Request, session: DbSession, viewer: User, campaign_id: str, form: Form | None = None
) -> Response:
    campaign = await campaigns.own(session, viewer, campaign_id)
    ctx = form.context() if form else {}
    return render(
        request,
        "giving/manage.html",
        {
            **ctx,
            "campaign": campaign,
            "totals": campaigns.totals(campaign),
            "available": await campaigns.balance(session, campaign),
            "moves": [m for m in ORGANIZER_MOVES if (campaign.status, m) in states.CAMPAIGN.table],
            "donations": await donations.of_campaign(session, campaign.id),
            "withdrawals": await withdrawals.mine(session, viewer, campaign.id),
            "bank_options": [
                (a.id, f"{a.bank_name} · {a.account_number} · {a.account_name}")
                for a in await payouts.list_bank_accounts(session, viewer.id)
            ],
            "withdrawable": states.withdrawable(campaign.status, campaign.funding_model),
        },
        status=form.status if form else 200,
    )


@router.get("/giving/my/{campaign_id}")
async def manage(
    campaign_id: str, request: Request, viewer: PageUser, session: DbSession
) -> Response:
    """One of the organizer's campaigns; another organizer's is the 404 page."""
    return await _manage_page(request, session, viewer, campaign_id)


@router.post("/giving/my/{campaign_id}/updates")
async def post_update(
    campaign_id: str,
    request: Request,
    viewer: PageUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    form = await read_form(request)
    body = form.parse(UpdateIn, {"title": form["update_title"], "body": form["update_body"]})
    if body is not None:
        async with form.saving(session):
            await campaigns.post_update(
                session, settings, viewer, campaign_id, body.title, body.body
            )
    if not form.ok:
        return await _manage_page(request, session, viewer, campaign_id, form)
    return redirect(request, f"/giving/my/{campaign_id}", message="Update posted.")


@router.post("/giving/my/{campaign_id}/cover")
async def upload_cover(
    campaign_id: str,
    request: Request,
    viewer: PageUser,
    session: DbSession,
    storage: FileStorage,
    file: Annotated[UploadFile, File()],
) -> Response:
    """As ``PUT /v1/giving/my/campaigns/{id}/cover``."""
    form = await read_form(request)
    content_type = (file.content_type or "").split(";")[0].strip()
    data = await file.read(campaigns.IMAGE_MAX_BYTES + 1)
    async with form.saving(session, field="file"):
        await campaigns.set_cover(session, storage, viewer, campaign_id, data, content_type)
    if not form.ok:
        return await _manage_page(request, session, viewer, campaign_id, form)
    return redirect(request, f"/giving/my/{campaign_id}", message="Cover image saved.")


@router.post("/giving/my/{campaign_id}/withdrawals")
async def withdraw(
    campaign_id: str, request: Request, viewer: PageUser, session: DbSession
) -> Response:
    """As ``POST /v1/giving/my/campaigns/{id}/withdrawals``: the amount in naira."""
    form = await read_form(request)
    body = form.parse(
        WithdrawalIn,
        {"amount": form.amount("withdraw_amount"), "bank_account_id": form["bank_account_id"]},
    )
    if body is not None:
        async with form.saving(session, field="withdraw_amount"):
            await withdrawals.request(
                session, viewer, campaign_id, body.amount, body.bank_account_id
            )
    if not form.ok:
        return await _manage_page(request, session, viewer, campaign_id, form)
    message = "Withdrawal requested. An admin authorizes it, then the money is sent."
    return redirect(request, f"/giving/my/{campaign_id}", message=message)


@router.post("/giving/my/{campaign_id}/{action}")
async def move(
    campaign_id: str, action: str, request: Request, viewer: PageUser, session: DbSession
) -> Response:
    """``submit`` | ``pause`` | ``resume`` | ``close``."""
    if action not in ORGANIZER_MOVES:
        raise CampaignNotFound()
    form = await read_form(request)
    async with form.saving(session):
        await campaigns.organizer_act(session, viewer, campaign_id, action)
    if not form.ok:
        return await _manage_page(request, session, viewer, campaign_id, form)
    return redirect(request, f"/giving/my/{campaign_id}", message=ORGANIZER_MOVES[action])


# The admin console's page, under this module's one page router.
from kro.giving import admin_pages  # noqa: E402

router.include_router(admin_pages.router)
