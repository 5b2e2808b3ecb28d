"""Property tests of the escrow order state machine.

Pure (no database): for any sequence of actions, applying only what the table allows never
leaves the table's states; terminal states accept nothing; every state is reachable from
``created``; every action has exactly one party allowed to take it.

With money (a real database): hypothesis-chosen sequences of what the buyer, the seller, an
admin and the clock do to up to three orders — create, accept, decline, pay from the wallet,
start, complete, fulfil conditions, report an issue, escalate, release, resolve (release,
refund, split), cancel, expire, auto-release, and the same by the wrong party — run through
the real escrow services (``service``, ``settlement``, ``disputes``), each step in its own
transaction. After every step each order's status is the one the table gives for what
succeeded (unchanged when the step was refused, and refused only when the table, the party or
the wallet says so). At the end the ledger invariants hold and money is conserved: what the
buyer paid = the seller's wallet + platform fees + what was refunded + what escrow still
holds, each also matching a model of the fee and settlement rules.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.escrow import disputes, service, states
from kro.escrow.errors import NotOrderParty, PaymentAlreadyReceived
from kro.escrow.fees import FeePolicy, Payer
from kro.escrow.models import EscrowCondition, EscrowOrder, EscrowOrderEvent
from kro.identity.models import User
from kro.kit.clock import clock, utcnow
from kro.kit.db import unit_of_work
from kro.kit.errors import Conflict, InvalidTransition, KroError, Unprocessable
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.errors import InsufficientFunds
from kro.ledger.invariants import check_invariants
from kro.ledger.models import LedgerTransfer
from kro.ledger.service import get_balance
from kro.settings import Settings
from tests.ledger.factories import fund

MACHINE = states.ORDER
TABLE_ACTIONS = sorted({action for (_, action) in MACHINE.table})
STATES = sorted(MACHINE.states())


# Pure ---------------------------------------------------------------------------------------


@given(actions=st.lists(st.sampled_from(TABLE_ACTIONS)))
def test_allowed_transitions_never_leave_the_table(actions: list[str]) -> None:
    status = states.CREATED
    for action in actions:
        if action not in MACHINE.allowed(status):
            with pytest.raises(InvalidTransition):
                MACHINE.next(status, action)
            continue
        step = MACHINE.next(status, action)
        assert step.from_state == status
        status = step.to_state
        assert status in STATES


def test_terminal_states_accept_nothing_and_only_they_are_dead_ends() -> None:
    for status in STATES:
        assert (MACHINE.allowed(status) == []) == (status in MACHINE.terminal), status


def test_every_state_is_reachable_from_created() -> None:
    seen, todo = {states.CREATED}, deque([states.CREATED])
    while todo:
        status = todo.popleft()
        for action in MACHINE.allowed(status):
            target = MACHINE.table[(status, action)]
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(STATES)


def test_every_action_has_one_party() -> None:
    for action in TABLE_ACTIONS:
        assert action in states.ACTORS or action in states.EITHER_PARTY, action


# With money ---------------------------------------------------------------------------------

BUYER_FUNDS = 20_000_000  # ₦200,000.00
INSPECTION_DAYS = 3
EXPIRES_IN = timedelta(days=30)

order_ref = st.integers(0, 2)
MAX_ORDERS = 3
steps = st.one_of(
    st.tuples(
        st.just("act"),
        order_ref,
        st.sampled_from(["accept", "decline", "start", "complete", "cancel"]),
        st.sampled_from(["buyer", "seller", "seller", "seller"]),  # mostly the right party
    ),
    st.tuples(st.just("pay"), order_ref),
    st.tuples(st.just("fulfil"), order_ref, st.integers(0, 2)),
    st.tuples(st.just("report_issue"), order_ref, st.sampled_from(["buyer", "seller"])),
    st.tuples(st.just("escalate"), order_ref, st.sampled_from(["buyer", "seller"])),
    st.tuples(st.just("release"), order_ref, st.sampled_from(["buyer", "seller"])),
    st.tuples(
        st.just("resolve"),
        order_ref,
        st.sampled_from(["release", "refund", "split"]),
        st.floats(0.0, 1.0),  # the seller's share of a split (0 and 1 are refused)
    ),
    st.tuples(st.just("auto_release")),
)


@dataclass
class Money:
    """What the fee and settlement rules say each order moved, minor units."""

    paid: int = 0  # buyer → escrow
    to_seller: int = 0  # posted to the seller's wallet
    fees: int = 0  # posted to platform fees
    refunded: int = 0  # escrow → buyer's wallet


@dataclass
class World:
    buyer: User
    seller: User
    admin: User
    policy: FeePolicy
    orders: list[str] = field(default_factory=list)
    money: dict[str, Money] = field(default_factory=dict)

    def party(self, who: str) -> User:
        return {"buyer": self.buyer, "seller": self.seller, "admin": self.admin}[who]


async def _user(sessions: async_sessionmaker[AsyncSession], name: str, role: str = "user") -> User:
    async with unit_of_work(sessions) as s:
        user = User(
            email=f"{name}-{new_id('usr')}@example.com",
            full_name=name.title(),
            password_hash="!",
            role=role,
        )
        s.add(user)
        await s.flush()
        if name == "buyer":
            await fund(s, await chart.ensure_wallet(s, user.id, "NGN"), BUYER_FUNDS)
        return user


async def _order(session: AsyncSession, order_id: str) -> EscrowOrder:
    order = await session.get(EscrowOrder, order_id, populate_existing=True)
    assert order is not None
    return order


async def _statuses(sessions: async_sessionmaker[AsyncSession], world: World) -> dict[str, str]:
    async with sessions() as s:
        return {oid: (await _order(s, oid)).status for oid in world.orders}


async def _available(sessions: async_sessionmaker[AsyncSession], user: User) -> int:
    async with sessions() as s:
        wallet = await chart.ensure_wallet(s, user.id, "NGN")
        available = (await get_balance(s, wallet.id)).available
        await s.rollback()
        return available


def _settle(order: EscrowOrder, money: Money, how: str, seller_amount: int = 0) -> None:
    """The model's money when ``order`` ends: release, refund or split."""
    fee = order.buyer_fee + order.seller_fee
    if how == "release":
        money.to_seller, money.fees = order.amount - order.seller_fee, fee
    elif how == "refund":
        money.refunded = order.buyer_pays
    else:
        money.to_seller, money.fees = seller_amount, fee
        money.refunded = order.buyer_pays - seller_amount - fee


async def _run(
    sessions: async_sessionmaker[AsyncSession],
    app_settings: Settings,
    world: World,
    step: tuple[Any, ...],
) -> tuple[str | None, str | None, Exception | None]:
    """Run one step in its own transaction: ``(order id, action tried, error)``."""
    kind = step[0]
    if kind in ("expire", "auto_release"):
        days = EXPIRES_IN.days + 1 if kind == "expire" else INSPECTION_DAYS + 1
        clock.advance(timedelta(days=days))
        async with unit_of_work(sessions) as s:
            if kind == "expire":
                await service.expire_orders(s, utcnow())
            else:
                await service.auto_release(s, utcnow())
        return None, kind, None
    if kind == "create":
        if len(world.orders) >= MAX_ORDERS:
            return None, None, None
        new = service.NewOrder(
            seller_email=world.seller.email,
            title="Logo design",
            description=None,
            amount=int(step[1]),
            currency="NGN",
            conditions=[f"Deliverable {i}" for i in range(int(step[2]))],
            inspection_days=INSPECTION_DAYS,
        )
        async with unit_of_work(sessions) as s:
            order = await service.create_order(s, world.buyer, new, world.policy, EXPIRES_IN)
        world.orders.append(order.id)
        world.money[order.id] = Money()
        return order.id, "create", None
    if not world.orders:
        return None, None, None
    order_id = world.orders[int(step[1]) % len(world.orders)]
    try:
        async with unit_of_work(sessions) as s:
            action = await _act(s, app_settings, world, order_id, step)
    except KroError as exc:
        return order_id, _tried(step), exc
    return order_id, action, None


def _tried(step: tuple[Any, ...]) -> str:
    kind = str(step[0])
    if kind == "act":
        return str(step[2])
    if kind == "resolve":
        return f"resolve_{step[2]}"
    return "fund" if kind == "pay" else kind


async def _act(
    s: AsyncSession, app_settings: Settings, world: World, order_id: str, step: tuple[Any, ...]
) -> str:
    """One user action through the escrow services; returns the action it was."""
    kind, buyer = step[0], world.buyer
    if kind == "act":
        action, who = str(step[2]), world.party(str(step[3]))
        await service.act(s, who, order_id, action, expires_in=EXPIRES_IN)
        return action
    if kind == "pay":
        await service.start_payment(s, app_settings, buyer, order_id, None, "wallet")
        return "fund"
    if kind == "fulfil":
        conditions = list(
            await s.scalars(
                select(EscrowCondition)
                .where(EscrowCondition.order_id == order_id)
                .order_by(EscrowCondition.position)
            )
        )
        condition = conditions[int(step[2]) % len(conditions)]
        await service.fulfil_condition(s, buyer, order_id, condition.id)
        return "fulfil"
    if kind == "report_issue":
        await disputes.report_issue(s, world.party(str(step[2])), order_id, "It does not work")
        return "report_issue"
    if kind == "escalate":
        await disputes.escalate(s, world.party(str(step[2])), order_id, "We cannot agree")
        return "escalate"
    if kind == "release":
        await disputes.buyer_release(s, world.party(str(step[2])), order_id)
        return "release"
    outcome, share = str(step[2]), float(step[3])
    order = await _order(s, order_id)
    seller_amount = int((order.amount - order.seller_fee) * share)
    how = cast(disputes.Outcome, outcome)
    await disputes.resolve(s, world.admin, order_id, how, "decided", seller_amount=seller_amount)
    return f"resolve_{outcome}"


async def _check_step(
    sessions: async_sessionmaker[AsyncSession],
    world: World,
    before: dict[str, str],
    available_before: int,
    outcome: tuple[str | None, str | None, Exception | None],
) -> None:
    """Each order moved by at most one allowed transition, and only the one the step names;
    a refused step changed nothing and was refused for a reason the rules give."""
    after = await _statuses(sessions, world)
    order_id, action, error = outcome
    async with sessions() as s:
        for oid, now in after.items():
            was = before.get(oid)
            if was is None:  # just created
                assert now == states.CREATED
                continue
            if was == now:
                continue
            moves = [a for a in TABLE_ACTIONS if MACHINE.table.get((was, a)) == now]
            assert moves, f"{oid}: {was} → {now} is not in the table"
            if action in ("expire", "auto_release"):
                assert action in moves
                event(f"{was} --{action}--> {now}")
                if action == "auto_release":
                    _settle(await _order(s, oid), world.money[oid], "release")
                continue
            assert oid == order_id and error is None, (oid, action, error)
            expected = {"fulfil": "close", "release": "release"}.get(str(action), action)
            assert expected in moves, (was, now, action)
            event(f"{was} --{expected}--> {now}")
            await _book(s, world, oid, str(expected), was)
    if error is not None:
        assert after == before
        async with sessions() as s:
            buyer_pays = (await _order(s, str(order_id))).buyer_pays
        _refusal_is_justified(
            before[str(order_id)], str(action), error, available_before < buyer_pays
        )


async def _book(s: AsyncSession, world: World, order_id: str, action: str, was: str) -> None:
    """Move the model's money for a transition that happened."""
    order, money = await _order(s, order_id), world.money[order_id]
    if action == "fund":
        money.paid = order.buyer_pays
    elif action in ("close", "release", "resolve_release", "auto_release"):
        _settle(order, money, "release")
    elif action in ("resolve_refund",) or (action == "cancel" and was == states.FUNDED):
        _settle(order, money, "refund")
    elif action == "resolve_split":
        _settle(order, money, "split", order.released_amount)


def _refusal_is_justified(status: str, action: str, error: Exception, short: bool) -> None:
    """``short``: the buyer's wallet could not cover the order."""
    event(f"refused: {type(error).__name__}")
    wanted = states.ACTORS.get(action)
    if isinstance(error, NotOrderParty):
        return  # the wrong party (the step may pick either); the status did not move
    if isinstance(error, InsufficientFunds):
        assert action == "fund" and status == states.ACCEPTED and short
        return
    if isinstance(error, InvalidTransition):
        assert action not in MACHINE.allowed(status) or action == "fulfil", (status, action)
        return
    if isinstance(error, PaymentAlreadyReceived):
        # ``act`` answers a cancel of any paid order so, before it looks at the table (a
        # misleading message once the order is past funding; the status does not move).
        assert action == "cancel" and status not in (states.CREATED, states.ACCEPTED)
        return
    if isinstance(error, Unprocessable):
        assert action == "resolve_split"  # a share of 0 or all of it is refused
        return
    if isinstance(error, Conflict):  # conditions before completion, nothing to resolve, …
        assert action not in MACHINE.allowed(status) or wanted is None, (status, action, error)
        return
    raise AssertionError(f"unexpected refusal of {action} from {status}: {error!r}")


async def _fees_of(s: AsyncSession, world: World) -> int:
    """Platform fees posted for this example's orders (the fee account is shared by every
    example, and a later example's clock may auto-release an order an earlier one left)."""
    platform = await chart.ensure_platform_fees(s, "NGN")
    posted = await s.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_posted), 0)).where(
            LedgerTransfer.credit_account_id == platform.id,
            LedgerTransfer.kind == "pending",
            LedgerTransfer.reference.in_(world.orders),
        )
    )
    return int(posted or 0)


async def _check_money(sessions: async_sessionmaker[AsyncSession], world: World) -> None:
    async with sessions() as s:
        assert await check_invariants(s) == []
        buyer = await get_balance(s, (await chart.ensure_wallet(s, world.buyer.id, "NGN")).id)
        seller = await get_balance(s, (await chart.ensure_wallet(s, world.seller.id, "NGN")).id)
        fees = await _fees_of(s, world)
        in_escrow, expected_escrow = 0, 0
        for oid in world.orders:
            order, money = await _order(s, oid), world.money[oid]
            escrow = await get_balance(s, (await chart.ensure_escrow(s, oid, "NGN")).id)
            assert escrow.posted >= 0
            in_escrow += escrow.posted
            if order.status in (states.CLOSED, states.REFUNDED):
                assert escrow.posted == 0 and escrow.debits_pending == 0
                assert order.released_amount == money.to_seller
                assert order.refunded_amount == money.refunded
            elif money.paid:
                expected_escrow += money.paid
                assert escrow.debits_pending == money.paid  # the seller's and the fee holds
        await s.rollback()
    paid = sum(m.paid for m in world.money.values())
    refunded = sum(m.refunded for m in world.money.values())
    to_seller = sum(m.to_seller for m in world.money.values())
    # Money is conserved, from the ledger: paid = seller + fees + refunded + still in escrow.
    assert buyer.posted == BUYER_FUNDS - paid + refunded
    assert paid == seller.posted + fees + refunded + in_escrow
    # … and each part is what the rules say.
    assert seller.posted == to_seller and seller.debits_posted == 0
    assert fees == sum(m.fees for m in world.money.values())
    assert in_escrow == expected_escrow


async def _replay_events(sessions: async_sessionmaker[AsyncSession], world: World) -> None:
    async with sessions() as s:
        for oid in world.orders:
            rows = list(
                await s.scalars(
                    select(EscrowOrderEvent)
                    .where(EscrowOrderEvent.order_id == oid)
                    .order_by(EscrowOrderEvent.created_at, EscrowOrderEvent.id)
                )
            )
            assert (rows[0].action, rows[0].from_state, rows[0].to_state) == (
                "create",
                "new",
                states.CREATED,
            )
            status = states.CREATED
            for row in rows[1:]:
                assert row.from_state == status
                status = MACHINE.next(status, row.action).to_state
                assert row.to_state == status
            assert status == (await _order(s, oid)).status
            event(f"an order ended {status}")


PATH: list[tuple[Any, ...]] = [
    ("act", 0, "accept", "seller"),
    ("pay", 0),
    ("act", 0, "start", "seller"),
    ("act", 0, "complete", "seller"),
    ("report_issue", 0, "buyer"),
    ("escalate", 0, "seller"),
]
PATH_TO = [
    states.CREATED,
    states.ACCEPTED,
    states.FUNDED,
    states.IN_PROGRESS,
    states.COMPLETED,
    states.ISSUE_REPORTED,
    states.DISPUTED,
]
"""``PATH[:i]`` takes a new order to ``PATH_TO[i]``."""


def _likely(index: int, status: str) -> list[tuple[Any, ...]]:
    """Steps a user would plausibly take next on order ``index`` in ``status`` (by the right
    party, the common ones repeated), so that examples get deep into the lifecycle; the random
    steps add the rest."""
    likely: dict[str, list[tuple[Any, ...]]] = {
        states.CREATED: [
            *[("act", index, "accept", "seller")] * 4,
            ("act", index, "decline", "seller"),
            ("act", index, "cancel", "buyer"),
            ("expire",),
        ],
        states.ACCEPTED: [*[("pay", index)] * 4, ("act", index, "cancel", "buyer"), ("expire",)],
        states.FUNDED: [
            *[("act", index, "start", "seller")] * 3,
            ("act", index, "cancel", "buyer"),
        ],
        states.IN_PROGRESS: [
            *[("act", index, "complete", "seller")] * 3,
            ("report_issue", index, "buyer"),
        ],
        states.COMPLETED: [
            *[("fulfil", index, position) for position in range(3)] * 2,
            ("report_issue", index, "buyer"),
            ("report_issue", index, "buyer"),
            ("auto_release",),
        ],
        states.ISSUE_REPORTED: [
            ("release", index, "buyer"),
            ("escalate", index, "seller"),
            ("escalate", index, "buyer"),
            ("resolve", index, "release", 0.5),
            ("resolve", index, "refund", 0.5),
            ("resolve", index, "split", 0.4),
        ],
        states.DISPUTED: [
            ("resolve", index, "release", 0.5),
            ("resolve", index, "refund", 0.5),
            ("resolve", index, "split", 0.7),
        ],
    }
    # An order that ended makes way for a new one, of any size (the wallet may not cover it).
    return likely.get(status, [("create", 2_500_000, 3), ("create", 9_000_000, 1)])


@settings(
    max_examples=35,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    payer=st.sampled_from(["buyer", "seller", "split"]),
    start=st.sampled_from(PATH_TO),
    length=st.integers(10, 25),
    data=st.data(),
)
async def test_random_order_lives_follow_the_table_and_conserve_money(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    payer: str,
    start: str,
    length: int,
    data: st.DataObject,
) -> None:
    world = World(
        buyer=await _user(sessions, "buyer"),
        seller=await _user(sessions, "seller"),
        admin=await _user(sessions, "admin", role="admin"),
        policy=FeePolicy(percent_bps=150, flat=10_000, cap=500_000, payer=cast(Payer, payer)),
    )
    # The first order is driven to ``start`` by the usual path (so that every state is a
    # starting point, disputes included); then hypothesis chooses.
    plan: list[tuple[Any, ...]] = [("create", 1_000_000, 2), *PATH[: PATH_TO.index(start)]]
    for n in range(len(plan) + length):
        step = plan[n] if n < len(plan) else None
        before = await _statuses(sessions, world)
        if step is None:
            index = data.draw(st.integers(0, len(world.orders) - 1), label="order")
            status = before[world.orders[index]]
            likely = st.sampled_from(_likely(index, status))
            step = data.draw(st.one_of(*[likely] * 5, steps), label="step")
        available = await _available(sessions, world.buyer)
        outcome = await _run(sessions, settings, world, step)
        await _check_step(sessions, world, before, available, outcome)
    # At the end the inspection periods run out: a completed order is released.
    before = await _statuses(sessions, world)
    outcome = await _run(sessions, settings, world, ("auto_release",))
    await _check_step(sessions, world, before, await _available(sessions, world.buyer), outcome)
    await _check_money(sessions, world)
    await _replay_events(sessions, world)
