"""Preferences across columns: pairwise win rates, Bradley-Terry ratings and position bias.

Expanding one judgement into pairwise results (score 1 = win, 0.5 = tie):

- ``best``: the winner beats every other shown column; the others are not compared with each other.
- ``tie``: every pair of shown columns ties (half a win each).
- ``ranking``: every implied pair (earlier beats later); ranked columns beat shown columns left out of
  the ranking; unranked columns are not compared with each other.
- ``all_bad``: by default *excluded* (``all_bad="exclude"``): "all of these are unacceptable" speaks to
  absolute quality, not to which is better, and counting it as a tie would pull every rating toward
  the middle by an amount that depends on how often annotators use the button. ``all_bad="tie"``
  counts it as a tie among all shown columns instead.

Speed: a judgement's pairwise contribution depends only on (shown set, outcome, winner, ranking), and a
handful of such *patterns* cover all rows. Bootstrap replicates resample judgements, which is the same as
drawing multinomial counts over patterns; each replicate's win matrix is one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from workbench.analysis.frames import FIRST_SLOT, validate_frame
from workbench.errors import InputError
from workbench.vocab import PreferenceOutcome

_ALL_BAD_MODES = ("exclude", "tie")


def _as_tuple(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list | tuple):
        return tuple(value)  # the store writes lists of column names (str); no per-item conversion
    if isinstance(value, np.ndarray):
        return tuple(str(v) for v in value.tolist())
    return None


# (shown, outcome, winner, ranking, twins): twins are the groups of identical replies a shown column stands for
# (its column first; see workbench.analysis.twins), empty where every reply differs.
PreferenceKey = tuple[tuple[str, ...], str, "str | None", "tuple[str, ...] | None", tuple[tuple[str, ...], ...]]


@dataclass(frozen=True)
class PreferenceTally:
    """Distinct judgements (shown in order, outcome, winner, ranking) with how often each occurs.

    Every preference statistic depends on a judgement only through this key, so one pass over the rows
    serves the win matrix, Bradley-Terry (and its bootstrap) and position bias.
    """

    keys: list[PreferenceKey]
    counts: np.ndarray  # (m,) int


def tally_preferences(preferences: pd.DataFrame) -> PreferenceTally:
    """Count the distinct judgements of a preferences frame."""
    validate_frame(preferences, "preferences", ["shown", "outcome", "winner", "ranking"])
    tally: dict[PreferenceKey, int] = {}
    # Plain lists: iterating Arrow-backed string columns element by element is slow.
    columns = [
        preferences[c].to_numpy(dtype=object).tolist() for c in ("shown", "outcome", "winner", "ranking")
    ]
    # An optional column (the store writes it; other frames may lack it): identical replies shown as one.
    twins = preferences["twins"].tolist() if "twins" in preferences.columns else [()] * len(preferences)
    for shown, outcome, winner, ranking, groups in zip(*columns, twins, strict=True):
        key = (
            _as_tuple(shown) or (),
            str(outcome),
            winner if isinstance(winner, str) else None,
            _as_tuple(ranking),
            tuple(tuple(g) for g in groups) if isinstance(groups, list | tuple | np.ndarray) else (),
        )
        tally[key] = tally.get(key, 0) + 1
    return PreferenceTally(list(tally), np.fromiter(tally.values(), dtype=np.int64, count=len(tally)))


def _tally(preferences: pd.DataFrame | PreferenceTally) -> PreferenceTally:
    return preferences if isinstance(preferences, PreferenceTally) else tally_preferences(preferences)


def _pairs_of(key: PreferenceKey, all_bad: str) -> tuple[tuple[str, str, float], ...]:
    """The (a, b, score_of_a) results implied by one judgement; empty when it implies none. A shown column that
    stands for identical replies (``twins``) passes its result to each of them; identical replies are never
    compared with each other."""
    shown, outcome, winner, ranking, twins = key
    group = {g[0]: g for g in twins}
    members = lambda c: group.get(c, (c,))  # noqa: E731
    if outcome == PreferenceOutcome.BEST:
        if winner is None or winner not in shown:
            return ()
        return tuple((w, o, 1.0) for w in members(winner) for other in shown if other != winner for o in members(other))
    if outcome == PreferenceOutcome.TIE or (outcome == PreferenceOutcome.ALL_BAD and all_bad == "tie"):
        return tuple((x, y, 0.5) for i, a in enumerate(shown) for b in shown[i + 1 :]
                     for x in members(a) for y in members(b))
    if outcome == PreferenceOutcome.RANKING and ranking:
        ordered = list(dict.fromkeys(ranking))
        out = [(x, y, 1.0) for i, a in enumerate(ordered) for b in ordered[i + 1 :] for x in members(a) for y in members(b)]
        out += [(x, y, 1.0) for a in ordered for b in shown if b not in ordered for x in members(a) for y in members(b)]
        return tuple(out)
    return ()


@dataclass(frozen=True)
class PairPatterns:
    """Distinct pairwise contributions: ``wins[p, i, j]`` = score of player i over j in pattern p."""

    players: list[str]
    wins: np.ndarray  # (m, k, k)
    counts: np.ndarray  # (m,) how many judgements follow each pattern

    def total(self) -> np.ndarray:
        """The (k, k) win matrix over all judgements."""
        return np.tensordot(self.counts.astype(float), self.wins, axes=1)


def pair_patterns(preferences: pd.DataFrame | PreferenceTally, all_bad: str = "exclude") -> PairPatterns:
    """Group judgements by the pairwise results they imply (see module docstring)."""
    if all_bad not in _ALL_BAD_MODES:
        raise InputError(f"all_bad must be one of {_ALL_BAD_MODES}, got {all_bad!r}")
    tally = _tally(preferences)
    merged: dict[tuple[tuple[str, str, float], ...], int] = {}
    for key, count in zip(tally.keys, tally.counts, strict=True):
        pairs = _pairs_of(key, all_bad)
        if pairs:
            merged[pairs] = merged.get(pairs, 0) + int(count)
    players = sorted({p for pairs in merged for a, b, _ in pairs for p in (a, b)})
    index = {p: i for i, p in enumerate(players)}
    k, m = len(players), len(merged)
    wins = np.zeros((m, k, k))
    counts = np.zeros(m, dtype=np.int64)
    for row, (pairs, count) in enumerate(merged.items()):
        counts[row] = count
        for a, b, s in pairs:
            wins[row, index[a], index[b]] += s
            wins[row, index[b], index[a]] += 1.0 - s
    return PairPatterns(players, wins, counts)


def pairwise_counts(
    preferences: pd.DataFrame | PreferenceTally, all_bad: str = "exclude"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(wins, comparisons): ``wins.loc[a, b]`` = a's score against b (ties count half);
    ``comparisons.loc[a, b]`` = how many a-vs-b results there are."""
    pat = pair_patterns(preferences, all_bad)
    w = pat.total()
    frame = lambda m: pd.DataFrame(m, index=pat.players, columns=pat.players)  # noqa: E731
    return frame(w), frame(w + w.T)


def pairwise_matrix(preferences: pd.DataFrame | PreferenceTally, all_bad: str = "exclude") -> pd.DataFrame:
    """Win rate of the row column against the column column (ties half); NaN where never compared."""
    return win_rates(*pairwise_counts(preferences, all_bad))


def win_rates(wins: pd.DataFrame, n: pd.DataFrame) -> pd.DataFrame:
    """Win-rate matrix from :func:`pairwise_counts` output."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n.to_numpy() > 0, wins.to_numpy() / n.to_numpy(), np.nan)
    np.fill_diagonal(rate, np.nan)
    return pd.DataFrame(rate, index=wins.index, columns=wins.columns)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def bt_log_likelihood(theta: np.ndarray, wins: np.ndarray, prior: float = 0.0) -> np.ndarray:
    """Penalised BT log-likelihood of log-strengths ``theta`` (..., k) for win matrices (..., k, k):
    sum_ij wins_ij log s(theta_i - theta_j) + prior * sum_i [log s(theta_i) + log s(-theta_i)],
    s the logistic function. The prior term is ``prior`` virtual wins and losses against an anchor at 0."""
    d = theta[..., :, None] - theta[..., None, :]
    ll = (wins * _log_sigmoid(d)).sum(axis=(-2, -1))
    if prior:
        ll = ll + prior * (_log_sigmoid(theta) + _log_sigmoid(-theta)).sum(axis=-1)
    return ll


def fit_bradley_terry(
    wins: np.ndarray, prior: float = 0.01, tol: float = 1e-10, max_iter: int = 100
) -> np.ndarray:
    """Centred log-strengths maximising :func:`bt_log_likelihood`, for win matrices (k, k) or (B, k, k).

    ``wins[..., i, j]`` is i's score against j. The prior (``prior`` virtual wins and losses of every
    column against an anchor of strength 1) is a tiny ridge-like penalty, about ``-prior * t**2 / 4``
    near 0 and linear far out: it keeps a column that never loses finite and links columns never
    compared. ``prior=0`` gives the plain MLE, which exists only for a strongly connected comparison graph.

    Fitted by Newton's method with step halving, vectorised over the B matrices: the objective is
    concave, k is small, and Newton converges in a few steps where Hunter's MM needs thousands when
    strengths are far apart. Output: log-strengths minus their mean, shape (..., k).
    """
    if prior < 0:
        raise InputError(f"prior must be >= 0, got {prior}")
    w = np.array(wins, dtype=float)
    single = w.ndim == 2
    if single:
        w = w[None]
    k = w.shape[-1]
    w[:, np.arange(k), np.arange(k)] = 0.0
    n = w + np.swapaxes(w, 1, 2)
    theta = np.zeros(w.shape[:2])
    objective = bt_log_likelihood(theta, w, prior)
    active = np.arange(w.shape[0])
    diag = np.arange(k)
    for _ in range(max_iter):
        th, wa, na = theta[active], w[active], n[active]
        p = expit(th[:, :, None] - th[:, None, :])
        grad = (wa - na * p).sum(axis=2)
        info = -(na * p * (1.0 - p))
        info[:, diag, diag] = -info.sum(axis=2)
        if prior:
            s = expit(th)
            grad += prior * (1.0 - 2.0 * s)
            info[:, diag, diag] += 2.0 * prior * s * (1.0 - s)
        else:
            info += 1.0 / k  # pins the free translation; the gradient sums to 0, so the step does too
        try:
            step = np.linalg.solve(info, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = (np.linalg.pinv(info) @ grad[..., None])[..., 0]
        t = np.ones(len(active))
        old = objective[active]
        new = bt_log_likelihood(th + step, wa, prior)
        for _ in range(40):
            worse = ~(new >= old - 1e-12 * np.abs(old))
            if not worse.any():
                break
            t[worse] *= 0.5
            new[worse] = bt_log_likelihood(th[worse] + t[worse, None] * step[worse], wa[worse], prior)
        moved = t[:, None] * step
        theta[active] = th + moved
        objective[active] = new
        active = active[~(np.abs(moved).max(axis=1) < tol)]
        if active.size == 0:
            break
    theta = theta - theta.mean(axis=1, keepdims=True)
    return theta[0] if single else theta


ELO_SCALE = 400.0 / np.log(10.0)
ELO_BASE = 1000.0

BT_COLUMNS = ["column", "rating", "lo", "hi", "elo", "elo_lo", "elo_hi", "n_comparisons", "score", "note"]
#: ``note`` of a column whose every comparison went one way: its maximum-likelihood rating is infinite, so
#: the rating shown is where the prior holds it, and no interval is given (every resample goes the same way)
BT_NEVER_WON = "never_won"
BT_NEVER_LOST = "never_lost"


def bradley_terry(
    preferences: pd.DataFrame | PreferenceTally,
    n_boot: int = 200,
    seed: int = 0,
    ci: float = 0.95,
    prior: float = 0.01,
    all_bad: str = "exclude",
) -> pd.DataFrame:
    """Bradley-Terry rating per column with percentile-bootstrap CIs (judgements resampled).

    ``rating`` is the centred natural log-strength: P(a beats b) = 1 / (1 + exp(rating_b - rating_a)).
    ``elo`` is the same on the Elo scale: 1000 + 400 * log10(strength). ``score`` is the column's total
    pairwise score (wins + half ties), ``n_comparisons`` its number of pairwise results.
    A column that never won (score 0) or never lost (score = comparisons) has no finite maximum-likelihood
    rating: its rating is set by the ``prior`` alone, ``note`` says so (:data:`BT_NEVER_WON`,
    :data:`BT_NEVER_LOST`) and its interval is NaN, since every resample would pin it to the prior again
    and give a tight interval that reflects nothing but the prior. Sorted best first.
    """
    if not 0.0 < ci < 1.0:
        raise InputError(f"ci must be in (0, 1), got {ci}")
    pat = pair_patterns(preferences, all_bad)
    k = len(pat.players)
    if k == 0:
        return pd.DataFrame(columns=BT_COLUMNS)
    total = pat.total()
    theta = fit_bradley_terry(total, prior=prior)
    lo = hi = np.full(k, np.nan)
    if n_boot > 0 and pat.counts.sum() > 1:
        rng = np.random.default_rng(seed)
        n = int(pat.counts.sum())
        draws = rng.multinomial(n, pat.counts / n, size=n_boot).astype(float)  # (B, m)
        boot_w = (draws @ pat.wins.reshape(len(pat.counts), -1)).reshape(n_boot, k, k)
        boot = fit_bradley_terry(boot_w, prior=prior)
        a = (1.0 - ci) / 2.0
        lo, hi = np.quantile(boot, [a, 1.0 - a], axis=0)
    n_comp = (total + total.T).sum(axis=1)
    score = total.sum(axis=1)
    never_won = (n_comp > 0) & (score <= 0)
    never_lost = (n_comp > 0) & (score >= n_comp)
    lo = np.where(never_won | never_lost, np.nan, lo)
    hi = np.where(never_won | never_lost, np.nan, hi)
    note = [BT_NEVER_WON if w else BT_NEVER_LOST if los else None
            for w, los in zip(never_won, never_lost, strict=True)]
    out = pd.DataFrame(
        {
            "column": pat.players,
            "rating": theta,
            "lo": lo,
            "hi": hi,
            "elo": ELO_BASE + ELO_SCALE * theta,
            "elo_lo": ELO_BASE + ELO_SCALE * lo,
            "elo_hi": ELO_BASE + ELO_SCALE * hi,
            "n_comparisons": n_comp,
            "score": score,
            "note": pd.Series(note, dtype=object),
        }
    )
    return out.sort_values("rating", ascending=False, kind="stable").reset_index(drop=True)


POSITION_COLUMNS = ["n_shown", "slot", "n", "wins", "win_rate", "lo", "hi", "chance", "p_value", "uniform_p"]


def _top_choice(outcome: object, winner: object, ranking: Sequence[str] | None) -> str | None:
    if outcome == PreferenceOutcome.BEST and isinstance(winner, str):
        return winner
    if outcome == PreferenceOutcome.RANKING and ranking:
        return str(ranking[0])
    return None


def position_bias(preferences: pd.DataFrame | PreferenceTally, ci: float = 0.95) -> pd.DataFrame:
    """How often the chosen column sat in each display slot, against chance 1/k.

    ``slot`` counts from :data:`~workbench.analysis.frames.FIRST_SLOT` (1 = the reply shown first).

    Uses judgements with a single top choice ("best" winner, or the first of a "ranking"); ties and
    all-bad have none. Grouped by the number of columns shown (k), since chance is 1/k. Per slot:
    ``p_value`` is an exact two-sided binomial test of win_rate = 1/k (scipy.stats.binomtest), lo/hi its
    Clopper-Pearson interval. ``uniform_p`` (same for every slot of one k) is a chi-square test that the
    top choice is spread evenly over the k slots.
    """
    tally = _tally(preferences)
    ks: list[int] = []
    slots: list[int] = []
    weights: list[int] = []
    for (shown, outcome, winner, ranking, _twins), count in zip(tally.keys, tally.counts, strict=True):
        top = _top_choice(outcome, winner, ranking)
        if len(shown) < 2 or top is None or top not in shown:
            continue
        ks.append(len(shown))
        slots.append(shown.index(top))
        weights.append(int(count))
    if not ks:
        return pd.DataFrame(columns=POSITION_COLUMNS)
    ks_a, slots_a, w_a = np.asarray(ks), np.asarray(slots), np.asarray(weights)
    rows = []
    for k in np.unique(ks_a):
        sel = ks_a == k
        wins = np.bincount(slots_a[sel], weights=w_a[sel], minlength=k).astype(np.int64)
        n = int(wins.sum())
        uniform_p = float(stats.chisquare(wins).pvalue) if n > 0 else np.nan
        for slot in range(k):
            test = stats.binomtest(int(wins[slot]), n, 1.0 / k)
            interval = test.proportion_ci(confidence_level=ci, method="exact")
            rows.append(
                {
                    "n_shown": int(k),
                    "slot": slot + FIRST_SLOT,
                    "n": n,
                    "wins": int(wins[slot]),
                    "win_rate": wins[slot] / n,
                    "lo": interval.low,
                    "hi": interval.high,
                    "chance": 1.0 / k,
                    "p_value": test.pvalue,
                    "uniform_p": uniform_p,
                }
            )
    return pd.DataFrame(rows, columns=POSITION_COLUMNS)
