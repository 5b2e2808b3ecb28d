"""Issues and disputes (seed 001: ISSUE_REPORTED / DISPUTED → resolution, REFUNDED).

The buyer reports an issue on an order that is ``in_progress`` or ``completed``; the seller
answers; either side may escalate to ``disputed``; both post messages and evidence. The
buyer may end it by releasing the money. Otherwise an admin resolves it — release, refund or
split by amount — with a fresh TOTP code, and the resolution is audit-logged
(DESIGN.md section 6).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.escrow import notices, service, settlement, states
from kro.escrow.errors import EvidenceNotFound, NoOpenIssue, NotOrderParty, OrderNotFound
from kro.escrow.models import EscrowMessage, EscrowOrder
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.kit.ids import new_id
from kro.kit.storage import Storage

Outcome = Literal["release", "refund", "split"]
OPEN = frozenset({states.ISSUE_REPORTED, states.DISPUTED})


@dataclass(frozen=True)
class Evidence:
    """A stored file attached to a message: storage key, file name, MIME type, size in bytes."""

    key: str
    name: str
    content_type: str
    size: int


def _party(order: EscrowOrder, user: User) -> str:
    role = "buyer" if user.id == order.buyer_id else "seller" if user.id == order.seller_id else ""
    if not role:
        raise OrderNotFound()
    return role


def _message(
    order: EscrowOrder,
    user: User | None,
    role: str,
    kind: str,
    body: str,
    evidence: Evidence | None,
) -> EscrowMessage:
    return EscrowMessage(
        order_id=order.id,
        author_id=user.id if user else None,
        author_role=role,
        kind=kind,
        body=body,
        evidence_key=evidence.key if evidence else None,
        evidence_name=evidence.name if evidence else None,
        evidence_type=evidence.content_type if evidence else None,
        evidence_size=evidence.size if evidence else None,
    )


async def report_issue(
    session: AsyncSession, user: User, order_id: str, body: str, evidence: Evidence | None = None
) -> EscrowOrder:
    """The buyer reports a problem; the inspection clock stops. 403 for the seller; 409 unless
    the order is in progress or completed."""
    order = await service.act(session, user, order_id, "report_issue")
    session.add(_message(order, user, "buyer", "issue", body, evidence))
    await session.flush()
    return order


async def post_message(
    session: AsyncSession, user: User, order_id: str, body: str, evidence: Evidence | None = None
) -> EscrowMessage:
    """A party's answer or evidence on an open issue or dispute. OrderNotFound (404);
    NoOpenIssue (409) when none is open."""
    order = await service.load_for(session, user, order_id, lock=True)
    role = _party(order, user)
    if order.status not in OPEN:
        raise NoOpenIssue(details={"state": order.status})
    kind = "evidence" if evidence else "answer" if role == "seller" else "message"
    message = _message(order, user, role, kind, body, evidence)
    session.add(message)
    await session.flush()
    await notices.message_posted(session, order, message.id)
    return message


async def escalate(session: AsyncSession, user: User, order_id: str, reason: str) -> EscrowOrder:
    """Either party turns an issue into a dispute for an admin to resolve."""
    order = await service.load_for(session, user, order_id, lock=True)
    role = _party(order, user)
    await service.transition(session, order, "escalate", user, reason=reason)
    session.add(_message(order, user, role, "message", reason, None))
    await session.flush()
    return order


async def buyer_release(session: AsyncSession, user: User, order_id: str) -> EscrowOrder:
    """The buyer, satisfied after all, releases the money while an issue is open."""
    order = await service.load_for(session, user, order_id, lock=True)
    if _party(order, user) != "buyer":
        raise NotOrderParty("Only the buyer can release this order.")
    await service.transition(session, order, "release", user, reason="buyer released after issue")
    await settlement.release(session, order)
    await session.flush()
    return order


async def messages(session: AsyncSession, user: User, order_id: str) -> list[EscrowMessage]:
    """The issue and dispute thread, oldest first (parties only)."""
    order = await service.load_for(session, user, order_id, lock=False)
    return await _thread(session, order.id)


async def _thread(session: AsyncSession, order_id: str) -> list[EscrowMessage]:
    rows = await session.execute(
        select(EscrowMessage).where(EscrowMessage.order_id == order_id).order_by(EscrowMessage.id)
    )
    return list(rows.scalars())


async def resolve(
    session: AsyncSession,
    admin: User,
    order_id: str,
    outcome: Outcome,
    note: str,
    *,
    seller_amount: int | None = None,
    ip: str | None = None,
) -> EscrowOrder:
    """Resolve an open issue or dispute (the caller has checked the admin's TOTP).

    ``release``: the seller is paid as if every condition were met. ``refund``: the buyer gets
    back everything paid (through the provider, or to the wallet it came from). ``split``: the
    seller gets ``seller_amount`` minor units, the platform keeps its fee, the buyer gets the
    rest. Raises OrderNotFound (404), InvalidTransition (409), InvalidSplit (422), and what
    the refund raises (kro.payments.refunds.request_refund).
    """
    order = await session.get(EscrowOrder, order_id, with_for_update=True)
    if order is None:
        raise OrderNotFound()
    await service.transition(session, order, f"resolve_{outcome}", admin, reason=note)
    payment = await service.order_payment(session, order)
    if outcome == "release":
        await settlement.release(session, order)
    elif outcome == "refund":
        await settlement.refund(session, order, payment, f"dispute resolved: {note}")
    else:
        await settlement.split(
            session, order, payment, seller_amount or 0, f"dispute split: {note}"
        )
    session.add(_message(order, admin, "admin", "resolution", note, None))
    await audit.record(
        session,
        actor_id=admin.id,
        action="escrow.dispute_resolved",
        target_type="escrow_order",
        target_id=order.id,
        ip=ip,
        details={
            "outcome": outcome,
            "seller_amount": order.released_amount,
            "refunded": order.refunded_amount,
            "note": note,
        },
    )
    await session.flush()
    return order


async def attach_evidence(
    session: AsyncSession,
    storage: Storage,
    user: User,
    order_id: str,
    note: str,
    filename: str,
    content_type: str,
    data: bytes,
) -> EscrowMessage:
    """Store ``data`` and post it as evidence on the open issue or dispute (NoOpenIssue, 409,
    otherwise).
    The file is written before the row; a failed transaction leaves an unreferenced file."""
    order = await service.load_for(session, user, order_id, lock=False)
    if order.status not in OPEN:
        raise NoOpenIssue()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[-100:] or "evidence"
    key = f"evidence/{order.id}/{new_id('evd')}/{safe}"
    await storage.put(key, data, content_type)
    return await post_message(
        session, user, order_id, note, Evidence(key, safe, content_type, len(data))
    )


async def evidence_file(
    session: AsyncSession, storage: Storage, user: User, order_id: str, message_id: str
) -> tuple[EscrowMessage, bytes]:
    """A message's attached file, for the order's parties; OrderNotFound or EvidenceNotFound
    (404) otherwise."""
    order = await service.load_for(session, user, order_id, lock=False)
    message = await session.get(EscrowMessage, message_id)
    if message is None or message.order_id != order.id or message.evidence_key is None:
        raise EvidenceNotFound()
    return message, await storage.get(message.evidence_key)


# -- What administrators see and do (the admin API and the admin console) --------------------


async def search_orders(
    session: AsyncSession,
    *,
    statuses: Collection[str] = (),
    user_id: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[EscrowOrder]:
    """Every user's orders in any of ``statuses`` (all when empty) and/or of one party, newest
    first; ``before`` is an order id cursor."""
    stmt = select(EscrowOrder).order_by(EscrowOrder.id.desc()).limit(limit)
    if statuses:
        stmt = stmt.where(EscrowOrder.status.in_(statuses))
    if user_id:
        stmt = stmt.where((EscrowOrder.buyer_id == user_id) | (EscrowOrder.seller_id == user_id))
    if before:
        stmt = stmt.where(EscrowOrder.id < before)
    return list((await session.execute(stmt)).scalars())


async def count_open(session: AsyncSession) -> int:
    """How many orders have an issue or a dispute open (waiting for the parties or an admin)."""
    stmt = select(func.count()).select_from(EscrowOrder).where(EscrowOrder.status.in_(OPEN))
    return int((await session.execute(stmt)).scalar_one())


async def admin_view(session: AsyncSession, order_id: str) -> service.OrderView:
    """Any order with its conditions, transitions, payment and refunds; OrderNotFound (404)."""
    order = await session.get(EscrowOrder, order_id)
    if order is None:
        raise OrderNotFound()
    return await service.view(session, order)


async def admin_thread(session: AsyncSession, order_id: str) -> list[EscrowMessage]:
    """Any order's issue and dispute thread, oldest first."""
    return await _thread(session, order_id)


async def admin_evidence_file(
    session: AsyncSession, storage: Storage, order_id: str, message_id: str
) -> tuple[EscrowMessage, bytes]:
    """A message's attached file on any order; EvidenceNotFound (404) otherwise."""
    message = await session.get(EscrowMessage, message_id)
    if message is None or message.order_id != order_id or message.evidence_key is None:
        raise EvidenceNotFound()
    return message, await storage.get(message.evidence_key)


async def resolve_with_totp(
    session: AsyncSession,
    admin: User,
    order_id: str,
    outcome: Outcome,
    note: str,
    *,
    totp_code: str,
    seller_amount: int | None = None,
    ip: str | None = None,
) -> EscrowOrder:
    """:func:`resolve` after checking the admin's fresh TOTP code (DESIGN.md section 6: a
    money move by an admin needs a second factor). Raises TotpRequired (403, on field
    ``totp_code``) and what :func:`resolve` raises."""
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    return await resolve(
        session, admin, order_id, outcome, note, seller_amount=seller_amount, ip=ip
    )
