"""Routing as pure rules: eligibility, rules by priority, weights, default order."""

from __future__ import annotations

from collections import Counter

from kro.payments import routing
from kro.payments.models import ProviderConfig, RoutingRule
from kro.payments.provider_configs import base_url
from kro.settings import Settings

MANUAL = frozenset({"stripe"})


def config(provider: str, priority: int, currencies: list[str], **extra: object) -> ProviderConfig:
    return ProviderConfig(
        id=f"pcf_{provider}", tenant_id="ten_1", mode="test", provider=provider,
        priority=priority, weight=extra.pop("weight", 1), enabled=extra.pop("enabled", True),
        currencies=currencies,
    )  # fmt: skip


CONFIGS = [
    config("paystack", 1, ["NGN", "USD"]),
    config("flutterwave", 2, ["NGN"]),
    config("stripe", 3, ["USD", "NGN"]),
]


def request(amount: int = 10_000, currency: str = "NGN", **extra: str) -> routing.RouteRequest:
    return routing.RouteRequest("pay-ref", amount, currency, **extra)


def names(plan: list[ProviderConfig]) -> list[str]:
    return [c.provider for c in plan]


def test_default_order_eligibility_and_manual_capture() -> None:
    assert names(routing.plan(CONFIGS, [], request(), MANUAL)) == [
        "paystack",
        "flutterwave",
        "stripe",
    ]
    assert names(routing.plan(CONFIGS, [], request(currency="USD"), MANUAL)) == [
        "paystack",
        "stripe",
    ]
    manual = request(currency="USD", capture_method="manual")
    assert names(routing.plan(CONFIGS, [], manual, MANUAL)) == ["stripe"]
    assert names(routing.plan(CONFIGS, [], request(provider="flutterwave"), MANUAL)) == [
        "flutterwave"
    ]
    disabled = [config("paystack", 1, ["NGN"], enabled=False)]
    assert routing.plan(disabled, [], request(), MANUAL) == []


def test_the_first_matching_rule_puts_its_providers_first() -> None:
    big = RoutingRule(id="rte_1", priority=1, currency="NGN", min_amount=1_000_000,
                      providers=["stripe"])  # fmt: skip
    card = RoutingRule(id="rte_2", priority=2, channel="card", providers=["flutterwave"])
    rules = [card, big]
    assert names(routing.plan(CONFIGS, rules, request(2_000_000), MANUAL))[0] == "stripe"
    assert names(routing.plan(CONFIGS, rules, request(channel="card"), MANUAL)) == [
        "flutterwave", "paystack", "stripe"
    ]  # fmt: skip
    assert names(routing.plan(CONFIGS, rules, request(), MANUAL))[0] == "paystack"


def test_weights_split_traffic_and_are_stable_per_payment() -> None:
    rule = RoutingRule(id="rte_w", priority=1, currency="NGN",
                       providers=["paystack", "flutterwave"], weights=[3, 1])  # fmt: skip
    firsts = Counter(
        names(routing.plan(CONFIGS, [rule], routing.RouteRequest(f"pay-{i}", 100, "NGN"), MANUAL))[
            0
        ]
        for i in range(4000)
    )
    assert 2800 < firsts["paystack"] < 3200 and firsts["paystack"] + firsts["flutterwave"] == 4000
    assert routing.draw("pay-7", [3, 1]) == routing.draw("pay-7", [3, 1])
    assert routing.draw("anything", [0, 0]) == 0


def test_test_mode_only_ever_reaches_the_sandbox() -> None:
    settings = Settings(env="test", base_url="https://kro.example.com")
    assert base_url(settings, "paystack", "test") == "https://kro.example.com/sandbox/paystack"
    assert base_url(settings, "stripe", "live") == "https://api.stripe.com"
    assert base_url(settings, "flutterwave", "live") == "https://api.flutterwave.com"
