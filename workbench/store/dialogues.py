"""Queries on dialogues, turns and generations. Callers own the session."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from workbench.dialogue import Turn as TurnValue
from workbench.store.schema import Dialogue, Generation, Turn, utcnow
from workbench.store.threads import column_thread as column_thread  # the one thread reader, re-exported
from workbench.vocab import GenerationStatus


def create_dialogue(
    s: Session,
    turns: Sequence[TurnValue] = (),
    *,
    source: str = "live",
    title: str | None = None,
    dataset_id: int | None = None,
    external_id: str | None = None,
    parent_id: int | None = None,
    branched_from_generation_id: int | None = None,
    created_by: int | None = None,
    meta: dict | None = None,
    reference: bool = False,
) -> Dialogue:
    d = Dialogue(
        source=source, title=title, dataset_id=dataset_id, external_id=external_id, parent_id=parent_id,
        branched_from_generation_id=branched_from_generation_id, created_by=created_by, meta=meta or {},
    )
    s.add(d)
    s.flush()
    for i, t in enumerate(turns):
        s.add(Turn(dialogue_id=d.id, idx=i, role=t.role, text=t.text, is_reference=reference and t.role == "doctor"))
    s.flush()
    return d


def add_turn(s: Session, dialogue_id: int, idx: int, role: str, text: str, *, generation_id: int | None = None) -> Turn:
    t = Turn(dialogue_id=dialogue_id, idx=idx, role=role, text=text, generation_id=generation_id)
    s.add(t)
    s.flush()
    return t


def shared_turns(s: Session, dialogue_id: int) -> list[Turn]:
    return list(s.scalars(select(Turn).where(Turn.dialogue_id == dialogue_id).order_by(Turn.idx)))


def start_generation(s: Session, **fields) -> Generation:
    g = Generation(status=GenerationStatus.RUNNING, **fields)
    s.add(g)
    s.flush()
    return g


def mark_interrupted(s: Session) -> int:
    """Generations left 'running' by a crash or restart become errors, never silent partial text."""
    # an UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed as the general Result
    res = cast(CursorResult[Any], s.execute(
        update(Generation)
        .where(Generation.status == GenerationStatus.RUNNING)
        .values(status=GenerationStatus.ERROR, error="interrupted: the server stopped before this reply finished",
                finished_at=utcnow())
    ))
    return res.rowcount or 0
