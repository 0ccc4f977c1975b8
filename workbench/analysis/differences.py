"""Differences between columns: for each pair of columns and rubric axis, second minus first with a 95% CI.

Comparing two columns' own intervals answers the wrong question: each interval carries the spread of the
dialogues' cases and of the annotators' leniency, which both columns share when the same annotators rate
the same dialogues, so the intervals overlap even when one version is clearly better.
:func:`~workbench.analysis.scores.paired_difference_ci` (here :func:`~workbench.analysis.scores.paired_differences_ci`,
every comparison at once) takes both means from one crossed (dialogue x
annotator) bootstrap replicate, so what they share cancels.

Which ratings enter: only those of dialogues rated on that axis in *both* columns (paired). A dialogue rated
in one column only adds its case to one side, where nothing cancels it, and when the columns were rated
on different dialogues (one only on a later, harder dataset) the difference would mix the models with the
cases. The counts say what was kept: ratings on each side and the dialogues rated in both; the per-column
scores table above still counts every rating. The ratings are those the tab's filters kept (annotators,
datasets, dates, columns, turn types), as for the scores table, and a rating's dialogue comes from the
unfiltered replies, so a rating kept by its own turn type pairs by its dialogue all the same.

Multiple comparisons: each interval is 95% for its own comparison (3 columns: 3 pairs x 2 axes = 6
intervals; with no real difference anywhere, up to a quarter of such tables show one "higher" by chance).
The table's title says so rather than adjusting: the adjusted interval would depend on how many columns
happen to be selected, and a researcher with one planned comparison should filter to those two columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from workbench.analysis.defaults import N_BOOT
from workbench.analysis.frames import score_axes, validate_frame
from workbench.analysis.scores import _annotators, dialogue_clusters, paired_differences_ci

DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "first", "second", "axis", "n_first", "n_second", "n_paired_dialogues", "difference", "lo", "hi", "reading",
)
#: the reading of one interval (translated in the tab as ``compare.reading.<value>``)
HIGHER, LOWER, UNCLEAR, NO_INTERVAL = "second_higher", "first_higher", "no_clear_difference", "no_interval"
#: several paired dialogues, yet every resample gives the same difference (identical replies rated alike: walk
#: 10 saw "n/a" there with nothing to say why)
NO_SPREAD = "no_spread"


def ordered_columns(names: Sequence[object], order: Sequence[str] = ()) -> list[str]:
    """``names`` in the configured ``order``, then the others (stored but no longer configured) by name."""
    present = {str(n) for n in names if not pd.isna(n)}
    return [c for c in order if c in present] + sorted(present - set(order))


def reading(lo: float, hi: float) -> str:
    """What an interval of second minus first says: a side is higher only if the interval excludes 0."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NO_INTERVAL
    return HIGHER if lo > 0 else LOWER if hi < 0 else UNCLEAR


def column_differences(
    generations: pd.DataFrame,
    ratings: pd.DataFrame,
    column_order: Sequence[str] = (),
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
    dialogues: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per (first, second) pair of columns and axis: second minus first on the paired dialogues.

    Pairs follow ``column_order`` (see :func:`ordered_columns`): with A, B, C the rows are B - A, C - A,
    C - B. Columns are those with replies or ratings, as in :func:`~workbench.analysis.scores.column_scores`;
    a column without ratings gives its pairs counts of 0 and NaN. ``dialogues`` maps generation id to
    dialogue id (default: from ``generations``). ``difference`` is the difference of the two means over the
    ratings that entered (see the module docstring), NaN when a side has none; ``lo``/``hi`` NaN where no
    interval can be had (one paired dialogue, no variation), and the ``reading`` is then "no_interval" ("n/a"
    in the tab; not "n/a" in the CSV, which pandas would read back as missing), or "no_spread" where several
    dialogues are paired but every resample gives the same difference.
    """
    validate_frame(generations, "generations", ["column"])
    validate_frame(ratings, "ratings", ["generation_id", "column"])
    columns = ordered_columns([*generations["column"].unique(), *ratings["column"].unique()], column_order)
    clusters = dialogue_clusters(ratings, generations if dialogues is None else dialogues)
    raters = _annotators(ratings)
    # integer codes of the rating's column (-1: not a listed column) and annotator: faster to compare than text
    col = pd.Categorical(ratings["column"].astype(object), categories=columns).codes.astype(np.int64)
    axes = score_axes(ratings)
    values = {axis: pd.to_numeric(ratings[axis], errors="coerce").to_numpy(dtype=float) for axis in axes}
    n_clusters = int(clusters.max(initial=-1)) + 1
    who = np.zeros(len(ratings), dtype=np.int64) if raters is None else pd.factorize(raters, use_na_sentinel=False)[0]
    # Each (pair, axis): the ratings that enter (see the module docstring), keyed by the dialogues and
    # annotators they span: comparisons with the same key share one set of bootstrap draws (the draws are
    # most of the cost; in a study where every column is rated on the same dialogues that is one set).
    items: list[tuple[int, int, str, np.ndarray]] = []
    by_key: dict[tuple[bytes, bytes], list[int]] = {}
    for first, second in combinations(range(len(columns)), 2):
        for axis in axes:
            vals = values[axis]
            rated = np.isfinite(vals)
            paired = np.zeros(n_clusters, dtype=bool)
            paired[np.intersect1d(clusters[rated & (col == first)], clusters[rated & (col == second)])] = True
            keep = np.flatnonzero(rated & ((col == first) | (col == second)) & paired[clusters])
            key = (np.packbits(paired).tobytes(), np.unique(who[keep]).tobytes())
            by_key.setdefault(key, []).append(len(items))
            items.append((first, second, axis, keep))
    results: dict[int, tuple[float, float, float]] = {}
    for call, members in enumerate(by_key.values()):
        # A column's ratings on an axis over one key's dialogues are the same in each of its pairs: one group.
        sides: dict[tuple[int, str], np.ndarray] = {}
        pairs = []
        for i in members:
            first, second, axis, keep = items[i]
            for c in (first, second):
                if (c, axis) not in sides:
                    sides[c, axis] = keep[col[keep] == c]
            pairs.append((list(sides).index((first, axis)), list(sides).index((second, axis))))
        rows_at = np.concatenate(list(sides.values()))
        groups = np.repeat(np.arange(len(sides)), [len(r) for r in sides.values()])
        vals = np.concatenate([values[axis][r] for (_c, axis), r in sides.items()])
        found = paired_differences_ci(vals, groups, pairs, clusters[rows_at],
                                      None if raters is None else raters[rows_at], n_boot=n_boot, ci=ci,
                                      seed=seed + call)
        results.update(zip(members, found, strict=True))
    rows = []
    for i, (first, second, axis, keep) in enumerate(items):
        n_second = int((col[keep] == second).sum())
        diff, lo, hi = results[i]
        n_paired = len(np.unique(clusters[keep]))
        said = reading(lo, hi)
        if said == NO_INTERVAL and n_paired > 1 and np.isfinite(diff):
            said = NO_SPREAD
        rows.append({"first": columns[first], "second": columns[second], "axis": axis, "n_first": len(keep) - n_second,
                     "n_second": n_second, "n_paired_dialogues": n_paired,
                     "difference": diff, "lo": lo, "hi": hi, "reading": said})
    out = pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))
    return out.astype({"n_first": int, "n_second": int, "n_paired_dialogues": int,
                       "difference": float, "lo": float, "hi": float})
