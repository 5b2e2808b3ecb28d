"""``web_sessions``: the browser sessions behind the session cookie.

The cookie holds only a random token; the row holds its SHA-256 digest, so a leaked
database does not sign anyone in, and signing out (or an admin suspending the user) ends the
session at once, which a self-contained signed cookie could not do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class WebSession(Base):
    """One signed-in browser. ``audience`` is ``app`` (users, the merchant dashboard) or
    ``admin`` (the admin console): a session of one never opens the other.

    ``expires_at`` is absolute; ``last_seen_at`` moves at most once a minute and the session
    also ends after ``KRO_WEB_IDLE_TIMEOUT`` seconds without use.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("wss"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 hex")
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    audience: Mapped[str] = mapped_column(String(8), comment="app | admin")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
