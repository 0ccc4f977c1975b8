"""Standardized-patient cases: one YAML file each under ``annotations/cases/``.

A case holds what the patient says first (``opening``), the hidden atomic ``facts`` a good doctor
elicits (each with how the patient would say it and the ``keywords`` of a question that asks about
it), the ``advice_key_points`` of good advice, the ``red_flags`` that must lead to "see a doctor now"
(``present: true`` when the patient has the sign, else a warning sign the advice should name), and a
``category``. A bad file raises :class:`CaseError` naming the file and the field.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench.errors import InputError
from workbench.simulate.generic_words import generic_keywords
from workbench.yaml_files import read_yaml

log = logging.getLogger(__name__)

DEFAULT_CASES_DIR = "annotations/cases"
_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class CaseError(InputError):
    """A case file is missing, unreadable or does not follow the schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clean_keywords(v: list[str]) -> list[str]:
    out = [k.strip() for k in v]
    if any(not k for k in out):
        raise ValueError("keywords must be non-empty strings")
    return out


class Fact(_Strict):
    id: str = Field(pattern=_ID_PATTERN, description="unique within the case")
    fact: str = Field(min_length=1, description="the fact, in Chinese")
    patient: str = Field(min_length=1, description="how the patient says it when asked")
    keywords: list[str] = Field(min_length=1, description="words of a doctor's question that asks about it")

    _kw = field_validator("keywords")(_clean_keywords)


class KeyPoint(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    point: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1, description="any of them in the advice covers the point")

    _kw = field_validator("keywords")(_clean_keywords)


class RedFlag(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    sign: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1, description="words that name the sign in the advice")
    present: bool = Field(False, description="the patient has it: the advice must send them to a doctor now")

    _kw = field_validator("keywords")(_clean_keywords)


class Case(_Strict):
    id: str = Field(pattern=_ID_PATTERN, max_length=100, description="unique across the folder")
    title: str = Field(min_length=1)
    category: str = Field(min_length=1)
    opening: str = Field(min_length=1, description="the patient's first message, all they volunteer")
    facts: list[Fact] = Field(min_length=1)
    advice_key_points: list[KeyPoint] = Field(min_length=1)
    red_flags: list[RedFlag] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Case:
        for name in ("facts", "advice_key_points", "red_flags"):
            ids = [x.id for x in getattr(self, name)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{name}: ids must be unique; repeated: {dupes}")
        return self

    def fact(self, fact_id: str) -> Fact:
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(fact_id)


def _format_error(source: str, err: ValidationError) -> str:
    lines = [f"{source}: invalid case"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_case(data: Any, source: str = "<case>") -> Case:
    if not isinstance(data, dict):
        raise CaseError(f"{source}: a case must be a mapping, got {type(data).__name__}")
    try:
        return Case.model_validate(data)
    except ValidationError as e:
        raise CaseError(_format_error(source, e)) from None


def load_case(path: str | Path) -> Case:
    case = parse_case(read_yaml(path, "case", CaseError), str(path))
    _warn_generic_keywords(case, str(path))
    return case


def _warn_generic_keywords(case: Case, source: str) -> None:
    """A keyword the matcher ignores is a warning, not an error: existing case folders keep running."""
    for f in case.facts:
        for k in generic_keywords(f.keywords):
            log.warning("%s: fact %s: keyword %r is a generic word and never counts as asking about the fact",
                        source, f.id, k)


def load_cases(folder: str | Path) -> list[Case]:
    """Every ``*.yaml``/``*.yml`` case in ``folder``, sorted by id; all errors reported at once."""
    d = Path(folder)
    if not d.is_dir():
        raise CaseError(f"{d}: not a folder of case files")
    files = sorted([*d.glob("*.yaml"), *d.glob("*.yml")])
    if not files:
        raise CaseError(f"{d}: no case files (*.yaml)")
    cases: list[Case] = []
    errors: list[str] = []
    seen: dict[str, Path] = {}
    for f in files:
        try:
            c = load_case(f)
        except CaseError as e:
            errors.append(str(e))
            continue
        if c.id in seen:
            errors.append(f"{f}: id: {c.id!r} is already used by {seen[c.id].name}")
            continue
        seen[c.id] = f
        cases.append(c)
    if errors:
        raise CaseError("\n".join(errors))
    return sorted(cases, key=lambda c: c.id)
