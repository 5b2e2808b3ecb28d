"""Reconciliation end to end: the whole platform with the provider sandboxes, our payments and
ledger compared with the providers' lists and status endpoints (no mocks)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from kro.cli import app as cli
from kro.jobs.service import enqueue
from kro.kit.db import create_engine
from kro.ledger.service import balances_for_owner, get_transfer
from kro.payments.models import Payment
from kro.payments.reconciliation.service import days_back
from kro.payments.reconciliation.tasks import is_due
from tests.payments.merchant import Merchant, customer_pays, set_faults
from tests.support.api import data, error
from tests.support.platform import SECRET_KEY, Platform, eventually

REPORTS = "/v1/reconciliation/reports"


def today() -> str:
    return datetime.now(UTC).date().isoformat()


async def reconcile(shop: Merchant, provider: str = "paystack", **extra: Any) -> dict[str, Any]:
    body = {"provider": provider, "date": today()} | extra
    report: dict[str, Any] = data(await shop.http.post(REPORTS, json=body, headers=shop.key), 201)
    return report


async def pay_at_checkout(http: httpx.AsyncClient, platform: Platform, reference: str) -> None:
    """The customer pays a Paystack transaction whose checkout link we never received (its
    answer timed out): the sandbox's own record gives the access code."""
    engine = create_engine(platform.settings.sandbox_database_url)
    try:
        async with engine.connect() as conn:
            code = await conn.scalar(
                text("select access_code from paystack_transactions where reference = :r"),
                {"r": reference},
            )
    finally:
        await engine.dispose()
    assert code, f"the sandbox has no transaction {reference}"
    r = await http.post(f"{platform.sandbox}/checkout/{code}/pay")
    assert r.status_code in (200, 303), r.text


async def force(sessions: async_sessionmaker[AsyncSession], payment_id: str, **values: Any) -> None:
    """Drift: change our payment behind the platform's back."""
    async with sessions() as session, session.begin():
        await session.execute(update(Payment).where(Payment.id == payment_id).values(**values))


async def test_unknown_outcome_is_settled_from_the_provider(
    quiet_gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=quiet_gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "recon")
        await shop.configure("paystack", 1)
        await set_faults(http, quiet_gateway, "paystack", timeout_rate=1.0, timeout_seconds=6)
        unknown = data(await shop.pay(750_000), 201)
        assert unknown["status"] == "processing"
        await set_faults(http, quiet_gateway, "paystack")

        # Still pending at Paystack: reconciliation leaves it open and reports nothing.
        waiting = await reconcile(shop)
        assert (waiting["status"], waiting["counts"]["settled"]) == ("clean", 0)
        assert (await shop.payment(unknown["id"]))["status"] == "processing"

        await pay_at_checkout(http, quiet_gateway, unknown["provider_reference"])
        report = await reconcile(shop)
        assert report["status"] == "clean", report
        assert report["counts"] == {
            "ours": 1, "theirs": 1, "matched": 1, "settled": 1, "discrepancies": 0
        }  # fmt: skip
        [settled] = report["findings"]
        assert settled["kind"] == "settled" and settled["payment_id"] == unknown["id"]
        assert settled["ours"]["status"] == "completed"
        assert settled["theirs"]["status"] == "succeeded"

        done = await shop.payment(unknown["id"])
        assert (done["status"], done["amount_captured"]) == ("completed", 750_000)
        events = data(await http.get(f"/v1/payments/{unknown['id']}/events", headers=shop.key))
        assert (events[-1]["to_status"], events[-1]["actor"]) == ("completed", "reconciliation")

        # Running the day again settles nothing twice, and keeps both reports.
        again = await reconcile(shop)
        assert (again["status"], again["counts"]["settled"]) == ("clean", 0)
        listed = data(await http.get(REPORTS, headers=shop.key))
        assert [r["id"] for r in listed] == [again["id"], report["id"], waiting["id"]]

    async with sessions() as session:
        transfer = await get_transfer(session, f"trf_{unknown['id']}_in")
        assert transfer is not None and transfer.amount == 750_000
        balances = {b.code: b for b in await balances_for_owner(session, shop.tenant_id)}
        assert balances[f"merchant:{shop.tenant_id}:test:NGN"].credits_posted == 750_000


async def test_a_clean_day(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "clean")
        await shop.configure("paystack", 1)
        paid = data(await shop.pay(300_000), 201)
        await customer_pays(http, paid)
        await shop.until(paid["id"], "completed")
        data(await shop.pay(200_000), 201)  # an open checkout, not paid yet

        report = await reconcile(shop)
        assert report["status"] == "clean", report
        assert report["counts"] == {
            "ours": 2, "theirs": 2, "matched": 2, "settled": 0, "discrepancies": 0
        }  # fmt: skip
        assert report["findings"] == [] and report["error"] is None
        assert (report["provider"], report["mode"], report["day"]) == ("paystack", "test", today())
        # A day without payments is clean too.
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        empty = await reconcile(shop, date=yesterday)
        assert (empty["status"], empty["counts"]["ours"], empty["counts"]["theirs"]) == (
            "clean", 0, 0
        )  # fmt: skip


async def test_discrepancies_are_reported_not_booked(
    quiet_gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=quiet_gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "drift")
        await shop.configure("paystack", 1)
        # Completed here without its collection in the ledger.
        unbooked = data(await shop.pay(100_000), 201)
        await customer_pays(http, unbooked)
        await force(sessions, unbooked["id"], status="completed", amount_captured=100_000)
        # Failed here, then paid at the provider: a late payment.
        late = data(await shop.pay(200_000), 201)
        await force(sessions, late["id"], status="failed", failure_reason="declined")
        await customer_pays(http, late)
        # Our amount drifted from what the provider holds.
        drifted = data(await shop.pay(300_000), 201)
        await force(sessions, drifted["id"], amount=300_001)

        report = await reconcile(shop)
        assert report["status"] == "discrepancies", report
        assert report["counts"]["discrepancies"] == 2 and report["counts"]["settled"] == 1
        kinds = {f["payment_id"]: f for f in report["findings"]}
        assert kinds[unbooked["id"]]["kind"] == "ledger_mismatch"
        assert kinds[late["id"]]["kind"] == "settled"
        assert "late payment" in kinds[late["id"]]["note"]
        assert kinds[late["id"]]["theirs"]["status"] == "succeeded"
        assert kinds[drifted["id"]]["kind"] == "amount_mismatch"
        drift = kinds[drifted["id"]]
        assert (drift["ours"]["amount"], drift["theirs"]["amount"]) == (300_001, 300_000)

        # The late payment is booked (the money is real); the drifted one stays open.
        assert (await shop.payment(late["id"]))["status"] == "completed"
        assert (await shop.payment(drifted["id"]))["status"] == "requires_action"
        found = data(await http.get(REPORTS, params={"status": "discrepancies"}, headers=shop.key))
        assert [r["id"] for r in found] == [report["id"]]
        assert data(await http.get(REPORTS, params={"status": "clean"}, headers=shop.key)) == []
    async with sessions() as session:
        booked = await get_transfer(session, f"trf_{late['id']}_in")
        assert booked is not None and booked.amount == 200_000


async def test_reports_are_scoped_to_the_tenant_and_mode(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        one = await Merchant.create(http, "one")
        two = await Merchant.create(http, "two")
        await one.configure("paystack", 1)
        first = await reconcile(one)
        second = await reconcile(one)

        url = f"{REPORTS}/{first['id']}"
        assert data(await http.get(url, headers=one.key))["id"] == first["id"]
        error(await http.get(url, headers=two.key), 404, "reconciliation_report_not_found")
        assert data(await http.get(REPORTS, headers=two.key)) == []
        r = await http.post(
            f"/v1/tenants/{one.tenant_id}/api-keys", json={"mode": "live"}, headers=one.owner
        )
        live = {"Authorization": f"Bearer {data(r, 201)['secret']}"}
        error(await http.get(url, headers=live), 404, "reconciliation_report_not_found")
        assert data(await http.get(REPORTS, headers=live)) == []

        # Pagination, newest first; filters.
        r = await http.get(REPORTS, params={"limit": 1}, headers=one.key)
        page = r.json()
        assert [p["id"] for p in page["data"]] == [second["id"]]
        assert page["meta"]["pagination"]["has_more"] is True
        cursor = page["meta"]["pagination"]["next_cursor"]
        rest = data(await http.get(REPORTS, params={"cursor": cursor}, headers=one.key))
        assert [p["id"] for p in rest] == [first["id"]]
        assert data(await http.get(REPORTS, params={"provider": "stripe"}, headers=one.key)) == []
        assert len(data(await http.get(REPORTS, params={"day": today()}, headers=one.key))) == 2

        # Bad requests.
        error(await http.post(REPORTS, json={"provider": "paystack", "date": today()},
                              headers=two.key), 422, "provider_not_configured")  # fmt: skip
        tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
        error(await http.post(REPORTS, json={"provider": "paystack", "date": tomorrow},
                              headers=one.key), 422, "invalid_date")  # fmt: skip
        error(await http.post(REPORTS, json={"provider": "paystack"}, headers=one.key), 422)
        error(await http.get(REPORTS, params={"status": "odd"}, headers=one.key), 422)
        error(await http.get(REPORTS), 401, "invalid_api_key")


async def test_provider_down_gives_an_error_report(gateway: Platform) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "down")
        await shop.configure("flutterwave", 1)
        await set_faults(http, gateway, "flutterwave", down=True)
        report = await reconcile(shop, provider="flutterwave")
        assert report["status"] == "error" and report["error"]
        assert report["findings"] == []


async def test_cli_reconciles_every_configuration(
    gateway: Platform,
    db_url: str,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "cli")
        await shop.configure("paystack", 1)
        await set_faults(http, gateway, "paystack", timeout_rate=1.0, timeout_seconds=6)
        unknown = data(await shop.pay(400_000), 201)
        await set_faults(http, gateway, "paystack")
        await pay_at_checkout(http, gateway, unknown["provider_reference"])
        await shop.until(unknown["id"], "completed")  # the webhook settles it here

        for name, value in {
            "KRO_DATABASE_URL": db_url,
            "KRO_PAYSTACK_SECRET_KEY": SECRET_KEY,
            "KRO_GATEWAY_SANDBOX_BASE_URL": f"{gateway.base_url}/sandbox",
            "KRO_PAYSTACK_BASE_URL": gateway.sandbox,  # the platform's own account
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("COLUMNS", "200")
        args = ["reconcile", "--provider", "paystack", "--date", today()]
        result = await asyncio.to_thread(CliRunner().invoke, cli, args)
        assert result.exit_code == 0, result.output
        assert "clean" in result.output and shop.tenant_id in result.output
        assert "platform" in result.output  # the products' payments, on the platform's account
        listed = data(await http.get(REPORTS, headers=shop.key))
        assert [(r["status"], r["counts"]["matched"]) for r in listed] == [("clean", 1)]

        # Drift makes the command fail.
        await force(sessions, unknown["id"], amount=1)
        result = await asyncio.to_thread(CliRunner().invoke, cli, args)
        assert result.exit_code == 1, result.output
        assert "amount_mismatch" in result.output


async def test_the_periodic_job_fans_out_per_configuration_and_day(
    gateway: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        shop = await Merchant.create(http, "hourly")
        await shop.configure("paystack", 1)
        await shop.configure("stripe", 2)
        now = datetime.now(UTC)
        hour = now.replace(minute=0, second=0, microsecond=0)
        async with sessions() as session, session.begin():
            for start in (hour, hour + timedelta(minutes=5)):  # only the first is due
                slot = int(start.timestamp()) // 300
                scheduled = start.isoformat().replace("+00:00", "Z")
                await enqueue(session, "payments.reconcile",
                              {"slot": slot, "scheduled_for": scheduled})  # fmt: skip

        async def all_reports() -> list[dict[str, Any]] | None:
            found: list[dict[str, Any]] = data(
                await http.get(REPORTS, params={"limit": 100}, headers=shop.key)
            )
            return found if len(found) >= 6 else None

        reports = await eventually(all_reports)
        days = [d.isoformat() for d in days_back(now, timedelta(days=2))]
        assert sorted((r["provider"], r["day"]) for r in reports) == sorted(
            (p, d) for p in ("paystack", "stripe") for d in days
        )
        assert {r["status"] for r in reports} == {"clean"}


def test_the_schedule() -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert [d.isoformat() for d in days_back(now, timedelta(days=1))] == [
        "2026-11-20", "2026-11-21"
    ]  # fmt: skip
    assert len(days_back(now, timedelta(hours=1))) == 1
    assert is_due(now, 3600) and not is_due(now + timedelta(minutes=5), 3600)
    assert is_due(now + timedelta(minutes=5), 60)
