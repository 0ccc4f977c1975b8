"""When a doctor position is ready to rate, and what happens when a rated one gains a column.

A batch run generates one column after another, and a stopped run leaves its later columns undone: a position
queued as soon as its first reply existed was rated with one reply of three, and the replies that came later were
never offered (the annotators' slots were already complete). So a position becomes an item only once it is
*settled*: no reply there is still streaming, and every column of every batch run that wrote there has finished
there (an ``ok`` or an ``error`` reply), unless that run ended normally (a column whose model could not load
leaves no reply and does not hold the position back). A stopped or interrupted run's positions wait until a
later run fills in the missing columns.

A column added later on purpose (a run of a new column over a dataset already rated) still grows items whose
annotators have finished: their assignment opens again with the new reply labelled after the ones they saw, and a
submitted preference that did not include every reply goes back to draft (its submitted versions are kept), so
the preference is chosen again among all replies. A new reply word for word the same as one they rated is no new
choice (identical replies are one judgement): it joins the item with its twin, and nothing opens again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session

from workbench.store.greetings import not_greeting
from workbench.store.schema import Assignment, BatchRun, Generation, Preference, QueueItem
from workbench.vocab import AnswerStatus, BatchRunStatus, GenerationStatus

Position = tuple[int, int]
_CHUNK = 400  # positions per query: well under every database's parameter limit


def settled(s: Session, positions: Iterable[Position]) -> set[Position]:
    """The positions among ``positions`` whose replies are all in (see the module docstring)."""
    positions = list(positions)
    columns_at: dict[Position, set[str]] = defaultdict(set)
    running: set[Position] = set()
    runs_at: dict[Position, set[int]] = defaultdict(set)
    for i in range(0, len(positions), _CHUNK):
        chunk = positions[i : i + _CHUNK]
        rows = s.execute(
            select(Generation.dialogue_id, Generation.turn_index, Generation.column_name, Generation.status,
                   Generation.batch_run_id)
            .where(tuple_(Generation.dialogue_id, Generation.turn_index).in_(chunk), not_greeting())
        ).all()
        for did, tix, column, status, run_id in rows:
            pos = (did, tix)
            if status == GenerationStatus.RUNNING:
                running.add(pos)
            else:
                columns_at[pos].add(column)
            if run_id is not None:
                runs_at[pos].add(run_id)
    run_ids = set().union(*runs_at.values()) if runs_at else set()
    runs = {r.id: r for r in s.scalars(select(BatchRun).where(BatchRun.id.in_(run_ids)))} if run_ids else {}

    def waits_on(run_id: int, pos: Position) -> bool:
        run = runs.get(run_id)
        if run is None or run.status == BatchRunStatus.FINISHED:
            return False
        return not set(run.columns or ()) <= columns_at[pos]

    return {pos for pos in positions
            if pos not in running and not any(waits_on(r, pos) for r in runs_at.get(pos, ()))}


def reopen_grown_items(s: Session) -> int:
    """Open again every finished assignment whose item gained a column since it was finished; returns how many."""
    rows = s.execute(
        select(Assignment, QueueItem, Generation.column_name)
        .join(QueueItem, QueueItem.id == Assignment.item_id)
        .join(Generation, and_(Generation.dialogue_id == QueueItem.dialogue_id,
                               Generation.turn_index == QueueItem.turn_index))
        .where(Assignment.completed_at.is_not(None), Assignment.flagged_at.is_(None),
               Generation.status == GenerationStatus.OK, not_greeting(),
               Generation.created_at > Assignment.completed_at)
    ).all()
    grown: dict[int, tuple[Assignment, QueueItem, set[str]]] = {}
    for a, item, column in rows:
        if column not in (a.display_order or ()):  # a regenerated reply of a column already shown is not new
            grown.setdefault(a.id, (a, item, set()))[2].add(column)
    reopened = 0
    for a, item, new in grown.values():
        texts = _newest_texts(s, item)
        seen = {texts.get(c) for c in a.display_order or ()}
        a.display_order = [*a.display_order, *sorted(new)]
        if all(texts.get(c) in seen for c in new):
            continue  # twins of replies already rated: one judgement, already given
        reopened += 1
        a.completed_at = None
        pref = s.scalars(select(Preference).where(
            Preference.dialogue_id == item.dialogue_id, Preference.turn_index == item.turn_index,
            Preference.user_id == a.user_id)).first()
        if pref is not None and pref.status == AnswerStatus.SUBMITTED:
            pref.status = AnswerStatus.DRAFT
    return reopened


def _newest_texts(s: Session, item: QueueItem) -> dict[str, str]:
    """column -> the text of its newest ``ok`` reply at the item's position."""
    rows = s.execute(select(Generation.column_name, Generation.output)
                     .where(Generation.dialogue_id == item.dialogue_id, Generation.turn_index == item.turn_index,
                            Generation.status == GenerationStatus.OK, not_greeting())
                     .order_by(Generation.id)).all()
    return {column: output or "" for column, output in rows}
