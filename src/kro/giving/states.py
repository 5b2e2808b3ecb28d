"""KROGiving lifecycles as data (Catarse's ``project`` and ``balance_transfer`` machines).

Campaigns::

    draft ──submit (organizer)──▶ in_review ──approve (admin)──▶ live
    live ──end (system: end date, or the goal with close_at_goal)──▶ ended
    in_review ──reject (admin, reason)──▶ rejected ──edit (organizer)──▶ draft
    live ──pause (organizer, or an admin's suspension)──▶ paused ──resume──▶ live
    live | paused | ended ──close (organizer or admin)──▶ closed
    all-or-nothing:  live ──end──▶ waiting_funds ──settle_success──▶ successful
                                                 ──settle_fail──▶ failed   (every donor refunded)

A paused campaign takes no donations. ``end`` of an all-or-nothing campaign goes to
``waiting_funds`` (payments still settling) instead of ``ended`` — see :func:`end_action`.

Withdrawals::

    pending ──authorize (admin, TOTP)──▶ authorized ──send (system)──▶ processing
    processing ──transfer (payout succeeded)──▶ transferred
    processing ──fail (payout failed or reversed)──▶ error ──authorize (admin, TOTP)──▶ authorized
    pending ──reject (admin)──▶ rejected
"""

from __future__ import annotations

from kro.kit.states import StateMachine

DRAFT = "draft"
IN_REVIEW = "in_review"
LIVE = "live"
ENDED = "ended"
REJECTED = "rejected"
PAUSED = "paused"
CLOSED = "closed"
WAITING_FUNDS = "waiting_funds"
SUCCESSFUL = "successful"
FAILED = "failed"

KEEP_IT_ALL = "keep_it_all"
ALL_OR_NOTHING = "all_or_nothing"
FUNDING_MODELS = (KEEP_IT_ALL, ALL_OR_NOTHING)

CAMPAIGN = StateMachine(
    "campaign",
    {
        (DRAFT, "submit"): IN_REVIEW,
        (IN_REVIEW, "approve"): LIVE,
        (IN_REVIEW, "reject"): REJECTED,
        (REJECTED, "edit"): DRAFT,
        (LIVE, "pause"): PAUSED,
        (PAUSED, "resume"): LIVE,
        (LIVE, "end"): ENDED,
        (LIVE, "wait_funds"): WAITING_FUNDS,
        (PAUSED, "wait_funds"): WAITING_FUNDS,
        (WAITING_FUNDS, "settle_success"): SUCCESSFUL,
        (WAITING_FUNDS, "settle_fail"): FAILED,
        (LIVE, "close"): CLOSED,
        (PAUSED, "close"): CLOSED,
        (ENDED, "close"): CLOSED,
    },
    terminal=[CLOSED, SUCCESSFUL, FAILED],
)

ORGANIZER_ACTIONS = frozenset({"submit", "edit", "pause", "resume", "close"})
ADMIN_ACTIONS = frozenset({"approve", "reject", "pause", "resume", "close"})

TAKES_DONATIONS = frozenset({LIVE})
"""A campaign takes donations only while live (a paused or suspended one takes none)."""

PUBLIC = frozenset({LIVE, PAUSED, ENDED, CLOSED, WAITING_FUNDS, SUCCESSFUL, FAILED})
"""States in which anyone may see a campaign's page."""


def withdrawable(status: str, funding_model: str) -> bool:
    """Whether the organizer may withdraw now: keep-it-all once approved; all-or-nothing only
    once ``successful`` (before that the money may have to go back to every donor)."""
    if funding_model == ALL_OR_NOTHING:
        return status == SUCCESSFUL
    return status in {LIVE, PAUSED, ENDED, CLOSED}


def end_action(funding_model: str) -> str:
    """The action that ends a live campaign of ``funding_model``."""
    return "wait_funds" if funding_model == ALL_OR_NOTHING else "end"


PENDING = "pending"
AUTHORIZED = "authorized"
PROCESSING = "processing"
TRANSFERRED = "transferred"
WD_REJECTED = "rejected"
ERROR = "error"

WITHDRAWAL = StateMachine(
    "withdrawal",
    {
        (PENDING, "authorize"): AUTHORIZED,
        (PENDING, "reject"): WD_REJECTED,
        (AUTHORIZED, "send"): PROCESSING,
        (PROCESSING, "transfer"): TRANSFERRED,
        (PROCESSING, "fail"): ERROR,
        (ERROR, "authorize"): AUTHORIZED,
    },
    terminal=[TRANSFERRED, WD_REJECTED],
)

OPEN_WITHDRAWALS = frozenset({PENDING, AUTHORIZED, PROCESSING})
