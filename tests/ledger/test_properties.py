"""Property tests: random operation sequences against a reference model of the ledger.

Each example opens accounts (three wallets that cannot go negative, a sharded revenue
account, an unflagged clearing asset, an asset whose credits may not exceed its debits), runs
up to a dozen random operations — transfers, holds, atomic batches, posts (full or partial),
voids, retries, id reuse, time passing with expiry — and after every operation asserts that:

- each outcome (success or the exact error) is what the model predicts;
- every balance equals the model's, which is the sum of the transfers;
- ``check_invariants`` finds nothing (debits = credits per currency, counters = transfers,
  no flagged account beyond its limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.clock import clock, utcnow
from kro.kit.errors import KroError
from kro.kit.ids import new_id
from kro.ledger.errors import (
    ExceedsPendingAmount,
    InsufficientFunds,
    PendingTransferExpired,
    PendingTransferNotPending,
    TransferExists,
)
from kro.ledger.service import (
    PostPending,
    TransferRequest,
    TransferSpec,
    VoidPending,
    check_invariants,
    create_transfers,
    expire_pending,
    get_balance,
    get_or_create_account,
)

# (kind, debits_must_not_exceed_credits, credits_must_not_exceed_debits, shards)
ACCOUNTS = [
    ("liability", True, False, 1),
    ("liability", True, False, 1),
    ("liability", True, False, 1),
    ("revenue", False, False, 4),
    ("asset", False, False, 1),
    ("asset", False, True, 1),
]
N = len(ACCOUNTS)

transfer_args = st.tuples(
    st.integers(0, N - 1),  # debit
    st.integers(1, N - 1),  # credit offset (never the debit account)
    st.integers(1, 8_000),  # amount
    st.booleans(),  # pending
    st.sampled_from([None, 1_000, 2_000]),  # timeout, seconds
)
operations = st.one_of(
    st.tuples(st.just("batch"), st.lists(transfer_args, min_size=1, max_size=3)),
    st.tuples(st.just("post"), st.integers(0, 20), st.sampled_from([None, 1, 2, 3])),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("retry"), st.integers(0, 20)),
    st.tuples(st.just("reuse"), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.sampled_from([500, 1_000, 1_500])),
)


@dataclass
class Hold:
    debit: int
    credit: int
    amount: int
    expires_at: datetime | None
    status: str = "pending"


@dataclass
class Model:
    """The ledger as it should be: counters per account index, holds by transfer id."""

    ids: list[str]
    counters: list[list[int]] = field(default_factory=lambda: [[0, 0, 0, 0] for _ in ACCOUNTS])
    holds: dict[str, Hold] = field(default_factory=dict)
    done: list[list[TransferRequest]] = field(default_factory=list)

    def predict(self, batch: list[TransferRequest], now: datetime) -> type[KroError] | None:
        """The error the batch must raise, or None; applies it to the model on success."""
        counters = [list(c) for c in self.counters]
        resolved: dict[str, tuple[str, int]] = {}
        for request in batch:
            if isinstance(request, TransferSpec):
                d, c = (
                    self.ids.index(request.debit_account_id),
                    self.ids.index(request.credit_account_id),
                )
                slot = 2 if request.pending else 0
                counters[d][slot] += request.amount
                counters[c][slot + 1] += request.amount
                continue
            hold = self.holds[request.pending_id]
            error = self._resolution_error(request, hold, now)
            if error is not None:
                return error
            posted = request.amount or hold.amount if isinstance(request, PostPending) else 0
            counters[hold.debit][2] -= hold.amount
            counters[hold.credit][3] -= hold.amount
            counters[hold.debit][0] += posted
            counters[hold.credit][1] += posted
            resolved[request.pending_id] = ("posted" if posted else "voided", posted)
        if any(self._beyond_limit(i, c) for i, c in enumerate(counters)):
            return InsufficientFunds
        self._commit(batch, counters, resolved, now)
        return None

    @staticmethod
    def _resolution_error(
        request: PostPending | VoidPending, hold: Hold, now: datetime
    ) -> type[KroError] | None:
        if hold.status == "expired" or (
            hold.status == "pending" and hold.expires_at is not None and hold.expires_at <= now
        ):
            return PendingTransferExpired
        if hold.status != "pending":
            return PendingTransferNotPending
        if isinstance(request, PostPending) and (request.amount or 0) > hold.amount:
            return ExceedsPendingAmount
        return None

    @staticmethod
    def _beyond_limit(index: int, c: list[int]) -> bool:
        _, debits_limited, credits_limited, _ = ACCOUNTS[index]
        return (debits_limited and c[0] + c[2] > c[1]) or (credits_limited and c[1] + c[3] > c[0])

    def _commit(
        self,
        batch: list[TransferRequest],
        counters: list[list[int]],
        resolved: dict[str, tuple[str, int]],
        now: datetime,
    ) -> None:
        self.counters = counters
        for pending_id, (status, _) in resolved.items():
            self.holds[pending_id].status = status
        for r in batch:
            if isinstance(r, TransferSpec) and r.pending:
                d, c = self.ids.index(r.debit_account_id), self.ids.index(r.credit_account_id)
                expires = now + r.timeout if r.timeout else None
                self.holds[r.id] = Hold(d, c, r.amount, expires)
        self.done.append(batch)

    def expire(self, now: datetime) -> int:
        due = [
            h
            for h in self.holds.values()
            if h.status == "pending" and h.expires_at is not None and h.expires_at <= now
        ]
        for hold in due:
            hold.status = "expired"
            self.counters[hold.debit][2] -= hold.amount
            self.counters[hold.credit][3] -= hold.amount
        return len(due)


def _spec(model: Model, args: tuple[int, int, int, bool, int | None]) -> TransferSpec:
    debit, offset, amount, pending, timeout = args
    credit = (debit + offset) % N
    return TransferSpec(
        new_id("trf"),
        model.ids[debit],
        model.ids[credit],
        amount,
        "NGN",
        "prop",
        pending=pending,
        timeout=timedelta(seconds=timeout) if pending and timeout else None,
    )


async def _run(session: AsyncSession, model: Model, op: tuple[object, ...]) -> None:
    kind = op[0]
    if kind == "advance":
        clock.advance(timedelta(seconds=int(op[1])))  # type: ignore[call-overload]
        now = utcnow()
        assert await expire_pending(session, now) == model.expire(now)
        return
    batch = _batch_for(model, op)
    if batch is None:
        return
    if kind == "reuse":
        await _expect(session, batch, TransferExists)
        return
    if kind == "retry" and batch in model.done:
        await _expect(session, batch, None)  # a retry changes nothing
        return
    await _expect(session, batch, model.predict(batch, utcnow()))


def _batch_for(model: Model, op: tuple[object, ...]) -> list[TransferRequest] | None:
    kind, arg = op[0], op[1]
    assert isinstance(arg, int) or kind == "batch"
    if kind == "batch":
        return [_spec(model, args) for args in arg]  # type: ignore[attr-defined]
    if kind in ("retry", "reuse"):
        if not model.done:
            return None
        batch = model.done[arg % len(model.done)]  # type: ignore[operator]
        if kind == "retry":
            return batch
        first = batch[0]
        if isinstance(first, VoidPending):
            return [PostPending(first.id, first.pending_id)]
        return [first._replace(amount=(first.amount or 0) + 10_000)]
    holds = list(model.holds)
    if not holds:
        return None
    pending_id = holds[arg % len(holds)]  # type: ignore[operator]
    if kind == "void":
        return [VoidPending(new_id("trf"), pending_id)]
    fraction = op[2]
    assert fraction is None or isinstance(fraction, int)
    amount = None if fraction is None else max(1, model.holds[pending_id].amount * fraction // 2)
    return [PostPending(new_id("trf"), pending_id, amount=amount)]


async def _expect(
    session: AsyncSession, batch: list[TransferRequest], error: type[KroError] | None
) -> None:
    try:
        result = await create_transfers(session, batch)
    except KroError as exc:
        event(f"{_label(batch)} -> {type(exc).__name__}")
        assert error is not None and isinstance(exc, error), (exc, error)
        return
    event(f"{_label(batch)} -> ok")
    assert error is None, f"expected {error.__name__}"
    assert [t.id for t in result] == [r.id for r in batch]


def _label(batch: list[TransferRequest]) -> str:
    first = batch[0]
    if isinstance(first, TransferSpec):
        return "hold" if first.pending else "transfer"
    return type(first).__name__


async def _check(session: AsyncSession, model: Model) -> None:
    for account_id, expected in zip(model.ids, model.counters, strict=True):
        b = await get_balance(session, account_id)
        assert [b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending] == expected
    assert await check_invariants(session) == []


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=15))
async def test_random_operations_keep_the_ledger_sound(
    sessions: async_sessionmaker[AsyncSession], ops: list[tuple[object, ...]]
) -> None:
    async with sessions() as session:
        ids = []
        for kind, debits_limited, credits_limited, shards in ACCOUNTS:
            account = await get_or_create_account(
                session,
                f"prop:{new_id('tst')}",
                "NGN",
                kind,
                debits_must_not_exceed_credits=debits_limited,
                credits_must_not_exceed_debits=credits_limited,
                balance_shards=shards,
            )
            ids.append(account.id)
        model = Model(ids)
        # Fund the wallets from the clearing asset, and give the limited asset some debits.
        moves = [(4, 0, 10_000), (4, 1, 10_000), (4, 2, 10_000), (5, 4, 5_000)]
        funding: list[TransferRequest] = [
            TransferSpec(new_id("trf"), ids[d], ids[c], amount, "NGN", "prop.fund")
            for d, c, amount in moves
        ]
        assert model.predict(funding, utcnow()) is None
        await _expect(session, funding, None)
        for op in ops:
            await _run(session, model, op)
            await _check(session, model)
        await session.rollback()  # each example starts from an empty ledger
