"""The user app's wallet (balances and history), bank accounts (name enquiry fills the name)
and withdrawals. Thin: each handler calls the function the JSON endpoint calls
(:mod:`kro.payouts.service`) and shows its errors beside the field they concern.

Adding a bank account is two plain forms: *Look up* asks the bank for the account's name
(:func:`~kro.payouts.service.resolve_bank_account`, as ``GET /v1/banks/resolve``) and shows
it; *Add this account* saves it (:func:`~kro.payouts.service.add_bank_account`, as ``POST
/v1/bank-accounts``), which asks again: the name saved is always the bank's.

A withdrawal form carries an idempotency key minted when the form was shown, so submitting it
twice (a double click, a resent POST) asks for one payout, as the API's ``Idempotency-Key``.
"""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import Response

from kro.identity.dependencies import AppSettings
from kro.identity.models import User
from kro.kit.db import released
from kro.kit.deps import DbSession
from kro.kit.errors import KroError
from kro.payments import gateway
from kro.payouts import service, states
from kro.payouts.errors import IdempotencyKeyRequired
from kro.payouts.models import BankAccount
from kro.payouts.schemas import BankAccountIn, PayoutIn
from kro.providers.paystack.schemas import Bank
from kro.settings import Settings
from kro.web import navigation
from kro.web.dependencies import PageUser
from kro.web.forms import Form, read_form
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["wallet pages"])
navigation.add("app", "Wallet", "/wallet", order=30)

CURRENCY = "NGN"  # the only payout currency (service.PAYOUT_CURRENCIES)
# Who moved a payout (``payout_events.actor``: ``<kind>:<id>`` or ``system``), for its owner.
ACTORS = {"user": "you", "admin": "KRO's team", "provider": "Paystack", "system": "KRO"}
# What each transition (states.PAYOUT's actions) means to the payout's owner.
ACTIONS = {
    states.REQUEST: "Requested",
    "approve": "Approved",
    "reject": "Rejected",
    "send": "Sent to Paystack",
    "succeed": "Paid into your bank account",
    "fail": "Failed",
    "reverse": "Returned by the bank",
    "paid_after_release": "Under review",
}


def payout_url(payout_id: str) -> str:
    return f"/wallet/withdrawals/{payout_id}"


async def _wallet(session: DbSession, user: User) -> service.WalletBalance:
    """The user's naira wallet (zero if they never had one)."""
    balances = await service.wallet_balances(session, user.id)
    return next(
        (b for b in balances if b.currency == CURRENCY), service.WalletBalance(CURRENCY, 0, 0, 0)
    )


@router.get("/wallet")
async def wallet(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """Balances per currency and the wallet's movements, newest first."""
    balances = await service.wallet_balances(session, viewer.id)
    history = await service.wallet_history(session, viewer.id)
    return render(request, "payouts/wallet.html", {"balances": balances, "history": history})


# Bank accounts ------------------------------------------------------------------------------


async def _banks(settings: Settings) -> tuple[list[Bank], KroError | None]:
    """Banks that take transfers, or the error Paystack gave (the page still lists accounts)."""
    try:
        async with gateway.paystack(settings) as client:
            return await service.list_banks(client), None
    except KroError as exc:
        return [], exc


async def _bank_accounts_page(
    request: Request,
    viewer: User,
    session: DbSession,
    settings: Settings,
    form: Form | None = None,
    resolved: service.ResolvedBankAccount | None = None,
) -> Response:
    form = form or Form()
    async with released(session):  # no lock held while Paystack answers (SQLite)
        banks, banks_error = await _banks(settings)
    accounts = await service.list_bank_accounts(session, viewer.id)
    ctx = form.context(
        accounts=accounts,
        banks=[(b.code, b.name) for b in banks],
        banks_error=banks_error,
        resolved=resolved,
    )
    return render(request, "payouts/bank_accounts.html", ctx, status=form.status)


@router.get("/wallet/bank-accounts")
async def bank_accounts(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """My bank accounts, and the form to add one (step 1: bank and account number)."""
    return await _bank_accounts_page(request, viewer, session, settings)


def _account_form(form: Form) -> BankAccountIn | None:
    return form.parse(
        BankAccountIn,
        {"bank_code": form["bank_code"], "account_number": form["account_number"]},
    )


@router.post("/wallet/bank-accounts/lookup")
async def look_up_account(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """Step 1: name enquiry (as ``GET /v1/banks/resolve``); shows the bank's name for the
    account and the button that adds it. Nothing is saved."""
    form = await read_form(request)
    body = _account_form(form)
    resolved = None
    if body is not None:
        saving = form.saving(session, field="account_number")
        async with saving, released(session), gateway.paystack(settings) as client:
            resolved = await service.resolve_bank_account(
                client, body.bank_code, body.account_number
            )
    return await _bank_accounts_page(request, viewer, session, settings, form, resolved)


@router.post("/wallet/bank-accounts")
async def add_account(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """Step 2: add the account (as ``POST /v1/bank-accounts``: name enquiry again, so the
    name saved is the bank's)."""
    form = await read_form(request)
    body = _account_form(form)
    account: BankAccount | None = None
    if body is not None:
        saving = form.saving(session, field="account_number")
        async with saving, gateway.paystack(settings) as client:
            account, _ = await service.add_bank_account(
                session, client, viewer.id, body.bank_code, body.account_number
            )
    if not form.ok or account is None:
        return await _bank_accounts_page(request, viewer, session, settings, form)
    message = (
        f"{account.bank_name} ••••{account.account_number[-4:]} ({account.account_name}) added."
    )
    return redirect(request, "/wallet/bank-accounts", message=message)


# Withdrawals --------------------------------------------------------------------------------


async def _withdraw_page(
    request: Request, viewer: User, session: DbSession, form: Form | None = None
) -> Response:
    form = form or Form({"idempotency_key": secrets.token_urlsafe(16)})
    accounts = await service.list_bank_accounts(session, viewer.id)
    ctx = form.context(
        balance=await _wallet(session, viewer),
        accounts=[(a.id, _account_label(a)) for a in accounts],
        payouts=(await service.list_payouts(session, viewer.id, limit=10)),
        bank_accounts={a.id: a for a in accounts},
    )
    return render(request, "payouts/withdraw.html", ctx, status=form.status)


def _account_label(account: BankAccount) -> str:
    return f"{account.bank_name} ••••{account.account_number[-4:]} · {account.account_name}"


@router.get("/wallet/withdraw")
async def withdraw_page(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """The withdrawal form: amount in naira and one of my bank accounts."""
    return await _withdraw_page(request, viewer, session)


@router.post("/wallet/withdraw")
async def withdraw(
    request: Request, viewer: PageUser, session: DbSession, settings: AppSettings
) -> Response:
    """Ask for a payout (as ``POST /v1/payouts``: the wallet is held, the transfer queued;
    above the approval threshold it waits for an admin). ``insufficient_funds`` and the
    other refusals show beside the amount; nothing is written then."""
    form = await read_form(request)
    body = form.parse(
        PayoutIn,
        {
            "amount": form.amount("amount", CURRENCY),
            "currency": CURRENCY,
            "bank_account_id": form["bank_account_id"],
        },
    )
    if not form["idempotency_key"]:
        form.fail(IdempotencyKeyRequired())
    payout = None
    if body is not None and form.ok:
        async with form.saving(session, field="amount"):
            payout, _ = await service.request_payout(
                session,
                viewer.id,
                amount=body.amount,
                currency=body.currency,
                bank_account_id=body.bank_account_id,
                idempotency_key=form["idempotency_key"][:255],
                approval_threshold=settings.payout_approval_threshold,
            )
    if not form.ok or payout is None:
        return await _withdraw_page(request, viewer, session, form)
    if payout.status == states.PENDING_APPROVAL:
        message = "Withdrawal requested. It is waiting for approval by KRO's team."
    else:
        message = "Withdrawal requested. We are sending it to your bank."
    return redirect(request, payout_url(payout.id), message=message)


@router.get("/wallet/withdrawals")
async def withdrawals(request: Request, viewer: PageUser, session: DbSession) -> Response:
    """My withdrawals, newest first."""
    payouts = await service.list_payouts(session, viewer.id)
    accounts = {a.id: a for a in await service.list_bank_accounts(session, viewer.id)}
    return render(
        request, "payouts/withdrawals.html", {"payouts": payouts, "bank_accounts": accounts}
    )


@router.get("/wallet/withdrawals/{payout_id}")
async def withdrawal(
    request: Request, viewer: PageUser, session: DbSession, payout_id: str
) -> Response:
    """One of my withdrawals with its status and every transition (as ``GET
    /v1/payouts/{id}``); another user's is the 404 page (``payout_not_found``)."""
    detail = await service.payout_detail(session, viewer.id, payout_id)
    return render(
        request,
        "payouts/withdrawal.html",
        {
            "detail": detail,
            "final": detail.payout.status not in states.OPEN | states.ENTRY,
            "actors": ACTORS,
            "actions": ACTIONS,
        },
    )
