"""Property tests of the payout state machine.

Pure (no database): for any sequence of actions, applying only what the table allows never
leaves the table's states; the terminal status accepts nothing; every status is reachable
from the statuses a payout is created in; Paystack's answers map only to allowed actions.

With money (a real database): random sequences of requests (some with a key already used,
some above the approval threshold, some the wallet cannot cover), admin decisions, the
sending job's outcomes (accepted, refused, unknown) and Paystack's verified answers (success,
failed, reversed, still pending — in any order, duplicated) against a small model of the
rules. After every step each payout's status is the model's and was reached by an allowed
transition; the wallet never goes negative. At the end the ledger invariants hold, the
wallet plus the money sent equals what the payee had, and each payout's events replay to
its status.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.db import unit_of_work
from kro.kit.errors import InvalidTransition, KroError
from kro.ledger.errors import InsufficientFunds
from kro.ledger.invariants import check_invariants
from kro.ledger.service import get_balance
from kro.payouts import service, settlement, states, transfers
from kro.payouts.errors import PayoutNotAwaitingApproval
from kro.payouts.models import Payout, PayoutEvent
from kro.providers.paystack.schemas import Transfer
from tests.payouts.conftest import make_payee

MACHINE = states.PAYOUT
ACTIONS = sorted({action for (_, action) in MACHINE.table})
STATES = sorted(MACHINE.states())
PAYSTACK_STATUSES = ["pending", "otp", "success", "failed", "reversed", "abandoned", "blocked"]


# Pure ---------------------------------------------------------------------------------------


@given(start=st.sampled_from(sorted(states.ENTRY)), actions=st.lists(st.sampled_from(ACTIONS)))
def test_allowed_transitions_never_leave_the_table(start: str, actions: list[str]) -> None:
    status = start
    for action in actions:
        allowed = action in MACHINE.allowed(status)
        if not allowed:
            with pytest.raises(InvalidTransition):
                MACHINE.next(status, action)
            continue
        step = MACHINE.next(status, action)
        assert step.from_state == status
        status = step.to_state
        assert status in STATES
        if status in MACHINE.terminal:
            assert MACHINE.allowed(status) == []


def test_terminal_statuses_accept_nothing_and_only_they_are_dead_ends() -> None:
    assert MACHINE.terminal == {states.NEEDS_REVIEW}
    for status in STATES:
        assert (MACHINE.allowed(status) == []) == (status in MACHINE.terminal), status


def test_every_status_is_reachable_from_an_entry_status() -> None:
    assert set(STATES) >= states.ENTRY
    seen, todo = set(states.ENTRY), deque(states.ENTRY)
    while todo:
        status = todo.popleft()
        for action in MACHINE.allowed(status):
            target = MACHINE.table[(status, action)]
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(STATES)


@given(
    amount=st.integers(1, 10**13),
    threshold=st.one_of(st.none(), st.integers(0, 10**13)),
)
def test_a_payout_starts_pending_unless_above_the_threshold(
    amount: int, threshold: int | None
) -> None:
    expected = "pending_approval" if threshold is not None and amount > threshold else "pending"
    assert states.entry_status(amount, threshold) == expected


@given(status=st.sampled_from(STATES), paystack=st.sampled_from(PAYSTACK_STATUSES))
def test_paystack_answers_map_to_allowed_actions_only(status: str, paystack: str) -> None:
    action = settlement.settlement_action(status, paystack)
    if action is not None:
        assert action in MACHINE.allowed(status)
    if paystack in ("pending", "otp") or status in MACHINE.terminal:
        assert action is None
    if status == states.PENDING_APPROVAL:  # nothing was sent: Paystack cannot settle it
        assert action is None


# With money ---------------------------------------------------------------------------------

FUNDS = 1_000_000
THRESHOLD = 400_000
FEE = 2_500

steps = st.one_of(
    # request: amount, idempotency key number (a small range: keys get reused)
    st.tuples(
        st.just("request"),
        st.one_of(st.integers(1, THRESHOLD), st.integers(THRESHOLD + 1, 600_000)),
        st.integers(0, 5),
    ),
    st.tuples(st.just("decide"), st.integers(0, 9), st.booleans()),
    st.tuples(
        st.just("send"), st.integers(0, 9), st.sampled_from(["accepted", "refused", "unknown"])
    ),
    st.tuples(st.just("settle"), st.integers(0, 9), st.sampled_from(PAYSTACK_STATUSES)),
    # Paystack's conclusive answers, more often (a duplicate or a late one is likelier too)
    st.tuples(st.just("settle"), st.integers(0, 9), st.sampled_from(["success", "reversed"])),
)


@dataclass
class Model:
    """What the rules say: each payout's status and amount; the wallet's balances."""

    available: int = FUNDS
    held: int = 0
    sent: int = 0
    payouts: list[tuple[str, int]] = field(default_factory=list)  # (id, amount)
    status: dict[str, str] = field(default_factory=dict)
    keys: dict[int, tuple[str, int]] = field(default_factory=dict)  # key → (id, amount)

    def expect_settle(self, payout_id: str, amount: int, paystack: str) -> str:
        """The status after Paystack's verified ``paystack``; moves the model's money."""
        now = self.status[payout_id]
        open_ = now in ("pending", "processing")
        if paystack == "success" and open_:
            self.held, self.sent = self.held - amount, self.sent + amount
            return "success"
        if paystack == "success" and now in ("failed", "reversed"):
            return "needs_review"
        if paystack == "reversed" and now == "success":
            self.sent, self.available = self.sent - amount, self.available + amount
            return "reversed"
        if paystack in ("failed", "reversed", "abandoned", "blocked") and open_:
            self.held, self.available = self.held - amount, self.available + amount
            return "reversed" if paystack == "reversed" else "failed"
        return now

    def release(self, amount: int) -> None:
        self.held, self.available = self.held - amount, self.available + amount


def _transfer(payout: Payout, status: str) -> Transfer:
    return Transfer(
        id=1,
        reference=payout.reference,
        transfer_code=f"TRF_{payout.id[-8:]}",
        amount=payout.amount,
        currency=payout.currency,
        status=status,
        fee_charged=FEE,
        gateway_response=f"transfer {status}",
    )


async def _step(
    sessions: async_sessionmaker[AsyncSession],
    user_id: str,
    bank_account_id: str,
    model: Model,
    step: tuple[Any, ...],
) -> None:
    """Run one step in its own transaction and check its outcome against the model."""
    kind = step[0]
    if kind == "request":
        amount, key = int(step[1]), int(step[2])
        try:
            async with unit_of_work(sessions) as s:
                payout, created = await service.request_payout(
                    s,
                    user_id,
                    amount=amount,
                    currency="NGN",
                    bank_account_id=bank_account_id,
                    idempotency_key=f"key-{key}",
                    approval_threshold=THRESHOLD,
                )
        except InsufficientFunds:
            assert key not in model.keys and amount > model.available
            return
        except KroError as exc:  # the key was used for another amount
            assert exc.code == "idempotency_key_reused"
            assert key in model.keys and model.keys[key][1] != amount
            return
        if key in model.keys:
            assert not created and payout.id == model.keys[key][0]
            return
        assert created and amount <= model.available
        model.keys[key] = (payout.id, amount)
        model.payouts.append((payout.id, amount))
        model.status[payout.id] = "pending_approval" if amount > THRESHOLD else "pending"
        model.available, model.held = model.available - amount, model.held + amount
        return
    if not model.payouts:
        return
    payout_id, amount = model.payouts[int(step[1]) % len(model.payouts)]
    before = model.status[payout_id]
    if kind == "decide":
        approve = bool(step[2])
        try:
            async with unit_of_work(sessions) as s:
                await service.decide(s, "usr_admin", payout_id, approve=approve, reason="r")
        except PayoutNotAwaitingApproval:
            assert before != "pending_approval"
            return
        assert before == "pending_approval"
        model.status[payout_id] = "pending" if approve else "failed"
        if not approve:
            model.release(amount)
        return
    if kind == "send":  # what the sending job does with Paystack's answer
        async with unit_of_work(sessions) as s:
            current = await s.get(Payout, payout_id)
            assert current is not None
            answer = transfers.Answer(
                transfer=_transfer(current, "pending") if step[2] == "accepted" else None,
                rejected="Invalid account" if step[2] == "refused" else None,
                unknown="timeout" if step[2] == "unknown" else None,
            )
            await transfers.apply(s, payout_id, answer, expected="pending", poll=0)
        if before == "pending":
            model.status[payout_id] = "failed" if step[2] == "refused" else "processing"
            if step[2] == "refused":
                model.release(amount)
        return
    async with unit_of_work(sessions) as s:  # settle: Paystack's verified answer
        locked = await s.get(Payout, payout_id, with_for_update=True)
        assert locked is not None
        await settlement.settle_payout(s, locked, _transfer(locked, str(step[2])))
    model.status[payout_id] = model.expect_settle(payout_id, amount, str(step[2]))


async def _check(
    sessions: async_sessionmaker[AsyncSession],
    wallet_id: str,
    model: Model,
    previous: dict[str, str],
) -> None:
    async with sessions() as s:
        for payout_id, _ in model.payouts:
            payout = await s.get(Payout, payout_id)
            assert payout is not None
            assert payout.status == model.status[payout_id], (payout_id, previous)
            was = previous.get(payout_id)
            if was is not None and was != payout.status:
                assert any(MACHINE.table.get((was, a)) == payout.status for a in ACTIONS)
        balance = await get_balance(s, wallet_id)
        assert balance.available >= 0
        assert (balance.available, balance.debits_pending) == (model.available, model.held)


async def _replay(session: AsyncSession, payout: Payout) -> None:
    """The payout's events form one chain of allowed transitions ending at its status."""
    events = list(
        await session.scalars(
            select(PayoutEvent)
            .where(PayoutEvent.payout_id == payout.id)
            .order_by(PayoutEvent.created_at, PayoutEvent.id)
        )
    )
    first, rest = events[0], events[1:]
    assert (first.action, first.from_status) == ("request", None)
    assert first.to_status in states.ENTRY
    status = first.to_status
    for row in rest:
        assert MACHINE.next(status, row.action).to_state == row.to_status
        assert row.from_status == status
        status = row.to_status
        event(f"{row.from_status} --{row.action}--> {row.to_status}")
    assert status == payout.status


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(steps, min_size=6, max_size=20))
async def test_random_payout_lives_conserve_the_money(
    sessions: async_sessionmaker[AsyncSession], plan: list[tuple[Any, ...]]
) -> None:
    payee = await make_payee(sessions, FUNDS)
    model = Model()
    for step in plan:
        previous = dict(model.status)
        await _step(sessions, payee.user_id, payee.bank_account_id, model, step)
        await _check(sessions, payee.wallet_id, model, previous)
    async with sessions() as s:
        assert await check_invariants(s) == []
        balance = await get_balance(s, payee.wallet_id)
        payouts = [await s.get(Payout, pid) for pid, _ in model.payouts]
        success = sum(p.amount for p in payouts if p is not None and p.status == "success")
        held = sum(
            p.amount for p in payouts if p is not None and p.status in states.ENTRY | states.OPEN
        )
        # Money is conserved: what the payee had = still in the wallet (spendable or held) + sent.
        assert balance.available + balance.debits_pending + success == FUNDS
        assert balance.debits_pending == held and success == model.sent
        for payout in payouts:
            assert payout is not None
            await _replay(s, payout)
