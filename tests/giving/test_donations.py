"""Donations over real HTTP against the sandbox: totals that exclude tips and fee cover, the
campaign's balance in the ledger, the donor wall, receipts read back from the PDF, refunds,
all-or-nothing failure, withdrawals with KYC, holds and TOTP. The ``platform`` fixture checks
the ledger invariant after every test."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.documents import text_of
from kro.giving.fees import FeeRule
from kro.giving.money import campaign_account, tips_account
from kro.ledger import chart
from kro.ledger.service import get_balance
from tests.giving.conftest import Giving, verified_organizer
from tests.support.api import data, error, register_and_login
from tests.support.platform import eventually

RULE = FeeRule()


async def balance(sessions: async_sessionmaker[AsyncSession], definition: chart.AccountDef) -> int:
    async with sessions() as session:
        account = await chart.ensure_account(session, definition)
        b = await get_balance(session, account.id)
        await session.commit()
    return b.credits_posted - b.debits_posted


async def test_keep_it_all_tips_cover_wall_receipt_and_refund(
    giving: Giving, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await giving.launch()
    quote = data(
        await http.get(
            "/v1/giving/quote", params={"amount": 1_000_000, "tip": 150_000, "cover_fees": "true"}
        )
    )
    assert quote["total"] == RULE.gross_up(1_150_000)
    covered = await giving.give(1_000_000, tip=150_000, cover_fees=True, message="Get well, Ada")
    assert covered["tip"] == 150_000 and covered["total"] == quote["total"]
    anonymous = await giving.give(500_000, tip=0, anonymous=True, hide_amount=True)
    plain = await giving.give(200_000)  # the default tip: 10 %
    assert plain["tip"] == 20_000 and plain["cover"] == 0
    c = await giving.mine()
    assert c["raised"] == 1_700_000 and c["donors"] == 3  # tips and cover never counted
    # The campaign's balance: the covered gift whole, the others less their fee share.
    fee_anon = RULE.fee(500_000)
    fee_plain = RULE.fee(220_000) * 200_000 // 220_000
    expected = 1_000_000 + 500_000 - fee_anon + 200_000 - fee_plain
    assert c["available"] == expected
    assert await balance(sessions, campaign_account(giving.id, "NGN")) == expected
    assert await balance(sessions, tips_account("NGN")) == 170_000
    # The donor wall adds up: the anonymous gift is "Anonymous" with its amount hidden.
    wall = data(await http.get(f"/v1/giving/campaigns/{giving.id}/donors"))
    assert sorted((w["name"].startswith("Donor"), w["amount"]) for w in wall) == [
        (False, None),
        (True, 200_000),
        (True, 1_000_000),
    ]
    # Receipts: numbered in sequence within the year, the tip shown apart.
    numbers = [d["receipt_number"] for d in (covered, anonymous, plain)]
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3 and seqs[1] == seqs[0] + 1
    r = await http.get(
        f"/v1/giving/donations/{covered['id']}/receipt.pdf",
        params={"token": covered["access_token"]},
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = text_of(r.content)
    assert covered["receipt_number"] in text and "Surgery for Ada" in text
    assert "₦10,000.00" in text and "ten thousand naira" in text and "₦1,500.00" in text
    # Another donor's token, or none, opens nothing.
    for token in ("", plain["access_token"]):
        error(
            await http.get(f"/v1/giving/donations/{covered['id']}", params={"token": token}),
            404,
            "donation_not_found",
        )
        error(
            await http.get(
                f"/v1/giving/donations/{covered['id']}/receipt.pdf", params={"token": token}
            ),
            404,
            "donation_not_found",
        )
    # A refund: the donor asks, an admin approves, the donor gets everything back.
    asked = data(
        await http.post(
            f"/v1/giving/donations/{plain['id']}/refund-request",
            json={"token": plain["access_token"], "reason": "Gave twice"},
        )
    )
    assert asked["status"] == "refund_requested"
    error(
        await http.post(
            f"/v1/giving/donations/{plain['id']}/refund-request",
            json={"token": plain["access_token"], "reason": "again"},
        ),
        409,
        "donation_not_refundable",
    )
    queue = data(await http.get("/v1/admin/giving/refund-requests", headers=giving.admin.headers))
    assert [d["id"] for d in queue] == [plain["id"]]
    done = data(
        await http.post(
            f"/v1/admin/giving/donations/{plain['id']}/refund",
            json={"approve": True},
            headers=giving.admin.headers,
        )
    )
    assert done["status"] == "refunded"
    c = await giving.mine()
    assert c["raised"] == 1_500_000 and c["donors"] == 2
    assert c["available"] == 1_000_000 + 500_000 - fee_anon
    assert await balance(sessions, tips_account("NGN")) == 150_000
    # The refund left through the same provider book the gift came in by: the platform's own
    # Paystack account, never the merchants' test-mode book.
    assert await balance(sessions, chart.provider_clearing_account("paystack.test", "NGN")) == 0
    csv_text = (
        await http.get(
            f"/v1/admin/giving/campaigns/{giving.id}/donations.csv", headers=giving.admin.headers
        )
    ).text
    assert csv_text.count("\n") == 4 and "refunded" in csv_text


async def test_all_or_nothing_failure_refunds_every_donor(
    giving: Giving, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await giving.launch(funding_model="all_or_nothing")
    first = await giving.give(1_000_000, tip=100_000, cover_fees=True)
    second = await giving.give(300_000)
    c = await giving.mine()
    assert c["raised"] == 1_300_000 and c["available"] > 0
    # Not withdrawable before it succeeds.
    error(
        await http.post(
            f"/v1/giving/my/campaigns/{giving.id}/withdrawals",
            json={"amount": 100_000, "bank_account_id": "x"},
            headers=giving.organizer,
        ),
        403,
        "kyc_required",
    )
    ended = data(
        await http.post(f"/v1/admin/giving/campaigns/{giving.id}/end", headers=giving.admin.headers)
    )
    assert ended["status"] == "failed"
    for d in (first, second):
        assert (await giving.donation(d))["status"] == "refunded"
    c = await giving.mine()
    assert c["raised"] == 0 and c["donors"] == 0 and c["available"] == 0
    assert await balance(sessions, campaign_account(giving.id, "NGN")) == 0

    async def refunds_processed() -> bool:
        async with sessions() as session:
            from sqlalchemy import select

            from kro.payments.models import Refund

            rows = (
                (
                    await session.execute(
                        select(Refund.status).where(
                            Refund.id.in_([f"rfd_{first['id']}", f"rfd_{second['id']}"])
                        )
                    )
                )
                .scalars()
                .all()
            )
        return sorted(rows) == ["processed", "processed"]

    await eventually(refunds_processed)
    error(
        await http.post(
            f"/v1/giving/campaigns/{giving.id}/donations",
            json={"name": "L", "email": "l@example.com", "amount": 500_000},
        ),
        409,
        "campaign_not_accepting_donations",
    )


async def test_all_or_nothing_success_then_withdrawal_with_kyc_hold_and_totp(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    giving.organizer = await verified_organizer(http, giving.admin, "org-aon@example.com")
    await giving.launch(funding_model="all_or_nothing", goal=1_000_000, close_at_goal=True)
    await giving.give(1_000_000, tip=0, cover_fees=True)
    c = await giving.mine()
    assert c["status"] == "successful" and c["available"] == 1_000_000
    account = data(
        await http.post(
            "/v1/bank-accounts",
            json={"bank_code": "058", "account_number": "0000000002"},
            headers=giving.organizer,
        ),
        201,
    )
    path = f"/v1/giving/my/campaigns/{giving.id}/withdrawals"
    error(
        await http.post(
            path,
            json={"amount": 1_000_001, "bank_account_id": account["id"]},
            headers=giving.organizer,
        ),
        409,
        "insufficient_campaign_balance",
    )
    hold = data(
        await http.put(
            f"/v1/admin/giving/campaigns/{giving.id}/hold",
            json={"reason": "Say how the funds will be used"},
            headers=giving.admin.headers,
        )
    )
    assert hold["hold_reason"] == "Say how the funds will be used"
    error(
        await http.post(
            path,
            json={"amount": 600_000, "bank_account_id": account["id"]},
            headers=giving.organizer,
        ),
        409,
        "withdrawals_on_hold",
    )
    data(
        await http.put(
            f"/v1/admin/giving/campaigns/{giving.id}/hold",
            json={"reason": None},
            headers=giving.admin.headers,
        )
    )
    first = data(
        await http.post(
            path,
            json={"amount": 600_000, "bank_account_id": account["id"]},
            headers=giving.organizer,
        ),
        201,
    )
    assert first["status"] == "pending"
    assert (await giving.mine())["available"] == 400_000  # held while it waits
    second = data(
        await http.post(
            path,
            json={"amount": 400_000, "bank_account_id": account["id"]},
            headers=giving.organizer,
        ),
        201,
    )
    decide = "/v1/admin/giving/withdrawals/{}/decision"
    error(
        await http.post(
            decide.format(first["id"]),
            json={"approve": True, "totp_code": "000000"},
            headers=giving.admin.headers,
        ),
        403,
        "totp_required",
    )
    rejected = data(
        await http.post(
            decide.format(second["id"]),
            json={"approve": False, "note": "Split it later"},
            headers=giving.admin.headers,
        )
    )
    assert rejected["status"] == "rejected"
    assert (await giving.mine())["available"] == 400_000  # back in the campaign
    authorized = data(
        await http.post(
            decide.format(first["id"]),
            json={"approve": True, "totp_code": giving.admin.code()},
            headers=giving.admin.headers,
        )
    )
    assert authorized["status"] == "processing" and authorized["payout_id"]

    async def transferred() -> bool:
        w = data(
            await http.get(f"/v1/giving/my/withdrawals/{first['id']}", headers=giving.organizer)
        )
        return bool(w["status"] == "transferred")

    await eventually(transferred)
    other = await register_and_login(http, "someone-else@example.com")
    error(
        await http.get(f"/v1/giving/my/withdrawals/{first['id']}", headers=other),
        404,
        "withdrawal_not_found",
    )
    assert data(await http.get("/v1/giving/my/withdrawals", headers=other)) == []


async def test_a_failed_payout_leaves_the_withdrawal_in_error(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    giving.organizer = await verified_organizer(http, giving.admin, "org-err@example.com")
    await giving.launch()
    await giving.give(500_000, tip=0, cover_fees=True)
    # A sandbox account whose transfers settle "failed".
    account = data(
        await http.post(
            "/v1/bank-accounts",
            json={"bank_code": "999992", "account_number": "0000000009"},
            headers=giving.organizer,
        ),
        201,
    )
    w = data(
        await http.post(
            f"/v1/giving/my/campaigns/{giving.id}/withdrawals",
            json={"amount": 500_000, "bank_account_id": account["id"]},
            headers=giving.organizer,
        ),
        201,
    )
    authorized = data(
        await http.post(
            f"/v1/admin/giving/withdrawals/{w['id']}/decision",
            json={"approve": True, "totp_code": giving.admin.code()},
            headers=giving.admin.headers,
        )
    )
    assert authorized["status"] == "processing"

    async def errored() -> dict[str, Any] | None:
        row = data(await http.get(f"/v1/giving/my/withdrawals/{w['id']}", headers=giving.organizer))
        return row if row["status"] == "error" else None

    row = await eventually(errored)
    assert "wallet" in row["note"]
    queue = data(await http.get("/v1/admin/giving/withdrawals", headers=giving.admin.headers))
    assert [q["id"] for q in queue] == [w["id"]]  # waits for an admin to authorize again
    wallet = data(await http.get("/v1/wallet", headers=giving.organizer))
    assert next(b for b in wallet if b["currency"] == "NGN")["available"] == 500_000
