"""``/v1/wallet``, ``/v1/banks``, ``/v1/bank-accounts``, ``/v1/payouts``.

Each route lists its own errors in ``responses=``; ``CurrentUser``'s (401/403) and request
validation's are added by :mod:`kro.kit.openapi`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from kro.identity.dependencies import AppSettings, CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.db import released
from kro.kit.deps import DbSession
from kro.kit.openapi import error_responses
from kro.ledger.errors import InsufficientFunds, LedgerBusy
from kro.payments import gateway
from kro.payouts import service
from kro.payouts.errors import (
    AccountNotResolved,
    BankAccountNotFound,
    CurrencyNotSupported,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    PayoutNotFound,
    UnknownBank,
)
from kro.payouts.schemas import (
    BankAccountIn,
    BankAccountOut,
    BankOut,
    PayoutDetailOut,
    PayoutEventOut,
    PayoutIn,
    PayoutOut,
    ResolvedAccountOut,
    WalletOut,
)
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable

router = APIRouter(tags=["wallet and payouts"])
# Paystack failing or refusing a read (kro.providers.errors): 502, 503, 504.
PAYSTACK_ERRORS = (ProviderRejected, ProviderUnavailable, ProviderTimeout)


@router.get("/v1/wallet")
async def wallet(user: CurrentUser, session: DbSession) -> Envelope[list[WalletOut]]:
    """The caller's balances per currency (minor units)."""
    balances = await service.wallet_balances(session, user.id)
    return ok([WalletOut(**b.__dict__) for b in balances])


@router.get("/v1/banks", responses=error_responses(*PAYSTACK_ERRORS))
async def banks(
    user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[list[BankOut]]:
    """Nigerian banks that accept transfers (from Paystack, cached for an hour). 502-504 when
    Paystack fails."""
    async with released(session), gateway.paystack(settings) as client:
        items = await service.list_banks(client)
    return ok([BankOut(name=b.name, code=b.code, slug=b.slug) for b in items])


@router.get(
    "/v1/banks/resolve",
    responses=error_responses(UnknownBank, AccountNotResolved, *PAYSTACK_ERRORS),
)
async def resolve_account(
    query: Annotated[BankAccountIn, Query()],
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
) -> Envelope[ResolvedAccountOut]:
    """Name enquiry: the name the bank holds for ``account_number`` at ``bank_code``, before
    adding it (nothing is saved). 422 ``unknown_bank`` / ``account_not_resolved``; 502-504 when
    Paystack fails."""
    async with released(session), gateway.paystack(settings) as client:
        found = await service.resolve_bank_account(client, query.bank_code, query.account_number)
    return ok(ResolvedAccountOut(**found.__dict__))


@router.post(
    "/v1/bank-accounts",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(UnknownBank, AccountNotResolved, *PAYSTACK_ERRORS),
)
async def add_bank_account(
    body: BankAccountIn,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    response: Response,
) -> Envelope[BankAccountOut]:
    """Add a bank account; the account name comes from name enquiry. 200 if already added;
    422 ``unknown_bank`` / ``account_not_resolved``; 502-504 when Paystack fails."""
    async with gateway.paystack(settings) as client:
        account, created = await service.add_bank_account(
            session, client, user.id, body.bank_code, body.account_number
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return ok(BankAccountOut.model_validate(account))


@router.get("/v1/bank-accounts")
async def bank_accounts(user: CurrentUser, session: DbSession) -> Envelope[list[BankAccountOut]]:
    """The caller's bank accounts."""
    items = await service.list_bank_accounts(session, user.id)
    return ok([BankAccountOut.model_validate(a) for a in items])


@router.post(
    "/v1/payouts",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        IdempotencyKeyRequired,
        IdempotencyKeyReused,
        CurrencyNotSupported,
        BankAccountNotFound,
        InsufficientFunds,
        LedgerBusy,
    ),
)
async def create_payout(
    body: PayoutIn,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Envelope[PayoutOut]:
    """Withdraw from the wallet to a bank account. Requires ``Idempotency-Key`` (400
    ``idempotency_key_required``): a retry with the same key and body returns the same payout;
    other parameters are 422 ``idempotency_key_reused``; 404 ``bank_account_not_found``; 422
    ``currency_not_supported``; 409 ``insufficient_funds`` if the wallet cannot cover it. Above
    ``KRO_PAYOUT_APPROVAL_THRESHOLD`` the payout waits in ``pending_approval`` for an admin."""
    if not idempotency_key:
        raise IdempotencyKeyRequired()
    payout, _ = await service.request_payout(
        session,
        user.id,
        amount=body.amount,
        currency=body.currency,
        bank_account_id=body.bank_account_id,
        idempotency_key=idempotency_key,
        approval_threshold=settings.payout_approval_threshold,
    )
    return ok(PayoutOut.model_validate(payout))


@router.get("/v1/payouts")
async def payouts(user: CurrentUser, session: DbSession) -> Envelope[list[PayoutOut]]:
    """The caller's newest payouts."""
    return ok([PayoutOut.model_validate(p) for p in await service.list_payouts(session, user.id)])


@router.get("/v1/payouts/{payout_id}", responses=error_responses(PayoutNotFound))
async def payout(
    payout_id: str, user: CurrentUser, session: DbSession
) -> Envelope[PayoutDetailOut]:
    """One of the caller's payouts with its transitions (who, when, from, to, why); 404
    ``payout_not_found`` otherwise."""
    found, events = await service.get_payout_events(session, user.id, payout_id)
    return ok(
        PayoutDetailOut(
            **PayoutOut.model_validate(found).model_dump(),
            events=[PayoutEventOut.model_validate(e) for e in events],
        )
    )
