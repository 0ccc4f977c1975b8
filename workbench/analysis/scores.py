"""Per-column score table with percentile-bootstrap confidence intervals.

Clustering: the score CIs resample whole *dialogues*. The ratings of one reply are not independent draws
(several annotators, one reply), and neither are the replies of one dialogue (one patient, one case: an
easy or hard dialogue lifts or lowers every reply in it). Resampling replies alone gave nominal 95%
intervals that covered the truth ~69% of the time when dialogues differ (``bench/score_ci_coverage.py``).
Annotators are the second source: a lenient or strict rater shifts every score they give, and a study has
few of them, so resampling dialogues alone covered 29% when annotators' biases differ (sd 0.5, 6
annotators). Where the ratings name several annotators the CIs resample dialogues and annotators
independently, crossed (:func:`crossed_bootstrap_mean_ci`): 94% there, 94% with dialogue effects as well
(dialogues alone: 68%). It costs width: a rating's own noise is counted on both sides, so with no
annotator bias the interval is ~40% wider than needed (coverage 0.99). With one annotator it is the
dialogue bootstrap, draw for draw. A difference between two columns rated by the same annotators
(:func:`paired_difference_ci`) takes both columns' means from one replicate, so their bias cancels there.

Degenerate intervals: with one value (or one dialogue), or no variation between the resampled units, every
resample gives the same mean and the percentile interval collapses to a point, which reads as certainty.
Those intervals are NaN ("n/a"): the data say nothing about the spread. A 0/1 share uses
:func:`proportion_ci` (Wilson) instead, which stays honest at 6 of 6.

Speed: resampling n values with replacement and taking the mean only depends on how many times each
*distinct* value was drawn, and those counts follow a multinomial law. Scores take a handful of distinct
values, so drawing ``n_boot`` multinomial count vectors over the distinct values gives exactly the
bootstrap distribution of the mean at a cost independent of n. The same trick serves the cluster
bootstrap (resampling generations, each carrying the sum and count of its ratings). The crossed bootstrap
sums ratings per (dialogue, annotator) cell once; a replicate is then two count vectors (how often each
dialogue and each annotator was drawn) and a matrix product, for a block of replicates at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workbench.analysis.defaults import N_BOOT
from workbench.analysis.frames import FIRST_SLOT, SCORE_AXES, score_axes, validate_frame
from workbench.errors import InputError
from workbench.vocab import GenerationStatus

Stat = Callable[..., float]

# Beyond this many distinct patterns a multinomial draw costs as much as plain index resampling.
_MAX_PATTERNS = 5000
# Elements per chunk of index resampling, to bound memory (8 bytes each).
_CHUNK_ELEMENTS = 4_000_000
# Weight-matrix elements per chunk of crossed replicates: small enough to stay in cache, which measured
# about twice as fast as one 2000-replicate block (fresh memory for each block is slow to fill).
_CROSSED_CHUNK = 1 << 15


def _check_ci(ci: float, n_boot: int) -> None:
    if not 0.0 < ci < 1.0:
        raise InputError(f"ci must be in (0, 1), got {ci}")
    if n_boot < 1:
        raise InputError(f"n_boot must be positive, got {n_boot}")


def _percentiles(boot: np.ndarray, ci: float) -> tuple[float, float]:
    alpha = (1.0 - ci) / 2.0
    lo, hi = np.quantile(boot, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _pattern_counts(n: int, weights: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, k) multinomial counts: how often each pattern is drawn in n draws with replacement."""
    p = weights / weights.sum()
    return rng.multinomial(n, p, size=n_boot)


def _no_spread(x: np.ndarray) -> bool:
    """True when every value is the same (up to float rounding): every resample then has one mean."""
    return bool(np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())))


def proportion_ci(successes: int, n: int, ci: float = 0.95) -> tuple[float, float, float]:
    """A 0/1 share with its Wilson score interval: ``(share, lo, hi)``; NaNs when ``n`` is 0.

    Unlike a bootstrap it gives 6 of 6 the interval [0.61, 1] rather than [1, 1]; the CoQ table uses the same.
    """
    from workbench.analysis.coq import wilson_interval

    _check_ci(ci, 1)
    if n <= 0:
        return (float("nan"),) * 3
    lo, hi = wilson_interval(np.array([successes]), np.array([n]), ci)
    # the ends are exact at 0 and n (the formula leaves float dust there)
    return successes / n, 0.0 if successes <= 0 else float(lo[0]), 1.0 if successes >= n else float(hi[0])


def bootstrap_ci(
    values: np.ndarray | pd.Series | list[float],
    stat: Stat = np.mean,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap: ``(stat(values), lo, hi)``. NaNs are dropped; empty input gives NaNs.

    One value, or values all equal, give the estimate with NaN bounds: no interval, not a zero-width one.

    ``stat`` must be a numpy-style reduction accepting ``axis=`` (``np.mean``, ``np.median``...). The mean
    (``np.mean``/``np.nanmean``) uses the exact multinomial shortcut described in the module docstring.
    """
    _check_ci(ci, n_boot)
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (float("nan"),) * 3
    estimate = float(stat(x))
    if n == 1 or _no_spread(x):
        return estimate, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    if stat is np.mean or stat is np.nanmean:
        uniq, counts = np.unique(x, return_counts=True)
        if uniq.size <= _MAX_PATTERNS:
            draws = _pattern_counts(n, counts.astype(float), n_boot, rng)
            boot = draws @ uniq / n
            return (estimate, *_percentiles(boot, ci))
    chunk = max(1, _CHUNK_ELEMENTS // n)
    parts = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(size, n))
        parts.append(np.asarray(stat(x[idx], axis=1), dtype=float))
    boot = np.concatenate(parts)
    return (estimate, *_percentiles(boot, ci))


def _cluster_sums(values: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sum and count of the non-NaN values (clusters without a value are dropped)."""
    keep = ~np.isnan(values)
    codes, _ = pd.factorize(clusters[keep], use_na_sentinel=False)
    sums = np.bincount(codes, weights=values[keep])
    counts = np.bincount(codes).astype(float)
    return sums, counts


def _cluster_ci(
    sums: np.ndarray, counts: np.ndarray, n_boot: int, ci: float, seed: int
) -> tuple[float, float, float]:
    if sums.size == 0:
        return (float("nan"),) * 3
    estimate = float(sums.sum() / counts.sum())
    n_clusters = sums.size
    if n_clusters == 1 or _no_spread(sums / counts):
        return estimate, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    patterns = pd.DataFrame({"s": sums, "c": counts}).value_counts(sort=False)
    if len(patterns) <= _MAX_PATTERNS:
        p_sums = patterns.index.get_level_values("s").to_numpy(dtype=float)
        p_cnts = patterns.index.get_level_values("c").to_numpy(dtype=float)
        draws = _pattern_counts(n_clusters, patterns.to_numpy(dtype=float), n_boot, rng)
        boot = (draws @ p_sums) / (draws @ p_cnts)
    else:
        chunk = max(1, _CHUNK_ELEMENTS // n_clusters)
        parts = []
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            idx = rng.integers(0, n_clusters, size=(size, n_clusters))
            parts.append(sums[idx].sum(axis=1) / counts[idx].sum(axis=1))
        boot = np.concatenate(parts)
    return (estimate, *_percentiles(boot, ci))


def cluster_bootstrap_mean_ci(
    values: np.ndarray | pd.Series,
    clusters: np.ndarray | pd.Series,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean of ``values`` with a percentile CI from resampling whole clusters (e.g. dialogues).

    Several annotators rating one reply, or the replies of one dialogue, are not independent draws;
    resampling whole clusters keeps them together. Each replicate's estimate is sum(values)/count(values)
    over the drawn clusters, so with one value per cluster this is exactly :func:`bootstrap_ci` of the
    mean. NaN values are dropped. One cluster, or clusters whose means are all equal, give NaN bounds.
    """
    _check_ci(ci, n_boot)
    v = np.asarray(values, dtype=float).ravel()
    g = np.asarray(clusters).ravel()
    if v.size != g.size:
        raise InputError(f"values ({v.size}) and clusters ({g.size}) differ in length")
    sums, counts = _cluster_sums(v, g)
    return _cluster_ci(sums, counts, n_boot, ci, seed)


def _codes(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes 0..k-1 of ``labels``; a missing label (None/NaN) is a unit of its own."""
    codes, uniq = pd.factorize(labels)
    lone = codes < 0
    if lone.any():
        codes[lone] = len(uniq) + np.arange(int(lone.sum()))
    return codes, len(uniq) + int(lone.sum())


def _subset_codes(codes: tuple[np.ndarray, int], mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The codes of the units left in ``mask``, renumbered 0..k'-1 (as :func:`_codes` of that subset gives)."""
    c, k = codes
    present = np.bincount(c[mask], minlength=k) > 0
    return (np.cumsum(present) - 1)[c[mask]], int(present.sum())


def _multinomial_weights(n_units: int, size: int, rng: np.random.Generator, n_draws: int | None = None) -> np.ndarray:
    """(size, n_units) float counts: how often each unit is drawn in ``n_draws`` (default n_units) draws
    with replacement."""
    # int32 (the caller keeps size * n_units within _CROSSED_CHUNK): less memory to fill than int64
    idx = rng.integers(0, n_units, size=(size, n_units if n_draws is None else n_draws), dtype=np.int32)
    idx += n_units * np.arange(size, dtype=np.int32)[:, None]  # row offsets: one bincount counts every row at once
    return np.bincount(idx.ravel(), minlength=size * n_units).reshape(size, n_units).astype(float)


Codes = tuple[np.ndarray, int]  # integer codes 0..k-1 of each rating's unit, and k (see _codes)


def _crossed_replicates(
    values: np.ndarray, dialogues: Codes, annotators: Codes, groups: np.ndarray, n_groups: int,
    n_boot: int, rng: np.random.Generator,
) -> np.ndarray:
    """(n_boot, n_groups) replicate means of a two-way (dialogue x annotator) bootstrap.

    Each replicate draws dialogues and annotators independently with replacement; a rating weighs the
    multiplicity of its dialogue times that of its annotator (Owen's pigeonhole bootstrap). The groups
    (e.g. two columns) share the replicate's draws, so a bias an annotator brings to every group cancels
    in their difference. Ratings are summed per (dialogue, annotator, group) cell first, so one replicate
    costs a (dialogues x cells) product, not a pass over the ratings. A replicate that draws no rating
    of a group (its dialogues and annotators never met) is NaN there.

    Annotators are drawn ``n_a - 1`` times, not ``n_a``: the variance of a mean of m draws from n values is
    (n - 1) / (n m) times theirs, unbiased at m = n - 1. With 6 annotators the usual n draws leave it
    short by a sixth; the n - 1 draws raised coverage from 0.86 to 0.89 (bench, annotator bias only).
    Dialogues are many (the factor is near 1) and keep n draws, as the dialogue-only bootstrap.
    """
    (d, n_d), (a, n_a) = dialogues, annotators
    n_cells = n_a * n_groups
    col = groups * n_a + a  # cell column: group block, then annotator
    # [sums | counts] per dialogue row and (group, annotator) column; dense while small, else sparse.
    from scipy import sparse

    rows = np.concatenate([d, d])
    cols = np.concatenate([col, n_cells + col])
    data = np.concatenate([values, np.ones_like(values)])
    cells = sparse.csr_array((data, (rows, cols)), shape=(n_d, 2 * n_cells))
    dense = n_d * 2 * n_cells <= _CHUNK_ELEMENTS
    table = cells.toarray() if dense else cells.T.tocsr()
    chunk = max(1, _CROSSED_CHUNK // max(n_d, 2 * n_cells))
    out = np.empty((n_boot, n_groups))
    # One BLAS thread: the products are cache-sized, and OpenBLAS's spinning workers fight whatever else runs
    # (a model generating, another request). At load 2.4 on 2 cores the 100k-rating dashboard took 6.8 s with
    # two threads, 1.3 s with one (bench/stats_scale.py).
    with threadpool_limits(limits=1, user_api="blas"):
        _fill_crossed(out, table, dense, chunk, n_d, n_a, n_groups, rng)
    return out


def _fill_crossed(out: np.ndarray, table, dense: bool, chunk: int, n_d: int, n_a: int, n_groups: int,
                  rng: np.random.Generator) -> None:
    n_boot = out.shape[0]
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        w_d = _multinomial_weights(n_d, size, rng)
        w_a = _multinomial_weights(n_a, size, rng, max(1, n_a - 1))  # one annotator: weight 1, by dialogue
        drawn = w_d @ table if dense else (table @ w_d.T).T  # (size, 2 * n_cells): per-cell sums, counts
        per_cell = drawn.reshape(size, 2, n_groups, n_a) * w_a[:, None, None, :]
        sums, counts = per_cell.sum(axis=3).transpose(1, 0, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + size] = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)


def _finite_percentiles(boot: np.ndarray, ci: float) -> tuple[float, float]:
    """Percentiles over the replicates that had data; NaN when fewer than half did (no honest interval)."""
    ok = boot[np.isfinite(boot)]
    if ok.size < max(2, boot.size // 2):
        return float("nan"), float("nan")
    return _percentiles(ok, ci)


def _expansion(influence: np.ndarray, dialogues: Codes, annotators: Codes, ci: float) -> float:
    """How much to widen a crossed percentile interval around its estimate: t(nu) / z.

    A percentile interval is as wide as a normal one; a mean over 6 annotators' biases needs Student's t
    with 5 degrees of freedom, 31% wider (Hesterberg's "expanded percentile" interval, here with two
    sources). Each factor's share of the variance is its linearised cluster variance (``influence``: the
    rating's share of the estimate's deviation, summed per dialogue and per annotator), and nu the
    Welch-Satterthwaite combination of (dialogues - 1) and (annotators - 1). With many annotators, or
    annotators who agree, nu is large and the factor near 1.04; in the bench (annotator bias only) it
    brought coverage at 6 annotators from 0.89 to 0.94, at 3 annotators to 0.96.
    """
    from scipy import stats

    parts = []
    for codes, k in (dialogues, annotators):
        if k > 1:
            u = np.bincount(codes, weights=influence, minlength=k)
            parts.append((k / (k - 1) * float(np.sum(u**2)), k - 1))
    total = sum(v for v, _ in parts)
    denom = sum(v**2 / df for v, df in parts)
    if total <= 0 or denom <= 0:
        return 1.0
    nu = total**2 / denom
    q = 0.5 + ci / 2.0
    return float(stats.t.ppf(q, nu) / stats.norm.ppf(q))


def _expanded(estimate: float, lo: float, hi: float, factor: float) -> tuple[float, float]:
    return estimate - factor * (estimate - lo), estimate + factor * (hi - estimate)


def _crossed_inputs(
    values: np.ndarray | pd.Series, dialogues: np.ndarray | pd.Series, annotators: np.ndarray | pd.Series | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    v = np.asarray(values, dtype=float).ravel()
    g = np.asarray(dialogues).ravel()
    if v.size != g.size:
        raise InputError(f"values ({v.size}) and dialogues ({g.size}) differ in length")
    if annotators is None:
        return v, g, None
    a = np.asarray(annotators, dtype=object).ravel()
    if a.size != v.size:
        raise InputError(f"values ({v.size}) and annotators ({a.size}) differ in length")
    return v, g, a


def crossed_bootstrap_mean_ci(
    values: np.ndarray | pd.Series,
    dialogues: np.ndarray | pd.Series,
    annotators: np.ndarray | pd.Series | None,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean of ``values`` with a percentile CI that resamples dialogues *and* annotators (crossed).

    An annotator's leniency lifts every score they give: with few annotators it is as much a source of
    error as the choice of dialogues, and a dialogue-only bootstrap, blind to it, covered a 95% truth
    29% of the time (``bench/score_ci_coverage.py``). With one annotator (or ``annotators`` None) there
    is nothing to resample on that side and this *is* :func:`cluster_bootstrap_mean_ci` by dialogue, the
    same draws. With several, the percentile interval is widened for the few annotators (see
    :func:`_expansion`). One dialogue, or values all equal, give NaN bounds.
    """
    _check_ci(ci, n_boot)
    v, g, a = _crossed_inputs(values, dialogues, annotators)
    keep = ~np.isnan(v)
    who = None if a is None else _codes(a[keep])
    if who is None or who[1] <= 1:
        return cluster_bootstrap_mean_ci(v, g, n_boot=n_boot, ci=ci, seed=seed)
    v = v[keep]
    where = _codes(g[keep])
    estimate = float(v.mean())
    if where[1] <= 1 or _no_spread(v):
        return estimate, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot = _crossed_replicates(v, where, who, np.zeros(v.size, dtype=np.int64), 1, n_boot, rng)[:, 0]
    widen = _expansion((v - estimate) / v.size, where, who, ci)
    lo, hi = _expanded(estimate, *_finite_percentiles(boot, ci), widen)
    # a mean cannot leave the range of its values (the widening could push it past a 1-5 scale's end)
    return estimate, max(lo, float(v.min())), min(hi, float(v.max()))


def paired_difference_ci(
    values: np.ndarray | pd.Series,
    second: np.ndarray | pd.Series,
    dialogues: np.ndarray | pd.Series,
    annotators: np.ndarray | pd.Series | None = None,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean of the ``second`` ratings minus mean of the others (e.g. column B minus column A), with a CI.

    Both means are taken in the same replicate (same dialogues, same annotators drawn), so what the two
    columns share -- the case of a dialogue, an annotator rating both -- cancels in the difference instead
    of widening it. ``annotators`` None (or one annotator) resamples dialogues only. NaN bounds when a
    side is empty, there is one dialogue, or no replicate differs.
    """
    s = np.asarray(second, dtype=bool).ravel()
    return paired_differences_ci(values, s.astype(np.int64), [(0, 1)], dialogues, annotators, n_boot=n_boot,
                                 ci=ci, seed=seed)[0]


def paired_differences_ci(
    values: np.ndarray | pd.Series,
    groups: np.ndarray | pd.Series,
    pairs: list[tuple[int, int]],
    dialogues: np.ndarray | pd.Series,
    annotators: np.ndarray | pd.Series | None = None,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
) -> list[tuple[float, float, float]]:
    """:func:`paired_difference_ci` for several pairs of groups (integer codes, e.g. columns) at once:
    for each ``(first, second)`` the mean of group ``second`` minus that of ``first``, with its CI.

    Every pair's means come from the same replicates, drawn once over all the dialogues and annotators
    given (the draws cost more than the sums): pass together only pairs rated on the same dialogues by the
    same annotators, for which this is exactly the one-pair interval on other draws. A rating belongs to
    one group; a rating that two pairs use goes in twice, once in a group of each.
    """
    _check_ci(ci, n_boot)
    v, g, a = _crossed_inputs(values, dialogues, annotators)
    grp = np.asarray(groups, dtype=np.int64).ravel()
    if grp.size != v.size:
        raise InputError(f"values ({v.size}) and groups ({grp.size}) differ in length")
    keep = ~np.isnan(v)
    v, grp, g = v[keep], grp[keep], g[keep]
    a = None if a is None else a[keep]
    where = _codes(g)
    who = (np.zeros(v.size, dtype=np.int64), 1) if a is None else _codes(a)
    n_groups = int(max([grp.max(initial=-1) + 1, *(max(p) + 1 for p in pairs)]))
    n = np.bincount(grp, minlength=n_groups)
    means = np.bincount(grp, weights=v, minlength=n_groups) / np.where(n > 0, n, 1)
    out: list[tuple[float, float, float]] = [(float("nan"),) * 3] * len(pairs)
    live = []
    for i, (f, s) in enumerate(pairs):
        if n[f] and n[s]:
            out[i] = (float(means[s] - means[f]), float("nan"), float("nan"))
            live.append(i)
    if where[1] <= 1 or not live:
        return out
    rng = np.random.default_rng(seed)
    boots = _crossed_replicates(v, where, who, grp, n_groups, n_boot, rng)
    for i in live:
        f, s = pairs[i]
        estimate = out[i][0]
        boot = boots[:, s] - boots[:, f]
        finite = boot[np.isfinite(boot)]
        if not finite.size or _no_spread(finite):
            continue
        lo, hi = _finite_percentiles(boot, ci)
        if who[1] <= 1:  # dialogues only: the plain percentile interval, as the dialogue bootstrap
            out[i] = (estimate, lo, hi)
            continue
        # the rating's share of the difference: + for the second group's, - for the first's; 0 for the others
        mine = (grp == s) | (grp == f)
        sv, sg = v[mine], grp[mine] == s
        influence = np.where(sg, (sv - means[s]) / n[s], -(sv - means[f]) / n[f])
        factor = _expansion(influence, _subset_codes(where, mine), _subset_codes(who, mine), ci)
        out[i] = (estimate, *_expanded(estimate, lo, hi, factor))
    return out


def dialogue_clusters(ratings: pd.DataFrame, dialogues: pd.Series | pd.DataFrame | None) -> np.ndarray:
    """The resampling unit of each rating: the dialogue of the rated reply (integer codes).

    ``dialogues`` maps generation id to dialogue id: a Series indexed by generation id, or a generations
    frame (``generation_id``, ``dialogue_id``). A reply whose dialogue is not known is a cluster of its own.
    """
    gids = ratings["generation_id"].to_numpy()
    if isinstance(dialogues, pd.DataFrame):
        have = {"generation_id", "dialogue_id"} <= set(dialogues.columns)
        dialogues = (dialogues.drop_duplicates("generation_id").set_index("generation_id")["dialogue_id"]
                     if have else None)
    did = (pd.Series(gids).map(dialogues) if dialogues is not None and len(dialogues)
           else pd.Series([np.nan] * len(gids), dtype=object))
    known = did.notna().to_numpy()
    codes = np.empty(len(gids), dtype=np.int64)
    d_codes, d_uniq = pd.factorize(did[known], use_na_sentinel=False)
    codes[known] = d_codes
    g_codes, _ = pd.factorize(pd.Series(gids[~known]), use_na_sentinel=False)
    codes[~known] = len(d_uniq) + g_codes
    return codes


def _annotators(ratings: pd.DataFrame) -> np.ndarray | None:
    """Each rating's annotator, the second resampling unit of the score CIs; None when the frame has none."""
    return ratings["annotator"].to_numpy(dtype=object) if "annotator" in ratings.columns else None


FINISHED_STATUSES = (GenerationStatus.OK, GenerationStatus.ERROR, GenerationStatus.STOPPED)
SCORE_TABLE_COLUMNS: tuple[str, ...] = (
    "column",
    "n_generations",
    "error_rate",
    "stopped_rate",
    "n_ratings",
    "n_questioning",
    "questioning_mean",
    "questioning_lo",
    "questioning_hi",
    "n_suggestion",
    "suggestion_mean",
    "suggestion_lo",
    "suggestion_hi",
    "safety_flag_rate",
    "length_mean",
    "latency_mean_ms",
    "latency_median_ms",
)


def column_scores(
    generations: pd.DataFrame,
    ratings: pd.DataFrame,
    n_boot: int = N_BOOT,
    ci: float = 0.95,
    seed: int = 0,
    dialogues: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per column: mean score per axis with bootstrap CIs, counts, safety-flag rate,
    reply length and latency.

    The axes are the ratings frame's (:func:`score_axes`): a further rubric axis gets its ``n_``, mean,
    ``_lo`` and ``_hi`` columns after the contract's two axes.

    Scores: mean over ratings (NaN = not applicable is skipped), CI from a bootstrap that resamples
    dialogues and, where the frame names several annotators, annotators too (see
    :func:`crossed_bootstrap_mean_ci`; ``dialogues`` maps generation id to dialogue id, by default from
    ``generations``; see :func:`dialogue_clusters`). NaN bounds where no interval can be had. Length and
    latency: over generations with
    status "ok" (an error's latency says nothing about the model's speed). ``error_rate``: share of
    finished generations (ok, error or stopped) that failed with a model error; ``stopped_rate``: share a
    user stopped, which is no fault of the model. Generations still running count in neither.
    """
    validate_frame(generations, "generations", ["column", "status", "latency_ms", "length_chars"])
    validate_frame(ratings, "ratings", ["generation_id", "column", "safety_flag", *SCORE_AXES])
    gen_cols = generations["column"].dropna().unique().tolist()
    rat_cols = ratings["column"].dropna().unique().tolist()
    columns = sorted(set(gen_cols) | set(rat_cols), key=str)
    axes = score_axes(ratings)
    rows = []
    gen_groups = dict(tuple(generations.groupby("column", sort=False))) if len(generations) else {}
    rat_pos = ratings.groupby("column", sort=False).indices if len(ratings) else {}
    rat_groups = {c: ratings.iloc[pos] for c, pos in rat_pos.items()}
    clusters = dialogue_clusters(ratings, generations if dialogues is None else dialogues)
    raters = _annotators(ratings)
    for i, col in enumerate(columns):
        row: dict[str, object] = {"column": col}
        g = gen_groups.get(col)
        if g is not None and len(g):
            ok = g[g["status"] == GenerationStatus.OK]
            row["n_generations"] = len(g)
            finished = g[g["status"].isin(FINISHED_STATUSES)]["status"]
            row["error_rate"] = float((finished == "error").mean()) if len(finished) else np.nan
            row["stopped_rate"] = float((finished == "stopped").mean()) if len(finished) else np.nan
            row["length_mean"] = float(pd.to_numeric(ok["length_chars"], errors="coerce").mean())
            lat = pd.to_numeric(ok["latency_ms"], errors="coerce")
            row["latency_mean_ms"] = float(lat.mean())
            row["latency_median_ms"] = float(lat.median())
        else:
            row.update(n_generations=0, error_rate=np.nan, stopped_rate=np.nan, length_mean=np.nan)
            row.update(latency_mean_ms=np.nan, latency_median_ms=np.nan)
        r = rat_groups.get(col)
        row["n_ratings"] = 0 if r is None else len(r)
        for j, axis in enumerate(axes):
            if r is None or not len(r):
                row.update(
                    {f"n_{axis}": 0, f"{axis}_mean": np.nan, f"{axis}_lo": np.nan, f"{axis}_hi": np.nan}
                )
                continue
            vals = pd.to_numeric(r[axis], errors="coerce").to_numpy(dtype=float)
            # Distinct seeds per (column, axis) so intervals are not artificially correlated.
            pos = rat_pos[col]
            est, lo, hi = crossed_bootstrap_mean_ci(
                vals, clusters[pos], None if raters is None else raters[pos], n_boot=n_boot, ci=ci,
                seed=seed + 2 * i + j,
            )
            row.update({f"n_{axis}": int(np.isfinite(vals).sum()), f"{axis}_mean": est})
            row.update({f"{axis}_lo": lo, f"{axis}_hi": hi})
        if r is not None and len(r):
            row["safety_flag_rate"] = float(r["safety_flag"].fillna(False).astype(bool).mean())
        else:
            row["safety_flag_rate"] = np.nan
        rows.append(row)
    after = SCORE_TABLE_COLUMNS.index("suggestion_hi") + 1
    extra = [f"{p}{axis}{q}" for axis in axes[len(SCORE_AXES):]
             for p, q in (("n_", ""), ("", "_mean"), ("", "_lo"), ("", "_hi"))]
    out = pd.DataFrame(rows, columns=[*SCORE_TABLE_COLUMNS[:after], *extra, *SCORE_TABLE_COLUMNS[after:]])
    return out.astype({"n_generations": int, "n_ratings": int, **{f"n_{axis}": int for axis in axes}})


def scores_by_slot(
    ratings: pd.DataFrame, n_boot: int = N_BOOT, ci: float = 0.95, seed: int = 0,
    dialogues: pd.Series | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean score per display slot and axis, with cluster-bootstrap CIs: the rating side of position bias.

    Resampled by dialogue and annotator as :func:`column_scores` (``dialogues``: see
    :func:`dialogue_clusters`; without it every reply is its own cluster).

    Columns: axis, slot (from :data:`~workbench.analysis.frames.FIRST_SLOT`: 1 = shown first), n, mean,
    lo, hi. With counterbalanced order every column visits every slot, so
    slot means should agree within their intervals when annotators ignore position.
    """
    validate_frame(ratings, "ratings", ["generation_id", "display_slot", *SCORE_AXES])
    axes = score_axes(ratings)
    rows = []
    slots = pd.to_numeric(ratings["display_slot"], errors="coerce").to_numpy(dtype=float)
    gen_ids = dialogue_clusters(ratings, dialogues)
    raters = _annotators(ratings)
    present = np.unique(slots[np.isfinite(slots)])
    for j, axis in enumerate(axes):
        vals = pd.to_numeric(ratings[axis], errors="coerce").to_numpy(dtype=float)
        for slot in present:
            sel = slots == slot
            v = vals[sel]
            est, lo, hi = crossed_bootstrap_mean_ci(
                v, gen_ids[sel], None if raters is None else raters[sel], n_boot=n_boot, ci=ci,
                seed=seed + 1000 * j + int(slot),
            )
            n = int(np.isfinite(v).sum())
            rows.append({"axis": axis, "slot": int(slot) + FIRST_SLOT, "n": n, "mean": est, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=["axis", "slot", "n", "mean", "lo", "hi"])
