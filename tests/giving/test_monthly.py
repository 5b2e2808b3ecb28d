"""Monthly gifts over real HTTP (the platform with the Paystack sandbox): the first month is a
checkout on a monthly plan; Paystack's ``subscription.create`` activates the gift; each
renewal the sandbox charges (``charge.success`` carrying the plan, a reference of Paystack's)
is verified and booked as a donation of its own with its receipt; the donor changes the
amount and stops the gift from the link in the receipt, without an account; a wrong token is
a 404; an ended campaign takes no more months."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.giving.models import Donation
from kro.giving.monthly.models import MonthlyGift
from kro.payments.models import Payment, PaymentSubscription
from tests.giving.conftest import Giving
from tests.support.api import data
from tests.support.platform import eventually


async def _gift(sessions: async_sessionmaker[AsyncSession], email: str) -> MonthlyGift:
    async with sessions() as s:
        gift = await s.scalar(select(MonthlyGift).where(MonthlyGift.donor_email == email))
        assert gift is not None
        return gift


async def _subscription(
    sessions: async_sessionmaker[AsyncSession], subscription_id: str
) -> PaymentSubscription:
    async with sessions() as s:
        found = await s.get(PaymentSubscription, subscription_id)
        assert found is not None
        return found


async def _paid(sessions: async_sessionmaker[AsyncSession], gift_id: str) -> list[Donation]:
    async with sessions() as s:
        stmt = select(Donation).where(
            Donation.monthly_gift_id == gift_id, Donation.status == "paid"
        )
        return list((await s.scalars(stmt.order_by(Donation.id))).all())


async def _renew(http: httpx.AsyncClient, code: str) -> httpx.Response:
    return await http.post(f"/sandbox/paystack/_sandbox/subscriptions/{code}/renew")


async def test_monthly_gift_renews_changes_and_stops(
    giving: Giving, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await giving.launch()
    first = await giving.give(500_000, tip=0, monthly=True, opt_in=True)
    gift = await _gift(sessions, first["donor_email"])
    assert (gift.amount, gift.total, gift.status) == (500_000, 500_000, "active")

    async def active() -> PaymentSubscription | None:
        sub = await _subscription(sessions, gift.subscription_id)
        return sub if sub.status == "active" and sub.subscription_code else None

    sub: PaymentSubscription = await eventually(active)
    assert sub.amount == 500_000 and sub.interval == "monthly"

    # A month later: Paystack charges the saved card; verified, booked, receipted.
    assert (await _renew(http, str(sub.subscription_code))).status_code == 200

    async def two_months() -> list[Donation] | None:
        paid = await _paid(sessions, gift.id)
        return paid if len(paid) == 2 else None

    months: list[Donation] = await eventually(two_months)
    renewal = months[1]
    assert renewal.amount == 500_000 and renewal.receipt_number != months[0].receipt_number
    async with sessions() as s:
        payment = await s.get(Payment, renewal.payment_id)
        assert payment is not None and payment.status == "completed"
        assert payment.purpose_id == gift.id and payment.metadata_ == {"subscription_id": sub.id}
    c = await giving.mine()
    assert c["raised"] == 1_000_000 and c["donors"] == 2
    # The same renewal delivered again books nothing twice.
    assert len(await _paid(sessions, gift.id)) == 2

    # The link in the receipt manages the gift without an account; another token is a 404.
    url = f"/v1/giving/monthly/{gift.id}"
    wrong = await http.get(url, params={"token": "not-the-token"})
    assert wrong.status_code == 404
    assert wrong.json()["error"]["code"] == "monthly_gift_not_found"
    page = await http.get(f"/giving/monthly/{gift.id}", params={"token": gift.manage_token})
    assert page.status_code == 200 and "₦5,000.00" in page.text
    low = await http.post(f"{url}/amount", json={"token": gift.manage_token, "amount": 1})
    assert low.status_code == 422 and low.json()["error"]["code"] == "donation_below_minimum"
    changed = data(
        await http.post(f"{url}/amount", json={"token": gift.manage_token, "amount": 700_000})
    )
    assert changed["amount"] == 700_000 and changed["total"] == 700_000
    moved = await _subscription(sessions, gift.subscription_id)
    assert moved.amount == 700_000 and moved.subscription_code != sub.subscription_code
    # The old subscription charges no more; the new one charges the new amount.
    assert (await _renew(http, str(sub.subscription_code))).status_code == 400
    assert (await _renew(http, str(moved.subscription_code))).status_code == 200

    async def three_months() -> list[Donation] | None:
        paid = await _paid(sessions, gift.id)
        return paid if len(paid) == 3 else None

    months = await eventually(three_months)
    assert months[2].amount == 700_000

    # Stopped: cancelled here and at Paystack (a renewal is refused); twice is a no-op.
    for _ in range(2):
        stopped: dict[str, Any] = data(
            await http.post(f"{url}/cancel", json={"token": gift.manage_token})
        )
        assert stopped["status"] == "cancelled"
    assert (await _renew(http, str(moved.subscription_code))).status_code == 400
    assert (await _subscription(sessions, gift.subscription_id)).status == "cancelled"


async def test_an_ended_campaign_stops_its_monthly_gifts(
    giving: Giving, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await giving.launch()
    first = await giving.give(300_000, tip=0, monthly=True)
    gift = await _gift(sessions, first["donor_email"])

    async def active() -> bool:
        return (await _subscription(sessions, gift.subscription_id)).status == "active"

    await eventually(active)
    await giving.act("close")

    async def stopped() -> bool:
        return (await _gift(sessions, first["donor_email"])).status == "cancelled"

    await eventually(stopped)
    assert (await _subscription(sessions, gift.subscription_id)).status == "cancelled"
