"""A column's thread as of a turn: the one reader of "what this column saw before position t".

Every place that shows or feeds a column's history reads it here: the next live reply's input (chat),
the threads shown in Chat, a branch's copied history, a rating item's per-reply history, the judge and
the export's histories.

A thread is the dialogue's shared turns before the position, plus, at positions with no shared turn (a
live session stores only patient turns; each column fills the doctor positions with its own replies),
that column's latest finished (``ok`` or ``stopped``) reply. A shared turn always wins over a reply at
its position (a dataset's gold turn, a branch's copied reply). ``as_of`` reads the thread as it was when
a given generation was written: only replies with a lower generation id count (what the export needs,
so that a regenerated earlier reply does not rewrite a later reply's history).

Reads take a fixed number of queries whatever the number of requests; equal threads share one object.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from workbench.dialogue import Dialogue as DialogueValue
from workbench.dialogue import Role
from workbench.dialogue import Turn as TurnValue
from workbench.store.schema import Generation
from workbench.store.schema import Turn as TurnRow
from workbench.vocab import FINAL_STATUSES, GenerationStatus

_IN_CHUNK = 500  # dialogue ids per IN list: well under every database's parameter limit


@dataclass(frozen=True)
class ThreadRequest:
    """Which thread to read. ``column=None`` reads the shared turns only."""

    dialogue_id: int
    column: str | None
    before: int | None = None  # positions < before; None: the whole dialogue
    as_of: int | None = None  # only replies with a lower generation id; None: the latest ones


@dataclass(frozen=True)
class Thread:
    """The turns of a thread, and for each the status of the generation it comes from (None: none)."""

    turns: tuple[TurnValue, ...]
    statuses: tuple[GenerationStatus | None, ...]

    @property
    def dialogue(self) -> DialogueValue:
        return DialogueValue(self.turns)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((t.role, t.text) for t in self.turns)


_Own = dict[int, tuple[list[int], list[TurnValue], list[GenerationStatus]]]  # position -> ids, turns, statuses


def read_threads(
    s: Session | Connection, requests: Iterable[ThreadRequest], *, dialogue_scope: Select[Any] | None = None
) -> dict[ThreadRequest, Thread]:
    """Every requested thread, in two queries per 500 dialogues (or two in all with ``dialogue_scope``,
    a select of the dialogue ids the requests may name)."""
    reqs = list(dict.fromkeys(requests))
    if not reqs:
        return {}
    if dialogue_scope is not None:
        scopes: list[Any] = [dialogue_scope]
    else:
        ids = sorted({r.dialogue_id for r in reqs})
        scopes = [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]
    columns = sorted({r.column for r in reqs if r.column is not None})
    shared: dict[int, list[tuple[int, TurnValue, GenerationStatus | None]]] = defaultdict(list)
    own: dict[tuple[int, str], _Own] = defaultdict(dict)
    is_shared = exists().where(TurnRow.dialogue_id == Generation.dialogue_id, TurnRow.idx == Generation.turn_index)
    for scope in scopes:
        for did, idx, role, text, status in s.execute(
            select(TurnRow.dialogue_id, TurnRow.idx, TurnRow.role, TurnRow.text, Generation.status)
            .outerjoin(Generation, Generation.id == TurnRow.generation_id)
            .where(TurnRow.dialogue_id.in_(scope)).order_by(TurnRow.dialogue_id, TurnRow.idx)
        ):
            shared[did].append((idx, TurnValue(cast(Role, role), text), status))  # Turn rejects unknown roles
        if not columns:
            continue
        for gid, did, pos, col, text, status in s.execute(
            select(Generation.id, Generation.dialogue_id, Generation.turn_index, Generation.column_name,
                   Generation.output, Generation.status)
            .where(Generation.dialogue_id.in_(scope), Generation.column_name.in_(columns),
                   Generation.status.in_(FINAL_STATUSES), ~is_shared)
            .order_by(Generation.id)
        ):
            gids, turns, statuses = own[(did, col)].setdefault(pos, ([], [], []))
            gids.append(gid)
            turns.append(TurnValue("doctor", text or ""))
            statuses.append(status)
    interned: dict[tuple, Thread] = {}
    out: dict[ThreadRequest, Thread] = {}
    no_own: _Own = {}
    for r in reqs:
        picks: list[tuple[int, int, TurnValue, GenerationStatus]] = []  # (position, generation id, turn, status)
        if r.column is not None:
            for pos, (gids, turns, statuses) in own.get((r.dialogue_id, r.column), no_own).items():
                if r.before is None or pos < r.before:
                    k = len(gids) - 1 if r.as_of is None else bisect_left(gids, r.as_of) - 1
                    if k >= 0:
                        picks.append((pos, gids[k], turns[k], statuses[k]))
        key = (r.dialogue_id, r.before, tuple(sorted(p[1] for p in picks)))
        thread = interned.get(key)
        if thread is None:
            merged = {idx: (turn, status) for idx, turn, status in shared.get(r.dialogue_id, ())
                      if r.before is None or idx < r.before}
            for pos, _gid, turn, status in picks:
                merged.setdefault(pos, (turn, status))
            ordered = [merged[i] for i in sorted(merged)]
            thread = interned[key] = Thread(tuple(t for t, _ in ordered), tuple(st for _, st in ordered))
        out[r] = thread
    return out


def read_thread(s: Session | Connection, request: ThreadRequest) -> Thread:
    return read_threads(s, [request])[request]


def column_thread(s: Session | Connection, dialogue_id: int, column: str, before: int | None = None) -> DialogueValue:
    """The dialogue as a column sees it: shared turns plus its own latest replies (positions < ``before``)."""
    return read_thread(s, ThreadRequest(dialogue_id, column, before)).dialogue


def columns_threads(s: Session | Connection, dialogue_id: int, columns: Sequence[str],
                    before: int | None = None) -> dict[str, Thread]:
    """Each column's thread of one dialogue (two queries for all of them)."""
    got = read_threads(s, [ThreadRequest(dialogue_id, c, before) for c in columns])
    return {c: got[ThreadRequest(dialogue_id, c, before)] for c in columns}
