"""The admin console's ledger: the invariant check and account balances."""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin ledger pages"])
