"""Gold items: replies with an expected answer set by an admin, mixed into every annotator's queue.

A rating item is *gold* when one of its replies has a :class:`GoldAnswer`. Gold items are served to
every annotator (beyond the item's k slots) at ``annotation.gold_rate`` of the items they take, look
exactly like any other item, and each annotator's answers on them give their gold accuracy.

Expected answers are keyed by question: ``turn_type`` (one of the rubric's turn types) and each score
axis (a whole score, or ``"na"``). A score within ``tolerance`` of the expected one counts as right.
Callers own the session.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.access import Permission, require_permission
from workbench.annotate.counted import counted_rating
from workbench.annotate.offer import live, offerable_to
from workbench.annotate.rubric import NA, STORED_AXES, TURN_TYPE_KEYS, Rubric, score_number
from workbench.auth import CurrentUser
from workbench.errors import InputError
from workbench.store.schema import Assignment, Dialogue, Generation, GoldAnswer, QueueItem, Rating, User
from workbench.vocab import GREETING_ROUTE, GenerationStatus

SCORE_RANGE = (1, 5)
MAX_TOLERANCE = 4
_MAX_GOLD_ATTEMPTS = 16
_ROW_KEYS = frozenset({"generation_id", "dialogue_id", "turn_index", "column", "tolerance", "note"})


@dataclass(frozen=True)
class GoldAccuracy:
    username: str
    checked: int  # answers compared with an expected one (one per question per gold reply)
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.checked if self.checked else None


def _require_admin(user: CurrentUser) -> None:
    require_permission(user, Permission.TEAM, "only an admin can set or see gold answers")


#: (key, lowest, highest, N/A allowed) of each score question, when no rubric is given: the stored axes on 1-5
_DEFAULT_SCALES = tuple((axis, SCORE_RANGE[0], SCORE_RANGE[1], True) for axis in STORED_AXES)


def _scales(rubric: Rubric | None) -> tuple[tuple[str, int, int, bool], ...]:
    """The score questions a gold answer may hold: the rubric's axes (any number, each with its scale)."""
    if rubric is None:
        return _DEFAULT_SCALES
    return tuple((a.key, a.scale.min, a.scale.max, a.allow_na) for a in rubric.axes)


def clean_answer(raw: Mapping[str, Any], rubric: Rubric | None = None) -> dict[str, Any]:
    """The expected answer with only known questions and valid values; InputError names what is wrong.

    The questions are ``turn_type`` and the rubric's axes, so an axis added to the rubric can be gold too.
    """
    if not isinstance(raw, Mapping):
        raise InputError("a gold answer must be an object such as {\"turn_type\": \"question\", \"questioning\": 4}")
    scales = _scales(rubric)
    axes = [key for key, *_ in scales]
    unknown = sorted(set(raw) - {"turn_type", *axes})
    if unknown:
        raise InputError(f"unknown question(s) {unknown} in a gold answer; use turn_type, {', '.join(axes)}")
    out: dict[str, Any] = {}
    tt = raw.get("turn_type")
    if tt not in (None, ""):
        if tt not in TURN_TYPE_KEYS:
            raise InputError(f"gold turn type {tt!r} is not one of {', '.join(TURN_TYPE_KEYS)}")
        out["turn_type"] = tt
    for axis, lo, hi, allow_na in scales:
        v = raw.get(axis)
        if v in (None, ""):
            continue
        if isinstance(v, str) and v.strip().lower() in (NA, "n/a"):
            if not allow_na:
                raise InputError(f"gold {axis} must be a score {lo}-{hi} (N/A is not allowed on this axis)")
            out[axis] = NA
            continue
        try:
            score = float(v)
        except (TypeError, ValueError):
            raise InputError(f"gold {axis} must be a score {lo}-{hi} or \"na\", got {v!r}") from None
        if isinstance(v, bool) or not math.isfinite(score) or score != int(score) or not lo <= score <= hi:
            raise InputError(f"gold {axis} must be a whole score {lo}-{hi} or \"na\", got {v!r}")
        out[axis] = int(score)
    if not out:
        raise InputError("a gold answer needs at least one of turn_type, " + ", ".join(axes))
    return out


def _generation_for(s: Session, row: Mapping[str, Any]) -> Generation:
    gid = row.get("generation_id")
    if gid not in (None, ""):
        try:
            g = s.get(Generation, int(gid))
        except (TypeError, ValueError):
            raise InputError(f"generation_id must be a number, got {gid!r}") from None
        if g is None:
            raise InputError(f"no reply with generation_id {gid}")
    else:
        try:
            did, tix, col = int(row["dialogue_id"]), int(row["turn_index"]), str(row["column"])
        except (KeyError, TypeError, ValueError):
            raise InputError("a gold row needs generation_id, or dialogue_id + turn_index + column") from None
        g = s.scalars(select(Generation).where(
            Generation.dialogue_id == did, Generation.turn_index == tix, Generation.column_name == col,
            Generation.status == GenerationStatus.OK).order_by(Generation.id.desc()).limit(1)).first()
        if g is None:
            raise InputError(f"no finished reply of column {col!r} at dialogue {did}, turn {tix}")
    if g.status != GenerationStatus.OK:
        raise InputError(f"reply {g.id} is {g.status}; only finished replies can be gold")
    # The queue shows each new annotator the newest finished reply of a column: an older one, replaced by a
    # regeneration, would be checked only on those who rated it before.
    newer = _newer_reply(s, g)
    if newer is not None:
        raise InputError(f"reply {g.id} was replaced by reply {newer} of the same column at that turn, which "
                         "annotators are shown now; mark that one")
    # The queue never shows a greeting, so a gold greeting would never be answered (a silent no-op).
    if (g.route or "") == GREETING_ROUTE:
        raise InputError(f"reply {g.id} is a greeting, which no model wrote and no one rates; it cannot be gold")
    return g


def _newer_reply(s: Session, g: Generation) -> int | None:
    """The id of a newer finished reply of ``g``'s column at its turn, if one replaced it."""
    return s.scalar(select(func.max(Generation.id)).where(
        Generation.dialogue_id == g.dialogue_id, Generation.turn_index == g.turn_index,
        Generation.column_name == g.column_name, Generation.status == GenerationStatus.OK, Generation.id > g.id))


def mark_gold(s: Session, admin: CurrentUser, row: Mapping[str, Any], *, tolerance: int = 0,
              note: str | None = None, rubric: Rubric | None = None) -> GoldAnswer:
    """Set (or replace) the expected answer of one reply; admins only.

    ``row`` names the reply (``generation_id``, or ``dialogue_id`` + ``turn_index`` + ``column``) and
    holds the expected values (``turn_type`` and each axis of ``rubric``; without a rubric, ``questioning``
    and ``suggestion`` on 1-5).
    """
    _require_admin(admin)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or not 0 <= tolerance <= MAX_TOLERANCE:
        raise InputError(f"tolerance must be a whole number 0-{MAX_TOLERANCE}, got {tolerance!r}")
    if note is not None and not isinstance(note, str):
        raise InputError(f"a gold note must be text, got {note!r}")
    g = _generation_for(s, row)
    # Everything but the reply's address is an answer, so a typo ("questionning") is refused, not ignored.
    answer = clean_answer({k: v for k, v in row.items() if k not in _ROW_KEYS}, rubric)
    gold = s.scalars(select(GoldAnswer).where(GoldAnswer.generation_id == g.id)).first()
    if gold is None:
        gold = GoldAnswer(generation_id=g.id)
        s.add(gold)
    gold.answer, gold.tolerance, gold.note, gold.created_by = answer, tolerance, note, admin.id
    s.flush()
    # A gold reply must be reachable through the queue even before anyone syncs it.
    try:
        with s.begin_nested():
            s.add(QueueItem(dialogue_id=g.dialogue_id, turn_index=g.turn_index))
    except IntegrityError:
        pass
    return gold


def unmark_gold(s: Session, admin: CurrentUser, generation_id: int) -> bool:
    _require_admin(admin)
    gold = s.scalars(select(GoldAnswer).where(GoldAnswer.generation_id == generation_id)).first()
    if gold is None:
        return False
    s.delete(gold)
    return True


@dataclass(frozen=True)
class GoldLine:
    """One line of a gold file: its object, or why it has none (not JSON, not an object)."""

    line: int
    row: Mapping[str, Any] | None
    error: str | None = None


def read_gold_file(path: str | Path) -> list[GoldLine]:
    """The lines of a gold JSONL file (one object a line), each with its line number. A line that is no object
    is kept with its error: :func:`import_gold` reports it with every other bad line, not alone."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"gold file {str(p)!r} does not exist")
    lines = []
    for n, line in enumerate(p.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            lines.append(GoldLine(n, None, f"not JSON ({e.msg})"))
            continue
        lines.append(GoldLine(n, row, None) if isinstance(row, dict) else GoldLine(n, None, "expected an object"))
    return lines


def import_gold(s: Session, admin: CurrentUser, rows: Iterable[Mapping[str, Any] | GoldLine], *,
                rubric: Rubric | None = None) -> int:
    """Mark every row's reply as gold, all or nothing; InputError lists every bad row: "line N" for the lines of a
    file (:func:`read_gold_file`, a line that is not JSON among them), "row N" (1-based) for rows given directly."""
    _require_admin(admin)
    errors = []
    count = 0
    # One savepoint around the whole file: all or nothing even if the caller commits after the error.
    whole = s.begin_nested()
    for n, item in enumerate(rows, 1):
        where, row = (f"line {item.line}", item.row) if isinstance(item, GoldLine) else (f"row {n}", item)
        if isinstance(item, GoldLine) and item.error:
            errors.append(f"{where}: {item.error}")
            continue
        if not isinstance(row, Mapping):
            errors.append(f"{where}: expected an object")
            continue
        try:
            with s.begin_nested():
                mark_gold(s, admin, row, tolerance=row.get("tolerance", 0), note=row.get("note"), rubric=rubric)
            count += 1
        except InputError as e:
            errors.append(f"{where}: {e}")
    if errors:
        whole.rollback()
        # one line, its rows "; "-separated as the dataset import writes them (and the page translates each)
        shown = "; ".join(errors[:20]) + (f" (+{len(errors) - 20} more)" if len(errors) > 20 else "")
        unit = "line" if any(e.startswith("line ") for e in errors) else "row"  # a file's lines, as they are listed
        raise InputError(f"{len(errors)} bad gold {unit if len(errors) == 1 else unit + 's'}, nothing imported: {shown}")
    whole.commit()
    return count


def _gold_items() -> Select[int]:
    return (select(QueueItem.id).join(Generation, (Generation.dialogue_id == QueueItem.dialogue_id)
                                      & (Generation.turn_index == QueueItem.turn_index))
            .join(GoldAnswer, GoldAnswer.generation_id == Generation.id).where(live(QueueItem.id)).distinct())


def gold_item_ids(s: Session) -> set[int]:
    """The items holding a gold reply, retired items excepted (they are offered to nobody)."""
    return set(s.scalars(_gold_items()))


def gold_items_due(s: Session, user: CurrentUser, rate: float) -> list[int]:
    """The gold items to offer the user now, best first: none while their share of gold items is at
    ``floor(rate * items taken)``, else the gold items they have not seen (so with 0.1 the 10th, 20th...
    item is gold). The queue claims one of them (:func:`workbench.annotate.queue.take_next`).

    Only items the queue itself may offer the user count or are offered (:mod:`workbench.annotate.offer`):
    never a retired item, one held for review, one from their own chats, or one they flagged once the flag
    was settled.
    """
    if rate <= 0:
        return []
    gold_ids = gold_item_ids(s)
    if not gold_ids:
        return []
    mine = set(s.scalars(select(Assignment.item_id).where(Assignment.user_id == user.id, live(Assignment.item_id))))
    if len(mine & gold_ids) >= math.floor(rate * (len(mine) + 1)):
        return []
    offered = s.scalars(_gold_items().where(QueueItem.id.not_in(mine), offerable_to(user)))
    return sorted(offered)[:_MAX_GOLD_ATTEMPTS]


def gold_accuracy(s: Session, viewer: CurrentUser) -> dict[str, GoldAccuracy]:
    """Each annotator's counted answers on gold replies (submitted, not to a retired item: see
    :mod:`workbench.annotate.counted`) compared with the expected answers.

    Admins and researchers (the quality view) may see it; the expected answers stay admin-only.
    """
    require_permission(viewer, Permission.QUALITY, "only admins and researchers can see annotators' gold accuracy")
    rows = s.execute(
        select(User.username, Rating, GoldAnswer)
        .join(Rating, Rating.user_id == User.id)
        .join(GoldAnswer, GoldAnswer.generation_id == Rating.generation_id)
        .where(counted_rating())).all()
    checked: dict[str, int] = defaultdict(int)
    correct: dict[str, int] = defaultdict(int)
    for username, rating, gold in rows:
        for question, expected in gold.answer.items():
            checked[username] += 1
            correct[username] += answer_matches(rating, question, expected, gold.tolerance)
    return {u: GoldAccuracy(u, checked[u], correct[u]) for u in sorted(checked)}


def answer_matches(rating: Rating, question: str, expected: Any, tolerance: int) -> bool:
    """Whether one rating's answer to one question equals the expected one (scores within ``tolerance``)."""
    if question == "turn_type":
        return rating.turn_type == expected
    answer = (rating.scores or {}).get(question)
    if expected == NA:
        return answer == NA
    value = score_number(answer)
    return value is not None and abs(value - int(expected)) <= tolerance


def gold_candidates(s: Session, admin: CurrentUser, dialogue_id: int) -> list[dict[str, Any]]:
    """The replies of one dialogue that could be gold, in turn then column order: finished, not the greeting,
    and the newest of their column at their turn (the one annotators are shown; a regeneration replaces it).

    What an admin reads to find a reply's generation id: no other screen shows it. ``gold`` says which already
    have an answer.
    """
    _require_admin(admin)
    if s.get(Dialogue, dialogue_id) is None:
        raise InputError(f"no dialogue {dialogue_id}")
    gold_ids = set(s.scalars(select(GoldAnswer.generation_id).join(Generation, Generation.id == GoldAnswer.generation_id)
                             .where(Generation.dialogue_id == dialogue_id)))
    rows = s.scalars(select(Generation).where(
        Generation.dialogue_id == dialogue_id, Generation.status == GenerationStatus.OK,
        (Generation.route.is_(None)) | (Generation.route != GREETING_ROUTE))
        .order_by(Generation.turn_index, Generation.column_name, Generation.id)).all()
    current = {(g.turn_index, g.column_name): g for g in rows}  # the newest wins
    return [{"generation_id": g.id, "turn_index": g.turn_index, "column": g.column_name, "reply": g.output,
             "gold": g.id in gold_ids} for g in current.values()]


def list_gold(s: Session, viewer: CurrentUser) -> list[dict[str, Any]]:
    _require_admin(viewer)
    rows = s.execute(select(GoldAnswer, Generation).join(Generation, Generation.id == GoldAnswer.generation_id)
                     .order_by(GoldAnswer.id)).all()
    return [{"generation_id": g.id, "dialogue_id": g.dialogue_id, "turn_index": g.turn_index, "column": g.column_name,
             **gold.answer, "tolerance": gold.tolerance} for gold, g in rows]
