"""The ``reconciliation_reports`` table (seed 003 §2.5; :mod:`.service`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id

CLEAN = "clean"
DISCREPANCIES = "discrepancies"
ERROR = "error"
STATUSES = (CLEAN, DISCREPANCIES, ERROR)


class ReconciliationReport(Base):
    """One comparison of a provider configuration's charges with our payments and ledger over
    one UTC ``day`` (``[day 00:00, day+1 00:00)``).

    ``status``: ``clean`` (everything matched), ``discrepancies`` (at least one finding other
    than ``settled``), ``error`` (the provider could not be asked; ``error`` says why).
    Counts: ``ours`` (our payments of the day), ``theirs`` (the provider's charges of the day
    that are this configuration's or nobody's), ``matched`` (on both sides), ``settled`` (open
    payments settled from the provider's answer), ``discrepancies`` (findings needing an
    operator). ``findings``: a list of ``{kind, payment_id, reference, ours, theirs, note}``
    where ``ours``/``theirs`` hold ``status``, ``amount`` (minor units), ``currency``… Re-running
    a day adds a report: history is kept.
    """

    __tablename__ = "reconciliation_reports"
    __table_args__ = (
        Index("ix_reconciliation_reports_tenant", "tenant_id", "mode", "id"),
        Index("ix_reconciliation_reports_config_day", "provider_config_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rcn"))
    tenant_id: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), comment="test | live")
    provider: Mapped[str] = mapped_column(String(16))
    provider_config_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date, comment="UTC day reconciled")
    status: Mapped[str] = mapped_column(String(16), comment="clean | discrepancies | error")
    ours: Mapped[int] = mapped_column(default=0)
    theirs: Mapped[int] = mapped_column(default=0)
    matched: Mapped[int] = mapped_column(default=0)
    settled: Mapped[int] = mapped_column(default=0)
    discrepancies: Mapped[int] = mapped_column(default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    actor: Mapped[str] = mapped_column(String(64), comment="who ran it: schedule, cli, api_key:…")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
