"""The rating rubric: typed models for ``annotations/rubric.yaml``, loading and score validation.

Every rating stores :attr:`Rubric.version_id` - the declared version plus a short hash of the parsed
content - so a rubric edited without bumping ``version`` is still distinguishable in old ratings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench.errors import ConfigError, InputError
from workbench.vocab import PreferenceOutcome, RubricAxis, TurnType
from workbench.yaml_files import read_yaml

#: The axes of the shipped rubric. A rubric may define any axes (answers are stored as JSON keyed by
#: axis); gold answers and the exports' fixed columns know these two by name.
STORED_AXES: tuple[str, ...] = tuple(RubricAxis)
#: An answer's "not applicable", as stored in ``Rating.scores`` and ``GoldAnswer.answer``.
NA = "na"
#: Questions every rating has besides the axes: an axis may not take one of these keys.
FIXED_QUESTIONS: tuple[str, ...] = ("turn_type", "safety_flag", "comment", "corrected_reply")
TURN_TYPE_KEYS: tuple[str, ...] = tuple(TurnType)
PREFERENCE_KEYS: tuple[str, ...] = tuple(PreferenceOutcome)


class _Model(BaseModel):
    # Unknown keys are typos in a hand-edited file: refuse them rather than ignore them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Model):
    """A label in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Scale(_Model):
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class Criterion(Bilingual):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")


class Axis(_Model):
    """One rating axis, e.g. questioning quality 1-5."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Bilingual
    description: Bilingual
    scale: Scale
    allow_na: bool = True
    na_label: Bilingual | None = None
    criteria: list[Criterion] = Field(default_factory=list)
    levels: dict[int, Bilingual]

    @model_validator(mode="after")
    def _levels_cover_scale(self) -> Axis:
        expected = set(range(self.scale.min, self.scale.max + 1))
        if set(self.levels) != expected:
            raise ValueError(
                f"levels must label every point {self.scale.min}..{self.scale.max} exactly, got {sorted(self.levels)}"
            )
        if self.allow_na and self.na_label is None:
            raise ValueError("na_label is required when allow_na is true")
        return self

    def validate_score(self, value: Any) -> int | None:
        """Return the score as an int, or None for N/A; raise InputError if it is off the scale."""
        if value is None:
            if not self.allow_na:
                raise InputError(f"{self.key}: a score is required (N/A is not allowed on this axis)")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{self.key}: score must be a whole number, got {value!r}")
        if isinstance(value, float):
            if not value.is_integer():
                raise InputError(f"{self.key}: score must be a whole number, got {value!r}")
            value = int(value)
        if not self.scale.min <= value <= self.scale.max:
            raise InputError(f"{self.key}: score {value} is outside {self.scale.min}..{self.scale.max}")
        return value


class TurnTypeOption(Bilingual):
    key: TurnType
    description: Bilingual


class FieldSpec(Bilingual):
    description: Bilingual | None = None
    max_chars: int | None = Field(default=None, gt=0)


class PreferenceOption(Bilingual):
    key: PreferenceOutcome
    description: Bilingual | None = None


class PreferenceSpec(Bilingual):
    description: Bilingual | None = None
    options: list[PreferenceOption]

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[PreferenceOption]) -> list[PreferenceOption]:
        keys = [o.key for o in options]
        if len(set(keys)) != len(keys) or not keys:
            raise ValueError(f"options must be non-empty and unique, got {keys}")
        return options


class Rubric(_Model):
    """The whole rubric file."""

    version: str = Field(min_length=1)
    title: Bilingual
    guidelines: str | None = None
    axes: list[Axis]
    turn_types: list[TurnTypeOption]
    safety_flag: FieldSpec
    comment: FieldSpec
    corrected_reply: FieldSpec
    preference: PreferenceSpec
    #: Pre-fill the annotator's turn type with the classifier's guess. Off: a pre-filled answer anchors
    #: raters (turn-type agreement came out a perfect 1), so the guess is shown beside the field instead.
    prefill_turn_type: bool = False

    @field_validator("axes")
    @classmethod
    def _distinct_axes(cls, axes: list[Axis]) -> list[Axis]:
        # Answers are keyed by axis: two axes with one key, or an axis named like another question,
        # would overwrite each other's answers.
        keys = [a.key for a in axes]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"axes must be a non-empty list of distinct keys, got {keys}")
        taken = [k for k in keys if k in FIXED_QUESTIONS or k.endswith("_na")]
        if taken:
            raise ValueError(f"axis keys {taken} are taken by other answers ({', '.join(FIXED_QUESTIONS)}, *_na)")
        return axes

    @field_validator("turn_types")
    @classmethod
    def _all_turn_types(cls, options: list[TurnTypeOption]) -> list[TurnTypeOption]:
        keys = [o.key for o in options]
        if sorted(keys) != sorted(TURN_TYPE_KEYS):
            raise ValueError(f"turn_types must list each of {list(TURN_TYPE_KEYS)} once, got {keys}")
        return options

    @cached_property
    def content_hash(self) -> str:
        """Short hash of the parsed content (formatting and YAML comments do not change it)."""
        data = self.model_dump(mode="json")
        if not data["prefill_turn_type"]:
            del data["prefill_turn_type"]  # the default leaves the hash of rubrics written before it as it was
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:8]

    @property
    def version_id(self) -> str:
        """What each rating stores, e.g. ``"1.0+3fa2b1c9"``."""
        return f"{self.version}+{self.content_hash}"

    @property
    def scale_tops(self) -> dict[str, int]:
        """Each axis's highest score, by axis key (what an export's score minimum may not exceed)."""
        return {a.key: a.scale.max for a in self.axes}

    @property
    def axis_keys(self) -> tuple[str, ...]:
        """The axes' keys in the rubric's order: what ratings, exports and analyses iterate."""
        return tuple(a.key for a in self.axes)

    def axis(self, key: str) -> Axis:
        """The axis named ``key``; InputError if the rubric has none."""
        for a in self.axes:
            if a.key == key:
                return a
        raise InputError(f"unknown rating axis {key!r}; the rubric defines {[a.key for a in self.axes]}")


def validate_scores(
    rubric: Rubric, scores: Mapping[str, Any], *, require_all: bool = False
) -> dict[str, int | None]:
    """Check ``{axis: score or None}`` against the rubric; return the normalised scores.

    None means N/A and is only accepted where the axis allows it. With ``require_all`` (on submit) every
    axis must be present, as a score or as an explicit None.
    """
    out: dict[str, int | None] = {}
    for key, value in scores.items():
        out[key] = rubric.axis(key).validate_score(value)
    if require_all:
        missing = [a.key for a in rubric.axes if a.key not in scores]
        if missing:
            raise InputError(f"missing score for {', '.join(missing)} (give a score or N/A)")
    return out


def score_number(value: Any) -> float | None:
    """A stored answer to an axis (``Rating.scores[axis]``) as a number; None for N/A or not answered."""
    if value is None or value == NA or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def axes_in(score_maps: Iterable[Mapping[str, Any] | None], first: Iterable[str] = ()) -> tuple[str, ...]:
    """The axes answered in ``score_maps``, after ``first`` (usually the rubric's axes, in its order).

    Analyses of stored ratings iterate this, so an axis added to the rubric shows up with no code change,
    and ratings made under an older rubric keep their axes.
    """
    seen = dict.fromkeys(first)
    for m in score_maps:
        if isinstance(m, Mapping):
            seen.update(dict.fromkeys(str(k) for k in m))
    return tuple(seen)


def _format_loc(loc: tuple[Any, ...], data: Any) -> str:
    """Turn pydantic's location into a readable key path, naming list items by their ``key``."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            entry = node[item] if item < len(node) else None
            label = entry.get("key") if isinstance(entry, dict) else None
            parts.append(f"[{item}]" if label is None else f"[{label}]")
            node = entry
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def parse_rubric(data: Any, source: str = "<rubric>") -> Rubric:
    """Validate already-parsed YAML/JSON data; ConfigError names ``source`` and each bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the rubric must be a mapping at the top level")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_format_loc(e['loc'], data)}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: invalid rubric: {problems}") from exc


def load_rubric(path: str | Path) -> Rubric:
    """Load and validate a rubric YAML file; ConfigError names the file and the offending key."""
    return parse_rubric(read_yaml(path, "rubric", invalid="invalid YAML"), str(path))


__all__ = [
    "FIXED_QUESTIONS",
    "NA",
    "PREFERENCE_KEYS",
    "STORED_AXES",
    "TURN_TYPE_KEYS",
    "Axis",
    "Rubric",
    "load_rubric",
    "parse_rubric",
    "axes_in",
    "score_number",
    "validate_scores",
]
