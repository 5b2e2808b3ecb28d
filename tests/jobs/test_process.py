"""The worker as a real process (``python -m kro.jobs``): killed mid-job, and stopped politely.

The kill test is the outbox's central promise: a worker process SIGKILLed after its handler
wrote its effect (flushed, uncommitted) leaves the job ``running`` and the effect absent; once
the lease expires another worker runs the job again and the effect exists exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs import enqueue
from kro.jobs.worker import drain
from kro.kit.clock import clock
from kro.kit.db import unit_of_work
from kro.settings import Settings
from tests.jobs.conftest import LEASE_SECONDS, effect_rows, load_job, wait_until

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """``python -m kro.jobs`` on ``db_url`` with the test handlers, output to a log file."""

    def __init__(self, db_url: str, log_path: Path) -> None:
        env = {
            **os.environ,
            "KRO_DATABASE_URL": db_url,
            "KRO_JOB_EXTRA_MODULES": "tests.jobs.handlers",
            "KRO_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "KRO_WORKER_POLL_INTERVAL": "0.02",
            "KRO_WORKER_SCHEDULE_PERIODIC": "false",
            "KRO_LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kro.jobs"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def worker_process(db_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    proc = WorkerProcess(db_url, tmp_path / "worker.log")
    yield proc
    proc.close()


async def _wait_for_marker(marker: Path, proc: WorkerProcess) -> None:
    def started() -> bool:
        assert proc.alive(), f"worker exited early:\n{proc.output()}"
        return marker.exists()

    await wait_until(started, within=30)


async def test_a_killed_worker_process_leaves_no_effect_and_the_job_runs_exactly_once(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker_process: WorkerProcess,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "handler-started"
    async with unit_of_work(sessions) as s:
        job = await enqueue(
            s, "tests.effect", {"key": "once", "marker": str(marker), "block_attempts": [1]}
        )

    # The handler has written its effect (in its transaction) and now blocks: kill -9.
    await _wait_for_marker(marker, worker_process)
    dead_worker_id = marker.read_text()
    worker_process.proc.send_signal(signal.SIGKILL)
    assert worker_process.proc.wait(timeout=10) == -signal.SIGKILL

    stuck = await load_job(sessions, job.id)
    assert (stuck.status, stuck.attempts, stuck.locked_by) == ("running", 1, dead_worker_id)
    assert await effect_rows(sessions) == []

    # Nobody takes the job while the dead worker's lease lasts...
    assert await drain(sessions, settings, worker_id="rescuer") == 0
    # ...and once it has expired, another worker runs it again.
    clock.advance(timedelta(seconds=LEASE_SECONDS + 1))
    assert await drain(sessions, settings, worker_id="rescuer") == 1

    done = await load_job(sessions, job.id)
    assert (done.status, done.attempts, done.locked_by) == ("done", 2, "rescuer")
    assert done.last_error == f"lease expired: worker {dead_worker_id} did not finish attempt 1"
    rows = await effect_rows(sessions)
    assert [(r.key, r.attempt, r.worker_id) for r in rows] == [("once", 2, "rescuer")]


async def test_sigterm_lets_the_worker_process_finish_its_job_and_exit(
    sessions: async_sessionmaker[AsyncSession],
    worker_process: WorkerProcess,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "handler-started"
    async with unit_of_work(sessions) as s:
        job = await enqueue(s, "tests.effect", {"key": "k", "marker": str(marker), "sleep": 0.2})

    await _wait_for_marker(marker, worker_process)
    worker_process.proc.send_signal(signal.SIGTERM)
    assert worker_process.proc.wait(timeout=20) == 0, worker_process.output()

    assert (await load_job(sessions, job.id)).status == "done"
    assert [r.key for r in await effect_rows(sessions)] == ["k"]
    output = worker_process.output()
    assert "job_done" in output and "worker_stopped" in output
