"""The core dispute service on SQLite and PostgreSQL, with a product of its own: the
``testing`` purpose, whose settlement records each decision (the real products' are
exercised in test_api.py)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.models import AuditEntry
from kro.disputes import registry, resolution, service, states
from kro.disputes.errors import (
    DisputeAlreadyOpen,
    DisputeClosed,
    DisputeNotFound,
    EvidenceNotFound,
    InvalidOutcome,
    InvalidSplit,
)
from kro.disputes.models import Dispute, DisputeEvent
from kro.disputes.registry import Decision, Purpose
from kro.identity.models import User
from kro.kit.errors import InvalidTransition, Unprocessable
from kro.kit.storage import LocalStorage

SETTLED: list[Decision] = []


class Refused(Unprocessable):
    code = "refused_by_product"


async def _settle(session: AsyncSession, decision: Decision) -> dict[str, Any]:
    if decision.note == "refuse":
        raise Refused()
    SETTLED.append(decision)
    return {"to_seller": decision.seller_amount or 0}


registry.register(
    Purpose(
        "testing",
        "Testing",
        "testing_object",
        (("release", "Release"), ("refund", "Refund"), ("split", "Split")),
        _settle,
    )
)


async def _user(session: AsyncSession, name: str) -> User:
    user = User(
        email=f"{name}-{secrets.token_hex(3)}@example.com", full_name=name, password_hash="-"
    )
    session.add(user)
    await session.flush()
    return user


class World:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def setup(self) -> World:
        self.buyer = await _user(self.session, "buyer")
        self.seller = await _user(self.session, "seller")
        self.stranger = await _user(self.session, "stranger")
        self.admin = await _user(self.session, "admin")
        return self

    def subject(self, object_id: str = "obj_1") -> service.Subject:
        return service.Subject(
            "testing", object_id, "Logo", self.buyer.id, self.seller.id, 1_000_000, "NGN"
        )

    async def open(self, object_id: str = "obj_1") -> Dispute:
        subject = self.subject(object_id)
        return await service.open_dispute(self.session, subject, self.buyer, "buyer", "Broken")


@pytest.fixture
async def world(session: AsyncSession) -> World:
    SETTLED.clear()
    return await World(session).setup()


async def test_open_escalate_resolve_records_each_step(world: World) -> None:
    s = world.session
    dispute = await world.open()
    assert dispute.status == states.OPEN
    await service.post_message(s, dispute, world.seller, "seller", "It works for me")
    await service.escalate(s, dispute, world.seller, "seller", "We disagree")
    assert dispute.status == states.ESCALATED
    await resolution.resolve(
        s, world.admin, dispute.id, "split", "60/40", seller_amount=600_000, ip="10.0.0.1"
    )
    assert (dispute.status, dispute.outcome, dispute.seller_amount) == (
        "resolved",
        "split",
        600_000,
    )
    assert dispute.resolved_by == world.admin.id and dispute.resolved_at is not None
    assert [d.seller_amount for d in SETTLED] == [600_000]
    events = await service.events(s, dispute.id)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("open", "new", "open"),
        ("escalate", "open", "escalated"),
        ("resolve", "escalated", "resolved"),
    ]
    assert [e.actor_role for e in events] == ["buyer", "seller", "admin"]
    thread = await service.thread(s, dispute.id)
    assert [(m.author_role, m.kind) for m in thread] == [
        ("buyer", "issue"),
        ("seller", "answer"),
        ("seller", "message"),
        ("admin", "resolution"),
    ]
    entry = (
        await s.execute(select(AuditEntry).where(AuditEntry.action == "testing.dispute_resolved"))
    ).scalar_one()
    assert (entry.target_type, entry.target_id, entry.actor_id) == (
        "testing_object",
        "obj_1",
        world.admin.id,
    )
    assert entry.details["outcome"] == "split" and entry.details["to_seller"] == 600_000


async def test_a_second_resolution_is_a_409_and_moves_nothing(world: World) -> None:
    s = world.session
    dispute = await world.open()
    await resolution.resolve(s, world.admin, dispute.id, "refund", "refund it")
    with pytest.raises(DisputeClosed) as caught:
        await resolution.resolve(s, world.admin, dispute.id, "release", "pay instead")
    assert caught.value.http_status == 409
    assert len(SETTLED) == 1 and dispute.outcome == "refund"
    with pytest.raises(DisputeClosed):
        await service.post_message(s, dispute, world.buyer, "buyer", "late")
    count = (
        select(func.count()).select_from(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
    )
    assert (await s.execute(count)).scalar_one() == 2


async def test_a_withdrawn_dispute_cannot_be_escalated_or_resolved(world: World) -> None:
    s = world.session
    dispute = await world.open()
    await service.withdraw(s, dispute, world.buyer, "buyer", "sorted out")
    assert dispute.status == states.WITHDRAWN
    with pytest.raises(InvalidTransition):
        await service.escalate(s, dispute, world.seller, "seller", "too late")
    with pytest.raises(DisputeClosed):
        await resolution.resolve(s, world.admin, dispute.id, "release", "x")
    assert SETTLED == []


async def test_bad_decisions_are_refused_before_anything_is_written(world: World) -> None:
    s = world.session
    dispute = await world.open()
    with pytest.raises(InvalidOutcome) as outcome:
        await resolution.resolve(s, world.admin, dispute.id, "complete", "not ours")
    assert outcome.value.http_status == 422 and outcome.value.code == "invalid_outcome"
    with pytest.raises(InvalidSplit):
        await resolution.resolve(s, world.admin, dispute.id, "split", "no amount")
    with pytest.raises(Refused):  # the product refuses: the dispute stays as it was
        await resolution.resolve(s, world.admin, dispute.id, "release", "refuse")
    with pytest.raises(DisputeNotFound):
        await resolution.resolve(s, world.admin, "dsp_missing", "release", "x")
    assert dispute.status == states.OPEN and dispute.outcome is None
    assert [e.action for e in await service.events(s, dispute.id)] == ["open"]
    assert SETTLED == []


async def test_one_active_dispute_per_object(world: World) -> None:
    s = world.session
    first = await world.open()
    with pytest.raises(DisputeAlreadyOpen):
        await world.open()
    other = await world.open("obj_2")  # another object is another dispute
    await resolution.resolve(s, world.admin, first.id, "release", "fine")
    again = await world.open()  # once resolved, the object may be disputed again
    assert again.id != first.id
    assert await service.count_active(s, "testing") == 2
    active = await service.active_for(s, "testing", "obj_1")
    assert active is not None and active.id == again.id
    assert {d.id for d in await service.search(s, purpose="testing", query="obj_1")} == {
        first.id,
        again.id,
    }
    found = await service.search(s, statuses=tuple(states.ACTIVE), query=world.seller.id)
    assert {d.id for d in found} == {other.id, again.id}
    assert [d.id for d in await service.search(s, query="LOGO", limit=1)] == [again.id]


async def test_parties_see_their_disputes_and_nobody_else_does(world: World) -> None:
    s = world.session
    dispute = await world.open()
    for party in (world.buyer, world.seller):
        assert (await service.get_for_party(s, party, dispute.id)).id == dispute.id
        assert [d.id for d in await service.list_for_party(s, party)] == [dispute.id]
    with pytest.raises(DisputeNotFound) as caught:
        await service.get_for_party(s, world.stranger, dispute.id)
    assert caught.value.http_status == 404
    assert await service.list_for_party(s, world.stranger) == []


async def test_evidence_is_read_only_through_its_object(world: World, tmp_path: Path) -> None:
    s, storage = world.session, LocalStorage(tmp_path)
    dispute = await world.open()
    evidence = await service.store_evidence(
        storage, dispute, "../../etc/pass wd", "text/plain", b"x"
    )
    # The name cannot climb out of the object's folder: no "/" survives.
    assert evidence.name == ".._.._etc_pass_wd" and evidence.size == 1
    assert evidence.key.startswith("evidence/obj_1/") and evidence.key.count("/") == 3
    message = await service.post_message(s, dispute, world.buyer, "buyer", "see file", evidence)
    assert message.kind == "evidence"
    found, data = await service.evidence_file(
        s, storage, message.id, purpose="testing", purpose_id="obj_1"
    )
    assert found.id == message.id and data == b"x"
    with pytest.raises(EvidenceNotFound):
        await service.evidence_file(s, storage, message.id, purpose="testing", purpose_id="obj_2")
    with pytest.raises(EvidenceNotFound):
        await service.evidence_file(s, storage, message.id, purpose="escrow", purpose_id="obj_1")


def test_a_purpose_is_registered_once() -> None:
    purpose = registry.get("testing")
    registry.register(purpose)  # the same again: a no-op
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Purpose("testing", "Other", "x", (("release", "R"),), _settle))
    with pytest.raises(LookupError):
        registry.get("nobody")
