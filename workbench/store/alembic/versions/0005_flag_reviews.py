"""Flagged items get reviewed: ``flag_reviews`` keeps each admin decision (reassigned, back to the pool,
retired) with the flag it settled (who flagged, why, when). Additive: no existing row changes.

Revision ID: 0005_flag_reviews
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_flag_reviews"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

#: workbench.vocab.FlagAction's values today, written out so that this revision never changes
FLAG_ACTIONS = ("reassigned", "pool", "retired")


def upgrade() -> None:
    op.create_table(
        "flag_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("flagged_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["queue_items.id"], name=op.f("fk_flag_reviews_item_id_queue_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["flagged_by"], ["users.id"], name=op.f("fk_flag_reviews_flagged_by_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"], name=op.f("fk_flag_reviews_assigned_to_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["users.id"], name=op.f("fk_flag_reviews_reviewed_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_reviews")),
        sa.CheckConstraint(f"action IN ({', '.join(repr(v) for v in FLAG_ACTIONS)})",
                           name=op.f("ck_flag_reviews_flag_action")),
    )
    op.create_index(op.f("ix_flag_reviews_item_id"), "flag_reviews", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_flag_reviews_item_id"), table_name="flag_reviews")
    op.drop_table("flag_reviews")
