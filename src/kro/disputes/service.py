"""Disputes: open, escalate, withdraw, the thread and its evidence, and what admins search.

Each product checks its own object first (who is a party, whether its state allows a
complaint) and then calls these functions; the resolution is :mod:`kro.disputes.resolution`.
Services only flush.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import states
from kro.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeClosed,
    DisputeNotFound,
    EvidenceNotFound,
)
from kro.disputes.models import Dispute, DisputeEvent, DisputeMessage
from kro.identity.models import User
from kro.kit.ids import new_id
from kro.kit.storage import Storage


class Order(Protocol):
    """What a product's order offers to be disputed (escrow's and the marketplace's do)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def buyer_id(self) -> str: ...
    @property
    def seller_id(self) -> str: ...
    @property
    def buyer_pays(self) -> int: ...
    @property
    def currency(self) -> str: ...


@dataclass(frozen=True)
class Subject:
    """The product object a dispute is about: ``purpose`` (the product), ``purpose_id``, its
    title, its two parties, and what the buyer paid (``amount``, minor units of
    ``currency``)."""

    purpose: str
    purpose_id: str
    title: str
    buyer_id: str
    seller_id: str
    amount: int
    currency: str

    @classmethod
    def of(cls, purpose: str, order: Order) -> Subject:
        """The subject of a dispute about ``order`` (``amount`` is what the buyer pays)."""
        return cls(
            purpose,
            order.id,
            order.title,
            order.buyer_id,
            order.seller_id,
            order.buyer_pays,
            order.currency,
        )


@dataclass(frozen=True)
class Evidence:
    """A stored file attached to a message: storage key, file name, MIME type, size in bytes."""

    key: str
    name: str
    content_type: str
    size: int


def role_in(dispute: Dispute, user_id: str) -> str | None:
    """``buyer`` or ``seller`` when ``user_id`` is a party of ``dispute``, else ``None``."""
    if user_id == dispute.buyer_id:
        return "buyer"
    if user_id == dispute.seller_id:
        return "seller"
    return None


async def transition(
    session: AsyncSession,
    dispute: Dispute,
    action: str,
    actor: User | None,
    role: str,
    reason: str | None,
) -> None:
    """Apply ``action`` through :data:`states.DISPUTE` (InvalidTransition, 409) and record the
    event row."""
    step = states.DISPUTE.next(dispute.status, action)
    dispute.status = step.to_state
    session.add(
        DisputeEvent(
            id=new_id("dev"),
            dispute_id=dispute.id,
            action=action,
            from_state=step.from_state,
            to_state=step.to_state,
            actor_id=actor.id if actor else None,
            actor_role=role,
            reason=reason[:500] if reason else None,
        )
    )


def _message(
    dispute: Dispute,
    user: User | None,
    role: str,
    kind: str,
    body: str,
    evidence: Evidence | None = None,
) -> DisputeMessage:
    return DisputeMessage(
        id=new_id("msg"),
        dispute_id=dispute.id,
        author_id=user.id if user else None,
        author_role=role,
        kind=kind,
        body=body,
        evidence_key=evidence.key if evidence else None,
        evidence_name=evidence.name if evidence else None,
        evidence_type=evidence.content_type if evidence else None,
        evidence_size=evidence.size if evidence else None,
    )


async def active_for(
    session: AsyncSession, purpose: str, purpose_id: str, *, lock: bool = False
) -> Dispute | None:
    """The open or escalated dispute about ``purpose_id``, if any (locked with ``lock``)."""
    stmt = select(Dispute).where(
        Dispute.purpose == purpose,
        Dispute.purpose_id == purpose_id,
        Dispute.status.in_(states.ACTIVE),
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_dispute(
    session: AsyncSession,
    subject: Subject,
    user: User,
    role: str,
    reason: str,
    evidence: Evidence | None = None,
) -> Dispute:
    """``user`` (the ``role`` party) complains about ``subject``; ``reason`` opens the thread.
    The product has checked that the complaint is allowed. Raises DisputeAlreadyOpen (409)
    while another dispute about the same object is active."""
    if await active_for(session, subject.purpose, subject.purpose_id) is not None:
        raise DisputeAlreadyOpen()
    dispute = Dispute(
        id=new_id("dsp"),
        purpose=subject.purpose,
        purpose_id=subject.purpose_id,
        title=subject.title,
        buyer_id=subject.buyer_id,
        seller_id=subject.seller_id,
        amount=subject.amount,
        currency=subject.currency,
        opened_by=user.id,
        opened_role=role,
        reason=reason,
        status=states.NEW,
    )
    session.add(dispute)
    await transition(session, dispute, "open", user, role, reason)
    session.add(_message(dispute, user, role, "issue", reason, evidence))
    await session.flush()
    return dispute


async def escalate(
    session: AsyncSession, dispute: Dispute, user: User, role: str, reason: str
) -> Dispute:
    """A party asks an admin to decide; ``reason`` joins the thread. InvalidTransition (409)
    unless the dispute is open."""
    await transition(session, dispute, "escalate", user, role, reason)
    session.add(_message(dispute, user, role, "message", reason))
    await session.flush()
    return dispute


async def withdraw(
    session: AsyncSession, dispute: Dispute, user: User, role: str, reason: str
) -> Dispute:
    """The complaining party drops an open dispute (e.g. escrow's buyer releases the money
    after all). InvalidTransition (409) unless it is open."""
    await transition(session, dispute, "withdraw", user, role, reason)
    await session.flush()
    return dispute


async def post_message(
    session: AsyncSession,
    dispute: Dispute,
    user: User,
    role: str,
    body: str,
    evidence: Evidence | None = None,
) -> DisputeMessage:
    """A party's message (the seller's is an ``answer``) or evidence on an active dispute;
    DisputeClosed (409) once it is resolved or withdrawn."""
    if dispute.status not in states.ACTIVE:
        raise DisputeClosed(details={"status": dispute.status})
    kind = "evidence" if evidence else "answer" if role == "seller" else "message"
    message = _message(dispute, user, role, kind, body, evidence)
    session.add(message)
    await session.flush()
    return message


def add_resolution_message(
    session: AsyncSession, dispute: Dispute, admin: User, note: str
) -> DisputeMessage:
    """The admin's decision, as the parties read it in the thread."""
    message = _message(dispute, admin, "admin", "resolution", note)
    session.add(message)
    return message


async def store_evidence(
    storage: Storage, dispute: Dispute, filename: str, content_type: str, data: bytes
) -> Evidence:
    """Write ``data`` under ``evidence/{purpose_id}/…`` with a safe file name. The file is
    written before any row: a failed transaction leaves an unreferenced file, never a row
    pointing at nothing."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[-100:] or "evidence"
    key = f"evidence/{dispute.purpose_id}/{new_id('evd')}/{safe}"
    await storage.put(key, data, content_type)
    return Evidence(key, safe, content_type, len(data))


async def thread(session: AsyncSession, dispute_id: str) -> list[DisputeMessage]:
    """One dispute's messages, oldest first."""
    stmt = (
        select(DisputeMessage)
        .where(DisputeMessage.dispute_id == dispute_id)
        .order_by(DisputeMessage.created_at, DisputeMessage.id)
    )
    return list((await session.execute(stmt)).scalars())


async def thread_for(session: AsyncSession, purpose: str, purpose_id: str) -> list[DisputeMessage]:
    """Every message of every dispute about ``purpose_id``, oldest first."""
    stmt = (
        select(DisputeMessage)
        .join(Dispute, Dispute.id == DisputeMessage.dispute_id)
        .where(Dispute.purpose == purpose, Dispute.purpose_id == purpose_id)
        .order_by(DisputeMessage.created_at, DisputeMessage.id)
    )
    return list((await session.execute(stmt)).scalars())


async def evidence_file(
    session: AsyncSession,
    storage: Storage,
    message_id: str,
    *,
    purpose: str,
    purpose_id: str,
) -> tuple[DisputeMessage, bytes]:
    """A message's attached file, when the message belongs to a dispute about
    ``purpose_id`` (the caller has checked who may see that object); EvidenceNotFound (404)
    otherwise."""
    stmt = (
        select(DisputeMessage)
        .join(Dispute, Dispute.id == DisputeMessage.dispute_id)
        .where(
            DisputeMessage.id == message_id,
            Dispute.purpose == purpose,
            Dispute.purpose_id == purpose_id,
            DisputeMessage.evidence_key.is_not(None),
        )
    )
    message = (await session.execute(stmt)).scalar_one_or_none()
    if message is None or message.evidence_key is None:
        raise EvidenceNotFound()
    return message, await storage.get(message.evidence_key)


async def events(session: AsyncSession, dispute_id: str) -> list[DisputeEvent]:
    """A dispute's transitions, oldest first."""
    stmt = (
        select(DisputeEvent)
        .where(DisputeEvent.dispute_id == dispute_id)
        .order_by(DisputeEvent.created_at, DisputeEvent.id)
    )
    return list((await session.execute(stmt)).scalars())


# -- Reading: the parties (scoped) and the admins ----------------------------------------------


def _readable(user: User) -> Select[Dispute]:
    """The disputes ``user`` may read: those where they are the buyer or the seller."""
    return select(Dispute).where(or_(Dispute.buyer_id == user.id, Dispute.seller_id == user.id))


async def get_for_party(session: AsyncSession, user: User, dispute_id: str) -> Dispute:
    """A dispute ``user`` is party to; DisputeNotFound (404) otherwise, whoever else it
    belongs to."""
    stmt = _readable(user).where(Dispute.id == dispute_id)
    dispute = (await session.execute(stmt)).scalar_one_or_none()
    if dispute is None:
        raise DisputeNotFound()
    return dispute


async def list_for_party(session: AsyncSession, user: User, limit: int = 50) -> list[Dispute]:
    """The caller's disputes, newest first."""
    stmt = _readable(user).order_by(Dispute.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get(session: AsyncSession, dispute_id: str, *, lock: bool = False) -> Dispute:
    """Any dispute (admins); DisputeNotFound (404)."""
    dispute = await session.get(
        Dispute, dispute_id, with_for_update=lock or None, populate_existing=lock
    )
    if dispute is None:
        raise DisputeNotFound()
    return dispute


async def search(
    session: AsyncSession,
    *,
    purpose: str | None = None,
    statuses: tuple[str, ...] = (),
    query: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[Dispute]:
    """Every product's disputes, newest first: of one ``purpose``, in ``statuses`` (all when
    empty), and ``query`` matching the dispute id, the object id, a party's id or the title
    (case-insensitive substring). ``before`` is a dispute id cursor."""
    stmt = select(Dispute).order_by(Dispute.id.desc()).limit(limit)
    if purpose:
        stmt = stmt.where(Dispute.purpose == purpose)
    if statuses:
        stmt = stmt.where(Dispute.status.in_(statuses))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(
                Dispute.id == query,
                Dispute.purpose_id == query,
                Dispute.buyer_id == query,
                Dispute.seller_id == query,
                func.lower(Dispute.title).like(like),
            )
        )
    if before:
        stmt = stmt.where(Dispute.id < before)
    return list((await session.execute(stmt)).scalars())


async def count_active(session: AsyncSession, purpose: str | None = None) -> int:
    """How many disputes (of ``purpose``, or of every product) wait for the parties or an
    admin."""
    stmt = select(func.count()).select_from(Dispute).where(Dispute.status.in_(states.ACTIVE))
    if purpose:
        stmt = stmt.where(Dispute.purpose == purpose)
    return int((await session.execute(stmt)).scalar_one())
