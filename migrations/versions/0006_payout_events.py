"""payout events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kro.kit.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("payout_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", kro.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_events_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_events")),
    )
    with op.batch_alter_table("payout_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_events_payout_id"), ["payout_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_events_payout_id"))

    op.drop_table("payout_events")
