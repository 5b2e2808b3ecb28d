"""Paystack's fee rules, as pure functions of kobo amounts.

Local transactions (paystack.com/pricing, Nigeria): 1.5 % + ₦100, the ₦100 waived under
₦2,500, the fee capped at ₦2,000. Transfers: ₦10 / ₦25 / ₦50 by amount tier. Rates and tiers
come from :class:`PaystackSandboxConfig`.
"""

from __future__ import annotations

from kro.kit.money import Money


def transaction_fee(
    amount: int, *, percent_bps: int, flat: int, flat_waived_below: int, cap: int
) -> int:
    """Fee in kobo on a transaction of ``amount`` kobo (percentage rounded half up)."""
    fee = Money(amount, "NGN").percent_bps(percent_bps).amount
    if amount >= flat_waived_below:
        fee += flat
    return min(fee, cap)


def transfer_fee(amount: int, tiers: tuple[tuple[int | None, int], ...]) -> int:
    """Fee in kobo on a transfer of ``amount`` kobo: the first tier whose bound covers it."""
    for bound, fee in tiers:
        if bound is None or amount <= bound:
            return fee
    return tiers[-1][1] if tiers else 0
