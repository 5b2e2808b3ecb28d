"""Employees, their effective-dated pay, the bulk import and the check against PenCom's
register. Every query is scoped by the employer the caller is on the team of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.pensions import importer
from kro.pensions.employers import Access, audit, snapshot
from kro.pensions.errors import (
    EmployeeNotFound,
    ExitBeforeHire,
    ImportInvalid,
    StaffIdTaken,
    UnknownPfa,
)
from kro.pensions.models import PensionEmployee, PensionPay
from kro.pensions.operators import PFAS
from kro.pensions.rules import Pay
from kro.providers.errors import ProviderError
from kro.providers.pencom import PencomRegister
from kro.settings import Settings

EMPLOYEE_FIELDS = (
    "staff_id",
    "surname",
    "first_name",
    "other_names",
    "email",
    "phone",
    "date_of_birth",
    "hire_date",
    "exit_date",
    "rsa_pin",
    "pfa_code",
    "bvn",
)
PAY_FIELDS = ("basic", "housing", "transport", "other", "voluntary")


async def get(session: AsyncSession, found: Access, employee_id: str) -> PensionEmployee:
    """An employee of the caller's employer; EmployeeNotFound (404) for anyone else's."""
    employee = await session.get(PensionEmployee, employee_id)
    if employee is None or employee.employer_id != found.employer.id:
        raise EmployeeNotFound()
    return employee


async def list_all(session: AsyncSession, found: Access) -> list[PensionEmployee]:
    rows = await session.scalars(
        select(PensionEmployee)
        .where(PensionEmployee.employer_id == found.employer.id)
        .order_by(PensionEmployee.staff_id)
    )
    return list(rows)


async def pay_history(session: AsyncSession, employee_id: str) -> list[PensionPay]:
    rows = await session.scalars(
        select(PensionPay)
        .where(PensionPay.employee_id == employee_id)
        .order_by(PensionPay.effective_from)
    )
    return list(rows)


def pay_on(history: list[PensionPay], day: date) -> Pay | None:
    """The pay in force on ``day`` (the latest row effective on or before it)."""
    current = None
    for row in history:
        if row.effective_from <= day:
            current = row
    if current is None:
        return None
    return Pay(current.basic, current.housing, current.transport, current.other, current.voluntary)


async def create(
    session: AsyncSession, found: Access, fields: dict[str, Any], pay: dict[str, int]
) -> PensionEmployee:
    """Add one employee with their pay from the hire date (HR officer). StaffIdTaken (409)."""
    actor, employer_id = found.actor, found.employer.id
    taken = await session.scalar(
        select(PensionEmployee.id).where(
            PensionEmployee.employer_id == employer_id,
            PensionEmployee.staff_id == fields["staff_id"],
        )
    )
    if taken is not None:
        raise StaffIdTaken()
    employee = PensionEmployee(employer_id=employer_id, **fields)
    session.add(employee)
    await session.flush()
    session.add(PensionPay(employee_id=employee.id, effective_from=employee.hire_date, **pay))
    await session.flush()
    await audit(
        session,
        actor,
        "employee.created",
        "pension_employee",
        employee.id,
        after={**snapshot(employee, EMPLOYEE_FIELDS), **pay},
    )
    return employee


async def update(
    session: AsyncSession, found: Access, employee_id: str, fields: dict[str, Any]
) -> PensionEmployee:
    """Change an employee's details (HR officer); a changed PIN or PFA is checked again. An
    ``exit_date`` makes them a leaver (prorated in that month, absent after it).

    Raises ExitBeforeHire (422, ``details.field = "exit_date"``) and UnknownPfa (422,
    ``details.field = "pfa_code"``), writing nothing."""
    actor = found.actor
    employee = await get(session, found, employee_id)
    exit_date = fields.get("exit_date", employee.exit_date)
    if exit_date is not None and exit_date < employee.hire_date:
        raise ExitBeforeHire(details={"field": "exit_date"})
    pfa = fields.get("pfa_code")
    if pfa is not None:
        fields = {**fields, "pfa_code": pfa.upper()}
        if fields["pfa_code"] not in PFAS:
            raise UnknownPfa(details={"field": "pfa_code"})
    before = snapshot(employee, EMPLOYEE_FIELDS)
    for name, value in fields.items():
        if name in EMPLOYEE_FIELDS and name != "staff_id":
            setattr(employee, name, value)
    if (employee.rsa_pin, employee.pfa_code) != (before["rsa_pin"], before["pfa_code"]):
        employee.register_status, employee.register_note = "unchecked", None
    await session.flush()
    after = snapshot(employee, EMPLOYEE_FIELDS)
    await audit(
        session,
        actor,
        "employee.updated",
        "pension_employee",
        employee.id,
        before=before,
        after=after,
    )
    return employee


async def set_pay(
    session: AsyncSession,
    found: Access,
    employee_id: str,
    effective_from: date,
    pay: dict[str, int],
) -> PensionPay:
    """New monthly pay (kobo) from ``effective_from`` (HR officer): periods before it keep
    the pay they had, later rows of the history still take over from their own dates. A date
    before the hire date is the hire date (the first row, which it would otherwise never
    override); the same day again replaces that row."""
    actor = found.actor
    employee = await get(session, found, employee_id)
    effective_from = max(effective_from, employee.hire_date)
    row = await session.scalar(
        select(PensionPay).where(
            PensionPay.employee_id == employee.id, PensionPay.effective_from == effective_from
        )
    )
    before = snapshot(row, PAY_FIELDS) if row else None
    if row is None:
        row = PensionPay(employee_id=employee.id, effective_from=effective_from, **pay)
        session.add(row)
    else:
        for name, value in pay.items():
            setattr(row, name, value)
    await session.flush()
    await audit(
        session,
        actor,
        "employee.pay_set",
        "pension_employee",
        employee.id,
        before=before,
        after={"effective_from": effective_from.isoformat(), **pay},
    )
    return row


@dataclass
class ImportResult:
    """What an import did (or, with errors, would not do): counts, row errors, warnings."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


async def import_file(
    session: AsyncSession, found: Access, filename: str, content: bytes
) -> ImportResult:
    """Validate the whole file first; with any error raise ImportInvalid (422) carrying every
    error (row, column, reason) and write nothing. Otherwise create or update by ``staff_id``
    (new pay effective from the hire date for a new employee, from the first of the current
    month for a changed one). All or nothing: the request's transaction holds every row."""
    actor, employer_id = found.actor, found.employer.id
    try:
        table = importer.read_table(filename, content)
    except importer.ImportFileError as exc:
        raise ImportInvalid(
            str(exc), details={"errors": [{"row": 1, "column": "", "reason": str(exc)}]}
        ) from exc
    checked = importer.validate(table)
    if checked.errors:
        raise ImportInvalid(
            f"{len(checked.errors)} errors in the file; nothing was imported.",
            details={"errors": checked.errors, "warnings": checked.warnings},
        )
    existing = {
        e.staff_id: e
        for e in await session.scalars(
            select(PensionEmployee).where(PensionEmployee.employer_id == employer_id)
        )
    }
    result = ImportResult(rows=checked.total_rows, warnings=checked.warnings)
    month_start = utcnow().date().replace(day=1)
    for row in checked.rows:
        details = {name: getattr(row, name) for name in EMPLOYEE_FIELDS if hasattr(row, name)}
        pay = {
            "basic": row.basic,
            "housing": row.housing,
            "transport": row.transport,
            "other": row.other_allowances,
            "voluntary": row.voluntary,
        }
        employee = existing.get(row.staff_id)
        if employee is None:
            employee = PensionEmployee(employer_id=employer_id, **details)
            session.add(employee)
            await session.flush()
            session.add(PensionPay(employee_id=employee.id, effective_from=row.hire_date, **pay))
            result.created += 1
            await audit(
                session,
                actor,
                "employee.imported",
                "pension_employee",
                employee.id,
                after={**snapshot(employee, EMPLOYEE_FIELDS), **pay},
            )
            continue
        before = snapshot(employee, EMPLOYEE_FIELDS)
        for name, value in details.items():
            setattr(employee, name, value)
        if (employee.rsa_pin, employee.pfa_code) != (before["rsa_pin"], before["pfa_code"]):
            employee.register_status, employee.register_note = "unchecked", None
        history = await pay_history(session, employee.id)
        current = pay_on(history, max(month_start, employee.hire_date))
        pay_changed = current is None or any(getattr(current, k) != v for k, v in pay.items())
        if pay_changed:
            start = max(month_start, employee.hire_date)
            same = next((h for h in history if h.effective_from == start), None)
            if same is None:
                session.add(PensionPay(employee_id=employee.id, effective_from=start, **pay))
            else:
                for name, value in pay.items():
                    setattr(same, name, value)
        after = snapshot(employee, EMPLOYEE_FIELDS)
        if before == after and not pay_changed:
            result.unchanged += 1
            continue
        result.updated += 1
        await audit(
            session,
            actor,
            "employee.reimported",
            "pension_employee",
            employee.id,
            before=before,
            after={**after, **pay},
        )
    await session.flush()
    return result


@dataclass(frozen=True)
class RegisterFinding:
    """The register's answer for one employee: ``status`` and, if not verified, why."""

    employee_id: str
    status: str
    note: str | None


def compare(employee: PensionEmployee, holder: Any) -> RegisterFinding:
    """``verified`` when the register's PFA and surname (and date of birth, when both have
    one) match ours; ``mismatch`` saying what differs; ``not_found`` without a holder."""
    if holder is None:
        return RegisterFinding(employee.id, "not_found", "PIN not in PenCom's register")
    problems = []
    if holder.pfa_code != employee.pfa_code:
        problems.append(f"PIN belongs to PFA {holder.pfa_code}, not {employee.pfa_code}")
    if holder.surname.strip().lower() != employee.surname.strip().lower():
        problems.append(f"register name is {holder.surname} {holder.first_name}")
    if (
        holder.date_of_birth
        and employee.date_of_birth
        and holder.date_of_birth != employee.date_of_birth
    ):
        problems.append("date of birth differs")
    if problems:
        return RegisterFinding(employee.id, "mismatch", "; ".join(problems)[:300])
    return RegisterFinding(employee.id, "verified", None)


async def ask_register(settings: Settings, employees: list[tuple[str, str]]) -> dict[str, Any]:
    """``{pin: holder or None}`` for ``(employee_id, pin)`` pairs, asked with no transaction
    open. Raises ProviderError when the register cannot answer."""
    answers: dict[str, Any] = {}
    async with PencomRegister(settings.pencom_base_url, timeout=settings.pencom_timeout) as reg:
        for _, pin in employees:
            if pin not in answers:
                answers[pin] = await reg.holder(pin)
    return answers


async def pins_to_check(session: AsyncSession, found: Access) -> list[tuple[str, str]]:
    """``(employee_id, pin)`` of the employer's employees with a PIN."""
    rows = await session.execute(
        select(PensionEmployee.id, PensionEmployee.rsa_pin).where(
            PensionEmployee.employer_id == found.employer.id,
            PensionEmployee.rsa_pin.is_not(None),
        )
    )
    return [(i, p) for i, p in rows.all() if p]


async def apply_register(
    session: AsyncSession, found: Access, answers: dict[str, Any]
) -> list[RegisterFinding]:
    """Record the register's answers on the employees (audited when a status changes)."""
    actor, employer_id = found.actor, found.employer.id
    findings = []
    for employee in await session.scalars(
        select(PensionEmployee).where(
            PensionEmployee.employer_id == employer_id, PensionEmployee.rsa_pin.is_not(None)
        )
    ):
        if employee.rsa_pin not in answers:
            continue
        finding = compare(employee, answers[employee.rsa_pin])
        if (employee.register_status, employee.register_note) != (finding.status, finding.note):
            before = {"register_status": employee.register_status}
            employee.register_status, employee.register_note = finding.status, finding.note
            await audit(
                session,
                actor,
                "employee.register_checked",
                "pension_employee",
                employee.id,
                before=before,
                after={"register_status": finding.status, "note": finding.note},
            )
        findings.append(finding)
    await session.flush()
    return findings


async def check_register(
    session: AsyncSession, settings: Settings, found: Access
) -> list[RegisterFinding]:
    """Check every PIN against PenCom's register (HR officer or finance approver): read,
    commit nothing held, ask, then write. Raises ProviderError (502-504) when the register
    cannot answer."""
    pins = await pins_to_check(session, found)  # read only: no lock held
    answers = await ask_register(settings, pins)
    return await apply_register(session, found, answers)


__all__ = ["ProviderError"]
