"""Transactional outbox, worker and scheduler (DESIGN.md section 5).

Writing a job (in the caller's transaction)::

    from kro.jobs import enqueue
    await enqueue(session, "escrow.release_funds", {"order_id": order.id})

Handling it (in ``kro/<module>/tasks.py``, listed in ``kro.jobs.registry.HANDLER_MODULES``)::

    from kro.jobs import JobContext, PermanentJobError, job_handler

    @job_handler("escrow.release_funds")
    async def release_funds(ctx: JobContext, payload: dict[str, Any]) -> None: ...

Periodic work: ``@periodic("ledger.expire_pending", every=timedelta(minutes=1))``.
Running it: ``kro.jobs.worker`` (``Worker``, ``drain``, ``run_worker``, ``in_process_worker``).
"""

from kro.jobs.errors import JobNotDead, JobNotFound, PermanentJobError, RetryJob
from kro.jobs.models import Job, JobStatus
from kro.jobs.registry import JobContext, job_handler
from kro.jobs.scheduler import periodic, schedule
from kro.jobs.service import enqueue

__all__ = [
    "Job",
    "JobContext",
    "JobNotDead",
    "JobNotFound",
    "JobStatus",
    "PermanentJobError",
    "RetryJob",
    "enqueue",
    "job_handler",
    "periodic",
    "schedule",
]
