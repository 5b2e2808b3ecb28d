"""The dispute lifecycle as data, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kro.disputes import states
from kro.kit.errors import InvalidTransition

MACHINE = states.DISPUTE
ACTIONS = sorted({action for (_, action) in MACHINE.table})


def test_the_lifecycle() -> None:
    status = states.NEW
    for action, expected in [("open", "open"), ("escalate", "escalated"), ("resolve", "resolved")]:
        status = MACHINE.next(status, action).to_state
        assert status == expected
    assert MACHINE.next(states.OPEN, "resolve").to_state == states.RESOLVED
    assert MACHINE.next(states.OPEN, "withdraw").to_state == states.WITHDRAWN


def test_terminal_states_allow_nothing_and_only_they() -> None:
    for status in MACHINE.states():
        assert (MACHINE.allowed(status) == []) == (status in MACHINE.terminal), status
    assert {states.OPEN, states.ESCALATED} == states.ACTIVE
    assert not states.ACTIVE & MACHINE.terminal


@pytest.mark.parametrize("status", [states.RESOLVED, states.WITHDRAWN])
def test_a_closed_dispute_is_never_resolved_again(status: str) -> None:
    with pytest.raises(InvalidTransition):
        MACHINE.next(status, "resolve")


@given(st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_allowed_transitions_never_leave_the_table(actions: list[str]) -> None:
    status = states.NEW
    for action in actions:
        if action not in MACHINE.allowed(status):
            with pytest.raises(InvalidTransition):
                MACHINE.next(status, action)
            continue
        status = MACHINE.next(status, action).to_state
        assert status in MACHINE.states()
    assert status == states.NEW or status in states.ACTIVE | MACHINE.terminal
