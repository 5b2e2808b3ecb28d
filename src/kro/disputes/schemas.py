"""Dispute API shapes. Amounts are integers in minor units of the dispute's ``currency``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kro.disputes.models import Dispute, DisputeEvent, DisputeMessage


class MessageOut(BaseModel):
    """A thread message; ``evidence_*`` describe an attached file (``evidence_size`` in
    bytes)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    author_id: str | None
    author_role: str
    kind: str
    body: str
    evidence_name: str | None
    evidence_type: str | None
    evidence_size: int | None
    created_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_state: str
    to_state: str
    actor_id: str | None
    actor_role: str
    reason: str | None
    created_at: datetime


class DisputeOut(BaseModel):
    """A dispute about the product object ``purpose_id``; ``amount`` is what the buyer paid
    and ``seller_amount`` a split's share to the seller, minor units. ``thread`` and
    ``events`` are filled where one dispute is shown."""

    id: str
    purpose: str
    purpose_id: str
    title: str
    buyer_id: str
    seller_id: str
    amount: int
    currency: str
    opened_by: str
    opened_role: str
    reason: str
    status: str
    outcome: str | None
    seller_amount: int | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime
    thread: list[MessageOut] | None = None
    events: list[EventOut] | None = None

    @classmethod
    def of(
        cls,
        dispute: Dispute,
        thread: list[DisputeMessage] | None = None,
        events: list[DisputeEvent] | None = None,
    ) -> DisputeOut:
        return cls(
            id=dispute.id,
            purpose=dispute.purpose,
            purpose_id=dispute.purpose_id,
            title=dispute.title,
            buyer_id=dispute.buyer_id,
            seller_id=dispute.seller_id,
            amount=dispute.amount,
            currency=dispute.currency,
            opened_by=dispute.opened_by,
            opened_role=dispute.opened_role,
            reason=dispute.reason,
            status=dispute.status,
            outcome=dispute.outcome,
            seller_amount=dispute.seller_amount,
            resolution_note=dispute.resolution_note,
            resolved_by=dispute.resolved_by,
            resolved_at=dispute.resolved_at,
            created_at=dispute.created_at,
            thread=None if thread is None else [MessageOut.model_validate(m) for m in thread],
            events=None if events is None else [EventOut.model_validate(e) for e in events],
        )


class ResolveIn(BaseModel):
    """An admin's decision: one of the dispute's outcomes (``release``/``refund``/``split``
    for escrow, ``complete``/``cancel``/``split`` for the marketplace); ``split`` needs
    ``seller_amount`` (minor units)."""

    outcome: str = Field(min_length=1, max_length=16)
    seller_amount: int | None = Field(default=None, gt=0)
    note: str = Field(min_length=1, max_length=2000)
    totp_code: str = Field(min_length=6, max_length=16)
