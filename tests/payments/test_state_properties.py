"""Property tests of the payment state machine (``kro.payments.states.GATEWAY``), the one
every payment follows — a merchant's or a product's.

Pure (no database): applying only what the table allows never leaves its states; terminal
statuses accept nothing; every status is reachable from ``pending``.

With money (a real database): a payment, a product's or a merchant's, is settled from random
sequences of provider answers (every ``ChargeStatus``, the right or a wrong amount or
currency, any fee, in any order, duplicated) through
:func:`kro.payments.charges.settle_charge`, interleaved with refunds of a product's
payment, and with an admin's decisions on a payment in review (accept the provider's amount,
or refund it in full — the provider then confirming or refusing the refund;
:mod:`kro.payments.review`). After every step: each recorded transition is an edge of the
table and the events chain; value is booked exactly once and only for a matching success or
an accepted review (the credited account holds what was captured, less the fee for a
merchant; a payment refunded from review leaves the owner's account untouched and its review
account at zero); a refund is refused when it would exceed what was collected; the product
hears ``payment_completed`` at most once; and the ledger invariants hold (money is
conserved).
"""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.jobs.models import Job
from kro.kit.errors import InvalidTransition
from kro.kit.ids import new_id
from kro.ledger import chart
from kro.ledger.invariants import check_invariants
from kro.ledger.models import LedgerTransfer
from kro.ledger.service import get_balance
from kro.payments import charges, states
from kro.payments.models import Payment, PaymentEvent
from kro.payments.refunds import service as refunds
from kro.payments.review import service as review
from kro.payments.review.errors import ReviewCurrencyDiffers, ReviewRefundOnly
from kro.providers.base import ChargeStatus, ProviderCharge, ProviderRefund, RefundStatus

MACHINE = states.GATEWAY
ACTIONS = sorted({action for (_, action) in MACHINE.table})
STATES = sorted(MACHINE.states())
EDGES = {(frm, to) for (frm, _), to in MACHINE.table.items()}
AMOUNT = 500_000


# Pure ---------------------------------------------------------------------------------------


@given(actions=st.lists(st.sampled_from(ACTIONS)))
def test_allowed_transitions_never_leave_the_table(actions: list[str]) -> None:
    status = states.PENDING
    for action in actions:
        if action not in MACHINE.allowed(status):
            with pytest.raises(InvalidTransition):
                MACHINE.next(status, action)
            continue
        step = MACHINE.next(status, action)
        assert step.from_state == status and step.to_state in STATES
        status = step.to_state


def test_terminal_statuses_accept_nothing() -> None:
    assert MACHINE.terminal == {states.CANCELED, states.REFUNDED, states.UNDERPAID}
    for status in MACHINE.terminal:
        assert MACHINE.allowed(status) == []


def test_an_admin_decides_a_payment_in_review() -> None:
    assert sorted(MACHINE.allowed(states.NEEDS_REVIEW)) == ["accept", "refund_all"]
    assert MACHINE.next(states.NEEDS_REVIEW, "accept").to_state == states.COMPLETED
    assert MACHINE.next(states.NEEDS_REVIEW, "refund_all").to_state == states.REFUNDED
    assert states.NEEDS_REVIEW in states.REFUNDABLE and states.NEEDS_REVIEW not in states.OPEN


def test_every_status_is_reachable_from_pending() -> None:
    seen, todo = {states.PENDING}, deque([states.PENDING])
    while todo:
        status = todo.popleft()
        for action in MACHINE.allowed(status):
            target = MACHINE.table[(status, action)]
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(STATES)


# With money ---------------------------------------------------------------------------------

answers = st.tuples(
    st.just("answer"),
    st.sampled_from(list(ChargeStatus)),
    st.sampled_from(["exact", "exact", "exact", "less", "more", "currency"]),
    st.integers(min_value=0, max_value=5_000),
)
refund_ops = st.tuples(
    st.just("refund"), st.integers(min_value=-10, max_value=AMOUNT + 10), st.just(""), st.just(0)
)
review_ops = st.tuples(
    st.just("review"),
    st.sampled_from(["accept", "refund", "refund_refused"]),
    st.sampled_from(["exact", "less", "more", "currency"]),
    st.integers(min_value=0, max_value=5_000),
)


def _charge(payment: Payment, status: ChargeStatus, shape: str, fee: int) -> ProviderCharge:
    amount = {"less": AMOUNT - 1, "more": AMOUNT + 1}.get(shape, AMOUNT)
    taken = status is ChargeStatus.SUCCEEDED
    return ProviderCharge(
        reference=payment.reference,
        status=status,
        amount=amount,
        currency="USD" if shape == "currency" else "NGN",
        provider_id="tx_1",
        amount_captured=amount if taken else 0,
        fee=fee if taken else 0,
        redirect_url="https://checkout.example/x" if status is ChargeStatus.PENDING else None,
    )


async def _new_payment(session: AsyncSession, merchant: bool) -> Payment:
    payment_id = new_id("pay")
    credit = "" if merchant else (await chart.ensure_escrow(session, new_id("ord"), "NGN")).id
    payment = Payment(
        id=payment_id,
        provider="paystack",
        reference=payment_id.replace("_", "-"),
        amount=AMOUNT,
        currency="NGN",
        status=states.PENDING,
        purpose="merchant" if merchant else "proptest",
        purpose_id=new_id("ord"),
        payer_id=new_id("usr"),
        customer_email="payer@example.com",
        credit_account_id=credit,
        tenant_id=new_id("ten") if merchant else None,
        mode="test" if merchant else None,
    )
    session.add(payment)
    session.add(
        PaymentEvent(payment_id=payment.id, from_status=None, to_status=states.PENDING,
                     actor="test")
    )  # fmt: skip
    await session.flush()
    return payment


async def _check(
    session: AsyncSession, payment: Payment, refunded: int, parked: bool = False
) -> None:
    """``parked``: a refund was decided in review (the collection went to the review account)."""
    rows = list(
        await session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment.id)
            .order_by(PaymentEvent.created_at, PaymentEvent.id)
        )
    )
    for before, after in itertools.pairwise(rows):
        assert after.from_status == before.to_status
        assert (after.from_status, after.to_status) in EDGES
    assert rows[-1].to_status == payment.status
    collected = await session.scalar(
        select(func.count())
        .select_from(LedgerTransfer)
        .where(LedgerTransfer.id == f"trf_{payment.id}_in")
    )
    captured = payment.status in states.CAPTURED
    assert collected == (1 if captured or parked else 0)
    if parked:
        account = await chart.ensure_account(
            session, review.review_account(payment.id, payment.currency)
        )
        left = (await get_balance(session, account.id)).posted
        assert left == payment.amount_captured - payment.amount_refunded
        assert payment.status in (states.NEEDS_REVIEW, states.REFUNDED)
    elif captured:
        account_id = payment.credit_account_id
        fee = payment.provider_fee if payment.tenant_id else 0
        expected = payment.amount_captured - refunded - fee
        assert (await get_balance(session, account_id)).posted == expected
    if payment.tenant_id is None:
        jobs = await session.scalar(
            select(func.count()).select_from(Job).where(Job.name == "proptest.payment_completed")
        )
        assert jobs == (1 if captured and not parked else 0)
    assert await check_invariants(session) == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    merchant=st.booleans(),
    flagged=st.booleans(),
    ops=st.lists(st.one_of(answers, answers, refund_ops, review_ops), min_size=1, max_size=10),
)
async def test_provider_answers_in_any_order_keep_money_and_table(
    sessions: async_sessionmaker[AsyncSession],
    merchant: bool,
    flagged: bool,
    ops: list[tuple[str, object, str, int]],
) -> None:
    if flagged:  # start in review half the time: the provider took another amount
        ops = [("answer", ChargeStatus.SUCCEEDED, "more", 0), *ops]
    async with sessions() as session:
        payment = await _new_payment(session, merchant)
        refunded, parked = 0, False
        for kind, value, shape, fee in ops:
            if kind == "review":
                if review.waiting(payment):
                    parked = await _decide(session, payment, str(value), shape, fee) or parked
            elif kind == "answer":
                assert isinstance(value, ChargeStatus)
                charge = _charge(payment, value, shape, fee)
                before = payment.status
                await charges.settle_charge(session, payment, charge, actor="prop")
                event(f"{before} + {value}/{shape} -> {payment.status}")
                if shape != "exact" and value in (
                    ChargeStatus.SUCCEEDED,
                    ChargeStatus.REQUIRES_CAPTURE,
                ):
                    assert payment.status not in states.CAPTURED or before in states.CAPTURED
            elif not merchant and payment.status in (
                states.COMPLETED,
                states.PARTIALLY_REFUNDED,
            ):
                assert isinstance(value, int)
                escrow = payment.credit_account_id
                if value <= 0 or refunded + value > payment.amount_captured:
                    with pytest.raises(refunds.RefundExceedsCaptured):
                        await refunds.request_refund(
                            session, payment, value, "prop", from_account_id=escrow
                        )
                    event("refund refused")
                else:
                    await refunds.request_refund(
                        session, payment, value, "prop", from_account_id=escrow
                    )
                    refunded += value
                    event(f"refund -> {payment.status}")
            await _check(session, payment, refunded, parked)
        await session.rollback()


async def _decide(
    session: AsyncSession, payment: Payment, decision: str, shape: str, fee: int
) -> bool:
    """An admin's decision on ``payment`` (in review) from the provider's current word; a
    refund is then confirmed or refused by the provider. True if a refund was decided."""
    charge = _charge(payment, ChargeStatus.SUCCEEDED, shape, fee)
    before = payment.status
    if decision == "accept":
        refused = shape == "currency" or payment.amount_captured > 0
        if refused:
            with pytest.raises((ReviewCurrencyDiffers, ReviewRefundOnly)):
                await review.apply_decision(session, payment, charge, "accept", "p", actor="p")
            event("accept refused")
            return False
        await review.apply_decision(session, payment, charge, "accept", "p", actor="p")
        assert (payment.status, payment.amount_captured) == (states.COMPLETED, charge.amount)
        event(f"{before} + accept -> {payment.status}")
        return False
    await review.apply_decision(session, payment, charge, "refund", "p", actor="p")
    assert not review.waiting(payment)
    [refund] = [r for r in await refunds.refunds_for(session, payment.id) if r.status == "pending"]
    answer = RefundStatus.FAILED if decision == "refund_refused" else RefundStatus.SUCCEEDED
    await refunds.settle_refund(
        session, payment, refund,
        ProviderRefund(f"rf_{refund.id}", answer, refund.amount, refund.currency),
    )  # fmt: skip
    expected = states.REFUNDED if answer is RefundStatus.SUCCEEDED else states.NEEDS_REVIEW
    assert payment.status == expected and review.waiting(payment) == (expected != states.REFUNDED)
    event(f"{before} + {decision} -> {payment.status}")
    return True
