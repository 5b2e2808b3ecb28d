"""Per-PFA schedule files (CSV and XLSX) and the PDF summary, from a schedule's lines.

Each per-PFA file has a header (employer name and PenCom code, period, PFA, PFC) and one line
per employee: RSA PIN, names, employee, employer, voluntary, total (naira with two decimals,
exact from kobo), then a total line equal to the sum of the lines.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from kro import documents
from kro.pensions.errors import ScheduleNotFound
from kro.pensions.models import PensionEmployer, PensionSchedule, PensionScheduleLine
from kro.pensions.operators import PFAS, PFCS, pfa_name

HEADER = (
    "rsa_pin",
    "surname",
    "first_name",
    "other_names",
    "employee",
    "employer",
    "voluntary",
    "total",
)


def naira(kobo: int) -> str:
    """Kobo → ``"12345.67"`` (exact)."""
    return f"{Decimal(kobo) / 100:.2f}"


def by_pfa(lines: list[PensionScheduleLine]) -> dict[str, list[PensionScheduleLine]]:
    groups: dict[str, list[PensionScheduleLine]] = defaultdict(list)
    for line in lines:
        groups[line.pfa_code or ""].append(line)
    return dict(sorted(groups.items()))


def _rows(
    employer: PensionEmployer, schedule: PensionSchedule, pfa: str, lines: list[PensionScheduleLine]
) -> list[list[Any]]:
    pfc = PFAS.get(pfa, ("", ""))[1]
    rows: list[list[Any]] = [
        ["employer", employer.name],
        ["employer_code", employer.employer_code],
        ["period", schedule.period],
        ["pfa", f"{pfa} {pfa_name(pfa)}"],
        ["pfc", f"{pfc} {PFCS.get(pfc, '')}".strip()],
        ["schedule", schedule.id],
        [],
        list(HEADER),
    ]
    for line in lines:
        rows.append(
            [
                line.rsa_pin,
                line.surname,
                line.first_name,
                line.other_names or "",
                naira(line.employee_amount),
                naira(line.employer_amount),
                naira(line.voluntary),
                naira(line.total),
            ]
        )
    rows.append(
        [
            "TOTAL",
            "",
            "",
            "",
            naira(sum(x.employee_amount for x in lines)),
            naira(sum(x.employer_amount for x in lines)),
            naira(sum(x.voluntary for x in lines)),
            naira(sum(x.total for x in lines)),
        ]
    )
    return rows


def pfa_csv(
    employer: PensionEmployer, schedule: PensionSchedule, pfa: str, lines: list[PensionScheduleLine]
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_rows(employer, schedule, pfa, lines))
    return buffer.getvalue().encode()


def pfa_xlsx(
    employer: PensionEmployer, schedule: PensionSchedule, pfa: str, lines: list[PensionScheduleLine]
) -> bytes:
    """The same rows as the CSV; amounts as text so no float ever holds them."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{pfa} {schedule.period}"
    for row in _rows(employer, schedule, pfa, lines):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def summary_pdf(
    employer: PensionEmployer, schedule: PensionSchedule, lines: list[PensionScheduleLine]
) -> bytes:
    """The employer's record of a schedule: totals per PFA and overall."""
    groups = [
        {
            "pfa": f"{pfa} {pfa_name(pfa)}",
            "pfc": PFCS.get(PFAS.get(pfa, ("", ""))[1], ""),
            "count": len(items),
            "total": naira(sum(x.total for x in items)),
        }
        for pfa, items in by_pfa(lines).items()
    ]
    return documents.render(
        "pensions/schedule_summary.typ",
        {
            "employer": employer.name,
            "employer_code": employer.employer_code,
            "period": schedule.period,
            "status": schedule.status,
            "rrr": schedule.rrr or "",
            "deadline": schedule.deadline.isoformat(),
            "employees": len(lines),
            "employee_total": naira(schedule.employee_total),
            "employer_total": naira(schedule.employer_total),
            "voluntary_total": naira(schedule.voluntary_total),
            "total": naira(schedule.total),
            "penalty": naira(schedule.penalty),
            "groups": groups,
        },
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_file(
    employer: PensionEmployer,
    schedule: PensionSchedule,
    lines: list[PensionScheduleLine],
    name: str,
) -> tuple[bytes, str]:
    """The file ``name`` of a schedule and its media type: ``<PFA>.csv`` or ``<PFA>.xlsx``
    (one PFA's lines) or ``summary.pdf`` (the whole schedule). ScheduleNotFound (404) for
    any other name."""
    if name == "summary.pdf":
        return summary_pdf(employer, schedule, lines), "application/pdf"
    pfa, _, fmt = name.rpartition(".")
    mine = by_pfa(lines).get(pfa)
    if mine is None or fmt not in ("csv", "xlsx"):
        raise ScheduleNotFound("No such export of this schedule.")
    if fmt == "csv":
        return pfa_csv(employer, schedule, pfa, mine), "text/csv"
    return pfa_xlsx(employer, schedule, pfa, mine), XLSX
