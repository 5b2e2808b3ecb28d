"""refunds paid by hand: ``refunds.destination`` may be ``manual`` (a comment only; no data
changes)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column(
            "destination",
            existing_type=sa.String(length=16),
            existing_nullable=False,
            comment="provider | wallet | manual",
            existing_comment="provider | wallet",
        )


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column(
            "destination",
            existing_type=sa.String(length=16),
            existing_nullable=False,
            comment="provider | wallet",
            existing_comment="provider | wallet | manual",
        )
