"""An employer's month end to end over HTTP: import (errors reported, nothing written; fixed,
re-imported), PenCom register check, schedule prepared, maker-checker with TOTP, remitted
through the Remita simulator, confirmed only after Remita's status check, per-PFA files that
add up, GLI, readiness, the certificate and its public verification; another employer's
employees are 404. The ledger invariant is checked after (fixture)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.pensions import compliance
from tests.pensions.conftest import Team, make_team, people
from tests.support.api import data, error
from tests.support.platform import Platform, eventually


async def test_month_end_on_time(http: httpx.AsyncClient) -> None:
    team = await make_team(http)
    rows = people(4)
    bad = [dict(r) for r in rows]
    bad[1]["basic"] = "150,00.00"
    bad[3]["pfa_code"] = "XXX"
    body = error(await team.import_rows(bad), 422, "import_invalid")
    assert {(e["row"], e["column"]) for e in body["details"]["errors"]} == {
        (3, "basic"),
        (5, "pfa_code"),
    }
    assert data(await http.get(f"{team.base}/employees", headers=team.hr)) == []

    imported = data(await team.import_rows(rows))
    assert (imported["created"], imported["updated"]) == (4, 0)
    rows[0]["basic"] = "160,000"
    again = data(await team.import_rows(rows))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 3)

    await team.enrol_holders(rows)
    findings = data(await http.post(f"{team.base}/employees/register-check", headers=team.hr))
    assert {f["status"] for f in findings} == {"verified"}
    employer = data(await http.get(team.base, headers=team.hr))
    assert employer["covered"] is True and employer["headcount"] == 4

    period = utcnow().date().strftime("%Y-%m")
    schedule = data(
        await http.post(f"{team.base}/schedules", json={"period": period}, headers=team.hr), 201
    )
    lines = schedule["lines"]
    assert len(lines) == 4
    assert schedule["total"] == sum(x["total"] for x in lines)
    first = next(x for x in lines if x["staff_id"] == "S001")
    # basic 160,000 + housing 50,000 + transport 25,000 = ₦235,000 → 8 % and 10 %
    assert (first["emoluments"], first["employee_amount"], first["employer_amount"]) == (
        23_500_000,
        1_880_000,
        2_350_000,
    )
    sid = schedule["id"]
    url = f"{team.base}/schedules/{sid}"
    data(await http.post(f"{url}/submit", headers=team.hr))
    # The maker (the owner) cannot approve, even with a valid code.
    error(await http.post(f"{url}/approve", json={"totp_code": "000000"}, headers=team.hr), 403)
    error(
        await http.post(f"{url}/approve", json={"totp_code": "000000"}, headers=team.finance),
        403,
        "totp_required",
    )
    approved = data(
        await http.post(f"{url}/approve", json={"totp_code": team.code()}, headers=team.finance)
    )
    assert approved["status"] == "approved"

    payment = data(await http.post(f"{url}/pay", json={}, headers=team.finance))
    assert payment["rrr"] and payment["penalty"] == 0
    assert payment["amount"] == schedule["total"]
    assert data(await http.get(url, headers=team.hr))["status"] == "remitted"
    # Paid on Remita's hosted page; the schedule is confirmed after the status check only.
    page = await http.get(payment["authorization_url"])
    assert payment["rrr"] in page.text
    r = await http.post(
        "/sandbox/remita/remita/ecomm/finalize.reg/pay", params={"rrr": payment["rrr"]}
    )
    assert r.status_code == 200, r.text
    data(await http.post(f"{url}/check-payment", headers=team.finance))

    async def confirmed() -> bool:
        return data(await http.get(url, headers=team.hr))["status"] == "confirmed"

    await eventually(confirmed)

    exports = data(await http.get(f"{url}/exports", headers=team.hr))
    assert sum(e["total"] for e in exports) == schedule["total"]
    for e in exports:
        r = await http.get(f"{url}/exports/{e['pfa_code']}.csv", headers=team.hr)
        table = list(csv.reader(io.StringIO(r.text)))
        assert table[0] == ["employer", team.employer["name"]]
        total_row = table[-1]
        assert total_row[0] == "TOTAL"
        assert int(total_row[-1].replace(".", "")) == e["total"]
        xlsx = await http.get(f"{url}/exports/{e['pfa_code']}.xlsx", headers=team.hr)
        assert xlsx.content[:2] == b"PK"
    pdf = await http.get(f"{url}/exports/summary.pdf", headers=team.hr)
    assert pdf.content[:4] == b"%PDF"

    employee = lines[0]["employee_id"]
    statement = await http.get(
        f"{team.base}/employees/{employee}/statement",
        params={"year": utcnow().year},
        headers=team.hr,
    )
    assert statement.content[:4] == b"%PDF"
    await _certificate(http, team)
    await _other_employer_sees_nothing(http, team)


async def _certificate(http: httpx.AsyncClient, team: Team) -> None:
    today = utcnow().date()
    error(await http.post(f"{team.base}/certificates", headers=team.hr), 422, "not_ready")
    policy = {
        "insurer": "Leadway Assurance",
        "policy_number": "GLI-2026-001",
        "cover_start": date(today.year, 1, 1).isoformat(),
        "cover_end": date(today.year, 12, 31).isoformat(),
        "cover_multiple": 3,
        "premium": 50_000_000,
        "premium_paid_on": date(today.year - 1, 12, 20).isoformat(),
    }
    data(await http.post(f"{team.base}/gli", json=policy, headers=team.hr), 201)
    ready = data(await http.get(f"{team.base}/compliance", headers=team.hr))
    assert ready["ready"], ready
    cert = data(await http.post(f"{team.base}/certificates", headers=team.hr), 201)
    assert cert["valid_until"] == f"{today.year}-12-31"
    pdf = await http.get(f"{team.base}/certificates/{cert['id']}.pdf", headers=team.hr)
    assert pdf.content[:4] == b"%PDF"
    token = cert["verify_url"].rsplit("/", 1)[-1]
    seen = data(await http.get(f"/v1/pensions/verify/{token}"))
    assert seen["genuine"] and seen["valid"] and seen["number"] == cert["number"]
    assert not data(await http.get("/v1/pensions/verify/forged"))["genuine"]


async def _other_employer_sees_nothing(http: httpx.AsyncClient, team: Team) -> None:
    other = await make_team(http)
    mine = data(await http.get(f"{team.base}/employees", headers=team.hr))
    employee = mine[0]["id"]
    error(await http.get(f"{team.base}/employees", headers=other.hr), 404, "employer_not_found")
    error(
        await http.get(f"{other.base}/employees/{employee}", headers=other.hr),
        404,
        "employee_not_found",
    )


async def test_late_remittance_pays_the_penalty(http: httpx.AsyncClient) -> None:
    """Two months back, paid today at a bank: 2 % per month or part of a month, per employee,
    shown before payment and remitted with the contributions."""
    today = utcnow().date()
    year, month = (
        (today.year, today.month - 2) if today.month > 2 else (today.year - 1, today.month + 10)
    )
    period = f"{year:04d}-{month:02d}"
    team = await make_team(http, salary_day=1, incorporated=f"{period}-01")
    rows = people(3)
    data(await team.import_rows(rows))
    schedule = data(
        await http.post(f"{team.base}/schedules", json={"period": period}, headers=team.hr), 201
    )
    months = schedule["months_late_today"]
    assert months >= 1
    expected = sum(
        round((x["employee_amount"] + x["employer_amount"]) * 2 * months / 100)
        for x in schedule["lines"]
    )
    assert schedule["penalty_if_paid_today"] == expected > 0
    url = f"{team.base}/schedules/{schedule['id']}"
    data(await http.post(f"{url}/submit", headers=team.hr))
    data(await http.post(f"{url}/approve", json={"totp_code": team.code()}, headers=team.finance))
    payment = data(await http.post(f"{url}/pay", json={}, headers=team.finance))
    assert payment["penalty"] == expected
    assert payment["amount"] == schedule["total"] + expected
    # A forged notification before payment changes nothing: Remita's status says unpaid.
    note = [{"rrr": payment["rrr"], "amount": "1.00", "channnel": "BRANCH"}]
    assert data(await http.post("/v1/webhooks/remita", json=note))["ours"] == 1
    await asyncio.sleep(1)  # the status check has run (the worker polls every 50 ms)
    assert data(await http.get(url, headers=team.hr))["status"] == "remitted"
    # Paid at a bank: the sandbox posts Remita's (unsigned) notification to the one inbox,
    # which only triggers the status check.
    r = await http.post(f"/sandbox/remita/_sandbox/rrr/{payment['rrr']}/pay")
    assert r.status_code == 200

    async def confirmed() -> bool:
        return data(await http.get(url, headers=team.hr))["status"] == "confirmed"

    await eventually(confirmed)
    done = data(await http.get(url, headers=team.hr))
    assert sum(x["penalty"] for x in done["lines"]) == done["penalty"] == expected


async def test_an_approved_schedule_is_corrected_by_an_adjustment(http: httpx.AsyncClient) -> None:
    """A pay rise backdated into an approved month: the approved schedule stays as it was; an
    adjustment schedule for the same period carries the difference per employee."""
    team = await make_team(http)
    rows = people(3)
    data(await team.import_rows(rows))
    period = utcnow().date().strftime("%Y-%m")
    schedule = data(
        await http.post(f"{team.base}/schedules", json={"period": period}, headers=team.hr), 201
    )
    url = f"{team.base}/schedules/{schedule['id']}"
    data(await http.post(f"{url}/submit", headers=team.hr))
    data(await http.post(f"{url}/approve", json={"totp_code": team.code()}, headers=team.finance))
    error(await http.post(f"{url}/discard", headers=team.hr), 409, "invalid_state_transition")
    error(await http.post(f"{url}/adjust", headers=team.hr), 422, "nothing_to_schedule")

    employee = next(x for x in schedule["lines"] if x["staff_id"] == "S002")
    rise = {
        "basic": 16_000_000,
        "housing": 5_000_000,
        "transport": 2_500_000,
        "other": 0,
        "voluntary": 0,
    }
    data(
        await http.post(
            f"{team.base}/employees/{employee['employee_id']}/pay",
            json={**rise, "effective_from": "2024-01-15"},  # backdated: the month is affected
            headers=team.hr,
        )
    )
    adjustment = data(await http.post(f"{url}/adjust", headers=team.hr), 201)
    assert adjustment["kind"] == "adjustment" and adjustment["adjusts_id"] == schedule["id"]
    assert [x["staff_id"] for x in adjustment["lines"]] == ["S002"]
    # ₦10,000 more emoluments: 8 % = ₦800, 10 % = ₦1,000
    line = adjustment["lines"][0]
    assert (line["employee_amount"], line["employer_amount"]) == (80_000, 100_000)
    assert adjustment["total"] == 180_000
    unchanged = data(await http.get(url, headers=team.hr))
    assert unchanged["total"] == schedule["total"] and unchanged["status"] == "approved"


async def test_gli_attention_is_flagged(
    http: httpx.AsyncClient, platform: Platform, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """No policy, then a short policy ending soon: each is flagged once per key."""
    team = await make_team(http)
    data(await team.import_rows(people(3)))
    today = utcnow().date()
    async with sessions() as session:
        found = await compliance.gli_attention(session, platform.settings, today)
    mine = [w for e, _, w in found if e == team.employer["id"]]
    assert mine == ["no GLI policy in force"]
    policy = {
        "insurer": "AIICO Insurance",
        "policy_number": "GLI-SHORT",
        "cover_start": today.isoformat(),
        "cover_end": (today + timedelta(days=10)).isoformat(),
        "cover_multiple": 2,
        "premium": 1_000_000,
        "premium_paid_on": today.isoformat(),
    }
    made = data(await http.post(f"{team.base}/gli", json=policy, headers=team.hr), 201)
    upload = f"{team.base}/gli/{made['id']}/certificate"
    files = {"file": ("gli.pdf", b"%PDF-1.4 certificate", "application/pdf")}
    assert data(await http.post(upload, files=files, headers=team.hr))["certificate_uploaded"]
    exe = {"file": ("gli.exe", b"MZ", "application/octet-stream")}
    error(await http.post(upload, files=exe, headers=team.hr), 400)
    cover = data(await http.get(f"{team.base}/gli/cover", headers=team.hr))
    assert all(c["shortfall"] == c["required"] // 3 for c in cover)
    async with sessions() as session:
        found = await compliance.gli_attention(session, platform.settings, today)
    mine = sorted(w.split(" ")[0] for e, _, w in found if e == team.employer["id"])
    assert mine == ["cover", "policy"]


async def test_a_pin_of_another_pfa_is_flagged_before_payment(http: httpx.AsyncClient) -> None:
    team = await make_team(http)
    rows = people(3)
    data(await team.import_rows(rows))
    register = [dict(r) for r in rows]
    register[1]["pfa_code"] = "OAK"  # PenCom says this PIN belongs to another PFA
    register[2]["surname"] = "Someone"
    await team.enrol_holders(register)
    findings = data(await http.post(f"{team.base}/employees/register-check", headers=team.hr))
    assert sorted(f["status"] for f in findings) == ["mismatch", "mismatch", "verified"]
    period = utcnow().date().strftime("%Y-%m")
    schedule = data(
        await http.post(f"{team.base}/schedules", json={"period": period}, headers=team.hr), 201
    )
    url = f"{team.base}/schedules/{schedule['id']}"
    body = error(await http.post(f"{url}/submit", headers=team.hr), 422, "register_mismatch")
    assert body["details"]["staff_ids"] == ["S002", "S003"]
