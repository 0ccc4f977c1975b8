"""Dashboard tables of aggregated answers: per column, plain means beside Dawid-Skene and MACE.

Reads the ``ratings`` frame (see :mod:`workbench.analysis.frames`): one reply (generation) is one item;
its turn type is aggregated as a category and each score axis as an ordinal answer (NaN = N/A, left out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from workbench.analysis.aggregation import Aggregate, Answer, aggregate, check_method
from workbench.vocab import RubricAxis, TurnType

AXES = tuple(RubricAxis)
TURN_TYPES = tuple(TurnType)


def _answers(ratings: pd.DataFrame, field: str) -> list[Answer]:
    out = []
    for gid, who, value in zip(ratings["generation_id"], ratings["annotator"], ratings[field], strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            continue
        out.append(Answer(int(gid), str(who), int(value) if field in AXES else str(value)))
    return out


def fit_all(ratings: pd.DataFrame, method: str, seed: int = 0) -> dict[str, Aggregate]:
    """One aggregate per question (``turn_type`` and each axis) over every rating in the frame."""
    method = check_method(method)
    out = {"turn_type": aggregate(_answers(ratings, "turn_type"), method, seed=seed)}
    for axis in AXES:
        out[axis] = aggregate(_answers(ratings, axis), method, ordinal=True, seed=seed)
    return out


def aggregated_scores(ratings: pd.DataFrame, methods: Sequence[str] = ("mean", "dawid-skene", "mace"),
                      seed: int = 0) -> pd.DataFrame:
    """Per column and method: mean aggregated score per axis and the share of each aggregated turn type.

    Columns: column, aggregate, replies (rated replies), questioning, suggestion, then one
    ``turn_type:<label>`` share per turn type (a reply whose aggregated type is tied counts equally to each). With ``mean`` the scores equal the mean of each reply's
    plain mean score.
    """
    cols = ["column", "aggregate", "replies", *AXES, *(f"turn_type:{t}" for t in TURN_TYPES)]
    if ratings.empty:
        return pd.DataFrame(columns=cols)
    column_of = dict(zip(ratings["generation_id"].astype(int), ratings["column"], strict=True))
    rows = []
    for method in dict.fromkeys(check_method(m) for m in methods):
        fitted = fit_all(ratings, method, seed)
        for column in sorted(set(column_of.values())):
            gens = {g for g, c in column_of.items() if c == column}
            row: dict = {"column": column, "aggregate": method, "replies": len(gens)}
            for axis in AXES:
                vals = [v for g, v in fitted[axis].scores.items() if g in gens]
                row[axis] = sum(vals) / len(vals) if vals else float("nan")
            # Each reply's aggregated type; a tie (a 1:1 vote) counts equally to each tied type, where the label
            # alone gave it all to the type that sorts first.
            shares: dict[str, float] = dict.fromkeys(TURN_TYPES, 0.0)
            dists = [dist for g, dist in fitted["turn_type"].probabilities.items() if g in gens and dist]
            for d in dists:
                top = max(d.values())
                tied = [t for t, p in d.items() if abs(p - top) <= 1e-12]
                for t in tied:
                    shares[str(t)] = shares.get(str(t), 0.0) + 1 / len(tied)
            for t in TURN_TYPES:
                row[f"turn_type:{t}"] = shares[t] / len(dists) if dists else float("nan")
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def reliability_table(ratings: pd.DataFrame, method: str, seed: int = 0) -> pd.DataFrame:
    """Per annotator, the method's estimated reliability on each question (0 = no information, 1 = always right)."""
    fitted = fit_all(ratings, method, seed)
    names = sorted({str(a) for a in ratings["annotator"]}) if not ratings.empty else []
    return pd.DataFrame([{"annotator": n, **{f"reliability:{q}": fitted[q].reliability.get(n, float("nan"))
                                              for q in ("turn_type", *AXES)}} for n in names],
                        columns=["annotator", *(f"reliability:{q}" for q in ("turn_type", *AXES))])
