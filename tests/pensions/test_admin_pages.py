"""The admin console's ``/admin/pensions``: a remittance past its deadline with the penalty if
paid today, schedules by status, employers with their coverage, and certificates; revoking one
needs a reason (shown beside that certificate's form) and the public verification then says
revoked. Not for users of the apps."""

from __future__ import annotations

import httpx

from kro.kit.clock import utcnow
from tests.escrow.test_disputes import enrolled_admin
from tests.giving.console import console, post_form, repeated_ids
from tests.pensions.conftest import Team, make_team, people, signed_in
from tests.support.api import data, error
from tests.support.platform import Platform


async def _certified(http: httpx.AsyncClient) -> tuple[Team, dict[str, str]]:
    """An employer incorporated this month with verified employees and a GLI policy: ready,
    and its certificate issued."""
    team = await make_team(http)
    rows = people(3)
    data(await team.import_rows(rows))
    await team.enrol_holders(rows)
    data(await http.post(f"{team.base}/employees/register-check", headers=team.hr))
    year = utcnow().year
    policy = {
        "insurer": "Leadway Assurance",
        "policy_number": "GLI-ADM-1",
        "cover_start": f"{year}-01-01",
        "cover_end": f"{year}-12-31",
        "cover_multiple": 3,
        "premium": 50_000_000,
        "premium_paid_on": f"{year - 1}-12-20",
    }
    data(await http.post(f"{team.base}/gli", json=policy, headers=team.hr), 201)
    return team, data(await http.post(f"{team.base}/certificates", headers=team.hr), 201)


async def test_admins_see_late_remittances_and_revoke_a_certificate(
    http: httpx.AsyncClient, platform: Platform
) -> None:
    today = utcnow().date()
    year, month = (
        (today.year, today.month - 2) if today.month > 2 else (today.year - 1, today.month + 10)
    )
    period = f"{year:04d}-{month:02d}"
    late = await make_team(http, salary_day=1, incorporated=f"{period}-01")
    data(await late.import_rows(people(3)))
    schedule = data(
        await http.post(f"{late.base}/schedules", json={"period": period}, headers=late.hr), 201
    )
    certified, certificate = await _certified(http)
    admin = await enrolled_admin(http)

    async with console(platform.base_url, admin) as console_client:
        overview = await console_client.get("/admin")
        assert "Pensions: unpaid past the deadline" in overview.text
        page = await console_client.get("/admin/pensions?status=draft")
        assert page.status_code == 200 and repeated_ids(page.text) == []
        late_table = page.text.split('id="late"')[1].split("</table>")[0]
        assert late.employer["name"] in late_table and period in late_table
        assert "if paid today" in late_table and certified.employer["name"] not in late_table
        penalty = schedule["penalty_if_paid_today"]
        assert penalty > 0 and f"₦{penalty / 100:,.2f}" in late_table
        drafts = page.text.split('id="schedules"')[1].split("</ul>")[0]
        assert late.employer["name"] in drafts
        employers = page.text.split('id="employers"')[1].split("</table>")[0]
        assert certified.employer["name"] in employers and "Yes" in employers
        assert certificate["number"] in page.text

        action = f"/admin/pensions/certificates/{certificate['id']}/revoke"
        r = await post_form(console_client, "/admin/pensions", action, {"reason": ""})
        assert r.status_code == 422
        assert f'id="e-reason-{certificate["id"]}" data-code="validation_error"' in r.text
        token = certificate["verify_url"].rsplit("/", 1)[-1]
        assert data(await http.get(f"/v1/pensions/verify/{token}"))["valid"] is True
        reason = {"reason": "GLI certificate found forged"}
        r = await post_form(console_client, "/admin/pensions", action, reason)
        assert r.status_code == 303, r.text
        r = await post_form(console_client, "/admin/pensions", action, reason)
        assert r.status_code == 409 and 'data-code="certificate_revoked"' in r.text

    # The admin API says the same.
    api = "/v1/admin/pensions"
    late_rows = data(await http.get(f"{api}/late", headers=admin.headers))
    mine = next(x for x in late_rows if x["schedule_id"] == schedule["id"])
    assert (mine["paid"], mine["penalty"]) == (False, penalty) and mine["months_late"] >= 1
    assert data(await http.get(f"{api}/schedule-counts", headers=admin.headers))["draft"] >= 1
    coverage = data(await http.get(f"{api}/employers", headers=admin.headers))
    assert {e["id"]: e["covered"] for e in coverage}[certified.employer["id"]] is True
    listed = data(await http.get(f"{api}/certificates", headers=admin.headers))
    assert next(c for c in listed if c["id"] == certificate["id"])["revoke_reason"] == (
        "GLI certificate found forged"
    )
    revoke = f"{api}/certificates/{certificate['id']}/revoke"
    again = await http.post(revoke, json={"reason": "again"}, headers=admin.headers)
    error(again, 409, "certificate_revoked")
    unknown = f"{api}/certificates/pcc_nope/revoke"
    error(await http.post(unknown, json={"reason": "x" * 5}, headers=admin.headers), 404)
    error(await http.get(f"{api}/certificates", headers=certified.hr), 401)

    seen = data(await http.get(f"/v1/pensions/verify/{token}"))
    assert seen["genuine"] and not seen["valid"] and seen["revoked_on"] == today.isoformat()
    public = await http.get(f"/pensions/verify/{token}")
    assert "Genuine but revoked" in public.text and "forged" not in public.text
    listed = data(await http.get(f"{certified.base}/certificates", headers=certified.hr))
    assert listed[0]["id"] == certificate["id"]

    async with signed_in(platform.base_url, certified.hr_email) as user:
        assert (await user.get("/admin/pensions")).status_code in (303, 401, 403, 404)
    error(await http.get(f"{late.base}/certificates", headers=certified.hr), 404)
