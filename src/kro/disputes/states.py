"""The dispute lifecycle as data (escrow's issue → dispute → resolution, seed 001).

::

    (new) ──open (either party)──▶ open ──escalate (either party)──▶ escalated
    open | escalated ──resolve (admin, TOTP)──▶ resolved
    open ──withdraw (the party who complained)──▶ withdrawn

A marketplace dispute starts ``open`` and goes to an admin as it is; an escrow issue starts
``open`` (the parties talk) and is ``escalated`` when they cannot agree. The table is checked
in one place, :func:`kro.kit.states.StateMachine.next`.
"""

from __future__ import annotations

from kro.kit.states import StateMachine

NEW = "new"  # the ``from_state`` of the event that opens a dispute
OPEN = "open"
ESCALATED = "escalated"
RESOLVED = "resolved"
WITHDRAWN = "withdrawn"

DISPUTE = StateMachine(
    "dispute",
    {
        (NEW, "open"): OPEN,
        (OPEN, "escalate"): ESCALATED,
        (OPEN, "resolve"): RESOLVED,
        (ESCALATED, "resolve"): RESOLVED,
        (OPEN, "withdraw"): WITHDRAWN,
    },
    terminal=[RESOLVED, WITHDRAWN],
)

# Disputes waiting for the parties or an admin (at most one per purpose object).
ACTIVE = frozenset({OPEN, ESCALATED})
