"""Imports every module's ``models`` so that ``Base.metadata`` knows every table.

Alembic's env and the test fixtures import this module; add a line when a module gains tables.
"""

import kro.identity.models  # noqa: F401
import kro.jobs.models  # noqa: F401
import kro.ledger.models  # noqa: F401
from kro.kit.db import Base

__all__ = ["Base"]
