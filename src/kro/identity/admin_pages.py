"""The admin console's front door and users: sign in with TOTP (enrolment by QR code), search,
suspend, reinstate.
"""

from __future__ import annotations

from kro.web.routing import page_router

router = page_router(tags=["admin identity pages"])
