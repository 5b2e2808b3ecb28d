"""Tables of ``kro.kyc`` (imported by ``kro.registry``, so ``Base.metadata`` has them).

``kyc_cases``: one identity verification per user (the latest submission). The BVN and NIN
are never stored in clear (CBN and the providers advise against it): a SHA-256 digest keyed
by nothing but the number (so a number reused by two users can be found) and its last four
digits for display.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, UTCDateTime
from kro.kit.ids import new_id


class KycCase(Base):
    """A user's identity verification: ``status`` is ``pending`` (submitted, being checked
    or waiting for an admin), ``verified`` or ``rejected`` (``reason`` says why).

    ``match_score`` is the name match in basis points (10 000 = identical) between the name
    the user gave and the name on the BVN record, when the provider returned one.

    The ID document (optional, shown to the admin reviewing the case) is stored through
    :mod:`kro.kit.storage` under ``document_key``: its ``document_type`` (passport |
    drivers_license | national_id | voters_card) and ``document_content_type``."""

    __tablename__ = "kyc_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("kyc"))
    user_id: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    full_name: Mapped[str] = mapped_column(String(200))
    bvn_digest: Mapped[str] = mapped_column(String(64), index=True)
    bvn_last4: Mapped[str] = mapped_column(String(4))
    nin_digest: Mapped[str] = mapped_column(String(64), index=True)
    nin_last4: Mapped[str] = mapped_column(String(4))
    bvn_name: Mapped[str | None] = mapped_column(String(200), default=None)
    match_score: Mapped[int | None] = mapped_column(default=None, comment="basis points")
    needs_review: Mapped[bool] = mapped_column(default=False)
    document_key: Mapped[str | None] = mapped_column(String(300), default=None)
    document_type: Mapped[str | None] = mapped_column(String(32), default=None)
    document_content_type: Mapped[str | None] = mapped_column(String(40), default=None)
    document_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
