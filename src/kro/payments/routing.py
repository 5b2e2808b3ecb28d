"""Which providers a payment is offered to, in which order (seed 003 §2.3). Pure: no I/O.

1. Eligible: a tenant's enabled configurations in the payment's mode that take its currency
   (and can authorize-then-capture when ``capture_method`` is ``manual``). An explicit
   ``provider`` in the request narrows the list to that one.
2. The first :class:`~kro.payments.models.RoutingRule` (by priority) matching currency,
   amount range and channel puts its providers first: in its order, or — with weights — the
   first drawn by weight from a number derived from the payment's reference, so a retry of the
   same payment draws the same provider.
3. The rest follow in the default order: configuration priority (lower first), then weight
   (higher first), then name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from kro.payments.models import ProviderConfig, RoutingRule


@dataclass(frozen=True)
class RouteRequest:
    """What routing looks at: ``amount`` minor units of ``currency``; ``channel`` (card,
    bank_transfer, ussd, …) if the merchant named one; ``provider`` if it insisted on one."""

    reference: str
    amount: int
    currency: str
    capture_method: str = "automatic"
    channel: str | None = None
    provider: str | None = None


def eligible(
    configs: Sequence[ProviderConfig],
    request: RouteRequest,
    manual_capture: frozenset[str],
) -> list[ProviderConfig]:
    """Configurations that can take ``request`` (``manual_capture``: providers able to
    authorize now and capture later)."""
    found = [
        c
        for c in configs
        if c.enabled
        and request.currency in c.currencies
        and (request.capture_method != "manual" or c.provider in manual_capture)
        and (request.provider is None or c.provider == request.provider)
    ]
    return sorted(found, key=lambda c: (c.priority, -c.weight, c.provider))


def matches(rule: RoutingRule, request: RouteRequest) -> bool:
    """Whether ``rule`` applies to ``request`` (an unset condition matches anything)."""
    return (
        (rule.currency is None or rule.currency == request.currency)
        and (rule.min_amount is None or request.amount >= rule.min_amount)
        and (rule.max_amount is None or request.amount <= rule.max_amount)
        and (rule.channel is None or rule.channel == request.channel)
    )


def draw(reference: str, weights: Sequence[int]) -> int:
    """An index into ``weights`` drawn with probability proportional to its weight, from a
    number derived from ``reference`` (stable). All weights zero → 0."""
    total = sum(max(w, 0) for w in weights)
    if total <= 0:
        return 0
    point = int.from_bytes(hashlib.sha256(reference.encode()).digest()[:8], "big") % total
    for index, weight in enumerate(weights):
        point -= max(weight, 0)
        if point < 0:
            return index
    return len(weights) - 1  # unreachable: the points cover [0, total)


def plan(
    configs: Sequence[ProviderConfig],
    rules: Sequence[RoutingRule],
    request: RouteRequest,
    manual_capture: frozenset[str],
) -> list[ProviderConfig]:
    """The configurations to try for ``request``, first choice first (empty: none can)."""
    candidates = eligible(configs, request, manual_capture)
    by_name = {c.provider: c for c in candidates}
    rule = next(
        (r for r in sorted(rules, key=lambda r: (r.priority, r.id)) if matches(r, request)), None
    )
    if rule is None:
        return candidates
    preferred = [name for name in rule.providers if name in by_name]
    if rule.weights and preferred:
        weights = [rule.weights[rule.providers.index(name)] for name in preferred]
        first = preferred.pop(draw(request.reference, weights))
        preferred.insert(0, first)
    rest = [c for c in candidates if c.provider not in preferred]
    return [by_name[name] for name in preferred] + rest
