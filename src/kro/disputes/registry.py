"""Which product settles the disputes of which purpose.

The core cannot import the products (DESIGN.md section 3), so each product registers its
:class:`Purpose` when its disputes module is imported — the way products add their
notification events (:func:`kro.notifications.events.register`) and job handlers
(:func:`kro.jobs.registry.register`)::

    registry.register(Purpose("escrow", "Escrow", "escrow_order", OUTCOMES, settle=_settle))

The core then resolves a dispute (TOTP, state, thread, audit log) and calls ``settle`` for the
money, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kro.disputes.models import Dispute
from kro.identity.models import User
from kro.settings import Settings


@dataclass(frozen=True)
class Decision:
    """An admin's decision on ``dispute``, as the product's ``settle`` receives it.

    ``outcome`` is one of the purpose's outcomes; ``seller_amount`` (minor units) is set for a
    split; ``settings`` is there for products whose settlement needs them (the marketplace's
    clearance period), ``None`` when the caller has none (escrow's own callers).
    """

    dispute: Dispute
    admin: User
    outcome: str
    note: str
    seller_amount: int | None
    settings: Settings | None


# Moves the money (and the product's own state) for a decision; returns what the audit-log
# row should also say (amounts in minor units), e.g. ``{"refunded": 12_500}``. Raises the
# product's errors (4xx); the whole resolution then rolls back.
Settle = Callable[[AsyncSession, Decision], Awaitable[dict[str, Any]]]
# Refuses a decision before the admin's TOTP code is used (e.g. a split of a completed order).
Check = Callable[[AsyncSession, Decision], Awaitable[None]]


@dataclass(frozen=True)
class Purpose:
    """A product's kind of dispute.

    - ``name``: the ``disputes.purpose`` value and the audit action's prefix
      (``"{name}.dispute_resolved"``);
    - ``target_type``: the audit-log target type of ``purpose_id`` (``"escrow_order"``);
    - ``outcomes``: ``(outcome, label)`` pairs an admin chooses from, ``split`` among them
      when the product splits;
    - ``admin_url``: the product's admin page of the object, ``{id}`` for ``purpose_id``.
    """

    name: str
    label: str
    target_type: str
    outcomes: tuple[tuple[str, str], ...]
    settle: Settle
    check: Check | None = None
    admin_url: str | None = None

    def allows(self, outcome: str) -> bool:
        return any(name == outcome for name, _ in self.outcomes)


_PURPOSES: dict[str, Purpose] = {}


def register(purpose: Purpose) -> None:
    """Add ``purpose``. Registering the same one again is a no-op; another under a taken name
    is a ``ValueError`` (two products cannot settle the same disputes)."""
    if _PURPOSES.get(purpose.name, purpose) != purpose:
        raise ValueError(f"dispute purpose {purpose.name!r} is already registered")
    _PURPOSES[purpose.name] = purpose


def get(name: str) -> Purpose:
    """The purpose called ``name``; ``LookupError`` when no loaded product registered it (a
    deployment error: the product's disputes module was not imported)."""
    purpose = _PURPOSES.get(name)
    if purpose is None:
        raise LookupError(f"no product settles {name!r} disputes")
    return purpose


def purposes() -> list[Purpose]:
    """Every registered purpose, by name."""
    return sorted(_PURPOSES.values(), key=lambda p: p.name)
