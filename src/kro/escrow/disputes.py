"""Issues and disputes (seed 001: ISSUE_REPORTED / DISPUTED → resolution, REFUNDED), on the
core :mod:`kro.disputes`.

The buyer reports an issue on an order that is ``in_progress`` or ``completed`` (a core
dispute opens); the seller answers; either side may escalate to ``disputed``; both post
messages and evidence in the dispute's thread. The buyer may end it by releasing the money
(the dispute is withdrawn). Otherwise an admin resolves it — release, refund or split by
amount — with a fresh TOTP code, audit-logged by the core (DESIGN.md section 6); the money
moves here, in :func:`_settle`, registered for the ``escrow`` purpose.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes import registry, resolution
from kro.disputes import service as core
from kro.disputes.models import Dispute, DisputeMessage
from kro.disputes.registry import Decision, Purpose
from kro.disputes.service import Evidence
from kro.escrow import notices, service, settlement, states
from kro.escrow.errors import NoOpenIssue, NotOrderParty, OrderNotFound
from kro.escrow.models import EscrowOrder
from kro.identity.models import User
from kro.kit.storage import Storage

__all__ = ["OPEN", "Evidence", "Outcome"]

PURPOSE = "escrow"
Outcome = Literal["release", "refund", "split"]
OPEN = frozenset({states.ISSUE_REPORTED, states.DISPUTED})


def _party(order: EscrowOrder, user: User) -> str:
    role = "buyer" if user.id == order.buyer_id else "seller" if user.id == order.seller_id else ""
    if not role:
        raise OrderNotFound()
    return role


async def _dispute(session: AsyncSession, order: EscrowOrder) -> Dispute:
    """The order's active dispute; NoOpenIssue (409) when none is."""
    dispute = await core.active_for(session, PURPOSE, order.id, lock=True)
    if dispute is None:
        raise NoOpenIssue(details={"state": order.status})
    return dispute


async def report_issue(
    session: AsyncSession, user: User, order_id: str, body: str, evidence: Evidence | None = None
) -> EscrowOrder:
    """The buyer reports a problem; the inspection clock stops. 403 for the seller; 409 unless
    the order is in progress or completed."""
    order = await service.act(session, user, order_id, "report_issue")
    subject = core.Subject.of(PURPOSE, order)
    await core.open_dispute(session, subject, user, "buyer", body, evidence)
    return order


async def post_message(
    session: AsyncSession, user: User, order_id: str, body: str, evidence: Evidence | None = None
) -> DisputeMessage:
    """A party's answer or evidence on an open issue or dispute. OrderNotFound (404);
    NoOpenIssue (409) when none is open."""
    order = await service.load_for(session, user, order_id, lock=True)
    role = _party(order, user)
    if order.status not in OPEN:
        raise NoOpenIssue(details={"state": order.status})
    message = await core.post_message(
        session, await _dispute(session, order), user, role, body, evidence
    )
    await notices.message_posted(session, order, message.id)
    return message


async def escalate(session: AsyncSession, user: User, order_id: str, reason: str) -> EscrowOrder:
    """Either party turns an issue into a dispute for an admin to resolve."""
    order = await service.load_for(session, user, order_id, lock=True)
    role = _party(order, user)
    await service.transition(session, order, "escalate", user, reason=reason)
    await core.escalate(session, await _dispute(session, order), user, role, reason)
    return order


async def buyer_release(session: AsyncSession, user: User, order_id: str) -> EscrowOrder:
    """The buyer, satisfied after all, releases the money while an issue is open."""
    order = await service.load_for(session, user, order_id, lock=True)
    if _party(order, user) != "buyer":
        raise NotOrderParty("Only the buyer can release this order.")
    reason = "buyer released after issue"
    await service.transition(session, order, "release", user, reason=reason)
    await settlement.release(session, order)
    await core.withdraw(session, await _dispute(session, order), user, "buyer", reason)
    return order


async def messages(session: AsyncSession, user: User, order_id: str) -> list[DisputeMessage]:
    """The issue and dispute thread, oldest first (parties only)."""
    order = await service.load_for(session, user, order_id, lock=False)
    return await core.thread_for(session, PURPOSE, order.id)


# -- Resolution: the core decides, escrow moves the money --------------------------------------


async def _settle(session: AsyncSession, decision: Decision) -> dict[str, Any]:
    """``release``: the seller is paid as if every condition were met. ``refund``: the buyer
    gets back everything paid (through the provider, or to the wallet it came from).
    ``split``: the seller gets ``seller_amount`` minor units, the platform keeps its fee, the
    buyer gets the rest. Raises InvalidTransition (409), InvalidSplit (422), and what the
    refund raises (kro.payments.refunds.request_refund)."""
    order = await session.get(
        EscrowOrder, decision.dispute.purpose_id, with_for_update=True, populate_existing=True
    )
    if order is None:
        raise OrderNotFound()
    outcome, note = decision.outcome, decision.note
    await service.transition(session, order, f"resolve_{outcome}", decision.admin, reason=note)
    payment = await service.order_payment(session, order)
    if outcome == "release":
        await settlement.release(session, order)
    elif outcome == "refund":
        await settlement.refund(session, order, payment, f"dispute resolved: {note}")
    else:
        amount = decision.seller_amount or 0
        await settlement.split(session, order, payment, amount, f"dispute split: {note}")
    return {"seller_amount": order.released_amount, "refunded": order.refunded_amount}


OUTCOMES = (
    ("split", "Split: part to the seller, the rest back to the buyer"),
    ("release", "Release: everything to the seller"),
    ("refund", "Refund: everything back to the buyer"),
)
registry.register(
    Purpose(PURPOSE, "Escrow", "escrow_order", OUTCOMES, _settle, admin_url="/admin/orders/{id}")
)


async def _order_dispute(session: AsyncSession, order_id: str, outcome: str) -> Dispute:
    """The active dispute of an order; without one, the order's state machine refuses the
    resolution (InvalidTransition, 409) as it did before disputes were a core module."""
    order = await session.get(EscrowOrder, order_id)
    if order is None:
        raise OrderNotFound()
    dispute = await core.active_for(session, PURPOSE, order.id)
    if dispute is None:
        states.ORDER.next(order.status, f"resolve_{outcome}")
        raise NoOpenIssue(details={"state": order.status})
    return dispute


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
    """Resolve an order's open issue or dispute (the caller has checked the admin's TOTP);
    see :func:`_settle`. Raises OrderNotFound (404), InvalidTransition (409), InvalidSplit
    (422) and what :func:`kro.disputes.resolution.resolve` raises."""
    dispute = await _order_dispute(session, order_id, outcome)
    await resolution.resolve(
        session, admin, dispute.id, outcome, note, seller_amount=seller_amount, ip=ip
    )
    return await _resolved_order(session, order_id)


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
    dispute = await _order_dispute(session, order_id, outcome)
    await resolution.resolve_with_totp(
        session,
        admin,
        dispute.id,
        outcome,
        note,
        totp_code=totp_code,
        seller_amount=seller_amount,
        ip=ip,
    )
    return await _resolved_order(session, order_id)


async def _resolved_order(session: AsyncSession, order_id: str) -> EscrowOrder:
    order = await session.get(EscrowOrder, order_id)
    if order is None:
        raise OrderNotFound()
    return order


# -- Evidence -----------------------------------------------------------------------------------


async def attach_evidence(
    session: AsyncSession,
    storage: Storage,
    user: User,
    order_id: str,
    note: str,
    filename: str,
    content_type: str,
    data: bytes,
) -> DisputeMessage:
    """Store ``data`` and post it as evidence on the open issue or dispute (NoOpenIssue, 409,
    otherwise). The file is written before the row; a failed transaction leaves an
    unreferenced file."""
    order = await service.load_for(session, user, order_id, lock=False)
    if order.status not in OPEN:
        raise NoOpenIssue()
    evidence = await core.store_evidence(
        storage, await _dispute(session, order), filename, content_type, data
    )
    return await post_message(session, user, order_id, note, evidence)


async def evidence_file(
    session: AsyncSession, storage: Storage, user: User, order_id: str, message_id: str
) -> tuple[DisputeMessage, bytes]:
    """A message's attached file, for the order's parties; OrderNotFound or EvidenceNotFound
    (404) otherwise."""
    order = await service.load_for(session, user, order_id, lock=False)
    return await admin_evidence_file(session, storage, order.id, message_id)


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


async def order_disputes(session: AsyncSession, order_id: str) -> list[Dispute]:
    """Every dispute an order has had, newest first (the console links each)."""
    return await core.search(session, purpose=PURPOSE, query=order_id)


async def admin_thread(session: AsyncSession, order_id: str) -> list[DisputeMessage]:
    """Any order's issue and dispute thread, oldest first."""
    return await core.thread_for(session, PURPOSE, order_id)


async def admin_evidence_file(
    session: AsyncSession, storage: Storage, order_id: str, message_id: str
) -> tuple[DisputeMessage, bytes]:
    """A message's attached file on any order; EvidenceNotFound (404) otherwise."""
    return await core.evidence_file(
        session, storage, message_id, purpose=PURPOSE, purpose_id=order_id
    )
