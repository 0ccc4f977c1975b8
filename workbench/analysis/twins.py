"""Byte-identical replies at one position ("twins"): one reply to an annotator, several rows to the store.

Two columns can write the same text at the same turn (the demo's BianQue-1.0 and the hybrid's v1 route do). The
Rate tab shows such replies as one box ("Reply A=C") and stores the one answer for each copy, but a preference
lists only the group's first copy in ``shown``. Read naively, the hidden copy then loses every comparison it was
never shown in, sits in a display slot it never had, and counts twice in agreement. The exports pool them already
(:func:`workbench.export.selection.pool_identical`); these helpers give the analysis the same reading:

- :func:`text_groups`: each reply's group (the smallest generation id of the identical ones at its position);
- :func:`twin_columns`: a preference's groups of columns, first the one it lists, for
  :mod:`workbench.analysis.preference` to credit a judgement to every member;
- :func:`one_rating_per_text`: an annotator's answers to identical replies as one unit (agreement).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from workbench.analysis.frames import validate_frame


def text_groups(rows: Iterable[tuple[int, int, int, str | None, str | None]]) -> dict[int, int]:
    """``{generation_id: group id}`` from (generation_id, dialogue_id, turn_index, output, status) rows: the
    group is the smallest id of the ``ok`` replies with the same text (surrounding spaces ignored) at the same
    position. Replies that are not ``ok`` or have no text are their own group."""
    first: dict[tuple[int, int, str], int] = {}
    out: dict[int, int] = {}
    for gid, dialogue_id, turn_index, output, status in sorted(rows, key=lambda r: int(r[0])):
        text = (output or "").strip()
        if status != "ok" or not text:
            out[int(gid)] = int(gid)
            continue
        key = (int(dialogue_id), int(turn_index), text)
        out[int(gid)] = first.setdefault(key, int(gid))
    return out


def twin_columns(shown: Sequence[int], position_ids: Iterable[int], groups: Mapping[int, int],
                 column_of: Mapping[int, str]) -> tuple[tuple[str, ...], ...]:
    """The groups of identical replies among a preference's ``shown`` generations: for each shown reply with a
    twin among ``position_ids`` (the replies the annotator answered at the position), its column first, then the
    twins' columns (not shown themselves, nor columns that are)."""
    shown_set = {int(g) for g in shown}
    shown_columns = {column_of.get(int(g)) for g in shown}
    out = []
    for g in shown:
        twins = [column_of[int(o)] for o in sorted(set(position_ids))
                 if int(o) not in shown_set and int(o) in column_of and column_of[int(o)] not in shown_columns
                 and groups.get(int(o)) == groups.get(int(g))]
        if twins and int(g) in column_of:
            out.append((column_of[int(g)], *twins))
    return tuple(out)


def one_rating_per_text(ratings: pd.DataFrame, generations: pd.DataFrame) -> pd.DataFrame:
    """``ratings`` with each annotator's answers to identical replies at one position kept once (the first), their
    ``generation_id`` the group's: the copies are one judgement, not several agreeing ones."""
    validate_frame(ratings, "ratings", ["generation_id", "annotator"])
    if ratings.empty or generations.empty:
        return ratings
    rows = generations[["generation_id", "dialogue_id", "turn_index", "output", "status"]].itertuples(index=False)
    groups = text_groups(rows)
    if all(k == v for k, v in groups.items()):
        return ratings
    out = ratings.copy()
    out["generation_id"] = [groups.get(int(g), int(g)) for g in out["generation_id"]]
    return out[~out.duplicated(["generation_id", "annotator"], keep="first")]
