"""Reconciliation of merchant payments with the providers' records (seed 003 §2.5; DESIGN.md §5
"Unknown outcomes").

The unit of work is one provider configuration (a tenant's provider in one mode) over one UTC
day ``[D 00:00, D+1 00:00)``. :func:`reconcile_config`:

1. reads our payments of that configuration created that day, in a short transaction;
2. asks the provider, with **no transaction open** (on SQLite a transaction holds the write
   lock): its list endpoint for the day, and its status endpoint (``get_charge``, "verify
   before value") for every payment still open and for every payment missing from the list;
3. in the caller's transaction: settles each open payment from the provider's answer
   (:func:`kro.payments.charges.settle_charge`, actor ``reconciliation``; the ledger
   posts the collection with ids derived from the payment, so settling twice is a no-op),
   compares the rest, checks the ledger's collection transfer of every captured payment, and
   writes a :class:`ReconciliationReport`. Services only flush.

Findings (``kind``): ``settled`` (an open payment moved from → to; not a discrepancy),
``missing_at_provider`` (we have a payment that reached the provider, the provider does not
know it), ``missing_here`` (the provider has a charge with our reference prefix that no payment
of ours has), ``amount_mismatch``, ``status_mismatch``, ``ledger_mismatch`` (a captured payment
whose ``trf_{payment_id}_in`` is missing or differs from ``amount_captured``), ``unverified``
(the provider could not be asked about that payment).

A ``failed`` payment that the provider reports as succeeded (paid after a decline — it happens
on Paystack's and Stripe's hosted pages) is settled like an open one: the money is real, so it
is booked (``failed → completed``, ``succeed_late``) and reported as ``settled`` with a note. A
charge known only to the provider (``missing_here``) is reported, never booked.

In test mode every tenant without its own keys shares the platform's sandbox account, so the
list holds other tenants' and the products' charges: a charge whose reference is any payment of
ours that is not this configuration's is skipped, never reported.

**The platform's own accounts** (:mod:`kro.payments.platform`: ``platform_paystack`` …, through
which the products collect) are reconciled the same way: a platform configuration's payments
are the products' (``tenant_id`` NULL) taken through its provider, and its report is stored
with ``tenant_id`` ``""`` and ``mode`` ``platform`` (:func:`platform_configs`). Only the
providers whose status endpoint answers for our reference (``verification.ASKABLE``) are
reconciled: Paystack by its list and status endpoint; Fincra and Remita have no list
(``list_charges`` is ``[]``), so each payment of the day that reached them is asked about one
by one and the report has every finding but ``missing_here``. Providus (a bank transfer into a
dynamic account: no list, no status by our reference) is skipped with the reason logged: its
payments are settled from its notifications, each confirmed with the provider before value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.ledger import service as ledger
from kro.payments import charges, platform, states
from kro.payments.errors import (
    FutureDay,
    ReportNotFound,
    UnknownProviderConfig,
)
from kro.payments.models import Payment, ProviderConfig
from kro.payments.reconciliation import verification
from kro.payments.reconciliation.models import (
    CLEAN,
    DISCREPANCIES,
    ERROR,
    ReconciliationReport,
)
from kro.providers import registry
from kro.providers.base import ChargeStatus, PaymentProvider, ProviderCharge
from kro.providers.errors import (
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    UnknownProvider,
)
from kro.settings import Settings

log = structlog.get_logger("kro.payments.reconciliation.service")

ACTOR = "reconciliation"
OUR_PREFIX = "pay-"
"""Every payment reference we send starts so (``pay_…`` ids with ``-``)."""

SETTLED = "settled"
MISSING_AT_PROVIDER = "missing_at_provider"
MISSING_HERE = "missing_here"
AMOUNT_MISMATCH = "amount_mismatch"
STATUS_MISMATCH = "status_mismatch"
LEDGER_MISMATCH = "ledger_mismatch"
UNVERIFIED = "unverified"

SETTLEABLE = states.OPEN | {states.REQUIRES_CAPTURE}
"""Our statuses that the provider's answer may still move (``settle_charge`` handles them)."""

_OPEN_AT_PROVIDER = frozenset({ChargeStatus.PENDING, ChargeStatus.REQUIRES_ACTION})
_AGREES: dict[str, frozenset[ChargeStatus]] = {
    **dict.fromkeys(states.CAPTURED, frozenset({ChargeStatus.SUCCEEDED})),
    **dict.fromkeys(states.OPEN, _OPEN_AT_PROVIDER),
    states.REQUIRES_CAPTURE: frozenset({ChargeStatus.REQUIRES_CAPTURE}),
    # An abandoned checkout stays pending at Paystack; only value taken disagrees.
    states.FAILED: frozenset({ChargeStatus.FAILED, ChargeStatus.CANCELED} | _OPEN_AT_PROVIDER),
    states.CANCELED: frozenset({ChargeStatus.CANCELED, ChargeStatus.FAILED}),
}
"""For each of our statuses, the provider statuses that agree with it."""


@dataclass(frozen=True)
class Finding:
    """One line of a report; ``ours``/``theirs`` are small views (amounts in minor units)."""

    kind: str
    reference: str
    payment_id: str | None = None
    ours: dict[str, Any] | None = None
    theirs: dict[str, Any] | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "payment_id": self.payment_id,
            "reference": self.reference,
            "ours": self.ours,
            "theirs": self.theirs,
            "note": self.note,
        }


@dataclass
class ProviderAnswers:
    """What the provider said, gathered before any write: ``listed`` by our reference,
    ``verified`` (its status endpoint) by payment id, ``unknown`` payment ids its status
    endpoint does not know, ``failed`` payment id → why it could not be asked."""

    listed: dict[str, ProviderCharge] = field(default_factory=dict)
    verified: dict[str, ProviderCharge] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class _Tally:
    findings: list[Finding] = field(default_factory=list)
    matched: int = 0
    settled: int = 0
    theirs: int = 0

    @property
    def discrepancies(self) -> int:
        return sum(1 for f in self.findings if f.kind != SETTLED)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[day 00:00, day+1 00:00)`` in UTC."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def days_back(now: datetime, lookback: timedelta) -> list[date]:
    """The UTC days that ``[now - lookback, now]`` touches, oldest first."""
    first, last = (now - lookback).astimezone(UTC).date(), now.astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# Running -----------------------------------------------------------------------------------


async def reconcile_config(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    config: ProviderConfig,
    day: date,
    *,
    actor: str = ACTOR,
) -> ReconciliationReport:
    """Reconcile ``config`` (may be detached) over the UTC ``day``; see the module docstring.

    ``sessions`` opens the short read; nothing runs on ``session`` until the provider has
    answered, then the settlements and the report are written on it (flushed, not committed).
    A provider that cannot be asked gives a report with status ``error``; nothing raises for
    it.
    """
    started = utcnow()
    start, end = day_bounds(day)
    async with unit_of_work(sessions) as read:
        payments = await _payments_of(read, config, start, end)
        read.expunge_all()
    report = ReconciliationReport(
        tenant_id=config.tenant_id,
        mode=config.mode,
        provider=config.provider,
        provider_config_id=config.id,
        day=day,
        actor=actor[:64],
        started_at=started,
        ours=len(payments),
        findings=[],
    )
    try:
        async with charges.adapter(settings, config) as provider:
            answers = await ask_provider(provider, payments, start, end)
    except (ProviderUnavailable, ProviderTimeout, ProviderRejected) as exc:
        log.warning("reconciliation_failed", config_id=config.id, day=str(day), error=exc.code)
        report.status, report.error = ERROR, f"{exc.code}: {exc.message}"[:2000]
        report.finished_at = utcnow()
        session.add(report)
        await session.flush()
        return report
    tally = _Tally()
    for payment in payments:
        await _reconcile_payment(session, payment.id, answers, tally)
    await _orphans(session, config, {p.reference for p in payments}, answers, tally)
    report.theirs, report.matched, report.settled = tally.theirs, tally.matched, tally.settled
    report.discrepancies = tally.discrepancies
    report.findings = [f.as_json() for f in tally.findings]
    report.status = DISCREPANCIES if report.discrepancies else CLEAN
    report.finished_at = utcnow()
    session.add(report)
    await session.flush()
    log.info("reconciled", config_id=config.id, day=str(day), status=report.status,
             settled=report.settled, discrepancies=report.discrepancies)  # fmt: skip
    return report


async def run_report(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    tenant_id: str,
    mode: str,
    provider: str,
    day: date,
    actor: str,
) -> ReconciliationReport:
    """A tenant's "reconcile now" (``POST /v1/reconciliation/reports``, the dashboard): its
    configuration of ``provider`` in ``mode`` over the UTC ``day``, as :func:`reconcile_config`
    (the configuration is read in a short transaction of its own). Raises FutureDay (422
    ``invalid_date``) and UnknownProviderConfig (422 ``provider_not_configured``)."""
    if day > utcnow().date():
        raise FutureDay(details={"date": day.isoformat()})
    if provider not in registry.NAMES:
        raise UnknownProviderConfig(details={"provider": provider})
    async with unit_of_work(sessions) as read:
        config = await config_for(read, tenant_id, mode, provider)
        read.expunge(config)
    return await reconcile_config(session, sessions, settings, config, day, actor=actor)


async def reconcile_day(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    day: date,
    *,
    provider: str | None = None,
    tenant_id: str | None = None,
    actor: str = ACTOR,
) -> list[ReconciliationReport]:
    """Reconcile every enabled configuration (all tenants and both modes, then the
    platform's own; or only ``provider`` / ``tenant_id``'s) over ``day``, each in its own
    transaction (committed here: this is a unit-of-work owner, for the CLI). Returns the
    reports in configuration order."""
    async with unit_of_work(sessions) as read:
        configs = await enabled_configs(read, provider=provider, tenant_id=tenant_id)
        read.expunge_all()
    if tenant_id is None:
        configs += [c for c in platform_configs(settings) if provider in (None, c.provider)]
    reports = []
    for config in configs:
        async with unit_of_work(sessions) as session:
            reports.append(
                await reconcile_config(session, sessions, settings, config, day, actor=actor)
            )
    return reports


async def enabled_configs(
    session: AsyncSession, *, provider: str | None = None, tenant_id: str | None = None
) -> list[ProviderConfig]:
    """Enabled configurations of the providers the merchant API routes to, by tenant, mode,
    provider; optionally only ``provider`` or ``tenant_id``'s."""
    stmt = select(ProviderConfig).where(
        ProviderConfig.enabled.is_(True), ProviderConfig.provider.in_(registry.NAMES)
    )
    if provider:
        stmt = stmt.where(ProviderConfig.provider == provider)
    if tenant_id:
        stmt = stmt.where(ProviderConfig.tenant_id == tenant_id)
    order = (ProviderConfig.tenant_id, ProviderConfig.mode, ProviderConfig.provider)
    return list(await session.scalars(stmt.order_by(*order)))


def platform_configs(settings: Settings) -> list[ProviderConfig]:
    """The platform's own configurations to reconcile (``KRO_PAYMENTS_PROVIDERS`` and the
    dedicated ones, in that order), transient; those whose provider can be asked about a
    payment by our reference only (``verification.ASKABLE``). Each skipped one is logged with
    the reason (see the module docstring)."""
    found = []
    for name in dict.fromkeys([*settings.payments_providers, *platform.DEDICATED]):
        if name in verification.ASKABLE:
            found.append(platform.config(name))
        else:
            log.info("reconciliation_skipped", provider=name, mode=platform.PLATFORM,
                     reason="no charge list and no status by our reference: settled from its "
                     "notifications, each confirmed with the provider")  # fmt: skip
    return found


async def load_config(session: AsyncSession, config_id: str) -> ProviderConfig | None:
    """The configuration ``config_id`` names: a tenant's stored one, or a platform one
    (``platform_<provider>``, transient); None when there is no such thing."""
    prefix = f"{platform.PLATFORM}_"
    if config_id.startswith(prefix):
        try:
            return platform.config(config_id.removeprefix(prefix))
        except UnknownProvider:
            return None
    return await session.get(ProviderConfig, config_id)


async def config_for(
    session: AsyncSession, tenant_id: str, mode: str, provider: str
) -> ProviderConfig:
    """The tenant's configuration of ``provider`` in ``mode`` (enabled or not); else
    UnknownProviderConfig (422)."""
    config = await session.scalar(
        select(ProviderConfig).where(
            ProviderConfig.tenant_id == tenant_id,
            ProviderConfig.mode == mode,
            ProviderConfig.provider == provider,
        )
    )
    if config is None:
        raise UnknownProviderConfig(details={"provider": provider, "mode": mode})
    return config


# Asking the provider (no transaction open) ---------------------------------------------------


async def _payments_of(
    session: AsyncSession, config: ProviderConfig, start: datetime, end: datetime
) -> list[Payment]:
    rows = await session.scalars(
        select(Payment)
        .where(*_owned_by(config), Payment.created_at >= start, Payment.created_at < end)
        .order_by(Payment.id)
    )
    return list(rows)


def _owned_by(config: ProviderConfig) -> list[ColumnElement[bool]]:
    """A tenant configuration's payments are those routed through it; a platform one's are
    the products' (no tenant) taken through its provider."""
    if config.mode == platform.PLATFORM:
        return [Payment.tenant_id.is_(None), Payment.provider == config.provider]
    return [
        Payment.tenant_id == config.tenant_id,
        Payment.mode == config.mode,
        Payment.provider_config_id == config.id,
    ]


def reached_provider(payment: Payment) -> bool:
    """Whether the provider accepted the payment, or may have (its answer was lost): the last
    routing attempt was ``accepted`` or ``timeout``, or the provider gave it an id."""
    last = (payment.routing or [{}])[-1]
    return bool(payment.provider_transaction_id) or last.get("outcome") in ("accepted", "timeout")


async def ask_provider(
    provider: PaymentProvider, payments: Iterable[Payment], start: datetime, end: datetime
) -> ProviderAnswers:
    """The provider's list for ``[start, end)``, then its status endpoint for each payment
    still open and each one the list lacks (a charge created near midnight may be listed on
    the other day). Raises provider errors only from the list call."""
    answers = ProviderAnswers()
    for charge in await provider.list_charges(start, end):
        if charge.reference:
            answers.listed.setdefault(charge.reference, charge)
    for payment in payments:
        listed = payment.reference in answers.listed
        if payment.status not in SETTLEABLE and (listed or not reached_provider(payment)):
            continue
        try:
            answers.verified[payment.id] = await provider.get_charge(
                payment.reference, payment.provider_transaction_id
            )
        except ProviderRejected:
            answers.unknown.add(payment.id)
        except (ProviderUnavailable, ProviderTimeout) as exc:
            answers.failed[payment.id] = f"{exc.code}: {exc.message}"[:200]
    return answers


# Comparing (in the caller's transaction) ------------------------------------------------------


async def _reconcile_payment(
    session: AsyncSession, payment_id: str, answers: ProviderAnswers, tally: _Tally
) -> None:
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None:
        return
    verified = answers.verified.get(payment.id)
    listed = answers.listed.get(payment.reference)
    theirs = verified or listed
    if listed is not None:
        tally.theirs += 1
    if payment.id in answers.failed:
        tally.findings.append(_finding(UNVERIFIED, payment, theirs, answers.failed[payment.id]))
        return
    if theirs is None:
        if reached_provider(payment) or payment.id in answers.unknown:
            tally.findings.append(_finding(MISSING_AT_PROVIDER, payment, None, _missing(payment)))
        return
    tally.matched += 1
    late = payment.status == states.FAILED and theirs.status is ChargeStatus.SUCCEEDED
    answer = verified if payment.status in SETTLEABLE else theirs if late else None
    if answer is not None:
        before = payment.status
        if await charges.settle_charge(session, payment, answer, actor=ACTOR):
            tally.settled += 1
            note = f"{before} → {payment.status} from the provider's records"
            if late:
                note += " (late payment after a decline: booked)"
            tally.findings.append(_finding(SETTLED, payment, answer, note))
    tally.findings.extend(compare(payment, theirs))
    if payment.status in states.CAPTURED:
        found = await _ledger_finding(session, payment)
        if found is not None:
            tally.findings.append(found)


def _missing(payment: Payment) -> str:
    if payment.status in SETTLEABLE:
        return (
            "open payment unknown to the provider: it was never created there and cannot "
            "be paid; an operator may fail it"
        )
    return f"{payment.status} here, but the provider has no such charge"


def compare(payment: Payment, theirs: ProviderCharge) -> list[Finding]:
    """Amount and status disagreements between ``payment`` and the provider's ``theirs``
    (pure). An amount mismatch hides the status check (the status cannot be believed)."""
    if theirs.currency.upper() != payment.currency or theirs.amount != payment.amount:
        note = "the provider reports another amount or currency; nothing was settled from it"
        return [_finding(AMOUNT_MISMATCH, payment, theirs, note)]
    if (
        payment.status in states.CAPTURED
        and theirs.amount_captured
        and theirs.amount_captured != payment.amount_captured
    ):
        note = "the provider captured another amount"
        return [_finding(AMOUNT_MISMATCH, payment, theirs, note)]
    if theirs.status in _AGREES.get(payment.status, frozenset()):
        return []
    return [_finding(STATUS_MISMATCH, payment, theirs, _status_note(payment, theirs))]


def _status_note(payment: Payment, theirs: ProviderCharge) -> str:
    if payment.status == states.FAILED and theirs.status is ChargeStatus.SUCCEEDED:
        return (
            "late payment: the provider took the money after we failed the payment; failed is "
            "final here, so nothing was booked — an operator must refund or book it"
        )
    if payment.status in states.CAPTURED:
        return f"we hold the money as {payment.status}; the provider says {theirs.status}"
    return f"we say {payment.status}; the provider says {theirs.status}"


async def _ledger_finding(session: AsyncSession, payment: Payment) -> Finding | None:
    """The collection ``trf_{payment_id}_in`` must exist, for ``amount_captured``."""
    transfer = await ledger.get_transfer(session, f"trf_{payment.id}_in")
    if transfer is None:
        return _finding(LEDGER_MISMATCH, payment, None, "no collection transfer in the ledger")
    if transfer.amount != payment.amount_captured or transfer.currency != payment.currency:
        return _finding(
            LEDGER_MISMATCH,
            payment,
            None,
            f"the ledger collected {transfer.amount} {transfer.currency}, "
            f"the payment captured {payment.amount_captured} {payment.currency}",
        )
    return None


async def _orphans(
    session: AsyncSession,
    config: ProviderConfig,
    ours: set[str],
    answers: ProviderAnswers,
    tally: _Tally,
) -> None:
    """Listed charges with our prefix that no payment of ours has → ``missing_here``. A
    reference known elsewhere (another tenant, a product, this configuration's other day) is
    not this report's business."""
    strangers = [r for r in answers.listed if r not in ours and r.startswith(OUR_PREFIX)]
    known: set[str] = set()
    for chunk in (strangers[i : i + 500] for i in range(0, len(strangers), 500)):
        known.update(await session.scalars(select(Payment.reference).where(
            Payment.reference.in_(chunk))))  # fmt: skip
    for reference in strangers:
        if reference in known:
            continue
        tally.theirs += 1
        charge = answers.listed[reference]
        tally.findings.append(
            Finding(
                MISSING_HERE,
                reference,
                theirs=_theirs(charge),
                note=f"{config.provider} has this charge; we have no payment with its reference",
            )
        )


def _finding(kind: str, payment: Payment, theirs: ProviderCharge | None, note: str) -> Finding:
    return Finding(
        kind,
        payment.reference,
        payment_id=payment.id,
        ours={
            "status": payment.status,
            "amount": payment.amount,
            "amount_captured": payment.amount_captured,
            "currency": payment.currency,
            "provider_transaction_id": payment.provider_transaction_id,
        },
        theirs=_theirs(theirs) if theirs is not None else None,
        note=note,
    )


def _theirs(charge: ProviderCharge) -> dict[str, Any]:
    return {
        "status": str(charge.status),
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "currency": charge.currency.upper(),
        "provider_id": charge.provider_id,
        "fee": charge.fee,
    }


# Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    """``GET /v1/reconciliation/reports`` filters."""

    provider: str | None = None
    day: date | None = None
    status: str | None = None


async def list_reports(
    session: AsyncSession,
    tenant_id: str,
    mode: str,
    filters: ReportFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[ReconciliationReport], bool]:
    """The tenant's reports in ``mode``, newest first, ``limit`` at most, after the report
    ``cursor`` (the last id of the previous page). Returns ``(page, has_more)``."""
    stmt = select(ReconciliationReport).where(
        ReconciliationReport.tenant_id == tenant_id, ReconciliationReport.mode == mode
    )
    if filters.provider:
        stmt = stmt.where(ReconciliationReport.provider == filters.provider)
    if filters.day:
        stmt = stmt.where(ReconciliationReport.day == filters.day)
    if filters.status:
        stmt = stmt.where(ReconciliationReport.status == filters.status)
    if cursor:
        stmt = stmt.where(ReconciliationReport.id < cursor)
    order = ReconciliationReport.id.desc()
    rows = list(await session.scalars(stmt.order_by(order).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


async def get_report(
    session: AsyncSession, tenant_id: str, mode: str, report_id: str
) -> ReconciliationReport:
    """One of the tenant's reports in ``mode``; anything else → ReportNotFound (404)."""
    report = await session.get(ReconciliationReport, report_id)
    if report is None or report.tenant_id != tenant_id or report.mode != mode:
        raise ReportNotFound()
    return report


async def list_platform_reports(
    session: AsyncSession, filters: ReportFilter, *, limit: int, cursor: str | None
) -> tuple[list[ReconciliationReport], bool]:
    """The reports of the platform's own configurations (``tenant_id`` ``""``, mode
    ``platform``), as :func:`list_reports`: for the admin API and console."""
    return await list_reports(session, "", platform.PLATFORM, filters, limit=limit, cursor=cursor)


async def get_platform_report(session: AsyncSession, report_id: str) -> ReconciliationReport:
    """One report of the platform's configurations; a tenant's → ReportNotFound (404)."""
    return await get_report(session, "", platform.PLATFORM, report_id)
