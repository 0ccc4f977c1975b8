"""The workbench's vocabulary, defined once: every module and the database use these values.

They are string enums, so a member equals its text (``TurnType.QUESTION == "question"``) and JSON,
CSV and Parquet write the text. The store keeps them as ``Enum(native_enum=False)`` columns with a
CHECK constraint (``store.schema.db_enum``), so the database itself refuses a value outside this file.
Changing a stored enum's values needs an Alembic revision that replaces its CHECK.
"""

from __future__ import annotations

from enum import StrEnum


class TurnType(StrEnum):
    """What a doctor reply does: asks, advises, both, or neither."""

    QUESTION = "question"
    SUGGESTION = "suggestion"
    MIXED = "mixed"
    OTHER = "other"


class GenerationStatus(StrEnum):
    """Where a stored reply stands: ``running`` until it finishes as ok, error or stopped (by the user)."""

    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    STOPPED = "stopped"


class AnswerStatus(StrEnum):
    """An annotator's answer (rating or preference), as Argilla's response status."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    DISCARDED = "discarded"


class PreferenceOutcome(StrEnum):
    """The judgement across the columns' replies at one doctor position."""

    BEST = "best"
    TIE = "tie"
    ALL_BAD = "all_bad"
    RANKING = "ranking"


class RubricAxis(StrEnum):
    """The shipped rubric's two axes: the exports' and analysis frames' fixed columns and gold answers.

    A rubric may add axes of its own (answers are JSON keyed by axis, ``Rating.scores``); those need no
    entry here.
    """

    QUESTIONING = "questioning"
    SUGGESTION = "suggestion"


class BatchRunStatus(StrEnum):
    """A batch run: ``interrupted`` is set when a later run finds it killed."""

    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"


class FlagAction(StrEnum):
    """What an admin did with an item an annotator flagged as broken (``flag_reviews.action``)."""

    REASSIGNED = "reassigned"  # handed to another annotator
    POOL = "pool"              # back to the queue, for anyone but who flagged it
    RETIRED = "retired"        # out of the rating queue for everyone


#: The statuses of a finished reply a column can go on from (an error is not part of the thread).
FINAL_STATUSES: tuple[GenerationStatus, ...] = (GenerationStatus.OK, GenerationStatus.STOPPED)

#: Turn types that give advice / that ask.
ADVICE_TURN_TYPES: tuple[TurnType, ...] = (TurnType.SUGGESTION, TurnType.MIXED)
QUESTION_TURN_TYPES: tuple[TurnType, ...] = (TurnType.QUESTION, TurnType.MIXED)
#: The ``question`` of the turn-type classifier's suggestions (the store's ``suggestions.question``).
TURN_TYPE_QUESTION = "turn_type"

#: The ``route`` of a reply no model generated (the fixed greeting); other routes are open-ended
#: (``v1``, ``v2``, a backend's name), so the route is not an enum.
GREETING_ROUTE = "greeting"

#: A reply ends a question with one of these (full- and half-width).
QUESTION_MARKS: tuple[str, ...] = ("？", "?")
#: The original BianQue rule: a reply asks when it contains any of these (kept as the baseline).
ORIGINAL_QUESTION_MARKERS: tuple[str, ...] = (*QUESTION_MARKS, "吗", "呢", "么", "什么", "有没有", "多少", "几次", "怎么样")


def values(enum: type[StrEnum]) -> list[str]:
    """The stored texts of an enum, in definition order."""
    return [m.value for m in enum]


__all__ = [
    "ADVICE_TURN_TYPES",
    "FINAL_STATUSES",
    "QUESTION_TURN_TYPES",
    "TURN_TYPE_QUESTION",
    "GREETING_ROUTE",
    "ORIGINAL_QUESTION_MARKERS",
    "QUESTION_MARKS",
    "AnswerStatus",
    "BatchRunStatus",
    "GenerationStatus",
    "PreferenceOutcome",
    "RubricAxis",
    "TurnType",
    "values",
]
