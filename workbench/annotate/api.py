"""The JSON rating API's payload, validated strictly: a wrong type is refused, never coerced.

``"safety_flag": "false"`` is not a boolean and ``"questioning": 3.7`` is not a score: both are
errors naming the field, so a client bug cannot store a rating nobody gave. Values are then checked
against the rubric (scales, turn types) by :mod:`workbench.annotate.ratings`, as for the Rate tab.

A reply's answer names each rubric axis as a key of its own (``{"turn_type": "question",
"questioning": 4, "suggestion": "N/A"}``), whatever axes the rubric has; a key that is neither one of
the fixed questions nor a rubric axis is refused by the rubric check, naming it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.annotate import rubric
from workbench.annotate.ratings import RatingForm
from workbench.errors import InputError

NA = "N/A"
MAX_PAYLOAD_CHARS = 1_000_000
#: a score: a whole number (the rubric checks its range), "N/A", or null for "not given"
Score = Annotated[int | Literal["N/A"] | None, Field(union_mode="left_to_right")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ReplyRating(_Strict):
    """One reply's answer, keyed by its blind label in :class:`SubmitPayload`."""

    turn_type: str | None = None
    safety_flag: bool = False
    comment: str | None = None
    corrected_reply: str | None = None
    #: every other key: a rubric axis and its score
    scores: dict[str, Score] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _axes_as_scores(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "scores" in data:
            return data  # already in the model's shape
        fixed = {k: v for k, v in data.items() if k in rubric.FIXED_QUESTIONS}
        return {**fixed, "scores": {k: v for k, v in data.items() if k not in rubric.FIXED_QUESTIONS}}

    def form(self) -> RatingForm:
        scores = {axis: rubric.NA if v == NA else v for axis, v in self.scores.items()}
        return RatingForm(turn_type=self.turn_type or None, scores=scores, safety_flag=self.safety_flag,
                          comment=self.comment, corrected_reply=self.corrected_reply)


class SubmitPayload(_Strict):
    """``rate_api_submit``: ``{item_id, ratings: {label: {...}}, preference, ranking, next}``."""

    item_id: int
    ratings: dict[str, ReplyRating]
    preference: str | None = None
    ranking: str | None = None
    next: bool = False


def _where(loc: tuple[Any, ...]) -> str:
    # Union branches add their type names to the location ("int", "literal['N/A']"): not a field.
    # "scores" is where the axes are collected, not a key the client wrote.
    parts = [str(p) for p in loc if not (isinstance(p, str) and (p in ("int", "str", "bool", "none", "scores")
                                                                  or p.startswith(("literal[", "function-"))))]
    return ".".join(parts) or "payload"


def _describe(e: ValidationError) -> str:
    seen: dict[str, str] = {}
    for err in e.errors(include_url=False):
        where = _where(tuple(err["loc"]))
        got = json.dumps(err.get("input"), ensure_ascii=False)[:60] if "input" in err else ""
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        if where not in seen:  # one message per field: the first branch's reason is the clearest
            seen[where] = f"{where}: {msg}" + (f" (got {got})" if got and err["type"] != "missing" else "")
    if any(len(err["loc"]) > 3 and err["loc"][2] == "scores" for err in e.errors(include_url=False)):
        seen["scores"] = f"scores are whole numbers, \"{NA}\" or null"
    return "; ".join(seen.values())


def parse_submit(payload: Any) -> SubmitPayload:
    """The payload (JSON text or an object) as a :class:`SubmitPayload`; :class:`InputError` otherwise."""
    if isinstance(payload, str):
        if len(payload) > MAX_PAYLOAD_CHARS:
            raise InputError(f"the payload is longer than {MAX_PAYLOAD_CHARS} characters")
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            raise InputError("the payload must be a JSON object") from None
    if not isinstance(payload, dict):
        raise InputError("the payload must be a JSON object with item_id and ratings")
    try:
        return SubmitPayload.model_validate(payload)
    except ValidationError as e:
        raise InputError(f"invalid rating payload: {_describe(e)}") from None
