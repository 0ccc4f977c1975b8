"""Dataset formats: name -> parser. A new format is one module plus one line in ``PARSERS``.

Parsers are referenced as ``"module:function"`` strings so that only the one asked for is imported.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path

from workbench.datasets._io import encoding_error, fail, open_text
from workbench.datasets.base import ImportedDialogue, ImportResult
from workbench.errors import DatasetError
from workbench.validation import DEFAULT_MAX_TURN_CHARS

PARSERS: dict[str, str] = {
    "bianque_csv": "workbench.datasets.bianque:parse_csv",
    "bianque_jsonl": "workbench.datasets.bianque:parse_jsonl",
    "messages_jsonl": "workbench.datasets.messages:parse",
    "turns_json": "workbench.datasets.turns_json:parse",
}
ALIASES: dict[str, str] = {"bianque": "bianque_*", "messages": "messages_jsonl", "turns": "turns_json"}


def get_parser(name: str) -> Callable[..., ImportResult]:
    """The parser function registered under ``name``."""
    try:
        module, func = PARSERS[name].split(":")
    except KeyError:
        raise DatasetError(f"unknown dataset format {name!r}; known: {', '.join(sorted(PARSERS))}") from None
    return getattr(importlib.import_module(module), func)


def _first_object(path: Path) -> object:
    """The first non-blank line parsed as JSON, or None when it is not a JSON value on its own."""
    with open_text(path) as f:
        try:
            for line in f:
                if line.strip():
                    try:
                        return json.loads(line)
                    except (json.JSONDecodeError, RecursionError):
                        return None
        except UnicodeDecodeError as e:
            raise encoding_error(path, e, "start of file") from e
    return None


DATASET_EXTENSIONS = (".csv", ".tsv", ".jsonl", ".json")


def detect_format(path: str | Path) -> str:
    """Guess the format from the extension, then from the first record."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".csv", ".tsv"):
        return "bianque_csv"
    first = _first_object(p)
    if ext not in DATASET_EXTENSIONS and not isinstance(first, dict | list):
        # notes.txt, a PDF: the upload box takes any file, so the page says what it wants in its own language
        raise DatasetError(f"{p.name}: not a dataset file: choose a CSV (.csv, .tsv), JSON Lines (.jsonl) or JSON "
                           "(.json) file")
    if isinstance(first, dict):
        if "messages" in first:
            return "messages_jsonl"
        if "input" in first and "target" in first:
            return "bianque_jsonl"
        if "turns" in first:
            return "turns_json"
    if ext == ".json" or first is None or isinstance(first, list):
        return "turns_json"
    raise DatasetError(
        f"{p.name}: cannot tell the dataset format; pass one of {', '.join(sorted(PARSERS))}",
        row_errors=["line 1: no 'input'/'target', 'messages' or 'turns' key"],
    )


def resolve_format(path: str | Path, fmt: str | None) -> str:
    """Canonical format name for ``fmt`` (an alias or None = detect)."""
    if fmt is None:
        return detect_format(path)
    fmt = ALIASES.get(fmt, fmt)
    if fmt == "bianque_*":
        return "bianque_csv" if Path(path).suffix.lower() in (".csv", ".tsv") else "bianque_jsonl"
    return fmt


def parse_dataset(path: str | Path, fmt: str | None = None, *,
                  max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> ImportResult:
    """Parse a dataset file all-or-nothing; raises DatasetError(row_errors=[...]) on any bad row.

    A turn longer than ``max_turn_chars``, or holding a NUL or a lone surrogate, is a bad row; so is a dialogue
    whose id another dialogue of the file already has.
    """
    result = get_parser(resolve_format(path, fmt))(path, max_turn_chars=max_turn_chars)
    unit = {".csv": "row", ".jsonl": "line"}.get(Path(path).suffix.lower(), "dialogue")
    repeated = repeated_ids(result.dialogues, unit)
    if repeated:
        raise fail(path, repeated, unit + "s")
    return result


def repeated_ids(dialogues: list[ImportedDialogue], unit: str) -> list[str]:
    """One error per dialogue whose id an earlier one has: both were stored under one id (a file appended to
    itself, two sources merged), and exports, titles and references by id could not tell them apart."""
    first: dict[str, int] = {}
    errors = []
    for n, d in enumerate(dialogues, 1):
        if d.external_id is None:
            continue
        at = d.source_rows[0] if d.source_rows else n
        if d.external_id in first:
            errors.append(f"{unit} {at}: id {d.external_id!r} repeats the id of {unit} {first[d.external_id]}: "
                          "ids must be unique within a file")
        else:
            first[d.external_id] = at
    return errors
