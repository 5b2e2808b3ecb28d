"""The user app's wallet (balance and history), bank accounts (name enquiry fills the name) and
withdrawals.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["wallet pages"])
