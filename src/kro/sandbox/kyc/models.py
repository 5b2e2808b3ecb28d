"""The Dojah simulator's own table (``dojah_identities``, in :class:`SandboxBase`)."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.sandbox.db import SandboxBase


class DojahIdentity(SandboxBase):
    """A record the simulated registries hold: ``kind`` ``bvn`` | ``nin``, its 11-digit
    ``number`` and the holder's names and date of birth (YYYY-MM-DD)."""

    __tablename__ = "dojah_identities"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    number: Mapped[str] = mapped_column(String(11))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[str] = mapped_column(String(10), default="1990-01-01")
    phone_number: Mapped[str] = mapped_column(String(20), default="08000000000")
    gender: Mapped[str] = mapped_column(String(10), default="Male")
