"""The donor's fee cover and the platform tip: pure functions of minor units.

**Fee cover** (the donor pays the provider's fee so the campaign nets the full amount). Paystack
Nigeria's local-card rule (paystack.com/pricing; the same rule the sandbox applies):

    fee(G) = min(round_half_up(G × 1.5 %) + (₦100 if G ≥ ₦2,500 else 0), ₦2,000)

The gross ``G`` the donor is charged for a net ``N`` is the **least** ``G`` with
``G − fee(G) ≥ N``. Between the rule's kinks ``G − fee(G)`` only grows, so we take the least
candidate of three regions:

- below the waiver:   G = ⌈N / 0.985⌉, valid only if G < ₦2,500;
- above the waiver:   G = ⌈(N + ₦100) / 0.985⌉, at least ₦2,500;
- at the cap:         G = N + ₦2,000, valid once fee(G) reaches the cap.

Each candidate is nudged by a kobo or two for the half-up rounding and checked against
``fee`` itself, so the result is exact, not an approximation. Rates come from the
``KRO_GIVING_FEE_*`` settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from kro.kit.money import Money


@dataclass(frozen=True, slots=True)
class FeeRule:
    """A provider's card fee: ``percent_bps`` of the amount plus ``flat`` (minor units) from
    ``flat_waived_below`` up, capped at ``cap`` (0: no cap)."""

    percent_bps: int = 150
    flat: int = 10_000
    flat_waived_below: int = 250_000
    cap: int = 200_000

    def fee(self, gross: int) -> int:
        """The provider's fee on a charge of ``gross`` minor units."""
        fee = Money(gross, "NGN").percent_bps(self.percent_bps).amount
        if gross >= self.flat_waived_below:
            fee += self.flat
        return min(fee, self.cap) if self.cap else fee

    def net(self, gross: int) -> int:
        return gross - self.fee(gross)

    def gross_up(self, net: int) -> int:
        """The least charge whose net of the fee is at least ``net`` minor units."""
        keep = 10_000 - self.percent_bps
        candidates = []
        below = self._least(-(-net * 10_000 // keep), net)
        if below < self.flat_waived_below:
            candidates.append(below)
        above = self._least(
            max(self.flat_waived_below, -(-(net + self.flat) * 10_000 // keep)), net
        )
        candidates.append(above)
        if self.cap:
            capped = net + self.cap
            if self.fee(capped) == self.cap:
                candidates.append(self._least(capped, net))
        return min(c for c in candidates if self.net(c) >= net)

    def _least(self, estimate: int, net: int) -> int:
        """``estimate`` nudged to the least value near it whose net reaches ``net``."""
        gross = max(estimate - 2, net)
        while self.net(gross) < net:
            gross += 1
        return gross


def cover_for(rule: FeeRule, charged_before_cover: int) -> int:
    """What the donor adds so that, after the provider's fee on the whole charge, the
    campaign and the tip are left whole: ``gross_up(x) − x`` minor units."""
    return rule.gross_up(charged_before_cover) - charged_before_cover


def tip_for(amount: int, tip_bps: int) -> int:
    """The default tip on ``amount`` minor units: ``tip_bps`` basis points, half up."""
    return Money(amount, "NGN").percent_bps(tip_bps).amount


def fee_share(provider_fee: int, amount: int, total: int) -> int:
    """The campaign's share of the provider's fee when the donor did not cover it: the fee
    in proportion of the donation to the whole charge (the platform bears the tip's part)."""
    if total <= 0:
        return 0
    return provider_fee * amount // total
