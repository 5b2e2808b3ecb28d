"""Imports every module's ``models`` so that ``Base.metadata`` knows every table.

Alembic's env and the test fixtures import this module; add a line when a module gains tables.
"""

import kro.audit.models
import kro.conversations.models
import kro.disputes.models
import kro.escrow.models
import kro.giving.models
import kro.giving.monthly.models
import kro.idempotency.models
import kro.identity.models
import kro.jobs.models
import kro.kyc.models
import kro.ledger.models
import kro.marketplace.models
import kro.notifications.models
import kro.payments.models
import kro.payments.reconciliation.models
import kro.payouts.models
import kro.pensions.models
import kro.tenants.models
import kro.web.models
import kro.webhooks.models  # noqa: F401
from kro.jobs.registry import load_handlers
from kro.kit.db import Base

__all__ = ["TASK_MODULES", "Base", "load_all_handlers"]

# Every module whose ``tasks.py`` registers job handlers. Workers load them all.
TASK_MODULES: list[str] = [
    "kro.jobs.tasks",
    "kro.payments.refunds.tasks",
    "kro.payments.bank_transfer.tasks",
    "kro.payments.inbox.tasks",
    "kro.payments.subscriptions.tasks",
    "kro.payments.reconciliation.tasks",
    "kro.realtime.tasks",
    "kro.notifications.tasks",
    "kro.payouts.tasks",
    "kro.escrow.tasks",
    "kro.idempotency.tasks",
    "kro.webhooks.tasks",
    "kro.tenants.tasks",
    "kro.kyc.tasks",
    "kro.conversations.tasks",
    "kro.marketplace.tasks",
    "kro.giving.tasks",
    "kro.giving.monthly.tasks",
    "kro.pensions.tasks",
]


def load_all_handlers(extra: list[str] | None = None) -> list[str]:
    """Register every job handler of the platform (plus ``extra`` modules, for tests)."""
    return load_handlers([*TASK_MODULES, *(extra or [])])
