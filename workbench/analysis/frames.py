"""The input contract of the analysis package: four pandas DataFrames built from the store.

The lead's store layer builds these frames; every function in ``workbench.analysis`` reads only the
columns listed here, so a frame may carry extra columns. Missing columns raise :class:`InputError`
naming them, so a broken query fails loudly instead of producing an empty dashboard.

generations (one row per stored reply)
    generation_id int, dialogue_id int, dataset str|None, column str (e.g. "BianQue-1.0"), model str,
    turn_index int (0-based index of the doctor turn in the dialogue), output str,
    status "ok"|"error"|"stopped", latency_ms float, output_tokens int|None, asks_question bool,
    question_count int, length_chars int, turn_type_auto str (question/suggestion/mixed/other),
    reference str|None (gold doctor reply at that turn, for dataset dialogues), created_at datetime.

ratings (one row per annotator answer on one generation)
    rating_id, generation_id, annotator str, column, dataset, turn_index, turn_type str|None (human label),
    questioning float 1-5 or NaN (= not applicable), suggestion float 1-5 or NaN, safety_flag bool,
    display_slot int (0-based screen position of that column), created_at.

preferences (one row per annotator judgement across the columns of one turn)
    preference_id, annotator, dialogue_id, turn_index, shown list[str] (columns in display order),
    outcome "best"|"tie"|"all_bad"|"ranking", winner str|None (when outcome="best"),
    ranking list[str]|None (best first, when outcome="ranking"), dataset, created_at.

references (the gold doctor turns of imported dialogues)
    dialogue_id, dataset, turn_index, text.

greetings (optional: the fixed greetings, kept out of every frame above and only counted)
    the generations columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from workbench.errors import InputError
from workbench.vocab import PreferenceOutcome, RubricAxis

GENERATION_COLUMNS: tuple[str, ...] = (
    "generation_id",
    "dialogue_id",
    "dataset",
    "column",
    "model",
    "turn_index",
    "output",
    "status",
    "latency_ms",
    "output_tokens",
    "asks_question",
    "question_count",
    "length_chars",
    "turn_type_auto",
    "reference",
    "created_at",
)
RATING_COLUMNS: tuple[str, ...] = (
    "rating_id",
    "generation_id",
    "annotator",
    "column",
    "dataset",
    "turn_index",
    "turn_type",
    "questioning",
    "suggestion",
    "safety_flag",
    "display_slot",
    "created_at",
)
PREFERENCE_COLUMNS: tuple[str, ...] = (
    "preference_id",
    "annotator",
    "dialogue_id",
    "turn_index",
    "shown",
    "outcome",
    "winner",
    "ranking",
    "dataset",
    "created_at",
)
REFERENCE_COLUMNS: tuple[str, ...] = ("dialogue_id", "dataset", "turn_index", "text")

FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "generations": GENERATION_COLUMNS,
    "ratings": RATING_COLUMNS,
    "preferences": PREFERENCE_COLUMNS,
    "references": REFERENCE_COLUMNS,
}

SCORE_AXES: tuple[str, ...] = tuple(RubricAxis)


def score_axes(ratings: pd.DataFrame) -> tuple[str, ...]:
    """The score axes of a ratings frame: the contract's two, then each further rubric axis answered.

    The store adds a column per further axis (numbers, NaN = not applicable or not given), after the
    contract's columns: every column beyond :data:`RATING_COLUMNS` is one. Analyses iterate this, so an
    axis added to the rubric is analysed with no code change.
    """
    return (*SCORE_AXES, *(c for c in ratings.columns if c not in RATING_COLUMNS))
PREFERENCE_OUTCOMES: frozenset[str] = frozenset(PreferenceOutcome)
#: The frames store display slots from 0 (``display_slot``, the index in ``shown``); every analysis table
#: (position bias, scores by slot) and so every CSV, report, chart and tab counts them from this, as people
#: read "A, B, C": slot 1 is the reply shown first.
FIRST_SLOT = 1
REFERENCE_LABEL = "reference"  # the pseudo-column name used for gold turns in CoQ tables


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the columns of the named contract (``generations``, ``ratings``, ...)."""
    try:
        cols = FRAME_COLUMNS[name]
    except KeyError:
        raise InputError(f"unknown frame {name!r}; expected one of {sorted(FRAME_COLUMNS)}") from None
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def validate_frame(df: pd.DataFrame, name: str, required: Iterable[str] | None = None) -> pd.DataFrame:
    """Check that ``df`` is a DataFrame holding the contract's columns; return it unchanged.

    ``required`` narrows the check to the columns one function actually reads.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    cols = tuple(required) if required is not None else FRAME_COLUMNS[name]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}")
    return df


@dataclass(frozen=True)
class Frames:
    """The four analysis inputs together. Absent frames default to empty ones."""

    generations: pd.DataFrame = field(default_factory=lambda: empty_frame("generations"))
    ratings: pd.DataFrame = field(default_factory=lambda: empty_frame("ratings"))
    preferences: pd.DataFrame = field(default_factory=lambda: empty_frame("preferences"))
    references: pd.DataFrame = field(default_factory=lambda: empty_frame("references"))
    greetings: pd.DataFrame = field(default_factory=lambda: empty_frame("generations"))

    def validate(self) -> Frames:
        """Raise :class:`InputError` naming every missing column of every frame."""
        problems: list[str] = []
        for name in FRAME_COLUMNS:
            try:
                validate_frame(getattr(self, name), name)
            except InputError as exc:
                problems.append(str(exc))
        if problems:
            raise InputError("; ".join(problems))
        return self


def validate_frames(frames: Frames) -> Frames:
    """Function form of :meth:`Frames.validate`."""
    if not isinstance(frames, Frames):
        raise InputError(f"expected Frames, got {type(frames).__name__}")
    return frames.validate()
