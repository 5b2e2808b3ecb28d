"""Monthly contribution schedules: prepare (HR officer), submit, approve (finance approver, not
the preparer, with a fresh TOTP), pay through Remita (the payments core), confirmed once
Remita's status check said paid (job ``pensions.payment_completed``).

Arithmetic is :mod:`kro.pensions.rules` (kobo, half-up per line, totals = sum of lines).
The deadline is fixed at preparation; the late penalty is computed per employee when the
payment is opened (paid on or before the deadline: none) and remitted with the contributions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import totp
from kro.jobs.service import enqueue
from kro.kit.clock import utcnow
from kro.kit.errors import InvalidTransition
from kro.ledger import chart
from kro.payments import states as pay_states
from kro.payments.collect import service as payments
from kro.payments.collect.service import CollectRequest
from kro.payments.models import Payment
from kro.pensions import rules, states
from kro.pensions.employees import pay_history, pay_on
from kro.pensions.employers import Access, Actor, audit
from kro.pensions.errors import (
    InvalidPeriod,
    MakerChecker,
    NothingToSchedule,
    RegisterMismatch,
    ScheduleExists,
    ScheduleNotFound,
)
from kro.pensions.models import (
    PensionEmployee,
    PensionSchedule,
    PensionScheduleEvent,
    PensionScheduleLine,
)
from kro.pensions.operators import pfc_of
from kro.settings import Settings

PURPOSE = "pensions"


@dataclass
class ScheduleView:
    """A schedule with its lines and the employees left out for want of an RSA PIN (the Act
    gives a new employee 6 months to open an RSA)."""

    schedule: PensionSchedule
    lines: list[PensionScheduleLine]
    without_pin: list[PensionEmployee] = field(default_factory=list)
    penalty_if_paid_today: int = 0
    months_late_today: int = 0


def rates_for(settings: Settings, bears_all: bool) -> rules.Rates:
    return rules.Rates(
        employee_bps=settings.pensions_employee_rate_bps,
        employer_bps=settings.pensions_employer_rate_bps,
        bears_all=bears_all,
        bears_all_min_bps=settings.pensions_employer_bears_all_min_bps,
    )


def check_period(period: str) -> None:
    try:
        first, _ = rules.period_bounds(period)
    except ValueError as exc:
        raise InvalidPeriod() from exc
    if first > utcnow().date():
        raise InvalidPeriod("A schedule cannot be prepared for a future month.")


async def _record(
    session: AsyncSession,
    schedule: PensionSchedule,
    action: str,
    actor: Actor | None,
    reason: str | None = None,
) -> None:
    """Move ``schedule`` by ``action`` (the table in :mod:`.states`), with its event row and an
    audit entry."""
    step = states.SCHEDULE.next(schedule.status, action)
    schedule.status = step.to_state
    session.add(
        PensionScheduleEvent(
            schedule_id=schedule.id,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            actor_id=actor.id if actor else None,
            reason=reason,
        )
    )
    await session.flush()
    await audit(
        session,
        actor,
        f"schedule.{action}",
        "pension_schedule",
        schedule.id,
        before={"status": step.from_state},
        after={"status": step.to_state, "reason": reason, "total": schedule.total},
    )


async def _employees(session: AsyncSession, employer_id: str, period: str) -> list[PensionEmployee]:
    first, last = rules.period_bounds(period)
    rows = await session.scalars(
        select(PensionEmployee)
        .where(
            PensionEmployee.employer_id == employer_id,
            PensionEmployee.hire_date <= last,
            (PensionEmployee.exit_date.is_(None)) | (PensionEmployee.exit_date >= first),
        )
        .order_by(PensionEmployee.staff_id)
    )
    return list(rows)


async def prepare(
    session: AsyncSession,
    settings: Settings,
    found: Access,
    period: str,
    *,
    employer_bears_all: bool = False,
) -> ScheduleView:
    """Compute the schedule of ``period`` for every employee active in it (HR officer): each
    with that period's pay (effective-dated), prorated for joiners and leavers. Employees
    without a PIN are left out (listed apart). ScheduleExists (409) when the period has a
    regular schedule that is not discarded; NothingToSchedule (422)."""
    actor, employer_id = found.actor, found.employer.id
    check_period(period)
    taken = await session.scalar(
        select(PensionSchedule.id).where(
            PensionSchedule.employer_id == employer_id,
            PensionSchedule.period == period,
            PensionSchedule.kind == "regular",
            PensionSchedule.status != states.DISCARDED,
        )
    )
    if taken is not None:
        raise ScheduleExists(details={"schedule_id": taken})
    rates = rates_for(settings, employer_bears_all)
    items = list(settings.pensions_emolument_items)
    employer = found.employer
    schedule = PensionSchedule(
        employer_id=employer_id,
        period=period,
        employer_bears_all=employer_bears_all,
        employee_rate_bps=0 if employer_bears_all else rates.employee_bps,
        employer_rate_bps=max(rates.employee_bps + rates.employer_bps, rates.bears_all_min_bps)
        if employer_bears_all
        else rates.employer_bps,
        salary_date=rules.salary_date(period, employer.salary_day),
        deadline=rules.deadline(
            period, employer.salary_day, settings.pensions_remittance_working_days
        ),
        prepared_by=actor.id,
    )
    session.add(schedule)
    await session.flush()
    lines = await compute_lines(session, schedule, rates, items)
    if not lines:
        raise NothingToSchedule()
    session.add_all(lines)
    schedule.employee_total = sum(x.employee_amount for x in lines)
    schedule.employer_total = sum(x.employer_amount for x in lines)
    schedule.voluntary_total = sum(x.voluntary for x in lines)
    schedule.total = sum(x.total for x in lines)
    session.add(
        PensionScheduleEvent(
            schedule_id=schedule.id,
            action="prepare",
            from_state=None,
            to_state=states.DRAFT,
            actor_id=actor.id,
        )
    )
    await session.flush()
    await audit(
        session,
        actor,
        "schedule.prepared",
        "pension_schedule",
        schedule.id,
        after={"period": period, "total": schedule.total, "lines": len(lines)},
    )
    return await view(session, settings, schedule)


async def compute_lines(
    session: AsyncSession,
    schedule: PensionSchedule,
    rates: rules.Rates,
    items: list[str],
) -> list[PensionScheduleLine]:
    """One line per employee with a PIN active in the schedule's period (unsaved), with that
    period's pay, prorated, half-up per line."""
    _, last = rules.period_bounds(schedule.period)
    lines = []
    for employee in await _employees(session, schedule.employer_id, schedule.period):
        if not employee.rsa_pin or not employee.pfa_code:
            continue
        pay = pay_on(await pay_history(session, employee.id), last)
        if pay is None:
            continue
        days, month_days = rules.active_days(
            schedule.period, employee.hire_date, employee.exit_date
        )
        line = rules.contribution(pay, rates, items, days, month_days)
        lines.append(
            PensionScheduleLine(
                schedule_id=schedule.id,
                employee_id=employee.id,
                staff_id=employee.staff_id,
                surname=employee.surname,
                first_name=employee.first_name,
                other_names=employee.other_names,
                rsa_pin=employee.rsa_pin,
                pfa_code=employee.pfa_code,
                pfc_code=pfc_of(employee.pfa_code),
                days_active=days,
                days_in_month=month_days,
                emoluments=line.emoluments,
                employee_amount=line.employee,
                employer_amount=line.employer,
                voluntary=line.voluntary,
                total=line.total,
            )
        )
    return lines


async def adjust(
    session: AsyncSession, settings: Settings, found: Access, schedule_id: str
) -> ScheduleView:
    """A correction of an approved (remitted, confirmed) schedule, which never changes: an
    ``adjustment`` schedule for the same period and deadline that refers to it, holding per
    employee what is still owed — the period recomputed with today's data (pay corrected with
    an earlier effective date, a PIN fixed, a joiner added) less what the original and earlier
    adjustments carried, where positive (an overpayment is not refunded here). Then it goes
    through the same submit → approve → pay steps. NothingToSchedule (422) when nothing is owed."""
    actor, employer_id = found.actor, found.employer.id
    original = await load(session, found, schedule_id)
    if original.status not in states.IMMUTABLE or original.kind != "regular":
        raise InvalidTransition(
            "Only an approved regular schedule can be adjusted.",
            details={"state": original.status, "action": "adjust", "allowed": []},
        )
    related = [
        original.id,
        *await session.scalars(
            select(PensionSchedule.id).where(
                PensionSchedule.adjusts_id == original.id,
                PensionSchedule.status != states.DISCARDED,
            )
        ),
    ]
    carried: dict[str, tuple[int, int, int]] = {}
    for line in await session.scalars(
        select(PensionScheduleLine).where(PensionScheduleLine.schedule_id.in_(related))
    ):
        ee, er, vol = carried.get(line.employee_id, (0, 0, 0))
        carried[line.employee_id] = (
            ee + line.employee_amount,
            er + line.employer_amount,
            vol + line.voluntary,
        )
    schedule = PensionSchedule(
        employer_id=employer_id,
        period=original.period,
        kind="adjustment",
        adjusts_id=original.id,
        employer_bears_all=original.employer_bears_all,
        employee_rate_bps=original.employee_rate_bps,
        employer_rate_bps=original.employer_rate_bps,
        salary_date=original.salary_date,
        deadline=original.deadline,
        prepared_by=actor.id,
    )
    session.add(schedule)
    await session.flush()
    rates = rates_for(settings, original.employer_bears_all)
    lines = []
    for line in await compute_lines(
        session, schedule, rates, list(settings.pensions_emolument_items)
    ):
        ee, er, vol = carried.get(line.employee_id, (0, 0, 0))
        line.employee_amount = max(0, line.employee_amount - ee)
        line.employer_amount = max(0, line.employer_amount - er)
        line.voluntary = max(0, line.voluntary - vol)
        line.total = line.employee_amount + line.employer_amount + line.voluntary
        if line.total > 0:
            lines.append(line)
    if not lines:
        raise NothingToSchedule("Nothing is owed beyond what the schedule carried.")
    session.add_all(lines)
    schedule.employee_total = sum(x.employee_amount for x in lines)
    schedule.employer_total = sum(x.employer_amount for x in lines)
    schedule.voluntary_total = sum(x.voluntary for x in lines)
    schedule.total = sum(x.total for x in lines)
    session.add(
        PensionScheduleEvent(
            schedule_id=schedule.id,
            action="prepare",
            from_state=None,
            to_state=states.DRAFT,
            actor_id=actor.id,
            reason=f"adjusts {original.id}",
        )
    )
    await session.flush()
    await audit(
        session,
        actor,
        "schedule.adjustment_prepared",
        "pension_schedule",
        schedule.id,
        after={"adjusts": original.id, "total": schedule.total, "lines": len(lines)},
    )
    return await view(session, settings, schedule)


async def load(
    session: AsyncSession, found: Access, schedule_id: str, *, lock: bool = False
) -> PensionSchedule:
    """A schedule of the caller's employer (``lock``: FOR UPDATE, reloaded); ScheduleNotFound
    (404) for anyone else's."""
    schedule = await session.get(
        PensionSchedule, schedule_id, with_for_update=lock or None, populate_existing=lock
    )
    if schedule is None or schedule.employer_id != found.employer.id:
        raise ScheduleNotFound()
    return schedule


async def view(
    session: AsyncSession, settings: Settings, schedule: PensionSchedule
) -> ScheduleView:
    """The schedule, its lines, who was left out, and the penalty if it were paid today."""
    lines = list(
        await session.scalars(
            select(PensionScheduleLine)
            .where(PensionScheduleLine.schedule_id == schedule.id)
            .order_by(PensionScheduleLine.staff_id)
        )
    )
    without = [
        e for e in await _employees(session, schedule.employer_id, schedule.period) if not e.rsa_pin
    ]
    months = 0
    penalty = schedule.penalty
    if schedule.status not in (states.CONFIRMED, states.REMITTED):
        months = rules.months_late(schedule.deadline, utcnow().date())
        penalty = sum(
            rules.penalty(
                x.employee_amount + x.employer_amount, settings.pensions_penalty_rate_bps, months
            )
            for x in lines
        )
    else:
        months = schedule.penalty_months
    return ScheduleView(schedule, lines, without, penalty, months)


async def list_for(session: AsyncSession, found: Access) -> list[PensionSchedule]:
    rows = await session.scalars(
        select(PensionSchedule)
        .where(PensionSchedule.employer_id == found.employer.id)
        .order_by(PensionSchedule.period.desc(), PensionSchedule.created_at.desc())
    )
    return list(rows)


async def get(
    session: AsyncSession, settings: Settings, found: Access, schedule_id: str
) -> ScheduleView:
    schedule = await load(session, found, schedule_id)
    return await view(session, settings, schedule)


async def submit(
    session: AsyncSession, settings: Settings, found: Access, schedule_id: str
) -> ScheduleView:
    """The maker submits a draft for approval (HR officer). Lines whose PIN PenCom's register
    flagged (another PFA, another name) block it: RegisterMismatch (422) naming them."""
    actor = found.actor
    schedule = await load(session, found, schedule_id, lock=True)
    states.SCHEDULE.next(schedule.status, "submit")
    flagged = list(
        await session.scalars(
            select(PensionEmployee.staff_id)
            .join(PensionScheduleLine, PensionScheduleLine.employee_id == PensionEmployee.id)
            .where(
                PensionScheduleLine.schedule_id == schedule.id,
                PensionEmployee.register_status.in_(("mismatch", "not_found")),
            )
        )
    )
    if flagged:
        raise RegisterMismatch(details={"staff_ids": flagged})
    schedule.submitted_by = actor.id
    await _record(session, schedule, "submit", actor)
    return await view(session, settings, schedule)


async def reject(
    session: AsyncSession,
    settings: Settings,
    found: Access,
    schedule_id: str,
    reason: str,
) -> ScheduleView:
    """The checker sends a submitted schedule back to draft (finance approver)."""
    schedule = await load(session, found, schedule_id, lock=True)
    await _record(session, schedule, "reject", found.actor, reason)
    return await view(session, settings, schedule)


async def discard(
    session: AsyncSession, settings: Settings, found: Access, schedule_id: str
) -> ScheduleView:
    """The maker drops a draft (HR officer)."""
    schedule = await load(session, found, schedule_id, lock=True)
    await _record(session, schedule, "discard", found.actor)
    return await view(session, settings, schedule)


async def approve(
    session: AsyncSession,
    settings: Settings,
    found: Access,
    schedule_id: str,
    totp_code: str | None,
) -> ScheduleView:
    """The checker approves (finance approver) with a fresh TOTP code; who prepared or
    submitted it cannot (MakerChecker, 403). From now on the schedule is immutable."""
    actor = found.actor
    schedule = await load(session, found, schedule_id, lock=True)
    states.SCHEDULE.next(schedule.status, "approve")
    if actor.id in (schedule.prepared_by, schedule.submitted_by):
        raise MakerChecker()
    await totp.require(session, actor.user, totp_code, purpose=totp.USER, field="totp_code")
    schedule.approved_by, schedule.approved_at = actor.id, utcnow()
    await _record(session, schedule, "approve", actor, "fresh TOTP code")
    return await view(session, settings, schedule)


async def pay(
    session: AsyncSession,
    settings: Settings,
    found: Access,
    schedule_id: str,
    callback_url: str | None,
) -> tuple[PensionSchedule, Payment]:
    """Open the remittance (finance approver): contributions plus the late penalty as of today,
    per employee, through Remita (an RRR, a hosted page). The schedule becomes ``remitted``;
    it is ``confirmed`` when Remita's status check says paid. Calling again while the RRR is
    open returns it. Raises the payments core's errors (422, 402, 503)."""
    actor, employer_id = found.actor, found.employer.id
    schedule = await load(session, found, schedule_id)
    if schedule.status == states.REMITTED and schedule.payment_id:
        current = await payments.get_payment(session, schedule.payment_id)
        if current.status in pay_states.OPEN:
            return schedule, current
    states.SCHEDULE.next(schedule.status, "pay")
    current_view = await view(session, settings, schedule)
    penalty = current_view.penalty_if_paid_today
    account = await chart.ensure_account(session, pension_account(schedule.id))
    request = CollectRequest(
        purpose=PURPOSE,
        purpose_id=schedule.id,
        payer_id=actor.id,
        email=actor.user.email,
        name=found.employer.name,
        amount=schedule.total + penalty,
        currency="NGN",
        credit_account_id=account.id,
        provider="remita",
        method="remita",
        callback_url=callback_url,
        description=f"Pension {schedule.period} {found.employer.name}"[:100],
        metadata={"schedule_id": schedule.id, "employer_id": employer_id},
    )
    payment = await payments.collect(session, settings, request)
    schedule = await load(session, found, schedule_id, lock=True)
    months = current_view.months_late_today
    schedule.penalty, schedule.penalty_months = penalty, months
    for line in current_view.lines:
        line.penalty = rules.penalty(
            line.employee_amount + line.employer_amount, settings.pensions_penalty_rate_bps, months
        )
    schedule.payment_id = payment.id
    schedule.rrr = payment.provider_transaction_id
    schedule.remitted_at = utcnow()
    reason = f"RRR {schedule.rrr}, penalty {penalty} kobo ({months} months late)"
    await _record(session, schedule, "pay", actor, reason)
    return schedule, payment


def pension_account(schedule_id: str) -> chart.AccountDef:
    """Liability: contributions (and penalties) collected for one schedule, owed to the
    employees' RSAs through their PFCs. Never debited beyond what it received."""
    return chart.AccountDef(
        f"pensions:{schedule_id}:NGN", "NGN", "liability", debits_must_not_exceed_credits=True
    )


async def check_payment(session: AsyncSession, found: Access, schedule_id: str) -> PensionSchedule:
    """Ask the payments core to check the schedule's payment with Remita now (the payer came
    back from the hosted page, or says they paid at a bank): a ``payments.verify_payment`` job,
    which settles from Remita's status answer only."""
    schedule = await load(session, found, schedule_id)
    if schedule.payment_id and schedule.status == states.REMITTED:
        await enqueue(
            session,
            "payments.verify_payment",
            {"payment_id": schedule.payment_id, "step": 0},
            dedupe_key=f"pensions-check:{schedule.payment_id}:{int(utcnow().timestamp())}",
        )
    return schedule


async def confirm(session: AsyncSession, payment_id: str, schedule_id: str) -> bool:
    """The remittance was verified (job ``pensions.payment_completed``): ``confirmed``.
    Idempotent; False when nothing was done."""
    schedule = await session.get(PensionSchedule, schedule_id, with_for_update=True)
    payment = await payments.find_payment(session, payment_id)
    if schedule is None or payment is None or payment.status != pay_states.COMPLETED:
        return False
    if payment.purpose != PURPOSE or payment.purpose_id != schedule.id:
        return False
    if schedule.status != states.REMITTED or schedule.payment_id != payment.id:
        return False
    schedule.confirmed_at = utcnow()
    schedule.paid_on = (payment.paid_at or utcnow()).date()
    await _record(session, schedule, "confirm", None, f"Remita confirmed RRR {schedule.rrr}")
    return True


async def due_reminders(
    session: AsyncSession, settings: Settings, today: date
) -> list[PensionSchedule]:
    """Unpaid schedules whose deadline is within ``KRO_PENSIONS_REMINDER_BEFORE``, not yet
    reminded; marked reminded."""
    horizon = today.toordinal() + max(1, settings.pensions_reminder_before // 86_400)
    rows = list(
        await session.scalars(
            select(PensionSchedule).where(
                PensionSchedule.status.in_((states.DRAFT, states.SUBMITTED, states.APPROVED)),
                PensionSchedule.reminded_at.is_(None),
                PensionSchedule.deadline >= today,
            )
        )
    )
    due = [s for s in rows if s.deadline.toordinal() <= horizon]
    for schedule in due:
        schedule.reminded_at = utcnow()
    await session.flush()
    return due
