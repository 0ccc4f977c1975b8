"""Export with reliability-weighted aggregates instead of plain means and vote counts.

With ``ExportFilters.aggregate`` set to ``dawid-skene`` or ``mace``, every in-scope candidate's stats are
re-derived from one fit over all the export's ratings (see :mod:`workbench.analysis.aggregation`):

* ``questioning`` / ``suggestion``: the posterior expected score instead of the plain mean (so targets
  above a score threshold, KTO labels and the DPO "low-rated" cut all follow it), and ``overall`` again
  the mean of the two;
* ``turn_type``: the most likely label;
* preference votes: each annotator's vote weighs their estimated reliability at picking the best column
  (fitted on every turn's choice: the column they preferred, or ``tie``), so the preferred target and
  the direction of a DPO pair follow the reliable annotators.

``mean`` leaves everything as it was.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.analysis.aggregation import Answer, aggregate, check_method
from workbench.export.records import ExportCandidate
from workbench.export.selection import CandidateStats

Group = list[tuple[ExportCandidate, CandidateStats]]
TIE = "tie"


def _allowed(who: str, annotators: frozenset[str] | None) -> bool:
    return annotators is None or who in annotators


def preference_answers(groups: Mapping[tuple, Group], annotators: frozenset[str] | None = None) -> list[Answer]:
    """Per turn and annotator, the column they preferred (``tie`` when they preferred several)."""
    chose: dict[tuple[tuple, str], set[str]] = defaultdict(set)
    for key, group in groups.items():
        for c, _s in group:
            for who in c.preferred_by:
                if _allowed(who, annotators):
                    chose[(key, who)].add(c.column)
    return [Answer(key, who, next(iter(cols)) if len(cols) == 1 else TIE) for (key, who), cols in chose.items()]


def vote_weights(groups: Mapping[tuple, Group], method: str, annotators: frozenset[str] | None = None,
                 seed: int = 0) -> dict[str, float] | None:
    """Annotator -> weight of their preference votes; None for ``mean`` (every vote counts 1)."""
    method = check_method(method)
    if method == "mean":
        return None
    return aggregate(preference_answers(groups, annotators), method, seed=seed).reliability


def weighted(voters: Iterable[str], weights: Mapping[str, float] | None) -> float:
    """The votes' total weight: a count without weights; an unknown voter weighs nothing."""
    voters = list(voters)
    if weights is None:
        return float(len(voters))
    return sum(weights.get(v, 0.0) for v in voters)


def reweight_groups(groups: Mapping[tuple, Group], method: str, annotators: frozenset[str] | None = None,
                    weights: Mapping[str, float] | None = None, seed: int = 0) -> dict[tuple, Group]:
    """The groups with each candidate's scores, turn type and net votes from ``method``; ``mean``: unchanged.

    ``weights`` are the preference vote weights when already computed (see :func:`vote_weights`).
    """
    method = check_method(method)
    if method == "mean":
        return dict(groups)
    turn_types: list[Answer] = []
    scores: dict[str, list[Answer]] = {"questioning": [], "suggestion": []}
    for group in groups.values():
        for c, _s in group:
            for r in c.ratings:
                if not _allowed(r.annotator, annotators):
                    continue
                if r.turn_type:
                    turn_types.append(Answer(c.generation_id, r.annotator, r.turn_type))
                for axis, answers in scores.items():
                    value = getattr(r, axis)
                    if value is not None:
                        answers.append(Answer(c.generation_id, r.annotator, value))
    tt = aggregate(turn_types, method, seed=seed)
    fitted = {axis: aggregate(answers, method, ordinal=True, seed=seed) for axis, answers in scores.items()}
    if weights is None:
        weights = vote_weights(groups, method, annotators, seed)
    out: dict[tuple, Group] = {}
    for key, group in groups.items():
        new_group = []
        for c, s in group:
            q = fitted["questioning"].scores.get(c.generation_id, s.questioning)
            sg = fitted["suggestion"].scores.get(c.generation_id, s.suggestion)
            present = [x for x in (q, sg) if x is not None]
            label = tt.labels.get(c.generation_id)
            changes: dict[str, Any] = {
                "questioning": q,
                "suggestion": sg,
                "overall": sum(present) / len(present) if present else None,
                "net_weight": weighted(s.votes_for, weights) - weighted(s.votes_against, weights),
            }
            if label is not None:
                changes.update(turn_type=label, turn_type_source="human")
            new_group.append((c, dataclasses.replace(s, **changes)))
        out[key] = new_group
    return out
