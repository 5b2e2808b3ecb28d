"""An admin resolves a dispute (DESIGN.md section 6: a money move by an admin needs a fresh
TOTP code and leaves an audit-log row).

The core checks the dispute and the outcome, checks the code, records the decision (state,
event, thread, audit log) and hands the money to the product that registered the dispute's
purpose (:mod:`kro.disputes.registry`), all in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit import service as audit
from kro.disputes import registry, service, states
from kro.disputes.errors import DisputeClosed, InvalidOutcome, InvalidSplit
from kro.disputes.models import Dispute
from kro.disputes.registry import Decision, Purpose
from kro.identity import admin as identity_admin
from kro.identity.models import User
from kro.kit.clock import utcnow
from kro.settings import Settings


async def _decision(
    session: AsyncSession,
    admin: User,
    dispute_id: str,
    outcome: str,
    note: str,
    seller_amount: int | None,
    settings: Settings | None,
) -> tuple[Purpose, Decision]:
    """The locked dispute's purpose and the decision, once both are known to apply:
    DisputeNotFound (404), DisputeClosed (409: resolved or withdrawn already, so a second
    resolution changes nothing), InvalidOutcome or InvalidSplit (422: a split without the
    seller's amount)."""
    dispute = await service.get(session, dispute_id, lock=True)
    if dispute.status not in states.ACTIVE:
        raise DisputeClosed(details={"status": dispute.status, "outcome": dispute.outcome})
    purpose = registry.get(dispute.purpose)
    if not purpose.allows(outcome):
        allowed = [name for name, _ in purpose.outcomes]
        raise InvalidOutcome(details={"field": "outcome", "allowed": allowed})
    if outcome == "split" and seller_amount is None:
        raise InvalidSplit(details={"field": "seller_amount"})
    amount = seller_amount if outcome == "split" else None
    return purpose, Decision(dispute, admin, outcome, note, amount, settings)


async def _apply(
    session: AsyncSession, purpose: Purpose, decision: Decision, ip: str | None
) -> Dispute:
    dispute = decision.dispute
    details = await purpose.settle(session, decision)
    await service.transition(session, dispute, "resolve", decision.admin, "admin", decision.note)
    dispute.outcome = decision.outcome
    dispute.seller_amount = decision.seller_amount
    dispute.resolution_note = decision.note
    dispute.resolved_by = decision.admin.id
    dispute.resolved_at = utcnow()
    service.add_resolution_message(session, dispute, decision.admin, decision.note)
    await audit.record(
        session,
        actor_id=decision.admin.id,
        action=f"{purpose.name}.dispute_resolved",
        target_type=purpose.target_type,
        target_id=dispute.purpose_id,
        ip=ip,
        details={
            "dispute_id": dispute.id,
            "outcome": decision.outcome,
            "note": decision.note,
            **details,
        },
    )
    await session.flush()
    return dispute


async def resolve(
    session: AsyncSession,
    admin: User,
    dispute_id: str,
    outcome: str,
    note: str,
    *,
    seller_amount: int | None = None,
    settings: Settings | None = None,
    ip: str | None = None,
) -> Dispute:
    """Resolve an active dispute; the caller has checked the admin's TOTP (see
    :func:`resolve_with_totp`). The product's ``settle`` moves the money: the seller is paid
    (``release``/``complete``), the buyer refunded (``refund``/``cancel``), or the seller gets
    ``seller_amount`` minor units and the buyer the rest (``split``). Raises
    DisputeNotFound (404), DisputeClosed (409), InvalidOutcome (422) and what the product's
    settlement raises."""
    purpose, decision = await _decision(
        session, admin, dispute_id, outcome, note, seller_amount, settings
    )
    return await _apply(session, purpose, decision, ip)


async def resolve_with_totp(
    session: AsyncSession,
    admin: User,
    dispute_id: str,
    outcome: str,
    note: str,
    *,
    totp_code: str | None,
    seller_amount: int | None = None,
    settings: Settings | None = None,
    ip: str | None = None,
) -> Dispute:
    """:func:`resolve` after the admin's fresh TOTP code. What the request asks is checked
    first (the dispute, the outcome, the product's own check such as a split's amount), so a
    refused request does not use up a code. Raises TotpRequired (403, on field
    ``totp_code``) and what :func:`resolve` raises."""
    purpose, decision = await _decision(
        session, admin, dispute_id, outcome, note, seller_amount, settings
    )
    if purpose.check is not None:
        await purpose.check(session, decision)
    await identity_admin.require_totp(session, admin, totp_code, field="totp_code")
    return await _apply(session, purpose, decision, ip)
