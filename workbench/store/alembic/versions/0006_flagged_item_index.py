"""A partial index on the items an open flag holds: every claim and progress count leaves those items out (an
item with an open flag is offered to nobody), and without it each did so by scanning every assignment.
Additive: no row changes.

Revision ID: 0006_flagged_item_index
Revises: 0005_flag_reviews
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_flagged_item_index"
down_revision: str | None = "0005_flag_reviews"
branch_labels: str | None = None
depends_on: str | None = None

#: written out, so that this revision never changes with the model
FLAGGED = "flagged_at IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_assignments_flagged_item", "assignments", ["item_id"], unique=False,
                    sqlite_where=sa.text(FLAGGED), postgresql_where=sa.text(FLAGGED))


def downgrade() -> None:
    op.drop_index("ix_assignments_flagged_item", table_name="assignments")
