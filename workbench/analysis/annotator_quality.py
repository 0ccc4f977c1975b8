"""The annotator quality table: how much work, how fast, how consistent, how right, how anchored.

Per annotator (only submitted ratings count):

* ``items_done``: rating items completed; ``median_seconds_per_item``: median time from taking an item
  to completing it;
* ``agreement_turn_type`` / ``agreement_scores``: the mean share of the *other* annotators of a reply who
  gave the same turn type / the same score (both axes pooled);
* ``gold_accuracy`` over ``gold_checked`` answers on gold replies (see :mod:`workbench.annotate.gold`);
* ``reliability_*``: the estimated reliability of the chosen aggregation method per question
  (0 = no information, 1 = always right, NaN without a reply shared with another annotator; see
  :mod:`workbench.analysis.aggregation`): the turn type and
  every rubric axis answered (an axis beyond the shipped two gets its column after theirs);
* ``anchoring``: the share of their turn types equal to the machine suggestion shown pre-filled. High
  anchoring with low agreement or gold accuracy suggests the suggestion is accepted unread.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.access import Permission, require_permission
from workbench.analysis.aggregation import Answer, aggregate, agreement_with_others, check_method
from workbench.annotate.counted import counted_rating
from workbench.annotate.gold import gold_accuracy
from workbench.annotate.rubric import axes_in, score_number
from workbench.auth import CurrentUser
from workbench.store.schema import Assignment, Rating, Suggestion, User
from workbench.vocab import RubricAxis

AXES = tuple(RubricAxis)
COLUMNS = ("annotator", "items_done", "median_seconds_per_item", "agreement_turn_type", "agreement_scores",
           "gold_accuracy", "gold_checked", "reliability_turn_type", "reliability_questioning",
           "reliability_suggestion", "anchoring", "ratings")
_LAST_RELIABILITY = COLUMNS.index("reliability_suggestion") + 1



def _shown_reliability(reliability: dict[str, float], answers: list[Answer]) -> dict[str, float]:
    """The estimates of the annotators who share a reply with another on this question. The aggregation
    gives the others 0 (nothing shows them reliable, so their votes weigh nothing), but the table would then
    read "no information" where there is no figure at all: they read n/a, as agreement does."""
    by_item: dict[Any, set[str]] = defaultdict(set)
    for a in answers:
        by_item[a.item].add(a.annotator)
    compared = {who for group in by_item.values() if len(group) > 1 for who in group}
    return {who: r for who, r in reliability.items() if who in compared}

def _latest_suggestions(s: Session) -> dict[int, str]:
    newest = select(func.max(Suggestion.id)).where(Suggestion.question == "turn_type").group_by(
        Suggestion.generation_id)
    rows = s.execute(select(Suggestion.generation_id, Suggestion.value).where(Suggestion.id.in_(newest)))
    return {gid: value for gid, value in rows}


def annotator_quality(s: Session, viewer: CurrentUser, method: str = "dawid-skene", seed: int = 0) -> pd.DataFrame:
    """One row per annotator who has taken an item or submitted a rating; admins and researchers only."""
    require_permission(viewer, Permission.QUALITY, "only admins and researchers can see the annotator quality view")
    method = check_method(method)
    ratings = s.execute(
        select(User.username, Rating.generation_id, Rating.turn_type, Rating.scores)
        .join(User, User.id == Rating.user_id).where(counted_rating())).all()
    spans = s.execute(select(User.username, Assignment.assigned_at, Assignment.completed_at)
                      .join(User, User.id == Assignment.user_id)).all()
    suggested = _latest_suggestions(s)
    gold = gold_accuracy(s, viewer)

    names = sorted({r[0] for r in ratings} | {r[0] for r in spans})
    done: dict[str, int] = defaultdict(int)
    seconds: dict[str, list[float]] = defaultdict(list)
    for who, taken, completed in spans:
        if completed is not None:
            done[who] += 1
            if taken is not None:
                seconds[who].append(max(0.0, (completed - taken).total_seconds()))

    turn_types = [Answer(gid, who, tt) for who, gid, tt, *_ in ratings if tt]
    axes = axes_in((r[3] for r in ratings), first=AXES)
    scores: dict[str, list[Any]] = {axis: [] for axis in axes}
    for who, gid, _tt, answers in ratings:
        for axis, value in (answers or {}).items():
            number = score_number(value)
            if number is not None:
                scores[axis].append(Answer(gid, who, int(number)))
    pooled = [Answer((a.item, axis), a.annotator, a.label) for axis in axes for a in scores[axis]]
    agree_tt = agreement_with_others(turn_types)
    agree_scores = agreement_with_others(pooled)
    reliability = {"turn_type": _shown_reliability(aggregate(turn_types, method, seed=seed).reliability, turn_types)}
    for axis in axes:
        reliability[axis] = _shown_reliability(
            aggregate(scores[axis], method, ordinal=True, seed=seed).reliability, scores[axis])

    anchored: dict[str, list[bool]] = defaultdict(list)
    for a in turn_types:
        if a.item in suggested:
            anchored[a.annotator].append(a.label == suggested[a.item])
    n_ratings: dict[str, int] = defaultdict(int)
    for who, *_ in ratings:
        n_ratings[who] += 1

    nan = float("nan")
    rows = []
    for who in names:
        g = gold.get(who)
        rows.append({
            "annotator": who,
            "items_done": done[who],
            "median_seconds_per_item": statistics.median(seconds[who]) if seconds[who] else nan,
            "agreement_turn_type": agree_tt.get(who, nan),
            "agreement_scores": agree_scores.get(who, nan),
            "gold_accuracy": g.accuracy if g is not None and g.accuracy is not None else nan,
            "gold_checked": g.checked if g is not None else 0,
            "reliability_turn_type": reliability["turn_type"].get(who, nan),
            **{f"reliability_{axis}": reliability[axis].get(who, nan) for axis in axes},
            "anchoring": sum(anchored[who]) / len(anchored[who]) if anchored[who] else nan,
            "ratings": n_ratings[who],
        })
    extra = [f"reliability_{axis}" for axis in axes if axis not in AXES]
    return pd.DataFrame(rows, columns=[*COLUMNS[:_LAST_RELIABILITY], *extra, *COLUMNS[_LAST_RELIABILITY:]])
