"""Assignments remember a skip and a flag: skipped_at, flagged_at and flag_reason (Rate tab: skip, flag as broken).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("flagged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("flag_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("flag_reason")
        batch_op.drop_column("flagged_at")
        batch_op.drop_column("skipped_at")
