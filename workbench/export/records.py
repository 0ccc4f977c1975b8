"""What export reads: plain records the lead builds from the store. No database, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from workbench.dialogue import Turn

GenId = int | str
DialogueId = int | str
_T = TypeVar("_T")


@dataclass(frozen=True)
class RatingInfo:
    """One annotator's rating of one generation (scores on the rubric scale, default 1-5)."""

    annotator: str
    questioning: float | None = None
    suggestion: float | None = None
    turn_type: str | None = None  # human label, e.g. "question" / "suggestion"
    safety_flag: bool = False
    comment: str | None = None
    corrected_reply: str | None = None
    created_at: datetime | None = None
    #: (axis, score) of every further rubric axis, in the rubric's order (None = N/A or not given)
    extra_scores: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class ExportCandidate:
    """One stored generation at one doctor turn, with everything export needs to judge and trace it.

    ``history`` is what this reply's column saw before it, ending with the patient turn: the gold
    dialogue for dataset replies, the column's own thread for live ones.
    """

    generation_id: GenId
    dialogue_id: DialogueId
    dataset: str | None
    turn_index: int
    history: list[Turn] | tuple[Turn, ...]
    column: str
    model: str
    output: str
    turn_type_auto: str | None = None
    ratings: list[RatingInfo] = field(default_factory=list)
    agreement: float | None = None
    preferred_by: list[str] = field(default_factory=list)
    dispreferred_by: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    #: generation ids of byte-identical replies to the same history at this turn, pooled into this one
    #: (see :func:`workbench.export.selection.pool_identical`); empty when nothing was pooled
    pooled_ids: tuple[GenId, ...] = ()

    @property
    def generation_ids(self) -> tuple[GenId, ...]:
        return self.pooled_ids or (self.generation_id,)


def copy_with(c: ExportCandidate, changes: dict) -> ExportCandidate:
    """A copy of a frozen candidate with some fields changed. ``dataclasses.replace`` re-runs the frozen
    ``__init__`` (one ``object.__setattr__`` per field), several times slower; this runs for most
    candidates of a large export (de-identified copies, pooled replies)."""
    data = c.__dict__.copy()
    data.update(changes)
    return with_fields(type(c), data)


def with_fields(cls: type[_T], fields: dict) -> _T:
    """An instance of the frozen dataclass ``cls`` holding ``fields`` (every field, by name) without its
    ``__init__`` (one ``object.__setattr__`` per field): ``fields`` becomes the object's ``__dict__``, not copied."""
    new = object.__new__(cls)
    object.__setattr__(new, "__dict__", fields)
    return new


@dataclass(frozen=True)
class PreferenceOutcome:
    """One annotator's preference among the replies of one turn.

    ``ranking`` lists tiers best first; replies in one tier are tied. A plain "X wins" vote over
    Y and Z is ``[[X], [Y, Z]]``. Every reply in a tier is preferred to every reply in later tiers.
    """

    annotator: str
    dialogue_id: DialogueId
    turn_index: int
    ranking: list[list[GenId]]
    created_at: datetime | None = None

    @classmethod
    def winner(cls, annotator: str, dialogue_id: DialogueId, turn_index: int, winner: GenId,
               losers: list[GenId], created_at: datetime | None = None) -> PreferenceOutcome:
        return cls(annotator, dialogue_id, turn_index, [[winner], list(losers)], created_at)

    def pairs(self) -> list[tuple[GenId, GenId]]:
        """(better, worse) generation ids implied by the ranking."""
        out: list[tuple[GenId, GenId]] = []
        for i, tier in enumerate(self.ranking):
            for worse_tier in self.ranking[i + 1 :]:
                out.extend((a, b) for a in tier for b in worse_tier if a != b)
        return out
