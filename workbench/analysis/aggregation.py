"""Labels and scores aggregated over annotators, weighted by each annotator's estimated reliability.

Three methods, for a categorical answer (the turn type, a preferred column) and an ordinal one (a 1-5 score):

* ``mean``: majority vote (categorical; ties go to the first label in sorted order) or the plain mean (ordinal);
* ``dawid-skene``: Dawid & Skene (1979), one confusion matrix per annotator, fitted by EM;
* ``mace``: Hovy et al. (2013), each annotator either knows the answer or "spams" with a strategy of their own.

Dawid-Skene and MACE come from ``crowd-kit``. For a score axis the scores are treated as categories and the
aggregated score is the posterior expected score, so a careless annotator's 5 weighs less than a careful one's 2.

*Reliability* is on one scale for every method: 0 = the annotator's answers carry no information
(a constant answer, random clicking), 1 = always right. It is the
chance-corrected agreement (Cohen's kappa) of the annotator's answers with the method's estimate of the truth;
for ``mean`` the truth of an item is the majority of the *other* annotators, so nobody agrees with themselves.
(MACE's own "trustworthiness" is not used: it rates an annotator who always gives the most common label
about as high as that label is common.)
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, SupportsFloat, cast

from workbench.errors import InputError

METHODS = ("mean", "dawid-skene", "mace")
_EM_ITERATIONS = 100
_MACE_RESTARTS = 2
_MACE_ITERATIONS = 50  # MACE's E-step is slow in pandas; more iterations changed no result here


@dataclass(frozen=True)
class Answer:
    """One annotator's answer to one item. ``label`` is a category or an integer score."""

    item: Hashable
    annotator: str
    label: Hashable


@dataclass(frozen=True)
class Aggregate:
    """Per item: the most likely label, the probability of each label and, for scores, the aggregated score."""

    method: str
    labels: dict[Hashable, Hashable]
    probabilities: dict[Hashable, dict[Hashable, float]]
    scores: dict[Hashable, float]  # empty for categorical answers
    reliability: dict[str, float]  # annotator -> 0..1


def check_method(method: str) -> str:
    """The canonical method name, or an InputError listing the allowed ones."""
    name = (method or "").strip().lower().replace("_", "-")
    if name in ("majority", "majority-vote", "mv"):
        name = "mean"
    if name in ("ds", "dawidskene"):
        name = "dawid-skene"
    if name not in METHODS:
        raise InputError(f"unknown aggregation {method!r}; use one of: {', '.join(METHODS)}")
    return name


def _dedupe(answers: Iterable[Answer]) -> list[Answer]:
    """One answer per (item, annotator): the last one wins, as a re-submitted rating replaces the old one."""
    latest: dict[tuple[Hashable, str], Answer] = {}
    for a in answers:
        if a.label is None:
            continue
        latest[(a.item, a.annotator)] = a
    return list(latest.values())


def _vote(labels: Iterable[Hashable]) -> dict[Hashable, float]:
    """Vote shares of the labels; empty when there are none."""
    counts = Counter(labels)
    total = sum(counts.values())
    return {lab: n / total for lab, n in counts.items()} if total else {}


def _argmax(dist: Mapping[Hashable, float]) -> Hashable:
    # Ties go to the label that sorts first, so a result never depends on the order answers arrived in.
    return min(dist, key=lambda lab: (-round(dist[lab], 12), str(lab)))


def kappa_with(answers: list[Answer], truth: Mapping[Any, Mapping[Hashable, float]]) -> dict[str, float]:
    """Cohen's kappa of each annotator's answers with a (soft) truth per item, clipped to 0..1.

    Items without a truth distribution are skipped; an annotator with no such item gets no entry.
    """
    by_annotator: dict[str, list[Answer]] = defaultdict(list)
    for a in answers:
        if truth.get(a.item):
            by_annotator[a.annotator].append(a)
    out: dict[str, float] = {}
    for who, mine in by_annotator.items():
        n = len(mine)
        observed = sum(truth[a.item].get(a.label, 0.0) for a in mine) / n
        answered = Counter(a.label for a in mine)
        true_share: dict[Hashable, float] = defaultdict(float)
        for a in mine:
            for lab, p in truth[a.item].items():
                true_share[lab] += p / n
        expected = sum(true_share[lab] * answered[lab] / n for lab in answered)
        if expected >= 1.0 - 1e-9:
            # Everyone, truth included, uses one label: agreement is perfect but says nothing about skill.
            out[who] = 1.0 if observed >= 1.0 - 1e-9 else 0.0
            continue
        out[who] = min(1.0, max(0.0, (observed - expected) / (1.0 - expected)))
    return out


def _leave_one_out_truth(answers: list[Answer]) -> dict[tuple[Hashable, str], dict[Hashable, float]]:
    by_item: dict[Hashable, list[Answer]] = defaultdict(list)
    for a in answers:
        by_item[a.item].append(a)
    return {(a.item, a.annotator): _vote(b.label for b in group if b.annotator != a.annotator)
            for group in by_item.values() for a in group}


def _majority_reliability(answers: list[Answer]) -> dict[str, float]:
    loo = _leave_one_out_truth(answers)
    # kappa_with takes one truth per item; re-key each answer to its own (item, annotator) "item".
    keyed = [Answer((a.item, a.annotator), a.annotator, a.label) for a in answers]
    return kappa_with(keyed, loo)


def _frame(answers: list[Answer]):
    import pandas as pd

    # crowd-kit wants hashable, sortable columns; keep our own keys in lookup tables instead.
    items = {it: i for i, it in enumerate(dict.fromkeys(a.item for a in answers))}
    labels = {lab: f"l{i}" for i, lab in enumerate(sorted(dict.fromkeys(a.label for a in answers), key=str))}
    df = pd.DataFrame({"task": [items[a.item] for a in answers], "worker": [a.annotator for a in answers],
                       "label": [labels[a.label] for a in answers]})
    return df, {v: k for k, v in items.items()}, {v: k for k, v in labels.items()}


def _fit_crowdkit(answers: list[Answer], method: str, seed: int):
    from crowdkit.aggregation import MACE, DawidSkene

    df, item_of, label_of = _frame(answers)
    with warnings.catch_warnings():
        # crowd-kit 1.4 uses pandas idioms that pandas 3 deprecates; the results are unaffected.
        warnings.simplefilter("ignore")
        if method == "dawid-skene":
            model: Any = DawidSkene(n_iter=_EM_ITERATIONS).fit(df)
        else:
            model = MACE(n_iter=_MACE_ITERATIONS, n_restarts=_MACE_RESTARTS, random_state=seed).fit(df)
    probas = model.probas_.fillna(0.0)
    # To 10 significant digits: the fit's sums run in numpy and BLAS, whose vector width depends on the CPU
    # (AVX2 or AVX-512), so the last bits of a posterior differed between two machines (1.6895719915638867
    # against ...865) and so did every score, label and export derived from it. Rounded, the same answers
    # give the same results on either (a difference of a few ulps crosses a 1e-10 step about once in 10^5).
    probabilities = {
        item_of[task]: {label_of[col]: _significant(p) for col, p in row.items() if float(p) > 0.0}
        for task, row in probas.iterrows()
    }
    # MACE's own trustworthiness is not chance-corrected: an annotator who always gives the most common
    # label looks half-trustworthy to it. Kappa against the posterior puts every method on one scale.
    return probabilities, kappa_with(answers, probabilities)


def _significant(p: SupportsFloat, digits: int = 10) -> float:
    return float(f"{float(p):.{digits}g}")


def aggregate(answers: Iterable[Answer], method: str = "mean", *, ordinal: bool = False, seed: int = 0) -> Aggregate:
    """Aggregate the answers per item with ``method``; ``ordinal`` answers are numbers (scores).

    Raises InputError for an unknown method or a non-numeric ordinal answer.
    """
    method = check_method(method)
    rows = _dedupe(answers)
    if ordinal:
        for a in rows:
            if isinstance(a.label, bool) or not isinstance(a.label, (int, float)) or not math.isfinite(a.label):
                raise InputError(f"a score must be a number, got {a.label!r} from {a.annotator!r}")
    if not rows:
        return Aggregate(method, {}, {}, {}, {})
    by_item: dict[Hashable, list[Answer]] = defaultdict(list)
    for a in rows:
        by_item[a.item].append(a)
    distinct_labels = {a.label for a in rows}
    if method == "mean" or len(distinct_labels) < 2 or len({a.annotator for a in rows}) < 2:
        # The EM models need two labels and two annotators to say anything; below that they equal the vote.
        probabilities = {it: _vote(a.label for a in group) for it, group in by_item.items()}
        reliability = _majority_reliability(rows)
    else:
        probabilities, reliability = _fit_crowdkit(rows, method, seed)
        for it, group in by_item.items():
            if not probabilities.get(it):  # a degenerate fit (NaN posterior) must not lose the item
                probabilities[it] = _vote(a.label for a in group)
    labels = {it: _argmax(dist) for it, dist in probabilities.items()}
    scores: dict[Hashable, float] = {}
    if ordinal:
        if method == "mean":
            scores = {it: sum(float(cast(SupportsFloat, a.label)) for a in group) / len(group) for it, group in by_item.items()}
        else:
            scores = {it: sum(float(cast(SupportsFloat, lab)) * p for lab, p in dist.items()) / (sum(dist.values()) or 1.0)
                      for it, dist in probabilities.items()}
    for who in {a.annotator for a in rows}:
        reliability.setdefault(who, 0.0)  # no comparable item: nothing shows the annotator is reliable
    return Aggregate(method, labels, probabilities, scores, dict(sorted(reliability.items())))


def agreement_with_others(answers: Iterable[Answer]) -> dict[str, float]:
    """Per annotator: the mean share of the *other* annotators of an item who gave the same answer.

    Items the annotator answered alone do not count; an annotator with no shared item gets no entry.
    """
    rows = _dedupe(answers)
    loo = _leave_one_out_truth(rows)
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for a in rows:
        others = loo[(a.item, a.annotator)]
        if others:
            sums[a.annotator] += others.get(a.label, 0.0)
            counts[a.annotator] += 1
    return {who: sums[who] / counts[who] for who in sorted(counts)}
