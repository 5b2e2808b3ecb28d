"""The Alembic migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import kro.registry
from kro.migrate import alembic_config, upgrade
from tests.conftest import PG_URL, _admin_sync_url


@pytest.fixture(params=["sqlite", "postgres"] if PG_URL else ["sqlite"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(async URL, sync URL) of an empty database."""
    if request.param == "sqlite":
        path = tmp_path / "migrated.db"
        yield f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}"
        return
    name = f"kro_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_sync_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name)
    yield (
        url.render_as_string(hide_password=False),
        url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def test_migrations_match_models(empty_db: tuple[str, str]) -> None:
    async_url, sync_url = empty_db
    await asyncio.to_thread(upgrade, async_url)
    await asyncio.to_thread(upgrade, async_url)  # idempotent: already at head
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, kro.registry.Base.metadata)
    engine.dispose()
    assert diff == [], diff


def _at_0008_with_rows(sync_url: str, async_url: str) -> None:
    """A database at revision 0008 holding an admin's and a user's TOTP factor, an escrow
    order in dispute with its thread, and one whose issue an admin resolved (a refund)."""
    command.upgrade(alembic_config(async_url), "0008")
    engine = create_engine(sync_url)
    now = "2026-12-01 10:00:00+00:00"
    with engine.begin() as conn:
        for uid, role in (("usr_admin", "admin"), ("usr_buyer", "user"), ("usr_seller", "user")):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, full_name, password_hash, role, is_active,"
                    " created_at) VALUES (:id, :email, 'A Person', 'x', :role, true, :now)"
                ),
                {"id": uid, "email": f"{uid}@example.com", "role": role, "now": now},
            )
        for uid in ("usr_admin", "usr_buyer"):
            conn.execute(
                text(
                    "INSERT INTO admin_totp (user_id, secret, recovery_digests, last_step,"
                    " created_at) VALUES (:id, 'JBSWY3DPEHPK3PXP', '[]', 7, :now)"
                ),
                {"id": uid, "now": now},
            )
        for oid, status, refunded in (
            ("ord_01JDISPUTED00000000000000", "disputed", 0),
            ("ord_01JREFUNDED00000000000000", "refunded", 500_000),
        ):
            conn.execute(
                text(
                    "INSERT INTO escrow_orders (id, buyer_id, seller_id, title, amount, currency,"
                    " buyer_fee, seller_fee, fee_payer, status, held_amount, released_amount,"
                    " refunded_amount, inspection_days, created_at, updated_at) VALUES"
                    " (:id, 'usr_buyer', 'usr_seller', 'A laptop', 500000, 'NGN', 7500, 0,"
                    " 'buyer', :status, 0, 0, :refunded, 3, :now, :now)"
                ),
                {"id": oid, "status": status, "refunded": refunded, "now": now},
            )
        thread = [
            ("msg_1", "ord_01JDISPUTED00000000000000", "buyer", "issue", "It does not boot"),
            ("msg_2", "ord_01JDISPUTED00000000000000", "seller", "answer", "It did for me"),
            ("msg_3", "ord_01JREFUNDED00000000000000", "buyer", "issue", "Wrong model"),
            ("msg_4", "ord_01JREFUNDED00000000000000", "admin", "resolution", "Refunded"),
        ]
        for mid, oid, role, kind, body in thread:
            conn.execute(
                text(
                    "INSERT INTO escrow_messages (id, order_id, author_role, kind, body,"
                    " created_at) VALUES (:id, :oid, :role, :kind, :body, :now)"
                ),
                {"id": mid, "oid": oid, "role": role, "kind": kind, "body": body, "now": now},
            )
    engine.dispose()


async def test_0009_carries_second_factors_and_disputes_over(
    empty_db: tuple[str, str],
) -> None:
    async_url, sync_url = empty_db
    await asyncio.to_thread(_at_0008_with_rows, sync_url, async_url)
    await asyncio.to_thread(upgrade, async_url)
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        factors = conn.execute(
            text("SELECT user_id, purpose, last_step FROM totp_factors ORDER BY user_id")
        ).all()
        disputes = conn.execute(
            text(
                "SELECT purpose_id, status, outcome, reason, amount FROM disputes"
                " WHERE purpose = 'escrow' ORDER BY purpose_id"
            )
        ).all()
        messages = conn.execute(
            text(
                "SELECT d.purpose_id, m.kind, m.body FROM dispute_messages m"
                " JOIN disputes d ON d.id = m.dispute_id ORDER BY m.id"
            )
        ).all()
        events = conn.execute(text("SELECT count(*) FROM dispute_events")).scalar_one()
    engine.dispose()
    assert [tuple(f) for f in factors] == [("usr_admin", "admin", 7), ("usr_buyer", "user", 7)]
    assert [tuple(d) for d in disputes] == [
        ("ord_01JDISPUTED00000000000000", "escalated", None, "It does not boot", 507_500),
        ("ord_01JREFUNDED00000000000000", "resolved", "refund", "Wrong model", 507_500),
    ]
    assert [m.body for m in messages] == [
        "It does not boot",
        "It did for me",
        "Wrong model",
        "Refunded",
    ]
    assert events == 2
