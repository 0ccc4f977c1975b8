"""Baseline: the schema as the former store/migrations.py left it (schema_version 4, main at e0d258c).

A database made before Alembic is stamped with this revision by workbench.store.migrate, after its
missing old steps; a new database is created by it. Such a database has unnamed constraints (main's
create_all named none); here the constraints get the names of the model's naming convention, which
Alembic applies to every operation: revision 0002 gives the old databases the same names.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _inline_cycle() -> bool:
    """dialogues and turns refer to generations, which refers to them: SQLite takes such a reference
    in CREATE TABLE before its table exists; elsewhere it is added once generations exists, as
    ``use_alter`` made create_all do."""
    return op.get_bind().dialect.name == "sqlite"


def _to_generations(columns: list[str]) -> list[sa.ForeignKeyConstraint]:
    if not _inline_cycle():
        return []
    return [sa.ForeignKeyConstraint(columns, ["generations.id"], ondelete="SET NULL")]


def upgrade() -> None:
    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('batch_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('turn_selection', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('dialogues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('branched_from_generation_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    *_to_generations(['branched_from_generation_id']),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['dialogues.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dialogues_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dialogues_parent_id'), ['parent_id'], unique=False)

    op.create_table('queue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('turn_index', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dialogue_id', 'turn_index')
    )
    op.create_table('turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('idx', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('is_reference', sa.Boolean(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], ondelete='CASCADE'),
    *_to_generations(['generation_id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dialogue_id', 'idx')
    )
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('display_order', sa.JSON(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['queue_items.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id', 'slot'),
    sa.UniqueConstraint('item_id', 'user_id')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('generations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('turn_index', sa.Integer(), nullable=False),
    sa.Column('column_name', sa.String(length=60), nullable=False),
    sa.Column('backend', sa.String(length=40), nullable=False),
    sa.Column('model_name', sa.String(length=300), nullable=True),
    sa.Column('model_revision', sa.String(length=200), nullable=True),
    sa.Column('input_text', sa.Text(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('output', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('ttft_ms', sa.Float(), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('output_tokens', sa.Integer(), nullable=True),
    sa.Column('route', sa.String(length=20), nullable=True),
    sa.Column('route_reason', sa.Text(), nullable=True),
    sa.Column('asks_question', sa.Boolean(), nullable=True),
    sa.Column('question_count', sa.Integer(), nullable=True),
    sa.Column('length_chars', sa.Integer(), nullable=True),
    sa.Column('batch_run_id', sa.Integer(), nullable=True),
    sa.Column('reference_turn_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_run_id'], ['batch_runs.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reference_turn_id'], ['turns.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('generations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generations_batch_run_id'), ['batch_run_id'], unique=False)
        batch_op.create_index('ix_generations_position', ['dialogue_id', 'turn_index', 'column_name'], unique=False)

    op.create_table('gold_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('tolerance', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['generation_id'], ['generations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('generation_id')
    )
    op.create_table('preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialogue_id', sa.Integer(), nullable=False),
    sa.Column('turn_index', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('shown', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('winner_generation_id', sa.Integer(), nullable=True),
    sa.Column('ranking', sa.JSON(), nullable=True),
    sa.Column('rubric_version', sa.String(length=80), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dialogue_id'], ['dialogues.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['winner_generation_id'], ['generations.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dialogue_id', 'turn_index', 'user_id')
    )
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preferences_user_id'), ['user_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('turn_type', sa.String(length=20), nullable=True),
    sa.Column('questioning', sa.Integer(), nullable=True),
    sa.Column('questioning_na', sa.Boolean(), nullable=False),
    sa.Column('suggestion', sa.Integer(), nullable=True),
    sa.Column('suggestion_na', sa.Boolean(), nullable=False),
    sa.Column('safety_flag', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('corrected_reply', sa.Text(), nullable=True),
    sa.Column('rubric_version', sa.String(length=80), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('display_order', sa.JSON(), nullable=False),
    sa.Column('display_slot', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['generation_id'], ['generations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('generation_id', 'user_id')
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_generation_id'), ['generation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ratings_user_id'), ['user_id'], unique=False)

    op.create_table('suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('agent', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['generation_id'], ['generations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('generation_id', 'question', 'agent')
    )
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestions_generation_id'), ['generation_id'], unique=False)

    op.create_table('preference_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('preference_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['preference_id'], ['preferences.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('preference_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preference_versions_preference_id'), ['preference_id'], unique=False)

    op.create_table('rating_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rating_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_versions_rating_id'), ['rating_id'], unique=False)

    if not _inline_cycle():
        op.create_foreign_key(None, "dialogues", "generations", ["branched_from_generation_id"], ["id"],
                              ondelete="SET NULL")
        op.create_foreign_key(None, "turns", "generations", ["generation_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table('rating_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_versions_rating_id'))

    op.drop_table('rating_versions')
    with op.batch_alter_table('preference_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preference_versions_preference_id'))

    op.drop_table('preference_versions')
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_generation_id'))

    op.drop_table('suggestions')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_user_id'))
        batch_op.drop_index(batch_op.f('ix_ratings_generation_id'))

    op.drop_table('ratings')
    with op.batch_alter_table('preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preferences_user_id'))

    op.drop_table('preferences')
    op.drop_table('gold_answers')
    with op.batch_alter_table('generations', schema=None) as batch_op:
        batch_op.drop_index('ix_generations_position')
        batch_op.drop_index(batch_op.f('ix_generations_batch_run_id'))

    op.drop_table('generations')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_user_id'))

    op.drop_table('assignments')
    op.drop_table('turns')
    op.drop_table('queue_items')
    with op.batch_alter_table('dialogues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dialogues_parent_id'))
        batch_op.drop_index(batch_op.f('ix_dialogues_dataset_id'))

    op.drop_table('dialogues')
    op.drop_table('batch_runs')
    op.drop_table('users')
    op.drop_table('datasets')
