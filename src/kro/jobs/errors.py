"""Errors of the jobs module.

Handlers raise :class:`PermanentJobError` (dead-letter now) or :class:`RetryJob` (try again
after a chosen delay); any other exception is a transient failure retried with backoff.
Operators' calls (:func:`kro.jobs.service.retry_dead`) raise the ``KroError`` subclasses.
"""

from __future__ import annotations

from datetime import timedelta

from kro.kit.errors import Conflict, NotFound


class PermanentJobError(Exception):
    """The job can never succeed (bad payload, the row it refers to is gone, a provider's
    definitive refusal): the worker moves it straight to ``dead`` without retrying."""


class RetryJob(Exception):
    """Not a failure of the code: the outcome is not known yet (a provider still says
    ``processing``). The worker reschedules the job ``delay`` from now instead of using the
    backoff. It still uses an attempt, so a job that never settles ends in dead-letter."""

    def __init__(self, delay: timedelta, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class JobNotFound(NotFound):
    code = "job_not_found"
    message = "Job not found."


class JobNotDead(Conflict):
    code = "job_not_dead"
    message = "Only a dead job can be retried."
