"""The outbox table: one row per job (DESIGN.md section 5, "Transactional outbox").

A job is written by :func:`kro.jobs.service.enqueue` in the same transaction as the state
change that caused it, then claimed and run by a :class:`kro.jobs.worker.Worker`.

Life cycle (``status``)::

    queued ──claim──▶ running ──handler ok──▶ done
      ▲                 │  └──PermanentJobError / last attempt failed──▶ dead
      └──retry (backoff)┘                                               │
      ▲                                                                 │
      └────────────────────────── retry_dead (operator) ────────────────┘

A ``running`` job whose lease (``locked_until``) has passed belongs to a worker that died or
hung; any worker may claim it again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.db import Base, UTCDateTime

# Stored error text is cut to this many characters (head and tail of the traceback kept).
LAST_ERROR_MAX_CHARS = 4000


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    """A unit of background work.

    - ``name``: dotted domain name of the handler, e.g. ``"escrow.release_funds"``.
    - ``payload``: JSON object of ids and plain values (never ORM objects); the handler
      reloads its rows.
    - ``attempts``: how many times the job has been claimed (incremented at claim time, so a
      worker that dies mid-job still used an attempt).
    - ``max_attempts``: attempts before dead-letter; ``None`` means the worker's
      ``job_max_attempts`` setting.
    - ``run_at``: not claimed before this instant (first run, or the next retry).
    - ``locked_until``: end of the running worker's lease (``running`` only).
    - ``locked_by``: id of the worker holding the lease, or that ran the job last.
    - ``dedupe_key``: optional and unique; enqueueing an existing key returns the existing job.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'dead')",
            name="status",
        ),
        # The claim query: due queued jobs, and running jobs whose lease expired.
        Index("ix_jobs_status_run_at", "status", "run_at"),
        Index("ix_jobs_status_locked_until", "status", "locked_until"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(
        Text, comment=f"last failure, at most {LAST_ERROR_MAX_CHARS} characters"
    )
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.status} attempt={self.attempts}>"
