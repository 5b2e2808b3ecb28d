"""Typed view of Termii's send answer (only the fields we read; extras ignored)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class TermiiMessage(BaseModel):
    """``POST /api/sms/send`` → ``{code: "ok", message_id, message: "Successfully Sent", …}``.

    ``balance`` is the account's remaining credit (Termii units, not money we track).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    message_id: str
    message: str | None = None
    balance: Decimal | None = None
    user: str | None = None
