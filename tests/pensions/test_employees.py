"""One employee edited after the import: details, an exit date (a leaver, prorated in the
month), an effective-dated pay change (earlier months keep their pay), over the JSON API and
through the portal's pages (errors beside their fields with the API's code); another
employer's employee is 404 and a viewer may not change anything. The import template the
portal offers imports as it is."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import httpx

from kro.kit.clock import utcnow
from tests.pensions.conftest import make_team, people, post_page, signed_in
from tests.support.api import data, error, register_and_login
from tests.support.platform import Platform


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def test_a_leaver_is_prorated_and_a_pay_change_keeps_past_months(
    http: httpx.AsyncClient,
) -> None:
    team = await make_team(http)
    data(await team.import_rows(people(3)))
    staff = {
        e["staff_id"]: e for e in data(await http.get(f"{team.base}/employees", headers=team.hr))
    }
    leaver = f"{team.base}/employees/{staff['S001']['id']}"

    error(
        await http.patch(leaver, json={"exit_date": "2020-01-01"}, headers=team.hr),
        422,
        "exit_before_hire",
    )
    error(await http.patch(leaver, json={"pfa_code": "XXX"}, headers=team.hr), 422, "unknown_pfa")
    error(await http.patch(leaver, json={"surname": None}, headers=team.hr), 422)
    today = utcnow().date()
    days = calendar.monthrange(today.year, today.month)[1]
    exit_day = date(today.year, today.month, 10)
    changed = data(
        await http.patch(
            leaver, json={"exit_date": exit_day.isoformat(), "pfa_code": "arm"}, headers=team.hr
        )
    )
    assert changed["exit_date"] == exit_day.isoformat() and changed["pfa_code"] == "ARM"
    assert changed["surname"] == staff["S001"]["surname"]  # left out: kept

    # A pay change from next month: this month keeps the imported pay.
    mover = f"{team.base}/employees/{staff['S002']['id']}"
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    rise = {"basic": 20_000_000, "housing": 0, "transport": 0, "other": 0, "voluntary": 0}
    row = data(
        await http.post(
            f"{mover}/pay", json={**rise, "effective_from": nxt.isoformat()}, headers=team.hr
        )
    )
    assert row["effective_from"] == nxt.isoformat()
    # Before the hire date means from the hire date (else the first row would shadow it).
    third = f"{team.base}/employees/{staff['S003']['id']}"
    early = data(
        await http.post(
            f"{third}/pay", json={**rise, "effective_from": "2020-01-01"}, headers=team.hr
        )
    )
    assert early["effective_from"] == staff["S003"]["hire_date"]
    history = data(await http.get(f"{mover}/pay", headers=team.hr))
    assert [h["effective_from"] for h in history] == [staff["S002"]["hire_date"], nxt.isoformat()]

    schedule = data(
        await http.post(
            f"{team.base}/schedules", json={"period": today.strftime("%Y-%m")}, headers=team.hr
        ),
        201,
    )
    lines = {x["staff_id"]: x for x in schedule["lines"]}
    full = 22_500_000  # ₦150,000 + ₦50,000 + ₦25,000
    assert lines["S001"]["emoluments"] == half_up(Decimal(full) * 10 / days)
    assert lines["S002"]["emoluments"] == full
    assert lines["S003"]["emoluments"] == 20_000_000
    assert schedule["total"] == sum(x["total"] for x in schedule["lines"])

    other = await make_team(http)
    error(
        await http.get(f"{other.base}/employees/{staff['S002']['id']}/pay", headers=other.hr), 404
    )
    error(
        await http.patch(
            f"{other.base}/employees/{staff['S002']['id']}", json={}, headers=other.hr
        ),
        404,
    )
    error(await http.get(f"{mover}/pay", headers=other.hr), 404, "employer_not_found")
    error(await http.patch(mover, json={"phone": "0803"}, headers=other.hr), 404)
    viewer_email = f"viewer-{team.employer['id']}@example.com"
    viewer = await register_and_login(http, viewer_email)
    data(
        await http.post(
            f"{team.base}/members", json={"email": viewer_email, "role": "viewer"}, headers=team.hr
        ),
        201,
    )
    error(await http.patch(mover, json={"phone": "0803"}, headers=viewer), 403, "role_required")
    data(await http.get(f"{mover}/pay", headers=viewer))


async def test_the_portal_edits_an_employee_and_records_a_pay_change(
    http: httpx.AsyncClient, platform: Platform
) -> None:
    team = await make_team(http)
    data(await team.import_rows(people(2)))
    employee = data(await http.get(f"{team.base}/employees", headers=team.hr))[0]
    page = f"/pensions/{team.employer['id']}/employees/{employee['id']}"
    async with signed_in(platform.base_url, team.hr_email) as hr:
        listing = await hr.get(f"/pensions/{team.employer['id']}/employees")
        assert f'href="{page}"' in listing.text
        download = f"/pensions/{team.employer['id']}/employees/template.csv"
        assert f'href="{download}"' in listing.text
        template = await hr.get(download)
        assert template.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in template.headers["content-disposition"]
        assert template.text.startswith("staff_id,surname,first_name,other_names,email,")
        shown = await hr.get(page)
        assert shown.status_code == 200 and 'value="Okafor0"' in shown.text

        details = {
            "surname": "Okafor0",
            "first_name": "Ada",
            "rsa_pin": employee["rsa_pin"],
            "pfa_code": employee["pfa_code"],
            "exit_date": "2020-01-31",
        }
        r = await post_page(hr, page, page, details)
        assert r.status_code == 422
        assert 'id="e-exit_date" data-code="exit_before_hire"' in r.text
        r = await post_page(hr, page, page, {**details, "surname": ""})
        assert 'id="e-surname" data-code="validation_error"' in r.text
        exit_day = utcnow().date().replace(day=1).isoformat()
        r = await post_page(hr, page, page, {**details, "exit_date": exit_day, "phone": "0809"})
        assert r.status_code == 303, r.text
        stored = data(await http.get(f"{team.base}/employees/{employee['id']}", headers=team.hr))
        assert (stored["exit_date"], stored["phone"], stored["email"]) == (exit_day, "0809", None)

        pay = {"effective_from": "2025-03", "basic": "200,000.5.0", "housing": "60,000"}
        r = await post_page(hr, page, f"{page}/pay", pay)
        assert r.status_code == 422 and 'id="e-basic" data-code="invalid_amount"' in r.text
        r = await post_page(hr, page, f"{page}/pay", {**pay, "effective_from": "March"})
        assert 'id="e-effective_from" data-code="validation_error"' in r.text
        r = await post_page(hr, page, f"{page}/pay", {**pay, "basic": "₦200,000.50"})
        assert r.status_code == 303, r.text
        history = data(
            await http.get(f"{team.base}/employees/{employee['id']}/pay", headers=team.hr)
        )
        assert history[-1] == {
            "effective_from": "2025-03-01",
            "basic": 20_000_050,
            "housing": 6_000_000,
            "transport": 0,
            "other": 0,
            "voluntary": 0,
        }
        assert history[0]["basic"] == 15_000_000  # the months before keep their pay
        assert "₦200,000.50" in (await hr.get(page)).text

    other = await make_team(http)
    async with signed_in(platform.base_url, other.hr_email) as stranger:
        assert (await stranger.get(page)).status_code == 404
        mine = f"/pensions/{other.employer['id']}/employees/{employee['id']}"
        assert (await stranger.get(mine)).status_code == 404
        assert (await stranger.get(download)).status_code == 404

    # The template imports as it is: its example row is a valid employee.
    upload = {"file": ("employees-template.csv", template.content, "text/csv")}
    imported = data(
        await http.post(f"{other.base}/employees/import", files=upload, headers=other.hr)
    )
    assert (imported["rows"], imported["created"], imported["warnings"]) == (1, 1, [])


async def test_roles_are_checked_by_the_dependencies(
    http: httpx.AsyncClient, platform: Platform
) -> None:
    """A viewer reads but changes nothing; a finance approver cannot maintain employees nor
    submit; on the schedule page the refusal is shown in place with its code."""
    team = await make_team(http)
    data(await team.import_rows(people(3)))
    viewer_email = f"v-{team.employer['id']}@example.com"
    viewer = await register_and_login(http, viewer_email)
    member = {"email": viewer_email, "role": "viewer"}
    data(await http.post(f"{team.base}/members", json=member, headers=team.hr), 201)
    upload = {"file": ("s.csv", b"staff_id\n", "text/csv")}
    r = await http.post(f"{team.base}/employees/import", files=upload, headers=viewer)
    error(r, 403, "role_required")
    error(await http.post(f"{team.base}/members", json=member, headers=team.finance), 403)
    period = {"period": utcnow().date().strftime("%Y-%m")}
    error(
        await http.post(f"{team.base}/schedules", json=period, headers=team.finance),
        403,
        "role_required",
    )
    schedule = data(await http.post(f"{team.base}/schedules", json=period, headers=team.hr), 201)
    assert len(data(await http.get(f"{team.base}/schedules", headers=viewer))) == 1
    page = f"/pensions/{team.employer['id']}/schedules/{schedule['id']}"
    async with signed_in(platform.base_url, team.finance_email) as finance:
        r = await post_page(finance, page, f"{page}/submit", {})
        assert r.status_code == 403 and 'data-code="role_required"' in r.text
        r = await post_page(finance, page, f"{page}/nonsense", {})
        assert r.status_code == 404
    someone = data(await http.get(f"{team.base}/employees", headers=viewer))[0]["id"]
    async with signed_in(platform.base_url, viewer_email) as reader:
        shown = await reader.get(f"/pensions/{team.employer['id']}/employees/{someone}")
        assert 'id="read-only"' in shown.text and "Record pay change" not in shown.text
    assert (
        data(await http.get(f"{team.base}/schedules/{schedule['id']}", headers=viewer))["status"]
        == "draft"
    )
