"""The database checks the vocabulary; every constraint gets its conventional name.

Statuses, turn types and preference outcomes get CHECK constraints (the values of workbench/vocab.py
today, written out so that this revision never changes). Constraints the baseline left unnamed get
the names of ``schema.NAMING_CONVENTION``: on SQLite each table is copied (batch mode), on PostgreSQL
the names it invented are renamed. A value outside the vocabulary stops the upgrade with its table
and column named, before anything is changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workbench.errors import StoreError

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

#: (table, column, CHECK name as in the model, allowed values)
CHECKS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("generations", "status", "generation_status", ("running", "ok", "error", "stopped")),
    ("ratings", "status", "answer_status", ("draft", "submitted", "discarded")),
    ("ratings", "turn_type", "turn_type", ("question", "suggestion", "mixed", "other")),
    ("preferences", "status", "answer_status", ("draft", "submitted", "discarded")),
    ("preferences", "outcome", "preference_outcome", ("best", "tie", "all_bad", "ranking")),
    ("batch_runs", "status", "batch_run_status", ("running", "finished", "stopped", "interrupted")),
)
TABLES = ("users", "datasets", "dialogues", "turns", "batch_runs", "generations", "suggestions", "ratings",
          "rating_versions", "preferences", "preference_versions", "queue_items", "assignments", "gold_answers")
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _condition(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


def _refuse_unknown_values(bind: sa.engine.Connection) -> None:
    for table, column, _name, allowed in CHECKS:
        bad = bind.execute(sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL "
                                   f"AND NOT ({_condition(column, allowed)})")).scalars().all()
        if bad:
            raise StoreError(f"cannot upgrade the database: {table}.{column} holds {sorted(map(str, bad))[:5]}, outside {list(allowed)}: "
                               "correct these rows, then start again (nothing was changed)")


def _rename_to_convention(bind: sa.engine.Connection, table: str) -> None:
    """PostgreSQL named the baseline's constraints itself (users_pkey ...): give them the conventional names."""
    insp = sa.inspect(bind)
    wanted: list[tuple[str | None, str]] = []
    pk = insp.get_pk_constraint(table)
    wanted.append((pk.get("name"), f"pk_{table}"))
    for uq in insp.get_unique_constraints(table):
        wanted.append((uq["name"], f"uq_{table}_{'_'.join(uq['column_names'])}"))
    for fk in insp.get_foreign_keys(table):
        wanted.append((fk["name"], f"fk_{table}_{fk['constrained_columns'][0]}_{fk['referred_table']}"))
    for old, new in wanted:
        if old and old != new:
            op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{old}" TO "{new}"')


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_unknown_values(bind)
    for table in TABLES:
        checks = [(name, column, allowed) for t, column, name, allowed in CHECKS if t == table]
        if bind.dialect.name == "sqlite":
            # recreate="always": the copy is what applies the naming convention to unnamed constraints
            with op.batch_alter_table(table, recreate="always", naming_convention=NAMING_CONVENTION) as batch:
                for name, column, allowed in checks:
                    batch.create_check_constraint(name, _condition(column, allowed))
                if table == "batch_runs":  # step 4 of the former migrations declared it TIMESTAMP
                    batch.alter_column("heartbeat_at", existing_type=sa.TIMESTAMP(), type_=sa.DateTime(),
                                       existing_nullable=True)
        else:
            _rename_to_convention(bind, table)
            for name, column, allowed in checks:
                op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, _condition(column, allowed))


def downgrade() -> None:
    for table in TABLES:
        checks = [name for t, _column, name, _allowed in CHECKS if t == table]
        if checks:
            with op.batch_alter_table(table, naming_convention=NAMING_CONVENTION) as batch:
                for name in checks:
                    batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
