"""Reconciliation of the platform's own provider accounts (through which the products collect),
end to end: the whole platform with the Paystack sandbox, the daily job comparing the products'
payments with the provider's list and the ledger; the admin reads the reports (JSON and the
console). No mocks of our database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.models import Job
from kro.jobs.service import enqueue
from kro.kit.db import unit_of_work
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.service import get_balance, get_transfer
from kro.payments.collect.service import CollectRequest, collect
from kro.payments.models import Payment
from tests.escrow.test_disputes import enrolled_admin
from tests.giving.console import console
from tests.payments.merchant import Merchant, customer_pays
from tests.payments.test_reconciliation import force
from tests.support.api import data, error
from tests.support.platform import SECRET_KEY, Platform, eventually, sandbox_pay

PURPOSE = "recontest"
ADMIN_REPORTS = "/v1/admin/reconciliation/reports"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def open_payment(
    p: Platform, sessions: async_sessionmaker[AsyncSession], amount: int
) -> Payment:
    """A product's payment through the platform's Paystack account, crediting an escrow
    account of its own; waiting at the hosted checkout."""
    order_id = new_id("ord")
    async with unit_of_work(sessions) as session:
        escrow = await chart.ensure_escrow(session, order_id, "NGN")
        request = CollectRequest(
            purpose=PURPOSE, purpose_id=order_id, payer_id=new_id("usr"),
            email="ada@example.com", amount=amount, currency="NGN",
            credit_account_id=escrow.id, provider="paystack",
        )  # fmt: skip
        payment = await collect(session, p.settings, request)
    assert payment.status == "requires_action" and payment.authorization_url
    return payment


async def status_of(sessions: async_sessionmaker[AsyncSession], payment_id: str) -> str:
    async with sessions() as session:
        payment = await session.get(Payment, payment_id)
        assert payment is not None
        return payment.status


async def until_status(
    sessions: async_sessionmaker[AsyncSession], payment_id: str, status: str
) -> None:
    async def reached() -> bool:
        return await status_of(sessions, payment_id) == status

    await eventually(reached)


async def heard(sessions: async_sessionmaker[AsyncSession], suffix: str) -> int:
    """How many ``recontest.<suffix>`` jobs the product was sent."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Job).where(Job.name == f"{PURPOSE}.{suffix}")
        )
    return int(count or 0)


async def daily_run(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    admin: dict[str, str],
    provider: str = "paystack",
) -> dict[str, Any]:
    """Queue the scheduled job for the platform's ``provider`` today; its new report."""
    before = {r["id"] for r in data(await http.get(ADMIN_REPORTS, headers=admin))}
    async with sessions() as session, session.begin():
        payload = {"config_id": f"platform_{provider}", "day": today(), "actor": "schedule"}
        await enqueue(session, "payments.reconcile_config", payload)

    async def new_report() -> dict[str, Any] | None:
        rows = data(await http.get(ADMIN_REPORTS, params={"provider": provider}, headers=admin))
        fresh = [r for r in rows if r["id"] not in before]
        return fresh[0] if fresh else None

    report: dict[str, Any] = await eventually(new_report)
    return report


async def test_unpaid_webhook_settled_ghost_and_ledger_drift_reported(
    quiet_gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=quiet_gateway.base_url, timeout=30) as http:
        staff = await enrolled_admin(http)
        admin = staff.headers
        # Paid at the sandbox; the webhook never arrives.
        paid = await open_payment(quiet_gateway, sessions, 450_000)
        await sandbox_pay(http, str(paid.authorization_url))
        # Completed here without its collection in the ledger.
        drifted = await open_payment(quiet_gateway, sessions, 120_000)
        await sandbox_pay(http, str(drifted.authorization_url))
        await force(sessions, drifted.id, status="completed", amount_captured=120_000)
        # A charge at Paystack with our prefix that we never made.
        ghost = new_id("pay").replace("_", "-")
        r = await http.post(
            f"{quiet_gateway.sandbox}/transaction/initialize",
            json={"email": "x@example.com", "amount": 99_900, "reference": ghost},
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        assert r.status_code == 200, r.text
        # A merchant's payment shares the sandbox account: not this report's business.
        shop = await Merchant.create(http, "shared")
        await shop.configure("paystack", 1)
        theirs = data(await shop.pay(80_000), 201)
        await customer_pays(http, theirs)
        assert await status_of(sessions, paid.id) == "requires_action"

        report = await daily_run(http, sessions, admin)
        assert (report["mode"], report["provider"], report["day"]) == (
            "platform",
            "paystack",
            today(),
        )
        assert report["status"] == "discrepancies", report
        assert report["counts"] == {
            "ours": 2, "theirs": 3, "matched": 2, "settled": 1, "discrepancies": 2
        }  # fmt: skip
        found = {f["payment_id"] or f["reference"]: f for f in report["findings"]}
        assert set(found) == {paid.id, drifted.id, ghost}
        assert found[paid.id]["kind"] == "settled"
        assert found[paid.id]["theirs"]["status"] == "succeeded"
        assert found[drifted.id]["kind"] == "ledger_mismatch"
        assert found[ghost]["kind"] == "missing_here"
        assert found[ghost]["theirs"]["amount"] == 99_900

        # The settled payment is booked, and the product heard of it once.
        assert await status_of(sessions, paid.id) == "completed"
        assert await heard(sessions, "payment_completed") == 1
        async with sessions() as session:
            transfer = await get_transfer(session, f"trf_{paid.id}_in")
            assert transfer is not None and transfer.amount == 450_000
            escrow = await get_balance(session, paid.credit_account_id)
            assert escrow.posted == 450_000

        # The merchant's own report does not see the products' payments.
        merchant = data(
            await http.post("/v1/reconciliation/reports",
                            json={"provider": "paystack", "date": today()}, headers=shop.key), 201
        )  # fmt: skip
        # (the ghost charge is nobody's: every report on the shared account shows it)
        assert merchant["counts"]["ours"] == 1
        kinds = sorted((f["kind"], f["payment_id"] or f["reference"]) for f in merchant["findings"])
        assert kinds == [("missing_here", ghost), ("settled", theirs["id"])]
        error(await http.get(f"{ADMIN_REPORTS}/{merchant['id']}", headers=admin), 404,
              "reconciliation_report_not_found")  # fmt: skip
        assert merchant["id"] not in [
            r["id"] for r in data(await http.get(ADMIN_REPORTS, headers=admin))
        ]

        # The admin reads the report (JSON and the console) by status; a tenant cannot.
        one = data(await http.get(f"{ADMIN_REPORTS}/{report['id']}", headers=admin))
        assert one["findings"] == report["findings"]
        listed = data(
            await http.get(ADMIN_REPORTS, params={"status": "discrepancies"}, headers=admin)
        )
        assert [r["id"] for r in listed] == [report["id"]]
        assert data(await http.get(ADMIN_REPORTS, params={"status": "clean"}, headers=admin)) == []
        assert (
            data(await http.get(ADMIN_REPORTS, params={"day": "2020-01-01"}, headers=admin)) == []
        )
        error(await http.get(ADMIN_REPORTS, params={"status": "odd"}, headers=admin), 422)
        r = await http.get(ADMIN_REPORTS, headers=shop.key)
        assert r.status_code in (401, 403)
        async with console(quiet_gateway.base_url, staff) as browser:
            page = await browser.get("/admin/reconciliation", params={"status": "discrepancies"})
            assert page.status_code == 200 and f"/admin/reconciliation/{report['id']}" in page.text
            page = await browser.get(f"/admin/reconciliation/{report['id']}")
            assert page.status_code == 200
            for kind in ("settled", "ledger_mismatch", "missing_here"):
                assert f'data-kind="{kind}"' in page.text
            missing = await browser.get(f"/admin/reconciliation/{merchant['id']}")
            assert missing.status_code == 404

        # Running the day again settles nothing twice.
        again = await daily_run(http, sessions, admin)
        assert (again["counts"]["settled"], again["counts"]["discrepancies"]) == (0, 2)
        assert await heard(sessions, "payment_completed") == 1


async def test_a_clean_day_and_the_schedule(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        staff = await enrolled_admin(http)
        admin = staff.headers
        paid = await open_payment(gateway, sessions, 300_000)
        await sandbox_pay(http, str(paid.authorization_url))

        await until_status(sessions, paid.id, "completed")
        await open_payment(gateway, sessions, 200_000)  # an open checkout, not paid yet

        report = await daily_run(http, sessions, admin)
        assert report["status"] == "clean", report
        assert report["counts"] == {
            "ours": 2, "theirs": 2, "matched": 2, "settled": 0, "discrepancies": 0
        }  # fmt: skip
        assert report["findings"] == [] and report["error"] is None

        # The periodic job schedules the platform's accounts beside the tenants'; Providus
        # (no list, no status by our reference) is skipped, Fincra and Remita (no list) are
        # asked payment by payment.
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        async with sessions() as session, session.begin():
            await enqueue(session, "payments.reconcile",
                          {"slot": int(hour.timestamp()) // 300,
                           "scheduled_for": hour.isoformat().replace("+00:00", "Z")})  # fmt: skip
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()

        async def scheduled() -> list[dict[str, Any]] | None:
            rows: list[dict[str, Any]] = data(
                await http.get(ADMIN_REPORTS, params={"limit": 100}, headers=admin)
            )
            days = {(r["provider"], r["day"]) for r in rows if r["actor"] == "schedule"}
            wanted = {(p, yesterday) for p in ("paystack", "fincra", "remita")}
            return rows if wanted <= days else None

        rows = await eventually(scheduled)
        assert {r["provider"] for r in rows} == {"paystack", "fincra", "remita"}
        assert all(r["status"] == "clean" for r in rows if r["provider"] == "paystack")
        async with console(gateway.base_url, staff) as browser:
            page = await browser.get("/admin/reconciliation", params={"provider": "fincra"})
            assert page.status_code == 200 and "paystack" not in page.text.split("<table")[-1]
