"""Dispute fixtures: the escrow and marketplace drivers on a real server (their ``platform``
fixture checks the ledger invariant afterwards)."""

from tests.escrow.conftest import deal, http, platform  # noqa: F401  (fixtures reused)
from tests.marketplace.conftest import market  # noqa: F401
