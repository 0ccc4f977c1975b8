"""A :class:`workbench.scope.Scope` applied to the dashboard's frames (pandas masks).

What each field of the scope touches (a field given as ``None`` is off):

- ``annotators``: ratings and preferences. Generations and references have no annotator, so latency,
  length and CoQ curves stay computed over every stored reply.
- ``datasets``: all four frames. ``None`` inside the list selects live chats (rows whose dataset is null).
- ``date_from`` / ``date_to``: ``created_at`` of generations, ratings and preferences (inclusive). A bare
  date (``datetime.date`` or ``"YYYY-MM-DD"``) as ``date_to`` includes that whole day.
- ``columns``: generations and ratings by column. A preference is projected onto the kept columns:
  ``shown`` and ``ranking`` keep only those columns (order preserved); a "best" whose winner is outside
  the set says nothing about the kept ones and is dropped; rows left with fewer than two shown columns
  are dropped. Display slots are then positions among the kept columns.
- greetings (counted apart from every metric) follow the dataset, date and column filters.
- ``turn_types``: generations by ``turn_type_auto``; ratings by their human ``turn_type``, or, where the
  annotator left it empty, by the rated generation's ``turn_type_auto``. References and preferences have
  no turn type and are unchanged.

:func:`narrow_generations` and :func:`narrow_ratings` are the same rules for one frame each, so that tables
read outside :class:`Frames` (the machine judge's, ``workbench.judge``) mean by a filter what the dashboard does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from workbench.analysis.frames import Frames, validate_frame
from workbench.dates import DateInput, date_range
from workbench.scope import Scope
from workbench.vocab import PreferenceOutcome

DateLike = DateInput  # a pandas.Timestamp is a datetime


def _match_tz(ts: pd.Timestamp, series: pd.Series) -> pd.Timestamp:
    """Compare like with like: the store writes naive UTC; a tz-aware side is converted to match."""
    tz = getattr(series.dt, "tz", None)
    if tz is None and ts.tzinfo is not None:
        return ts.tz_convert("UTC").tz_localize(None)
    if tz is not None and ts.tzinfo is None:
        return ts.tz_localize("UTC").tz_convert(tz)
    return ts


def _date_mask(created: pd.Series, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> np.ndarray:
    """Rows created within [lo, hi] (both inclusive; None is open)."""
    when = pd.to_datetime(created, errors="coerce")
    mask = np.ones(len(when), dtype=bool)
    if lo is not None:
        mask &= (when >= _match_tz(lo, when)).to_numpy(dtype=bool, na_value=False)
    if hi is not None:
        mask &= (when <= _match_tz(hi, when)).to_numpy(dtype=bool, na_value=False)
    return mask


def _in(series: pd.Series, allowed: Iterable[object]) -> np.ndarray:
    allowed = list(allowed)
    keep_null = any(a is None for a in allowed)
    values = [a for a in allowed if a is not None]
    mask = series.isin(values).to_numpy(dtype=bool)
    if keep_null:
        mask = mask | series.isna().to_numpy(dtype=bool)
    return mask


def _project_preferences(prefs: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """Restrict each preference to ``columns`` (see module docstring); drops rows left without a contrast."""
    keep = np.zeros(len(prefs), dtype=bool)
    shown_out: list[object] = []
    ranking_out: list[object] = []
    winner_out: list[object] = []
    twins_out: list[object] = []
    twin_groups = prefs["twins"].tolist() if "twins" in prefs.columns else [()] * len(prefs)
    for i, (shown, outcome, winner, ranking, twins) in enumerate(
        zip(prefs["shown"], prefs["outcome"], prefs["winner"], prefs["ranking"], twin_groups, strict=True)
    ):
        # A group of identical replies kept in part stands as its first kept column (the one listed may be out)
        stand_in: dict[object, str] = {}
        groups_kept = []
        for g in twins if isinstance(twins, list | tuple | np.ndarray) else ():
            kept_g = tuple(c for c in g if c in columns)
            if kept_g:
                stand_in[g[0]] = kept_g[0]
            if len(kept_g) >= 2:
                groups_kept.append(kept_g)
        shown = [stand_in.get(c, c) for c in shown] if isinstance(shown, list | tuple | np.ndarray) else shown
        ranking = [stand_in.get(c, c) for c in ranking] if isinstance(ranking, list | tuple | np.ndarray) else ranking
        winner = stand_in.get(winner, winner)
        winner_out.append(winner)
        twins_out.append(tuple(groups_kept))
        kept = [c for c in (shown if isinstance(shown, list | tuple | np.ndarray) else []) if c in columns]
        rank = ranking if isinstance(ranking, list | tuple | np.ndarray) else None
        rank_kept = [c for c in rank if c in columns] if rank is not None else rank
        ok = len(kept) >= 2
        if outcome == PreferenceOutcome.BEST and winner not in columns:
            ok = False
        if outcome == PreferenceOutcome.RANKING and (rank_kept is None or len(rank_kept) < 1):
            ok = False
        keep[i] = ok
        shown_out.append(kept)
        ranking_out.append(rank_kept)
    out = prefs.copy()
    out["shown"] = pd.Series(shown_out, index=prefs.index, dtype=object)
    out["ranking"] = pd.Series(ranking_out, index=prefs.index, dtype=object)
    out["winner"] = pd.Series(winner_out, index=prefs.index, dtype=object)
    if "twins" in prefs.columns:
        out["twins"] = pd.Series(twins_out, index=prefs.index, dtype=object)
    return out[keep]


def apply_filters(
    frames: Frames,
    annotators: Iterable[str] | None = None,
    datasets: Iterable[str | None] | None = None,
    date_from: DateLike = None,
    date_to: DateLike = None,
    columns: Iterable[str] | None = None,
    turn_types: Iterable[str] | None = None,
) -> Frames:
    """:func:`apply_scope` with the scope's fields given one by one."""
    def listed(values: Iterable | None) -> tuple | None:
        return tuple(values) if values is not None else None

    return apply_scope(frames, Scope(annotators=listed(annotators), datasets=listed(datasets), date_from=date_from,
                                     date_to=date_to, columns=listed(columns), turn_types=listed(turn_types)))


def _date_bounds(scope: Scope) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    start, stop = date_range(scope.date_from, scope.date_to)  # naive UTC, inclusive; a day as ``date_to`` is whole
    return (pd.Timestamp(start) if start is not None else None, pd.Timestamp(stop) if stop is not None else None)


def _by_dataset_date_column(rows: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Rows (``dataset``, ``created_at``, ``column``) within the scope's datasets, dates and columns: what replies and
    ratings are narrowed by alike."""
    if scope.datasets is not None:
        rows = rows[_in(rows["dataset"], scope.datasets)]
    if scope.has_dates:
        rows = rows[_date_mask(rows["created_at"], *_date_bounds(scope))]
    if scope.columns is not None:
        rows = rows[_in(rows["column"], set(scope.columns))]
    return rows


def narrow_generations(gens: pd.DataFrame, scope: Scope, *, by_turn_type: bool = True) -> pd.DataFrame:
    """Replies (``dataset``, ``column``, ``turn_type_auto``, ``created_at``) within ``scope``: dataset, dates,
    column and, with ``by_turn_type``, the classifier's turn type. Annotators do not narrow replies."""
    gens = _by_dataset_date_column(gens, scope)
    if by_turn_type and scope.turn_types is not None:
        gens = gens[_in(gens["turn_type_auto"], scope.turn_types)]
    return gens


def narrow_ratings(rats: pd.DataFrame, scope: Scope, turn_type_auto: pd.Series) -> pd.DataFrame:
    """Ratings (``generation_id``, ``annotator``, ``dataset``, ``column``, ``turn_type``, ``created_at``) within
    ``scope``; ``turn_type_auto`` maps a generation id to the classifier's turn type, which stands for the
    human's where the annotator left it empty."""
    if scope.annotators is not None:
        rats = rats[_in(rats["annotator"], scope.annotators)]
    rats = _by_dataset_date_column(rats, scope)
    if scope.turn_types is not None:
        human = rats["turn_type"]
        has_label = human.notna() & (human.astype(object) != "")
        label = human.where(has_label, rats["generation_id"].map(turn_type_auto))
        rats = rats[_in(label, scope.turn_types)]
    return rats


def apply_scope(frames: Frames, scope: Scope | None) -> Frames:
    """Return new :class:`Frames` narrowed to ``scope`` (semantics in the module docstring)."""
    gens, rats, prefs, refs = frames.generations, frames.ratings, frames.preferences, frames.references
    validate_frame(
        gens, "generations", ["generation_id", "dataset", "column", "turn_type_auto", "created_at"]
    )
    validate_frame(
        rats, "ratings", ["generation_id", "annotator", "dataset", "column", "turn_type", "created_at"]
    )
    validate_frame(
        prefs, "preferences", ["annotator", "shown", "outcome", "winner", "ranking", "dataset", "created_at"]
    )
    validate_frame(refs, "references", ["dataset"])

    if scope is None:
        return frames
    # a rating left without a human turn type takes its reply's, from the unfiltered replies
    auto = frames.generations.drop_duplicates("generation_id").set_index("generation_id")["turn_type_auto"]
    rats = narrow_ratings(rats, scope, auto)
    gens = narrow_generations(gens, scope)
    greets = narrow_generations(frames.greetings, scope, by_turn_type=False)
    if scope.annotators is not None:
        prefs = prefs[_in(prefs["annotator"], scope.annotators)]
    if scope.datasets is not None:
        prefs, refs = prefs[_in(prefs["dataset"], scope.datasets)], refs[_in(refs["dataset"], scope.datasets)]
    if scope.has_dates:
        prefs = prefs[_date_mask(prefs["created_at"], *_date_bounds(scope))]
    if scope.columns is not None:
        prefs = _project_preferences(prefs, set(scope.columns))
    return replace(frames, generations=gens, ratings=rats, preferences=prefs, references=refs, greetings=greets)
