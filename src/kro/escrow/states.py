"""The escrow order lifecycle as data (seed 001, with the funding step explicit).

::

    created ──accept (seller)──▶ accepted ──fund (system)──▶ funded ──start (seller)──▶
    in_progress ──complete (seller)──▶ completed ──close (system, last condition)──▶ closed

    created ──decline (seller)──▶ declined
    created | accepted ──cancel (buyer)──▶ cancelled      (only before funding)
    created | accepted ──expire (system)──▶ expired

Who may take each action is :data:`ACTORS`; the table is checked in one place,
:func:`kro.kit.states.StateMachine.next`.
"""

from __future__ import annotations

from typing import Literal

from kro.kit.states import StateMachine

CREATED = "created"
ACCEPTED = "accepted"
FUNDED = "funded"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
CLOSED = "closed"
DECLINED = "declined"
CANCELLED = "cancelled"
EXPIRED = "expired"

ORDER = StateMachine(
    "order",
    {
        (CREATED, "accept"): ACCEPTED,
        (CREATED, "decline"): DECLINED,
        (CREATED, "cancel"): CANCELLED,
        (ACCEPTED, "cancel"): CANCELLED,
        (CREATED, "expire"): EXPIRED,
        (ACCEPTED, "expire"): EXPIRED,
        (ACCEPTED, "fund"): FUNDED,
        (FUNDED, "start"): IN_PROGRESS,
        (IN_PROGRESS, "complete"): COMPLETED,
        (COMPLETED, "close"): CLOSED,
    },
    terminal=[CLOSED, DECLINED, CANCELLED, EXPIRED],
)

Party = Literal["buyer", "seller", "system"]

ACTORS: dict[str, Party] = {
    "accept": "seller",
    "decline": "seller",
    "cancel": "buyer",
    "start": "seller",
    "complete": "seller",
    "pay": "buyer",
    "fulfil": "buyer",
    "fund": "system",
    "close": "system",
    "expire": "system",
}

# States in which the buyer may start a checkout, and in which conditions may be fulfilled.
PAYABLE = frozenset({ACCEPTED})
FULFILLABLE = frozenset({COMPLETED})
