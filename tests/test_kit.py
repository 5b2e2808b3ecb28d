from decimal import Decimal

import pytest
from sqlalchemy import text

from kro.kit.ids import id_prefix, new_id
from kro.kit.money import Money, MoneyError, from_major, to_major


def test_ids_are_prefixed_and_sortable() -> None:
    ids = [new_id("ord") for _ in range(50)]
    assert all(id_prefix(i) == "ord" for i in ids)
    assert len(set(ids)) == 50


def test_money_is_exact() -> None:
    assert from_major("1500.50", "NGN") == 150050
    assert to_major(150050, "NGN") == Decimal("1500.50")
    with pytest.raises(MoneyError):
        from_major("1.005", "NGN")
    with pytest.raises(MoneyError):
        Money(1.5, "NGN")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1, "NGN") + Money(1, "USD")
    assert Money(1_000_000, "NGN").percent_bps(150) == Money(15_000, "NGN")


async def test_database_roundtrip(session) -> None:
    assert (await session.execute(text("select 1"))).scalar() == 1
