"""Which reply becomes the training target, and the filters that decide what is exported.

Identical replies: byte-identical replies to the same history at one (dialogue, turn) (e.g. the
hybrid's v1 turn and BianQue-1.0 with the same model and seed) are one reply. They are pooled before
anything else (:func:`pool_identical`): their ratings are pooled, an annotator who preferred any copy
prefers the text (and does not disprefer it because another copy lost), and the first copy stands for
all of them (``pooled_ids`` lists every generation id).

Per (dialogue, turn) the target is, in this order:

1. **a corrected reply** written by an annotator (if ``use_corrections``). Corrections are human
   text, so the score, agreement and safety filters (which judge the *model* reply) do not apply to
   them; the dataset, date, annotator and turn-type filters do. The turn-type filter applies to the
   *correction's* own type (the classifier's label of the corrected text), since that is what is
   exported. Several corrections: the text written by most annotators, then the most recent, then the
   lowest annotator name.
2. **the preferred reply** (if ``use_preferences``): the candidate with the highest net preference
   votes (preferred_by - dispreferred_by, counting only the selected annotators), which must be > 0
   and must pass every filter. Ties: higher overall score, then more ratings, then first seen.
3. **a reply above the score threshold**: the candidate with the highest overall score
   ``>= score_threshold`` that passes every filter. Ties: higher agreement, more ratings, first seen.

Definitions (all computed over the ratings of the selected annotators only):

* axis score = mean over annotators of that axis; ``overall`` = mean of the axis scores present;
* a ``min_*`` filter fails when that axis has no score; ``min_agreement`` fails when agreement is None;
* turn type of a model reply = majority human label; a tie goes to the automatic label when it is
  among the tied labels, else to the alphabetically first; no human label -> the automatic label;
  turn type of a corrected reply = the classifier's label of its text (nobody labelled it);
* safety-flagged = any selected annotator flagged it;
* the date range applies to the generation's ``created_at`` (inclusive; a ``date`` bound covers the
  whole day; timezone-aware datetimes are compared in UTC);
* scores are on the rubric scale; the default threshold 4.0 assumes 1-5.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain, groupby
from operator import attrgetter

from workbench.dates import utc_naive
from workbench.errors import InputError
from workbench.export.records import DialogueId, ExportCandidate, RatingInfo, copy_with, with_fields
from workbench.scope import Scope

TARGET_SOURCES = ("corrected", "preferred", "score")


@dataclass(frozen=True)
class ExportFilters:
    """The export's options: what part of the store (``scope``) and which replies become targets.

    The scope's annotators, datasets, dates and turn types mean what the module docstring says; an export
    does not select by column (every column's replies compete for a turn), so a scope naming columns is
    refused.
    """

    scope: Scope = field(default_factory=Scope)
    min_questioning: float | None = None
    min_suggestion: float | None = None
    score_threshold: float | None = 4.0
    min_agreement: float | None = None
    exclude_safety_flagged: bool = True
    use_corrections: bool = True
    use_preferences: bool = True
    kto_threshold: float | None = None  # None: score_threshold (or 4.0)
    dpo_low_threshold: float = 2.5  # a reply at or below this overall score is "low-rated"
    aggregate: str = "mean"  # mean | dawid-skene | mace: how ratings and votes combine (export/aggregated.py)
    # Answers to retired items are left out (workbench/annotate/counted.py); True keeps them, for an audit.
    include_retired: bool = False

    def __post_init__(self) -> None:
        from workbench.analysis.aggregation import check_method

        if self.scope.columns is not None:
            raise InputError("the export does not select by column: leave the scope's columns empty")
        object.__setattr__(self, "aggregate", check_method(self.aggregate))
        # A NaN minimum silently filters nothing (x < nan is never true); an agreement above 1 keeps only
        # corrections; a negative score minimum is a typo. Each is refused by name.
        for name, value, low, high in (("min_questioning", self.min_questioning, 0.0, None),
                                       ("min_suggestion", self.min_suggestion, 0.0, None),
                                       ("min_agreement", self.min_agreement, 0.0, 1.0),
                                       ("score_threshold", self.score_threshold, 0.0, None),
                                       ("kto_threshold", self.kto_threshold, 0.0, None),
                                       ("dpo_low_threshold", self.dpo_low_threshold, 0.0, None)):
            if value is None:
                continue
            if not math.isfinite(value) or value < low or (high is not None and value > high):
                span = f"between {low:g} and {high:g}" if high is not None else f"a number of at least {low:g}"
                raise InputError(f"{OPTION_LABELS[name]} must be {span}, got {value:g}")  # -1, as typed; nan

    # The scope's fields, read where the export selects (one source: the scope).
    @property
    def annotators(self) -> tuple[str, ...] | None:
        return self.scope.annotators

    @property
    def datasets(self) -> tuple[str | None, ...] | None:
        return self.scope.datasets

    @property
    def date_from(self) -> date | datetime | None:
        return self.scope.date_from

    @property
    def date_to(self) -> date | datetime | None:
        return self.scope.date_to

    @property
    def turn_types(self) -> tuple[str, ...] | None:
        return self.scope.turn_types

    def to_dict(self) -> dict:
        """The options as the dataset card and the report record them (one flat object, as before the scope)."""
        scope = self.scope.to_dict()
        own = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "scope"}
        flat = {name: scope[name] if name in scope else own[name] for name in REPORTED_OPTIONS}
        if self.include_retired:  # listed only when on: the default's cards stay as they were
            flat["include_retired"] = True
        return {k: list(v) if isinstance(v, tuple) else v for k, v in flat.items()}

    def check_scales(self, tops: Mapping[str, int]) -> None:
        """Refuse a score minimum above the top of its axis's scale (``tops``: axis key -> the rubric's highest
        score): it would keep no rated reply, only corrected ones, with nothing said."""
        for name, axis in (("min_questioning", "questioning"), ("min_suggestion", "suggestion")):
            value, top = getattr(self, name), tops.get(axis)
            if value is not None and top is not None and value > top:
                raise InputError(f"{OPTION_LABELS[name]}: {value:g} is above {top}, the top of the rubric's "
                                 f"{axis} scale")
        # A target threshold above every axis's top makes no reply a target (SFT, KTO's desirable) without a word.
        highest = max(tops.values(), default=None)
        for name in ("score_threshold", "kto_threshold", "dpo_low_threshold"):
            value = getattr(self, name)
            if value is not None and highest is not None and value > highest:
                raise InputError(f"{OPTION_LABELS[name]}: {value:g} is above {highest}, the top of the rubric's "
                                 "scales")

    @property
    def kto_cut(self) -> float:
        if self.kto_threshold is not None:
            return self.kto_threshold
        return self.score_threshold if self.score_threshold is not None else 4.0


#: the options' names in messages: the export tab's labels, which the CLI's flags spell with hyphens
OPTION_LABELS = {"min_questioning": "min questioning", "min_suggestion": "min suggestion",
                 "min_agreement": "min agreement", "score_threshold": "score threshold",
                 "kto_threshold": "KTO threshold", "dpo_low_threshold": "DPO low threshold"}

#: the keys of :meth:`ExportFilters.to_dict`, in the order reports and cards have always listed them
REPORTED_OPTIONS = ("min_questioning", "min_suggestion", "score_threshold", "min_agreement", "turn_types",
                    "exclude_safety_flagged", "annotators", "datasets", "date_from", "date_to", "use_corrections",
                    "use_preferences", "kto_threshold", "dpo_low_threshold", "aggregate")


@dataclass(slots=True)  # not frozen: frozen __init__ is much slower and this is built per generation
class CandidateStats:
    annotators: tuple[str, ...]
    questioning: float | None
    suggestion: float | None
    n_ratings: int
    overall: float | None
    turn_type: str | None
    turn_type_source: str | None  # "human" | "auto" | None
    safety_flagged: bool
    agreement: float | None
    votes_for: tuple[str, ...]
    votes_against: tuple[str, ...]
    corrections: tuple[tuple[str, str, datetime | None], ...]  # (annotator, text, created_at)
    net_weight: float | None = None  # reliability-weighted net votes, when an aggregate other than mean is used
    #: (axis, mean score) of each rubric axis beyond questioning and suggestion, in the rubric's order
    extra: tuple[tuple[str, float | None], ...] = ()

    @property
    def net_votes(self) -> float:
        if self.net_weight is not None:
            return self.net_weight
        return len(self.votes_for) - len(self.votes_against)

    def scores(self) -> dict:
        return {"questioning": self.questioning, "suggestion": self.suggestion, **dict(self.extra),
                "n_ratings": self.n_ratings}


@dataclass(frozen=True)
class Selected:
    """One exported target: the candidate whose turn it answers, the text and why it was chosen."""

    candidate: ExportCandidate
    target: str
    source: str  # one of TARGET_SOURCES
    stats: CandidateStats
    annotators: tuple[str, ...] = field(default=())  # who stands behind the target
    turn_type: str | None = None  # the target's own type (a correction's differs from the rated reply's)

    def metadata(self) -> dict:
        c, s = self.candidate, self.stats
        # A correction is an annotator's text: it names no stored reply and no model (as DPO and KTO rows do),
        # so that neither a consumer nor the card's per-model counts take it for the corrected model's output.
        if self.source == "corrected":
            generation_id, model = None, "corrected"
        else:
            generation_id, model = c.generation_id, c.model
        if not s.extra:  # the same keys without the further axes, built in one step (most exports)
            return {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "generation_id": generation_id,
                    "dataset": c.dataset, "column": c.column, "model": model, "target_source": self.source,
                    "turn_type": self.turn_type if self.turn_type is not None else s.turn_type,
                    "annotators": list(self.annotators or s.annotators), "questioning": s.questioning,
                    "suggestion": s.suggestion, "n_ratings": s.n_ratings, "agreement": s.agreement}
        return {
            "dialogue_id": c.dialogue_id,
            "turn_index": c.turn_index,
            "generation_id": generation_id,
            "dataset": c.dataset,
            "column": c.column,
            "model": model,
            "target_source": self.source,
            "turn_type": self.turn_type if self.turn_type is not None else s.turn_type,
            "annotators": list(self.annotators or s.annotators),
            "questioning": s.questioning,
            "suggestion": s.suggestion,
            **dict(s.extra),
            "n_ratings": s.n_ratings,
            "agreement": s.agreement,
        }


def _selected(c: ExportCandidate, target: str, source: str, stats: CandidateStats, annotators: tuple[str, ...],
              turn_type: str | None = None) -> Selected:
    """``Selected(c, target, source, stats, annotators, turn_type)`` without the frozen ``__init__`` (twice the
    cost, once per exported turn)."""
    return with_fields(Selected, {"candidate": c, "target": target, "source": source, "stats": stats,
                                  "annotators": annotators, "turn_type": turn_type})


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _majority(labels: list[str], auto: str | None) -> str | None:
    if not labels:
        return None
    first = labels[0]
    n = len(labels)
    if n == 1 or labels.count(first) == n:  # unanimous: most replies
        return first
    if n == 2:  # two different labels: a tie between them (the general count below, without its dict)
        second = labels[1]
        return auto if auto == first or auto == second else min(first, second)
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    top = max(counts.values())
    tied = sorted(k for k, v in counts.items() if v == top)
    return auto if auto in tied else tied[0]


def candidate_stats(c: ExportCandidate, annotators: frozenset[str] | None = None) -> CandidateStats:
    """Aggregate a candidate's ratings and votes, counting only ``annotators`` when given."""
    rs = c.ratings
    if annotators is None:
        n_rs = len(rs)
        if n_rs == 1 and not rs[0].extra_scores:
            return _one_rating_stats(c, rs[0])
        if n_rs == 2 and not rs[0].extra_scores and not rs[1].extra_scores:
            return _two_rating_stats(c, rs[0], rs[1])
        if n_rs == 3 and not (rs[0].extra_scores or rs[1].extra_scores or rs[2].extra_scores):
            return _three_rating_stats(c, rs[0], rs[1], rs[2])
    # One plain loop: this runs once per generation and dominates large exports.
    who: list[str] = []
    qs: list[float] = []
    ss: list[float] = []
    labels: list[str] = []
    corrections: list[tuple[str, str, datetime | None]] = []
    flagged = False
    n = 0
    extra: dict[str, list[float]] | None = None  # only when the rubric has further axes
    for r in c.ratings:
        a = r.annotator
        if annotators is not None and a not in annotators:
            continue
        n += 1
        if a not in who:
            who.append(a)
        if r.questioning is not None:
            qs.append(r.questioning)
        if r.suggestion is not None:
            ss.append(r.suggestion)
        if r.turn_type:
            labels.append(r.turn_type)
        if r.safety_flag:
            flagged = True
        if r.corrected_reply and r.corrected_reply.strip():
            corrections.append((a, r.corrected_reply, r.created_at))
        if r.extra_scores:
            if extra is None:
                extra = {}
            for axis, score in r.extra_scores:
                got = extra.setdefault(axis, [])
                if score is not None:
                    got.append(score)
    q = sum(qs) / len(qs) if qs else None
    s = sum(ss) / len(ss) if ss else None
    if q is None or s is None:
        overall = q if s is None else s
    else:
        overall = (q + s) / 2
    auto = c.turn_type_auto
    human = _majority(labels, auto) if labels else None
    if annotators is None:
        votes_for, votes_against = tuple(c.preferred_by), tuple(c.dispreferred_by)
    else:
        votes_for = tuple(a for a in c.preferred_by if a in annotators)
        votes_against = tuple(a for a in c.dispreferred_by if a in annotators)
    # Positional: keyword arguments cost noticeably at one call per generation.
    stats = CandidateStats(tuple(who), q, s, n, overall, human if human is not None else auto,
                           "human" if human is not None else ("auto" if auto else None), flagged, c.agreement,
                           votes_for, votes_against, tuple(corrections))
    if extra is not None:
        stats.extra = tuple((axis, _mean(scores)) for axis, scores in extra.items())
    return stats


def _one_rating_stats(c: ExportCandidate, r: RatingInfo) -> CandidateStats:
    """:func:`candidate_stats` of a reply with one rating, every annotator counted (most replies of a
    store): the same values without the lists of the general loop. ``0.0 + x`` is what ``sum([x])``
    computes (a float sum starts from 0.0: -0.0 becomes 0.0), and ``/ 1`` what dividing by the count does."""
    q, sg = r.questioning, r.suggestion
    if q is not None:
        q = (0.0 + q) / 1
    if sg is not None:
        sg = (0.0 + sg) / 1
    if q is None or sg is None:
        overall = q if sg is None else sg
    else:
        overall = (q + sg) / 2
    auto = c.turn_type_auto
    human = r.turn_type or None  # a single label is its own majority
    fix = r.corrected_reply
    return CandidateStats((r.annotator,), q, sg, 1, overall, human if human is not None else auto,
                          "human" if human is not None else ("auto" if auto else None), bool(r.safety_flag),
                          c.agreement, tuple(c.preferred_by), tuple(c.dispreferred_by),
                          ((r.annotator, fix, r.created_at),) if fix and fix.strip() else ())


def _two_rating_stats(c: ExportCandidate, r1: RatingInfo, r2: RatingInfo) -> CandidateStats:
    """:func:`candidate_stats` of a reply with two ratings, every annotator counted: the same values
    without the general loop's lists. ``sum([x, y])`` is ``(0 + x) + y`` in that order, which
    ``0.0 + x + y`` computes (see :func:`_one_rating_stats`)."""
    q1, q2 = r1.questioning, r2.questioning
    if q1 is None:
        q = None if q2 is None else (0.0 + q2) / 1
    else:
        q = (0.0 + q1) / 1 if q2 is None else (0.0 + q1 + q2) / 2
    s1, s2 = r1.suggestion, r2.suggestion
    if s1 is None:
        sg = None if s2 is None else (0.0 + s2) / 1
    else:
        sg = (0.0 + s1) / 1 if s2 is None else (0.0 + s1 + s2) / 2
    if q is None or sg is None:
        overall = q if sg is None else sg
    else:
        overall = (q + sg) / 2
    auto = c.turn_type_auto
    t1, t2 = r1.turn_type, r2.turn_type
    human: str | None
    if t1 and t2:  # _majority of two labels: the same one, else a tie
        human = t1 if t1 == t2 else (auto if auto == t1 or auto == t2 else min(t1, t2))
    else:
        human = t1 or t2 or None
    a1, a2 = r1.annotator, r2.annotator
    f1, f2 = r1.corrected_reply, r2.corrected_reply
    fixes: tuple = ()
    if f1 or f2:
        fixes = tuple((r.annotator, r.corrected_reply, r.created_at) for r in (r1, r2)
                      if r.corrected_reply and r.corrected_reply.strip())
    return CandidateStats((a1,) if a1 == a2 else (a1, a2), q, sg, 2, overall, human if human is not None else auto,
                          "human" if human is not None else ("auto" if auto else None),
                          bool(r1.safety_flag or r2.safety_flag), c.agreement, tuple(c.preferred_by),
                          tuple(c.dispreferred_by), fixes)


def _mean_of_three(a: float | None, b: float | None, c: float | None) -> float | None:
    """The mean of the scores given (``sum`` over them in order, as :func:`candidate_stats` takes it)."""
    if a is not None and b is not None and c is not None:
        return sum((a, b, c)) / 3
    given = [x for x in (a, b, c) if x is not None]
    return sum(given) / len(given) if given else None


def _three_rating_stats(c: ExportCandidate, r1: RatingInfo, r2: RatingInfo, r3: RatingInfo) -> CandidateStats:
    """:func:`candidate_stats` of a reply with three ratings, every annotator counted: the same values
    without the general loop's lists (the means are ``sum`` over the scores given, in order, as there)."""
    q1, q2, q3, s1, s2, s3 = r1.questioning, r2.questioning, r3.questioning, r1.suggestion, r2.suggestion, r3.suggestion
    # Every score given (most ratings): ``0 + a + b + c`` adds as ``sum`` does (from int 0, in order).
    q = (0 + q1 + q2 + q3) / 3 if q1 is not None and q2 is not None and q3 is not None else _mean_of_three(q1, q2, q3)
    sg = (0 + s1 + s2 + s3) / 3 if s1 is not None and s2 is not None and s3 is not None else _mean_of_three(s1, s2, s3)
    if q is None or sg is None:
        overall = q if sg is None else sg
    else:
        overall = (q + sg) / 2
    auto = c.turn_type_auto
    t1, t2, t3 = r1.turn_type, r2.turn_type, r3.turn_type
    human: str | None
    if t1 and t2 and t3:  # _majority of three labels: two or three alike win, else a three-way tie
        if t1 == t2 or t1 == t3:
            human = t1
        elif t2 == t3:
            human = t2
        else:
            human = auto if auto == t1 or auto == t2 or auto == t3 else min(t1, t2, t3)
    else:
        human = _majority([t for t in (t1, t2, t3) if t], auto)
    a1, a2, a3 = r1.annotator, r2.annotator, r3.annotator
    who = (a1, a2, a3) if a1 != a2 and a1 != a3 and a2 != a3 else tuple(dict.fromkeys((a1, a2, a3)))
    fixes: tuple = ()
    if r1.corrected_reply or r2.corrected_reply or r3.corrected_reply:
        fixes = tuple((r.annotator, r.corrected_reply, r.created_at) for r in (r1, r2, r3)
                      if r.corrected_reply and r.corrected_reply.strip())
    return CandidateStats(who, q, sg, 3, overall, human if human is not None else auto,
                          "human" if human is not None else ("auto" if auto else None),
                          bool(r1.safety_flag or r2.safety_flag or r3.safety_flag), c.agreement,
                          tuple(c.preferred_by), tuple(c.dispreferred_by), fixes)


def in_scope(c: ExportCandidate, f: ExportFilters) -> bool:
    """Dataset and date filters: whether a candidate may appear in the export at all."""
    if f.datasets is not None and c.dataset not in f.datasets:
        return False
    if not f.scope.has_dates:
        return True
    if c.created_at is None:
        return False
    t = utc_naive(c.created_at)
    if f.date_from is not None and t < utc_naive(f.date_from):
        return False
    return not (f.date_to is not None and t > utc_naive(f.date_to, end=True))


def type_ok(s: CandidateStats, f: ExportFilters) -> bool:
    """The turn-type filter on a model reply (its human majority label, else the automatic one)."""
    return f.turn_types is None or s.turn_type in f.turn_types


@functools.lru_cache(maxsize=65536)
def text_turn_type(text: str) -> str:
    """The classifier's turn type of a text nobody labelled (a corrected reply)."""
    from workbench.annotate.classifier import classify

    return classify(text).turn_type


def text_type_ok(text: str, f: ExportFilters) -> bool:
    """The turn-type filter on a corrected reply: on what is exported, not on the reply it corrects."""
    return f.turn_types is None or text_turn_type(text) in f.turn_types


def _filtered(f: ExportFilters) -> bool:
    """Whether any filter of :func:`type_ok` and :func:`quality_ok` besides the safety exclusion is set
    (when none is, a turn's replies are checked inline: this runs for every reply of a large export)."""
    return (f.turn_types is not None or f.min_questioning is not None or f.min_suggestion is not None
            or f.min_agreement is not None)


def quality_ok(s: CandidateStats, f: ExportFilters) -> bool:
    """Score minima, agreement minimum and the safety exclusion."""
    if f.exclude_safety_flagged and s.safety_flagged:
        return False
    if f.min_questioning is not None and (s.questioning is None or s.questioning < f.min_questioning):
        return False
    if f.min_suggestion is not None and (s.suggestion is None or s.suggestion < f.min_suggestion):
        return False
    return f.min_agreement is None or (s.agreement is not None and s.agreement >= f.min_agreement)


def pool_identical(cands: Sequence[ExportCandidate]) -> list[ExportCandidate]:
    """One candidate per distinct (history, reply text) among the candidates of one turn, first-seen order.

    A pooled candidate is its first copy with every copy's ratings; annotators who preferred any copy
    prefer it, and those who dispreferred a copy but preferred none disprefer it; ``agreement`` is the
    mean of the copies' agreements.
    """
    if len(set(map(_OUTPUT, cands))) == len(cands):  # no two replies alike: the usual case
        return list(cands)
    # By text first, then by history: hashing a history (a tuple of turns) is not cached by Python.
    by_text: dict[str, list[list[ExportCandidate]]] = {}
    ordered: list[list[ExportCandidate]] = []  # first-seen order
    for c in cands:
        groups = by_text.setdefault(c.output, [])
        for g in groups:
            if g[0].history is c.history or g[0].history == c.history:
                g.append(c)
                break
        else:
            groups.append([c])
            ordered.append(groups[-1])
    if len(ordered) == len(cands):
        return list(cands)
    return [copies[0] if len(copies) == 1 else pool_copies(copies) for copies in ordered]


def pool_copies(copies: Sequence[ExportCandidate], votes: bool = True) -> ExportCandidate:
    """Several copies of one reply (same text, same history) as one candidate (see :func:`pool_identical`);
    for callers that know their candidates are copies, without comparing their histories again.
    ``votes=False``: the preference votes are left empty, for callers that never show them (KTO rows):
    merging them cost as much as the rest of the pooling."""
    # Chained in C: KTO pools thousands of rows of a few copies each, where generator loops cost most.
    first = copies[0]
    pro: list[str] = []
    con: list[str] = []
    if votes:
        pro = list(dict.fromkeys(chain.from_iterable(map(_PREFERRED_BY, copies))))
        con = [a for a in dict.fromkeys(chain.from_iterable(map(_DISPREFERRED_BY, copies))) if a not in pro]
    agreements = [c.agreement for c in copies if c.agreement is not None]
    return copy_with(first, {
        "ratings": one_per_annotator(list(chain.from_iterable(map(_RATINGS, copies)))),
        "preferred_by": pro, "dispreferred_by": con,
        "agreement": sum(agreements) / len(agreements) if agreements else None,
        "pooled_ids": tuple(chain.from_iterable(map(_GENERATION_IDS, copies)))})


def one_per_annotator(ratings: list[RatingInfo]) -> list[RatingInfo]:
    """The ratings of one pooled reply, each annotator counted once: the Rate tab stores one answer for every
    identical copy, and one answer is one judgement (``n_ratings`` counted it once per copy). Where an
    annotator rated copies apart (the submit refuses that now; older stores may hold it), their latest
    rating with a correction stands, else their latest: a written correction is never dropped."""
    if len({r.annotator for r in ratings}) == len(ratings):
        return ratings
    kept: dict[str, RatingInfo] = {}
    for r in ratings:
        old = kept.get(r.annotator)
        if old is None or _standing(r) > _standing(old):
            kept[r.annotator] = r
    return list(kept.values())


def _standing(r: RatingInfo) -> tuple[bool, bool, datetime]:
    return bool(r.corrected_reply and r.corrected_reply.strip()), r.created_at is not None, r.created_at or datetime.min


_PREFERRED_BY = attrgetter("preferred_by")
_DISPREFERRED_BY = attrgetter("dispreferred_by")
_RATINGS = attrgetter("ratings")
_OUTPUT = attrgetter("output")
_GENERATION_IDS = attrgetter("generation_ids")


def group_turns(
    candidates: Iterable[ExportCandidate], f: ExportFilters
) -> dict[tuple[DialogueId, int], list[tuple[ExportCandidate, CandidateStats]]]:
    """In-scope candidates with their stats, grouped by (dialogue, turn) in first-seen order, identical
    replies pooled (see :func:`pool_identical`)."""
    ann = frozenset(f.annotators) if f.annotators is not None else None
    by_turn: dict[tuple[DialogueId, int], list[ExportCandidate]] = {}
    everything = f.datasets is None and not f.scope.has_dates
    # A turn's candidates come in one run (as a store lists them): one look-up per run, runs found in C.
    for key, run in groupby(candidates if everything else (c for c in candidates if in_scope(c, f)), _TURN_KEY):
        got = by_turn.get(key)
        if got is None:
            by_turn[key] = list(run)
        else:
            got.extend(run)
    stats = candidate_stats if ann is None else functools.partial(candidate_stats, annotators=ann)
    out = {}
    for key, cands in by_turn.items():
        pooled = pool_identical(cands)
        out[key] = list(zip(pooled, map(stats, pooled), strict=True))
    return out


_TURN_KEY = attrgetter("dialogue_id", "turn_index")


def _pick_correction(group: list[tuple[ExportCandidate, CandidateStats]], f: ExportFilters) -> Selected | None:
    found = [(c, s, a, t, at) for c, s in group for a, t, at in s.corrections if text_type_ok(t, f)]
    if not found:
        return None
    if len(found) == 1:  # one correction (most turns that have any): it wins, written by its annotator alone
        c, s, a, text, at = found[0]
        if at is not None:
            utc_naive(at)  # the general path below reads the time: the same error for a value that is not one
        return _selected(c, text, "corrected", s, (a,), text_turn_type(text))
    by_text = Counter(t for _, _, _, t, _ in found)
    # Times as the store keeps them (naive UTC): a caller's candidates may mix naive and aware times,
    # which Python refuses to compare.
    latest = {t: max((utc_naive(at) for *_, tt, at in found if tt == t and at is not None), default=None)
              for t in by_text}

    def key(x: tuple) -> tuple:
        t, a = x[3], x[2]
        ts = latest[t]
        return (-by_text[t], -(ts.replace(tzinfo=UTC).timestamp() if ts else float("-inf")), a)

    c, s, _, text, _ = min(found, key=key)
    who = tuple(sorted({a for _, _, a, t, _ in found if t == text}))
    return _selected(c, text, "corrected", s, who, text_turn_type(text))


def has_text(c: ExportCandidate) -> bool:
    """Whether the reply says anything: an empty one is no training text (no target, no pair, no completion)."""
    return bool(c.output and not c.output.isspace())


def select_turn(group: list[tuple[ExportCandidate, CandidateStats]], f: ExportFilters) -> Selected | None:
    """The target for one (dialogue, turn) group, or None when nothing qualifies."""
    if f.use_corrections and any(s.corrections for _, s in group):
        picked = _pick_correction(group, f)
        if picked is not None:
            return picked
    # An empty reply (a model that wrote nothing, stored as ok) is never a target, however it was rated: its
    # correction still is (above).
    ok = [(i, c, s) for i, (c, s) in enumerate(group) if type_ok(s, f) and quality_ok(s, f) and has_text(c)] \
        if _filtered(f) else \
        [(i, c, s) for i, (c, s) in enumerate(group)
         if (not s.safety_flagged or not f.exclude_safety_flagged) and has_text(c)]
    if f.use_preferences:
        voted = [x for x in ok if x[2].net_votes > 0]
        if voted:
            i, c, s = min(voted, key=lambda x: (-x[2].net_votes, -(x[2].overall or 0.0), -x[2].n_ratings, x[0]))
            return _selected(c, c.output, "preferred", s, s.votes_for)
    if f.score_threshold is not None:
        good = [x for x in ok if x[2].overall is not None and x[2].overall >= f.score_threshold]
        if good:
            i, c, s = min(
                good, key=lambda x: (-(x[2].overall or 0.0), -(x[2].agreement or 0.0), -x[2].n_ratings, x[0])
            )
            return _selected(c, c.output, "score", s, s.annotators)
    return None


def select_turns(groups: Iterable[list[tuple[ExportCandidate, CandidateStats]]], f: ExportFilters) -> list[Selected]:
    """:func:`select_turn` of each group, in order, the turns without a target left out.

    Without score minima, agreement minimum and turn-type filter (most exports), one pass over a turn's
    replies finds the preferred one (and a second, only when none is, the best-scored one): the same
    choice as ``min`` over the filtered lists, with the options read once for all turns.
    """
    if _filtered(f):
        return [picked for group in groups if (picked := select_turn(group, f)) is not None]
    corrections, preferences = f.use_corrections, f.use_preferences
    threshold, skip_flagged = f.score_threshold, f.exclude_safety_flagged
    out: list[Selected] = []
    for group in groups:
        if corrections:
            picked = None
            for _, s in group:
                if s.corrections:
                    picked = _pick_correction(group, f)
                    break
            if picked is not None:
                out.append(picked)
                continue
        best: tuple | None = None  # (key, candidate, stats) with the lowest key, as min() keeps it
        if preferences:
            for i, (c, s) in enumerate(group):
                if skip_flagged and s.safety_flagged or not has_text(c):
                    continue
                net = s.net_weight
                if net is None:
                    net = len(s.votes_for) - len(s.votes_against)
                if net > 0:
                    key = (-net, -(s.overall or 0.0), -s.n_ratings, i)
                    if best is None or key < best[0]:
                        best = (key, c, s)
            if best is not None:
                _, c, s = best
                out.append(_selected(c, c.output, "preferred", s, s.votes_for))
                continue
        if threshold is not None:
            for i, (c, s) in enumerate(group):
                if skip_flagged and s.safety_flagged or not has_text(c):
                    continue
                overall = s.overall
                if overall is not None and overall >= threshold:
                    key = (-(overall or 0.0), -(s.agreement or 0.0), -s.n_ratings, i)
                    if best is None or key < best[0]:
                        best = (key, c, s)
            if best is not None:
                _, c, s = best
                out.append(_selected(c, c.output, "score", s, s.annotators))
    return out


def select_targets(candidates: Sequence[ExportCandidate], filters: ExportFilters | None = None) -> list[Selected]:
    """At most one target per (dialogue, turn), ordered by dialogue (first seen) then turn index."""
    f = filters or ExportFilters()
    groups = group_turns(candidates, f)
    first_seen: dict[DialogueId, int] = {}
    for d, _ in groups:
        first_seen.setdefault(d, len(first_seen))
    return select_turns([groups[key] for key in sorted(groups, key=lambda k: (first_seen[k[0]], k[1]))], f)
