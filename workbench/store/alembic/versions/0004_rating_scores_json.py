"""Ratings keep their axis scores as JSON keyed by axis (``ratings.scores``), so a rubric axis needs no migration.

Every rating's ``questioning``/``questioning_na``/``suggestion``/``suggestion_na`` become
``scores = {"questioning": 4, "suggestion": "na"}`` value for value (an axis neither scored nor N/A is
absent), and the fixed columns go. The submitted snapshots in ``rating_versions`` get the same shape.
The downgrade brings the two columns back from ``scores``; the answers to any other axis are lost then.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: The axes that had columns up to 0003; they are frozen here, whatever the rubric says today.
FORMER_AXES = ("questioning", "suggestion")
NA = "na"

_ratings = sa.table("ratings", sa.column("id", sa.Integer), sa.column("scores", sa.JSON),
                    *(sa.column(a, sa.Integer) for a in FORMER_AXES),
                    *(sa.column(f"{a}_na", sa.Boolean) for a in FORMER_AXES))
_versions = sa.table("rating_versions", sa.column("id", sa.Integer), sa.column("snapshot", sa.JSON))


def scores_of(values: dict[str, Any]) -> dict[str, Any]:
    """``{"questioning": 4, "questioning_na": False, ...}`` -> ``{"questioning": 4}`` (N/A wins, as before)."""
    out: dict[str, Any] = {}
    for axis in FORMER_AXES:
        if values.get(f"{axis}_na"):
            out[axis] = NA
        elif values.get(axis) is not None:
            out[axis] = values[axis]
    return out


def _snapshots(conn: sa.Connection, convert) -> None:
    for vid, snap in conn.execute(sa.select(_versions.c.id, _versions.c.snapshot)).all():
        if isinstance(snap, dict):
            new = convert(snap)
            if new != snap:
                conn.execute(_versions.update().where(_versions.c.id == vid).values(snapshot=new))


def _new_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    old_keys = [k for a in FORMER_AXES for k in (a, f"{a}_na")]
    if "scores" in snap or not any(k in snap for k in old_keys):
        return snap
    rest = {k: v for k, v in snap.items() if k not in old_keys}
    return {**rest, "scores": scores_of(snap)}


def _old_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(snap.get("scores"), dict):
        return snap
    scores = snap["scores"]
    rest = {k: v for k, v in snap.items() if k != "scores"}
    for axis in FORMER_AXES:
        v = scores.get(axis)
        rest[axis] = None if v == NA else v
        rest[f"{axis}_na"] = v == NA
    return rest


def upgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scores", sa.JSON(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(_ratings.c.id, *(_ratings.c[a] for a in FORMER_AXES),
                                  *(_ratings.c[f"{a}_na"] for a in FORMER_AXES))).mappings().all()
    for row in rows:
        conn.execute(_ratings.update().where(_ratings.c.id == row["id"]).values(scores=scores_of(dict(row))))
    _snapshots(conn, _new_snapshot)
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.alter_column("scores", existing_type=sa.JSON(), nullable=False)
        for axis in FORMER_AXES:
            batch_op.drop_column(f"{axis}_na")
            batch_op.drop_column(axis)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        for axis in FORMER_AXES:
            batch_op.add_column(sa.Column(axis, sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column(f"{axis}_na", sa.Boolean(), nullable=True))
    conn = op.get_bind()
    for rid, scores in conn.execute(sa.select(_ratings.c.id, _ratings.c.scores)).all():
        scores = scores if isinstance(scores, dict) else {}
        values: dict[str, Any] = {}
        for axis in FORMER_AXES:
            v = scores.get(axis)
            values[axis] = None if v == NA else v
            values[f"{axis}_na"] = v == NA
        conn.execute(_ratings.update().where(_ratings.c.id == rid).values(**values))
    _snapshots(conn, _old_snapshot)
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        for axis in FORMER_AXES:
            batch_op.alter_column(f"{axis}_na", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column("scores")
