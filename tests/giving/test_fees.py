"""Fee cover and tips: pure arithmetic on Paystack's rule (1.5 % + ₦100, the ₦100 waived
under ₦2,500, ₦2,000 cap), tested on both sides of every boundary; and the lifecycles as
data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kro.giving import states
from kro.giving.fees import FeeRule, cover_for, fee_share, tip_for
from kro.kit.errors import InvalidTransition

RULE = FeeRule()


def test_fee_on_each_side_of_the_waiver_and_the_cap() -> None:
    assert RULE.fee(249_999) == 3_750  # ₦2,499.99: 1.5 % only (37.49985 → ₦37.50)
    assert RULE.fee(250_000) == 13_750  # ₦2,500: 1.5 % + ₦100
    assert RULE.fee(12_666_600) == 199_999  # just under the cap
    assert RULE.fee(12_666_666) == 200_000  # 189,999.99 rounds to ₦1,900 + ₦100: the cap
    assert RULE.fee(12_666_700) == 200_000
    assert RULE.fee(100_000_000) == 200_000


@pytest.mark.parametrize(
    ("net", "gross"),
    [
        (100_000, 101_523),  # ₦1,000 → under the waiver
        (246_249, 249_999),  # its gross is ₦2,499.99: the ₦100 still waived
        (246_250, 260_152),  # ₦2,500.00 gross would pay the ₦100: the next charge up
        (249_999, 263_958),  # ₦2,499.99 net: the gross crosses ₦2,500, ₦100 applies
        (250_000, 263_959),  # ₦2,500 net
        (12_466_700, 12_666_700),  # the cap reached exactly: net + ₦2,000
        (50_000_000, 50_200_000),  # far above the cap
    ],
)
def test_gross_up_boundaries(net: int, gross: int) -> None:
    g = RULE.gross_up(net)
    assert RULE.net(g) >= net
    assert RULE.net(g - 1) < net
    assert g == gross


@given(st.integers(min_value=1, max_value=200_000_000))
def test_gross_up_is_the_least_charge_that_nets_the_amount(net: int) -> None:
    g = RULE.gross_up(net)
    assert RULE.net(g) >= net
    # No smaller charge nets as much: check the neighbours and the waiver's other side.
    assert RULE.net(g - 1) < net
    if g >= RULE.flat_waived_below:
        below = RULE.flat_waived_below - 1
        assert RULE.net(below) < net or below >= g


def test_cover_tip_and_fee_share() -> None:
    assert cover_for(RULE, 500_000) == RULE.gross_up(500_000) - 500_000
    assert tip_for(1_000_000, 1_000) == 100_000
    assert tip_for(1_000_000, 0) == 0
    assert fee_share(16_000, 900_000, 1_000_000) == 14_400
    assert fee_share(0, 1, 0) == 0


def test_every_campaign_transition() -> None:
    expected = {
        ("draft", "submit"): "in_review",
        ("in_review", "approve"): "live",
        ("in_review", "reject"): "rejected",
        ("rejected", "edit"): "draft",
        ("live", "pause"): "paused",
        ("paused", "resume"): "live",
        ("live", "end"): "ended",
        ("live", "wait_funds"): "waiting_funds",
        ("paused", "wait_funds"): "waiting_funds",
        ("waiting_funds", "settle_success"): "successful",
        ("waiting_funds", "settle_fail"): "failed",
        ("live", "close"): "closed",
        ("paused", "close"): "closed",
        ("ended", "close"): "closed",
    }
    for (source, action), target in expected.items():
        assert states.CAMPAIGN.next(source, action).to_state == target
    assert states.CAMPAIGN.table == expected
    for terminal in ("closed", "successful", "failed"):
        assert states.CAMPAIGN.allowed(terminal) == []
    with pytest.raises(InvalidTransition):
        states.CAMPAIGN.next("draft", "approve")
    assert states.end_action("all_or_nothing") == "wait_funds"
    assert states.end_action("keep_it_all") == "end"


def test_every_withdrawal_transition() -> None:
    expected = {
        ("pending", "authorize"): "authorized",
        ("pending", "reject"): "rejected",
        ("authorized", "send"): "processing",
        ("processing", "transfer"): "transferred",
        ("processing", "fail"): "error",
        ("error", "authorize"): "authorized",
    }
    assert states.WITHDRAWAL.table == expected
    with pytest.raises(InvalidTransition):
        states.WITHDRAWAL.next("transferred", "authorize")


def test_who_may_withdraw_when() -> None:
    assert states.withdrawable("live", "keep_it_all")
    assert not states.withdrawable("live", "all_or_nothing")
    assert states.withdrawable("successful", "all_or_nothing")
    assert not states.withdrawable("failed", "all_or_nothing")
    assert not states.withdrawable("in_review", "keep_it_all")
