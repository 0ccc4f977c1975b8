"""Chain-of-Questioning measures: how often, and how long, a column keeps asking before it advises.

Model replies and gold references go through the *same* classifier (passed in, or the project's
original question-marker rule), so the reference curve is comparable with the model curves. The stored
``asks_question`` flag is not reused for that reason: it may come from another classifier version.
Only generations with status "ok" count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from workbench.analysis.frames import REFERENCE_LABEL, validate_frame
from workbench.vocab import QUESTION_MARKS, GenerationStatus

Classifier = Callable[[str], bool]


def marker_is_question(text: str) -> bool:
    """Last-resort classifier: a full- or half-width question mark anywhere in the reply."""
    return any(m in text for m in QUESTION_MARKS)


def default_classifier() -> Classifier:
    """The annotate package's original-marker classifier when available, else :func:`marker_is_question`."""
    try:
        from workbench.annotate.classifier import is_question_original
    except ImportError:
        return marker_is_question
    return is_question_original


def _classify_texts(texts: pd.Series, classify: Classifier) -> np.ndarray:
    """Classify each text once; replies repeat (greetings, batch runs), so cache by value."""
    values = [t if isinstance(t, str) else "" for t in texts.to_numpy(dtype=object).tolist()]
    cache = {t: bool(classify(t)) for t in set(values)}
    return np.fromiter((cache[t] for t in values), dtype=bool, count=len(values))


def label_turns(
    generations: pd.DataFrame, references: pd.DataFrame, classify: Classifier | None = None
) -> pd.DataFrame:
    """One row per "ok" reply and per reference turn: column ("reference" for gold turns), dialogue_id,
    turn_index, order, is_question (and created_at for replies).

    Both CoQ functions accept this as ``turns=`` so a caller needing both classifies each text once.
    """
    classify = classify or default_classifier()
    validate_frame(generations, "generations", ["column", "dialogue_id", "turn_index", "output", "status"])
    validate_frame(references, "references", ["dialogue_id", "turn_index", "text"])
    ok = generations[(generations["status"] == GenerationStatus.OK) & generations["output"].notna()]
    gen = pd.DataFrame(
        {
            "column": ok["column"].astype(object).to_numpy(),
            "dialogue_id": ok["dialogue_id"].to_numpy(),
            "turn_index": ok["turn_index"].to_numpy(),
            "order": np.arange(len(ok)),
            "is_question": _classify_texts(ok["output"], classify),
        }
    )
    if "created_at" in ok.columns:
        gen["created_at"] = pd.to_datetime(ok["created_at"], errors="coerce").to_numpy()
    refs = references[references["text"].notna()]
    ref = pd.DataFrame(
        {
            "column": REFERENCE_LABEL,
            "dialogue_id": refs["dialogue_id"].to_numpy(),
            "turn_index": refs["turn_index"].to_numpy(),
            "order": np.arange(len(refs)),
            "is_question": _classify_texts(refs["text"], classify),
        }
    )
    out = pd.concat([gen, ref], ignore_index=True) if len(ref) else gen
    out["turn_index"] = pd.to_numeric(out["turn_index"]).astype(int)
    return out


def wilson_interval(successes: np.ndarray, n: np.ndarray, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (vectorised; NaN where n == 0)."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + ci / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # At 0 or n successes a bound is exactly 0 or 1; computed, it came out as 2.8e-17 (a CSV showed the noise).
    lo = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    nan = ~(n > 0)
    return np.where(nan, np.nan, lo), np.where(nan, np.nan, hi)


def coq_curve(
    generations: pd.DataFrame,
    references: pd.DataFrame,
    classify: Classifier | None = None,
    ci: float = 0.95,
    turns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Share of question replies by doctor-turn index, per column and for the references.

    Columns: column, turn_index, n, n_questions, share, lo, hi (Wilson interval). Every stored reply at
    a turn counts (a regenerated reply is another sample of the column's behaviour).
    """
    if turns is None:
        turns = label_turns(generations, references, classify)
    cols = ["column", "turn_index", "n", "n_questions", "share", "lo", "hi"]
    if turns.empty:
        return pd.DataFrame(columns=cols)
    agg = (
        turns.groupby(["column", "turn_index"], sort=True)["is_question"]
        .agg(n="size", n_questions="sum")
        .reset_index()
    )
    agg["n_questions"] = agg["n_questions"].astype(int)
    agg["share"] = agg["n_questions"] / agg["n"]
    agg["lo"], agg["hi"] = wilson_interval(agg["n_questions"].to_numpy(), agg["n"].to_numpy(), ci)
    return agg[cols]


class QuestionRuns(NamedTuple):
    """Questions before the first suggestion: summary per column, distribution, and per dialogue."""

    summary: pd.DataFrame
    distribution: pd.DataFrame
    per_dialogue: pd.DataFrame


def questions_before_first_suggestion(
    generations: pd.DataFrame,
    references: pd.DataFrame,
    classify: Classifier | None = None,
    turns: pd.DataFrame | None = None,
) -> QuestionRuns:
    """Per column and for the references: in each dialogue, how many question turns come before the
    first non-question turn.

    Turns are taken in turn-index order over the turns present (one reply per turn: the latest stored).
    A dialogue whose every present turn is a question counts all of them and is flagged ``never_suggests``
    (a censored run: the true count is at least that).

    summary: column, n_dialogues, mean, median, never_suggests_share, mean_turns.
    distribution: column, n_questions, n_dialogues, share.
    per_dialogue: column, dialogue_id, n_questions, n_turns, never_suggests.
    """
    if turns is None:
        turns = label_turns(generations, references, classify)
    sort_keys = ["column", "dialogue_id", "turn_index"]
    sort_keys += ["created_at", "order"] if "created_at" in turns.columns else ["order"]
    turns = turns.sort_values(sort_keys, kind="stable", na_position="first")
    turns = turns.drop_duplicates(["column", "dialogue_id", "turn_index"], keep="last")
    key = [turns["column"], turns["dialogue_id"]]
    # A turn is in the leading run while no non-question turn has been seen in that dialogue yet.
    seen_advice = (~turns["is_question"]).groupby(key, sort=False).cummax()
    turns = turns.assign(leading=~seen_advice.to_numpy(dtype=bool))
    per = (
        turns.groupby(["column", "dialogue_id"], sort=True)
        .agg(n_questions=("leading", "sum"), n_turns=("leading", "size"))
        .reset_index()
    )
    per["n_questions"] = per["n_questions"].astype(int)
    per["never_suggests"] = per["n_questions"] == per["n_turns"]
    if per.empty:
        empty_summary = pd.DataFrame(
            columns=["column", "n_dialogues", "mean", "median", "never_suggests_share", "mean_turns"]
        )
        return QuestionRuns(
            empty_summary, pd.DataFrame(columns=["column", "n_questions", "n_dialogues", "share"]), per
        )
    summary = (
        per.groupby("column", sort=True)
        .agg(
            n_dialogues=("dialogue_id", "size"),
            mean=("n_questions", "mean"),
            median=("n_questions", "median"),
            never_suggests_share=("never_suggests", "mean"),
            mean_turns=("n_turns", "mean"),
        )
        .reset_index()
    )
    dist = per.groupby(["column", "n_questions"], sort=True).size().rename("n_dialogues").reset_index()
    dist["share"] = dist["n_dialogues"] / dist.groupby("column")["n_dialogues"].transform("sum")
    return QuestionRuns(summary, dist, per)
