"""Plain JSON turns: one dialogue or many.

Accepted shapes (``text`` may also be called ``content``; roles patient/doctor or user/assistant,
``system`` turns go to ``metadata["system"]``)::

    [{"role": "patient", "text": ...}, ...]                  one dialogue
    [{"turns": [...], "id"?, "metadata"?}, ...]              a list of dialogues
    [[{"role": ..., "text": ...}, ...], ...]                 a list of turn lists
    {"dialogues": [...]}  or  {"turns": [...]}               wrapped
    JSON Lines whose lines are {"turns": [...]} objects

A JSON document has to be parsed whole, so a very large file should be JSONL instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from workbench.datasets._io import (
    check_json_value,
    check_text,
    check_turn,
    encoding_error,
    fail,
    iter_json_lines,
    open_text,
)
from workbench.datasets.base import ImportedDialogue, ImportResult
from workbench.datasets.messages import ROLE_MAP, content_text
from workbench.dialogue import Turn
from workbench.errors import DatasetError
from workbench.validation import DEFAULT_MAX_TURN_CHARS


def _dialogue(where: str, pos: int, obj: object, errors: list[str], max_turn_chars: int) -> ImportedDialogue | None:
    ext: str | None = None
    meta: dict = {}
    if isinstance(obj, dict):
        if "turns" not in obj:
            errors.append(f"{where}: missing key 'turns'")
            return None
        ext = None if obj.get("id") is None else str(obj["id"])
        meta = obj.get("metadata") or {}
        if not isinstance(meta, dict):
            errors.append(f"{where}: 'metadata' must be an object")
            return None
        if not check_json_value(where, [meta, obj.get("id")], errors):
            return None
        meta = dict(meta)
        obj = obj["turns"]
    if not isinstance(obj, list) or not obj:
        errors.append(f"{where}: 'turns' must be a non-empty list")
        return None
    turns = []
    system: list[str] = []
    ok = True
    for j, t in enumerate(obj, 1):
        if not isinstance(t, dict):
            errors.append(f"{where}, turn {j}: not an object")
            ok = False
            continue
        role = t.get("role")
        text = content_text(t["text"] if "text" in t else t.get("content"))
        if text is None:
            errors.append(f"{where}, turn {j}: missing or non-string 'text'")
            ok = False
            continue
        if not (check_turn if role in ROLE_MAP else check_text)(f"{where}, turn {j} ({role})", text, errors,
                                                                 max_turn_chars):
            ok = False
            continue
        if role == "system":
            system.append(text)
        elif role in ROLE_MAP:
            turns.append(Turn(ROLE_MAP[role], text))
        else:
            errors.append(f"{where}, turn {j}: unknown role {role!r}")
            ok = False
    if not ok:
        return None
    if not turns:
        errors.append(f"{where}: no patient/doctor turns")
        return None
    if system:
        meta["system"] = system
    return ImportedDialogue(ext, turns, meta, [pos])


def _is_turn(x: object) -> bool:
    return isinstance(x, dict) and "role" in x and "turns" not in x


def parse(path: str | Path, *, max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> ImportResult:
    """Parse a JSON (or JSON Lines) file of turns or dialogues."""
    p = Path(path)
    with open_text(p) as f:
        try:
            head = f.read(1 << 16)
        except UnicodeDecodeError as e:
            raise encoding_error(p, e, "start of file") from e
    first_line = head.lstrip().split("\n", 1)[0]
    if head.lstrip().startswith("{") and _single_json_object(first_line) and head.lstrip().count("\n") > 0:
        return _parse_lines(p, max_turn_chars)
    try:
        with open_text(p) as f:
            data = json.load(f)
    except UnicodeDecodeError as e:
        raise encoding_error(p, e, "file") from e
    except json.JSONDecodeError as e:
        raise fail(p, [f"line {e.lineno}: invalid JSON: {e.msg} (column {e.colno})"], "lines") from e
    except RecursionError:
        raise fail(p, ["file: JSON nested too deeply"], "lines") from None
    errors: list[str] = []
    if isinstance(data, dict):
        if "dialogues" in data:
            data = data["dialogues"]
        elif "turns" in data:
            data = [data]
        else:
            raise fail(p, ["file: expected a list, or an object with 'dialogues' or 'turns'"], "lines")
    if not isinstance(data, list) or not data:
        raise fail(p, ["file: no dialogues"], "lines")
    if all(_is_turn(x) for x in data):
        items = [data]
    else:
        items = data
    dialogues = []
    for i, item in enumerate(items, 1):
        d = _dialogue(f"dialogue {i}", i, item, errors, max_turn_chars)
        if d is not None:
            dialogues.append(d)
    if errors:
        raise fail(p, errors, "dialogues")
    return ImportResult(dialogues, "turns_json")


def _single_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


def _parse_lines(p: Path, max_turn_chars: int) -> ImportResult:
    errors: list[str] = []
    dialogues: list[ImportedDialogue] = []
    for lineno, obj, ok in iter_json_lines(p, errors):
        if not ok:
            continue
        d = _dialogue(f"line {lineno}", lineno, obj, errors, max_turn_chars)
        if d is not None:
            dialogues.append(d)
    if errors:
        raise fail(p, errors, "lines")
    if not dialogues:
        raise DatasetError(f"{p.name}: no dialogues")
    return ImportResult(dialogues, "turns_json")
