"""State machines as data (DESIGN.md section 5).

A machine is a table ``{(from_state, action): to_state}``. :meth:`StateMachine.next` is the one
place that checks a transition; callers record the returned transition as an event row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kro.kit.errors import InvalidTransition


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    from_state: str
    to_state: str


class StateMachine:
    """Allowed transitions of one kind of object."""

    def __init__(self, name: str, table: dict[tuple[str, str], str], terminal: Iterable[str]):
        self.name = name
        self.table = dict(table)
        self.terminal = frozenset(terminal)

    def allowed(self, state: str) -> list[str]:
        """Actions allowed from ``state``."""
        return sorted(action for (src, action) in self.table if src == state)

    def next(self, state: str, action: str) -> Transition:
        """The transition for ``action`` from ``state``; raises InvalidTransition (409)."""
        target = self.table.get((state, action))
        if target is None:
            raise InvalidTransition(
                f"Cannot {action} a {self.name} that is {state}.",
                details={"state": state, "action": action, "allowed": self.allowed(state)},
            )
        return Transition(action=action, from_state=state, to_state=target)

    def states(self) -> set[str]:
        """Every state that appears in the table."""
        return {s for (s, _) in self.table} | set(self.table.values())
