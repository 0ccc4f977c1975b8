"""Build the analysis :class:`Frames` from the store: five queries, whatever the number of rows.

Choices (the column contracts are in :mod:`workbench.analysis.frames`):

- generations: every stored reply, whatever its status (the analysis keeps the ``ok`` ones where it
  matters). ``reference`` is the dataset's gold doctor turn at the same position, ``turn_type_auto``
  the newest ``turn_type`` suggestion of the reply (None when it has none, e.g. an error).
- ratings: only ``submitted`` ones (drafts and discarded answers are not results), and none given to an item
  an admin retired unless ``include_retired`` (:mod:`workbench.annotate.counted` says which answers count). ``created_at`` is
  the time of the last submission (``updated_at``), since a rating can be edited. Scores marked not
  applicable, or left empty, are NaN.
- preferences: only ``submitted`` ones, retired items' left out as ratings are; generation ids in ``shown``/``winner``/``ranking`` become column
  names. ``winner`` is kept only for ``best``, ``ranking`` only for ``ranking``.
- references: the reference doctor turns of imported dialogues.
- greetings: the fixed first replies the apps show without a model call (see
  :mod:`workbench.store.greetings`). They say nothing about a model, so they are kept out of every other
  frame: out of generations, ratings on them, preferences (a greeting is dropped from ``shown`` and
  ``ranking``; a judgement left without two replies, or won by a greeting, is dropped) and references
  (a gold doctor turn that is a greeting text). They are counted on their own in ``Frames.greetings``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from workbench.analysis.frames import (
    GENERATION_COLUMNS,
    PREFERENCE_COLUMNS,
    RATING_COLUMNS,
    REFERENCE_COLUMNS,
    SCORE_AXES,
    Frames,
    score_axes,
)
from workbench.analysis.twins import text_groups, twin_columns
from workbench.annotate.counted import counted_preference, counted_rating
from workbench.annotate.rubric import axes_in, score_number
from workbench.store.engine import Store
from workbench.store.greetings import greeting_texts, is_greeting, not_greeting
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating, Suggestion, Turn, User
from workbench.vocab import TURN_TYPE_QUESTION, PreferenceOutcome


def _frame(rows: Iterable[Any], columns: tuple[str, ...]) -> pd.DataFrame:
    data = [tuple(r) for r in rows]
    if not data:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame.from_records(data, columns=list(columns))


def _score(answers: dict[str, Any] | None, axis: str) -> float:
    number = score_number((answers or {}).get(axis))
    return float("nan") if number is None else number


def _unless_greeting(reference: object, greeting_text: Container[str]) -> object:
    return None if isinstance(reference, str) and reference.strip() in greeting_text else reference


def _names(ids: object, columns: dict[int, str]) -> list[str] | None:
    if not isinstance(ids, list):
        return None
    return [columns.get(int(i), f"#{i}") for i in ids]


def _box_slots(ratings: Sequence[Any], groups: dict[int, int], dialogue_of: dict[int, int]) -> dict[tuple[str, int], int]:
    """``{(annotator, group): slot}``: where the box of each group of identical replies sat on the annotator's
    screen. An answer to a hidden copy was given in the box shown, at the first copy's place, and the boxes after
    a pair of copies move up: three columns with two identical replies show two boxes, in slots 0 and 1, though
    the stored ``display_slot`` (a column's place in the item's order) can be 2 for the second box (walk 10 found
    a "slot 3" nobody saw). A position without copies keeps its stored slots."""
    first: dict[tuple[str, int], int] = {}  # each group's smallest stored slot
    at: dict[tuple[str, int, int], set[int]] = {}  # the groups an annotator answered at a position
    members: dict[tuple[str, int], int] = {}
    for r in ratings:
        gid = int(r[1])
        if r[9] is None or gid not in dialogue_of:
            continue
        key = (r[2], groups.get(gid, gid))
        first[key] = min(first.get(key, r[9]), r[9])
        members[key] = members.get(key, 0) + 1
        at.setdefault((r[2], dialogue_of[gid], int(r[5])), set()).add(key[1])
    out = dict(first)
    for (user, _dialogue, _turn), shown in at.items():
        if all(members[(user, g)] == 1 for g in shown):
            continue
        for rank, g in enumerate(sorted(shown, key=lambda g: first[(user, g)])):
            out[(user, g)] = rank
    return out


def load_frames(svc_or_store: object, *, include_retired: bool = False) -> Frames:
    """Every generation, counted rating and preference, and reference turn, as analysis frames.

    ``include_retired``: keep the answers to retired items too (they are left out by default).
    """
    store = cast(Store, getattr(svc_or_store, "store", svc_or_store))
    with store.read() as s:
        # The newest turn-type suggestion per reply, joined as a grouped table: as `id IN (subquery)` inside
        # the outer join's ON, SQLite ran the subquery once per reply, quadratic in the store (3,000 replies
        # 2 s, 30,000 replies with their queue about 140 s).
        newest = (
            select(Suggestion.generation_id.label("generation_id"), func.max(Suggestion.id).label("sid"))
            .where(Suggestion.question == TURN_TYPE_QUESTION)
            .group_by(Suggestion.generation_id)
            .subquery()
        )
        ref = aliased(Turn, name="ref")
        gens = s.execute(
            select(
                Generation.id, Generation.dialogue_id, Dataset.name, Generation.column_name,
                func.coalesce(Generation.model_name, Generation.backend), Generation.turn_index,
                Generation.output, Generation.status, Generation.latency_ms, Generation.output_tokens,
                Generation.asks_question, Generation.question_count, Generation.length_chars,
                Suggestion.value, ref.text, Generation.created_at, is_greeting(),
            )
            .join(Dialogue, Dialogue.id == Generation.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .outerjoin(newest, newest.c.generation_id == Generation.id)
            .outerjoin(Suggestion, Suggestion.id == newest.c.sid)
            .outerjoin(ref, (ref.dialogue_id == Generation.dialogue_id) & (ref.idx == Generation.turn_index)
                       & ref.is_reference.is_(True))
            .order_by(Generation.id)
        ).all()
        ratings = s.execute(
            select(
                Rating.id, Rating.generation_id, User.username, Generation.column_name, Dataset.name,
                Generation.turn_index, Rating.turn_type, Rating.scores, Rating.safety_flag, Rating.display_slot,
                Rating.updated_at,
            )
            .join(User, User.id == Rating.user_id)
            .join(Generation, Generation.id == Rating.generation_id)
            .join(Dialogue, Dialogue.id == Generation.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .where(counted_rating(include_retired=include_retired), not_greeting())
            .order_by(Rating.id)
        ).all()
        prefs = s.execute(
            select(
                Preference.id, User.username, Preference.dialogue_id, Preference.turn_index, Preference.shown,
                Preference.outcome, Preference.winner_generation_id, Preference.ranking, Dataset.name,
                Preference.updated_at,
            )
            .join(User, User.id == Preference.user_id)
            .join(Dialogue, Dialogue.id == Preference.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .where(counted_preference(include_retired=include_retired))
            .order_by(Preference.id)
        ).all()
        refs = s.execute(
            select(Turn.dialogue_id, Dataset.name, Turn.idx, Turn.text)
            .join(Dialogue, Dialogue.id == Turn.dialogue_id)
            .join(Dataset, Dataset.id == Dialogue.dataset_id)
            .where(Turn.is_reference.is_(True), Turn.role == "doctor")
            .order_by(Turn.dialogue_id, Turn.idx)
        ).all()
        greeting_text = greeting_texts(s)

    # A model reply compared with a gold greeting measures nothing: no reference there.
    ref_at = GENERATION_COLUMNS.index("reference")
    replies: list[tuple[Any, ...]] = [(*g[:ref_at], _unless_greeting(g[ref_at], greeting_text), *g[ref_at + 1 : -1])
                                      for g in gens if not g[-1]]
    generations = _frame(replies, GENERATION_COLUMNS)
    greetings = _frame([g[:-1] for g in gens if g[-1]], GENERATION_COLUMNS)
    refs = [r for r in refs if not (isinstance(r[3], str) and r[3].strip() in greeting_text)]
    column_of = {int(g[0]): g[3] for g in replies}
    # Identical replies at one position are one reply to the annotator (workbench.analysis.twins)
    out_at, status_at = GENERATION_COLUMNS.index("output"), GENERATION_COLUMNS.index("status")
    groups = text_groups((g[0], g[1], g[5], g[out_at], g[status_at]) for g in replies)
    # ... the copies an annotator was shown: the replies they answered at the position (a column regenerated
    # in the Chat tab has older replies there too, never shown with these)
    dialogue_of = {int(g[0]): int(g[1]) for g in replies}
    rated_at: dict[tuple[str, int, int], list[int]] = {}
    for r in ratings:
        if int(r[1]) in dialogue_of:
            rated_at.setdefault((r[2], dialogue_of[int(r[1])], int(r[5])), []).append(int(r[1]))
    # The contract's two axes in their places, each further axis answered as a column after the contract's.
    extra_axes = [a for a in axes_in(r[7] for r in ratings) if a not in SCORE_AXES]
    slot_shown = _box_slots(ratings, groups, dialogue_of)
    rating_rows = [
        (r[0], r[1], r[2], r[3], r[4], r[5], r[6] or None, *(_score(r[7], a) for a in SCORE_AXES),
         bool(r[8]), slot_shown.get((r[2], groups.get(int(r[1]), int(r[1]))), r[9]), r[10],
         *(_score(r[7], a) for a in extra_axes))
        for r in ratings
    ]
    pref_rows = []
    greeting_ids = {int(g[0]) for g in gens if g[-1]}
    for pid, user, did, tix, shown, outcome, winner, ranking, ds, at in prefs:
        if isinstance(shown, list) and greeting_ids.intersection(int(g) for g in shown):
            shown = [g for g in shown if int(g) not in greeting_ids]
            ranking = [g for g in ranking if int(g) not in greeting_ids] if isinstance(ranking, list) else ranking
            if len(shown) < 2 or (winner is not None and int(winner) in greeting_ids):
                continue  # no judgement between two model replies is left
        twins = twin_columns([int(g) for g in shown] if isinstance(shown, list) else [],
                             rated_at.get((user, int(did), int(tix)), []), groups, column_of)
        pref_rows.append((
            pid, user, did, tix, _names(shown, column_of) or [], outcome,
            column_of.get(int(winner)) if outcome == PreferenceOutcome.BEST and winner is not None else None,
            _names(ranking, column_of) if outcome == PreferenceOutcome.RANKING else None, ds, at, twins,
        ))
    frames = Frames(
        generations=generations,
        ratings=_frame(rating_rows, (*RATING_COLUMNS, *extra_axes)),
        preferences=_frame(pref_rows, (*PREFERENCE_COLUMNS, "twins")),
        references=_frame(refs, REFERENCE_COLUMNS),
        greetings=greetings,
    )
    _types(frames)
    return frames.validate()


def _types(f: Frames) -> None:
    """Numeric columns as numbers and timestamps as datetimes, also for empty frames."""
    g, r = f.generations, f.ratings
    for c in ("latency_ms",):
        g[c] = pd.to_numeric(g[c], errors="coerce").astype(float)
    for c in score_axes(r):
        r[c] = pd.to_numeric(r[c], errors="coerce").astype(float)
    for df in (g, r, f.preferences, f.greetings):
        df["created_at"] = pd.to_datetime(df["created_at"], errors="coerce")
