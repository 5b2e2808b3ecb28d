"""The schedule lifecycle as data.

::

    draft ──submit (HR officer)──▶ submitted ──approve (finance approver, not the preparer,
    fresh TOTP)──▶ approved ──pay (finance approver: an RRR is generated)──▶ remitted
    ──confirm (system: Remita's status check said paid)──▶ confirmed
    submitted ──reject (finance approver)──▶ draft          remitted ──pay──▶ remitted (a new RRR)
    draft ──discard (HR officer)──▶ discarded

An approved schedule is immutable: a correction is an ``adjustment`` schedule that refers to
it. Checked in one place, :meth:`kro.kit.states.StateMachine.next`.
"""

from __future__ import annotations

from kro.kit.states import StateMachine

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
REMITTED = "remitted"
CONFIRMED = "confirmed"
DISCARDED = "discarded"

SCHEDULE = StateMachine(
    "schedule",
    {
        (DRAFT, "submit"): SUBMITTED,
        (DRAFT, "discard"): DISCARDED,
        (SUBMITTED, "reject"): DRAFT,
        (SUBMITTED, "approve"): APPROVED,
        (APPROVED, "pay"): REMITTED,
        (REMITTED, "pay"): REMITTED,
        (REMITTED, "confirm"): CONFIRMED,
    },
    terminal=[CONFIRMED, DISCARDED],
)
IMMUTABLE = frozenset({APPROVED, REMITTED, CONFIRMED})
"""States in which lines and totals never change."""
OPEN = frozenset({DRAFT, SUBMITTED, APPROVED, REMITTED})
"""Schedules not yet paid (a period may have only one regular schedule open or confirmed)."""
