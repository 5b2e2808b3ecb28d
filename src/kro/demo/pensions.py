"""``kro demo pensions``: Pencom pension compliance end to end over the HTTP API (no platform
import).

An employer registers (an HR officer, who adds a finance approver); 25 employees are imported
from a CSV in which two rows are wrong (reported with row, column and reason; nothing
imported), fixed and imported again; every RSA PIN is checked with PenCom's register
(simulator); the month's schedule is prepared, submitted, approved by the second team member
with a fresh TOTP code and paid through the Remita simulator's hosted page; the schedule is
confirmed after Remita's status check; the per-PFA files are downloaded and their totals
checked; a GLI policy is recorded; the readiness check passes; the certificate is issued and
verified through its QR link.

- ``on-time``: this month's schedule, paid before the deadline: no penalty.
- ``late``: last month's schedule (salaries on the 1st), paid after the deadline: the penalty
  (2 % per month or part of a month, per employee) is shown before payment and remitted.

Ends by asking the server for the ledger invariant. Exit status 1 on any inconsistency.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from kro.demo.client import Api, DemoFailure, expect, wait_for

SCENARIOS = ("on-time", "late")
PASSWORD = "demo-password-123"
PFAS = ("ARM", "SIB", "LWP", "PAL", "NLP")
SURNAMES = ("Okafor", "Adeyemi", "Bello", "Eze", "Ibrahim", "Nwosu", "Okonkwo", "Balogun")
FIRST = ("Ada", "Tunde", "Zainab", "Chidi", "Ngozi", "Emeka", "Funke", "Musa", "Kemi")


def naira(kobo: int) -> str:
    return f"₦{Decimal(kobo) / 100:,.2f}"


def staff(count: int) -> list[dict[str, str]]:
    rows = []
    for i in range(count):
        basic = 120_000 + 5_000 * i
        rows.append(
            {
                "staff_id": f"ZF{i + 1:03d}",
                "surname": SURNAMES[i % len(SURNAMES)],
                "first_name": FIRST[i % len(FIRST)],
                "other_names": "",
                "email": f"staff{i + 1}@zenonfoods.example.com",
                "phone": f"0803{i:07d}",
                "date_of_birth": f"{1975 + i % 20}-0{1 + i % 9}-15",
                "hire_date": "2023-02-01",
                "rsa_pin": f"PEN{200100000000 + i * 7919}",
                "pfa_code": PFAS[i % len(PFAS)],
                "bvn": f"{22100000000 + i}",
                "basic": f"{basic:,}.00",
                "housing": f"{basic // 3:,}",
                "transport": "25,000",
                "other_allowances": "10000",
                "voluntary": "5,000" if i % 5 == 0 else "0",
            }
        )
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    """The rows as the import's CSV; the header is the rows' keys (the import's columns)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


class PensionsDemo:
    def __init__(self, base_url: str, admin_email: str, admin_password: str, late: bool) -> None:
        self.api = Api(base_url)
        self.console = Console(width=130)
        self.admin_email, self.admin_password = admin_email, admin_password
        self.late = late
        self.step_no = 0

    def step(self, text: str) -> None:
        self.step_no += 1
        self.console.print(f"[bold cyan]{self.step_no:>2}.[/] {text}")

    def user(self, role: str, name: str) -> tuple[Api, str]:
        email = f"{role}-{secrets.token_hex(4)}@demo.kro.example.com"
        self.api.post(
            "/v1/auth/register",
            {"email": email, "password": PASSWORD, "full_name": name},
            expect=201,
        )
        tokens = self.api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
        return self.api.as_user(tokens["access_token"]), email

    def upload(self, api: Api, path: str, content: bytes) -> Any:
        r = api.http.post(
            path,
            files={"file": ("staff.csv", content, "text/csv")},
            headers={"Authorization": f"Bearer {api.token}"},
        )
        return r.status_code, r.json()

    def run(self) -> None:
        import pyotp

        now = datetime.now(UTC).date()
        if self.late:
            year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
            period, salary_day = f"{year:04d}-{month:02d}", 1
        else:
            period, salary_day = now.strftime("%Y-%m"), 28
        incorporated = f"{period}-01"

        self.step("An HR officer registers Zenon Foods Ltd and adds a finance approver")
        hr, _ = self.user("hr", "Halima Bello")
        finance, finance_email = self.user("finance", "Femi Adeyemi")
        employer = hr.post(
            "/v1/pensions/employers",
            {
                "name": f"Zenon Foods Ltd ({secrets.token_hex(2)})",
                "rc_number": "RC765432",
                "tin": "20456789-0001",
                "address": "12 Broad Street, Lagos Island",
                "state": "Lagos",
                "sector": "Food processing",
                "employer_code": "PR0099887",
                "salary_day": salary_day,
                "incorporated_on": incorporated,
            },
            expect=201,
        )
        base = f"/v1/pensions/employers/{employer['id']}"
        hr.post(f"{base}/members", {"email": finance_email, "role": "finance_approver"}, expect=201)
        enrolment = finance.post("/v1/pensions/me/totp", expect=201)
        totp = pyotp.TOTP(enrolment["secret"])
        # The server's clock (a development server's may have been moved by another demo).
        finance.post("/v1/pensions/me/totp/confirm", {"code": totp.at(finance.server_time())})

        self.step("Import 25 employees from a CSV with two wrong rows")
        rows = staff(25)
        bad = [dict(r) for r in rows]
        bad[6]["basic"] = "150,00.00"
        bad[17]["pfa_code"] = "XYZ"
        status, body = self.upload(hr, f"{base}/employees/import", to_csv(bad))
        expect(status == 422, f"a file with bad rows was accepted: {status}")
        errors = body["error"]["details"]["errors"]
        for e in errors:
            self.console.print(f"    row {e['row']}, column {e['column']}: {e['reason']}")
        expect(
            {(e["row"], e["column"]) for e in errors} == {(8, "basic"), (19, "pfa_code")},
            f"{errors}",
        )
        expect(hr.get(f"{base}/employees") == [], "a bad import wrote employees")
        status, body = self.upload(hr, f"{base}/employees/import", to_csv(rows))
        expect(status == 200 and body["data"]["created"] == 25, f"re-import failed: {body}")
        self.console.print("    fixed and re-imported: 25 employees")

        self.step("Check every RSA PIN with PenCom's register (simulator)")
        holders = [
            {
                "pin": r["rsa_pin"],
                "surname": r["surname"],
                "first_name": r["first_name"],
                "date_of_birth": r["date_of_birth"],
                "pfa_code": r["pfa_code"],
            }
            for r in rows
        ]
        r = self.api.http.post("/sandbox/pencom/_sandbox/holders", json=holders)
        expect(r.status_code == 200, f"PenCom simulator: {r.status_code}")
        findings = hr.post(f"{base}/employees/register-check")
        expect(all(f["status"] == "verified" for f in findings), f"PIN flagged: {findings}")
        info = hr.get(base)
        expect(info["covered"] is True, "25 employees must be covered by the Act")

        self.step(f"Prepare the {period} schedule")
        schedule = hr.post(f"{base}/schedules", {"period": period}, expect=201)
        lines = schedule["lines"]
        expect(len(lines) == 25, f"{len(lines)} lines")
        expect(schedule["total"] == sum(x["total"] for x in lines), "total is not the sum of lines")
        for x in lines:
            expect(
                x["total"] == x["employee_amount"] + x["employer_amount"] + x["voluntary"], "line"
            )
        self.console.print(
            f"    employee {naira(schedule['employee_total'])}, employer "
            f"{naira(schedule['employer_total'])}, voluntary {naira(schedule['voluntary_total'])}, "
            f"total {naira(schedule['total'])}; deadline {schedule['deadline']}"
        )
        penalty = schedule["penalty_if_paid_today"]
        if self.late:
            expect(penalty > 0, "a late schedule shows no penalty")
            self.console.print(
                f"    [yellow]late by {schedule['months_late_today']} month(s): penalty "
                f"{naira(penalty)} (2 % per month or part of a month)[/]"
            )
        else:
            expect(penalty == 0, f"an on-time schedule shows a penalty {penalty}")
        url = f"{base}/schedules/{schedule['id']}"

        self.step("HR submits; the finance approver approves with a fresh TOTP code")
        hr.post(f"{url}/submit")
        refused = hr.http.post(
            f"{url}/approve",
            json={"totp_code": totp.at(hr.server_time())},
            headers={"Authorization": f"Bearer {hr.token}"},
        )
        expect(refused.status_code == 403, "the maker approved their own schedule")
        self.console.print(f"    the maker may not approve: {refused.json()['error']['code']}")
        approved = finance.post(
            f"{url}/approve", {"totp_code": totp.at(finance.server_time() + 30)}
        )
        expect(approved["status"] == "approved", "not approved")

        self.step("Pay through Remita (simulator): RRR, hosted page, status check")
        payment = finance.post(f"{url}/pay", {})
        expect(
            payment["amount"] == schedule["total"] + penalty,
            "amount is not contributions + penalty",
        )
        self.console.print(f"    RRR {payment['rrr']} for {naira(payment['amount'])}")
        r = self.api.http.post(
            "/sandbox/remita/remita/ecomm/finalize.reg/pay", params={"rrr": payment["rrr"]}
        )
        expect(r.status_code == 200, f"Remita page: {r.status_code}")
        finance.post(f"{url}/check-payment")
        wait_for("confirmation", lambda: hr.get(url)["status"] == "confirmed")
        done = hr.get(url)
        expect(done["penalty"] == penalty, "penalty changed")
        expect(
            sum(x["penalty"] for x in done["lines"]) == penalty, "penalties are not per employee"
        )
        self.console.print(f"    confirmed: paid on {done['paid_on']}")

        self.step("Download the per-PFA files and check their totals")
        table = Table("PFA", "employees", "total (CSV)")
        grand = 0
        for e in hr.get(f"{url}/exports"):
            r = hr.http.get(
                f"{url}/exports/{e['pfa_code']}.csv",
                headers={"Authorization": f"Bearer {hr.token}"},
            )
            parsed = list(csv.reader(io.StringIO(r.text)))
            lines_total = sum(Decimal(row[7]) for row in parsed[8:-1])
            expect(parsed[-1][0] == "TOTAL" and Decimal(parsed[-1][7]) == lines_total, "CSV total")
            expect(int(lines_total * 100) == e["total"], f"{e['pfa_code']} total differs")
            x = hr.http.get(
                f"{url}/exports/{e['pfa_code']}.xlsx",
                headers={"Authorization": f"Bearer {hr.token}"},
            )
            expect(x.content[:2] == b"PK", "XLSX")
            grand += e["total"]
            table.add_row(e["pfa_code"], str(e["lines"]), naira(e["total"]))
        self.console.print(table)
        expect(grand == schedule["total"], "PFA files do not add up to the schedule")

        self.step("Record a Group Life Insurance policy (3 × annual total emoluments)")
        hr.post(
            f"{base}/gli",
            {
                "insurer": "Leadway Assurance",
                "policy_number": "GLI-ZF-2026",
                "cover_start": date(now.year, 1, 1).isoformat(),
                "cover_end": date(now.year, 12, 31).isoformat(),
                "cover_multiple": 3,
                "premium": 150_000_000,
                "premium_paid_on": date(now.year - 1, 12, 20).isoformat(),
            },
            expect=201,
        )

        self.step("Readiness for the PenCom Compliance Certificate")
        ready = hr.get(f"{base}/compliance")
        for item in ready["items"]:
            mark = "[green]✓[/]" if item["ok"] else "[red]✗[/]"
            self.console.print(f"    {mark} {item['label']}: {item['evidence']}")
        expect(ready["ready"], "not ready")

        self.step("Issue the certificate and verify it through its QR link")
        cert = hr.post(f"{base}/certificates", expect=201)
        pdf = hr.http.get(
            f"{base}/certificates/{cert['id']}.pdf", headers={"Authorization": f"Bearer {hr.token}"}
        )
        expect(pdf.content[:4] == b"%PDF", "certificate is not a PDF")
        page = self.api.http.get(cert["verify_url"].replace(self.api.base_url, ""))
        expect("Genuine and valid" in page.text, "verification page does not say genuine")
        token = cert["verify_url"].rsplit("/", 1)[-1]
        check = self.api.get(f"/v1/pensions/verify/{token}")
        expect(check["genuine"] and check["valid"], "verification failed")
        self.console.print(
            f"    {cert['number']} valid until {cert['valid_until']}: {cert['verify_url']}"
        )

        self.step("Ask the server for the ledger invariant")
        tokens = self.api.post(
            "/v1/admin/auth/login", {"email": self.admin_email, "password": self.admin_password}
        )
        admin = self.api.as_user(tokens["access_token"])
        invariant = admin.get("/v1/admin/ledger/invariants")
        expect(invariant["ok"], f"ledger invariant broken: {invariant['problems']}")
        self.console.print("[bold green]Ledger invariant holds.[/]")


def run(base_url: str, admin_email: str, admin_password: str, scenario: str = "on-time") -> int:
    demo = PensionsDemo(base_url, admin_email, admin_password, late=scenario == "late")
    try:
        demo.run()
    except DemoFailure as exc:
        demo.console.print(f"[bold red]DEMO FAILED:[/] {exc}")
        return 1
    demo.console.print(f"[bold green]Pensions demo ({scenario}) succeeded.[/]")
    return 0
