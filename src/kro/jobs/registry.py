"""Job handlers: the ``@job_handler`` decorator, the context a handler gets, and the list of
modules that define handlers.

A handler is ``async def handler(ctx: JobContext, payload: dict) -> None``, defined in a
module's ``tasks.py``::

    @job_handler("escrow.release_funds")
    async def release_funds(ctx: JobContext, payload: dict[str, Any]) -> None:
        order = await service.get_order(ctx.session, payload["order_id"])
        ...  # idempotent: a retry after a crash must not release twice

Registration happens at import time, so handler modules are imported through
:func:`load_handlers` before a worker claims anything: :data:`HANDLER_MODULES` (the jobs
module's own), the platform's list ``kro.registry.TASK_MODULES`` (loaded by the app and the
CLI: a core module may not name the products), and the ``job_extra_modules`` setting
(``KRO_JOB_EXTRA_MODULES=a.b,c.d``, for test-only handlers in a worker subprocess).

A worker only claims jobs whose name it has a handler for, so workers running different
versions of the code never take a job they cannot run; a job whose name nobody registered
stays ``queued`` (see ``service.list_jobs``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from kro.settings import Settings

# Handler modules of ``kro.jobs`` itself. The other modules' ``tasks`` are listed in
# ``kro.registry.TASK_MODULES``; every worker also imports these.
HANDLER_MODULES: list[str] = [
    "kro.jobs.tasks",
]

JOB_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler gets besides its payload.

    - ``session``: an open ``AsyncSession`` whose transaction also marks the job ``done``.
      Everything the handler writes through it commits atomically with the completion, or not
      at all (exactly-once database effects). Only ``flush()`` it: the worker refuses a
      handler's ``commit()`` (the attempt fails and is retried).
    - ``sessions``: the session factory, for a separate short transaction whose effects must
      survive a failure of this attempt (e.g. recording a provider reference before the next
      step). On SQLite, where one transaction writes at a time, open it *before* the first
      statement on ``session``, or it waits on ``session``'s lock.
    - ``attempt``: 1 on the first run; ``attempt == max_attempts`` is the last try.
    """

    session: AsyncSession
    sessions: async_sessionmaker[AsyncSession]
    job_id: str
    name: str
    attempt: int
    max_attempts: int
    settings: Settings
    worker_id: str

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]

_HANDLERS: dict[str, Handler] = {}


def check_job_name(name: str) -> str:
    """Return ``name`` if it is a dotted lower-case name (``"payouts.initiate_transfer"``)."""
    if not JOB_NAME.match(name) or len(name) > 100:
        raise ValueError(f"bad job name {name!r}: expected 'module.action' in snake_case")
    return name


def job_handler(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine function as the handler of jobs called ``name``.

    Raises ``ValueError`` if another function already handles ``name`` (re-importing the same
    module is fine).
    """
    check_job_name(name)

    def decorator(func: Handler) -> Handler:
        register(name, func)
        return func

    return decorator


def register(name: str, func: Handler) -> None:
    """Register ``func`` as the handler of ``name`` (what :func:`job_handler` does)."""
    check_job_name(name)
    existing = _HANDLERS.get(name)
    if existing is not None and _qualified(existing) != _qualified(func):
        raise ValueError(f"job {name!r} is already handled by {_qualified(existing)}")
    _HANDLERS[name] = func


def unregister(name: str) -> None:
    """Forget the handler of ``name`` (tests)."""
    _HANDLERS.pop(name, None)


def _qualified(func: Handler) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def get_handler(name: str) -> Handler | None:
    """The handler registered for ``name``, if any."""
    return _HANDLERS.get(name)


def handler_names() -> list[str]:
    """Names of every registered handler, sorted."""
    return sorted(_HANDLERS)


def extra_modules(settings: Settings) -> list[str]:
    """The modules named in ``settings.job_extra_modules`` (comma-separated)."""
    return [m.strip() for m in settings.job_extra_modules.split(",") if m.strip()]


def load_handlers(extra: Iterable[str] = ()) -> list[str]:
    """Import :data:`HANDLER_MODULES` and ``extra`` so their handlers register.

    Idempotent. Returns the names of the registered handlers. An import error propagates: a
    worker must not start without handlers it is configured to run.
    """
    for module in [*HANDLER_MODULES, *extra]:
        importlib.import_module(module)
    return handler_names()
