"""Messages JSONL: one dialogue per line, ``{"messages": [{"role", "content"}], "id"?, "metadata"?}``.

``user`` -> patient, ``assistant`` -> doctor (a reference reply). ``system`` messages are not turns;
their contents are kept in ``metadata["system"]`` (a list, in order). ``content`` may be a string or a
list of ``{"type": "text", "text": ...}`` parts, which are joined.
"""

from __future__ import annotations

from pathlib import Path

from workbench.datasets._io import check_json_value, check_text, check_turn, fail, iter_json_lines
from workbench.datasets.base import ImportedDialogue, ImportResult
from workbench.dialogue import Role, Turn
from workbench.validation import DEFAULT_MAX_TURN_CHARS

ROLE_MAP: dict[str, Role] = {"user": "patient", "assistant": "doctor", "patient": "patient", "doctor": "doctor"}


def content_text(content: object) -> str | None:
    """The text of a message's content (string or list of text parts), or None if it has none."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text", "")) for p in content)
    return None


def parse_messages(where: str, msgs: object, errors: list[str],
                   max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> tuple[list[Turn], list[str]] | None:
    """Turns and system texts from a TRL-style message list; appends problems to ``errors``."""
    if not isinstance(msgs, list) or not msgs:
        errors.append(f"{where}: 'messages' must be a non-empty list")
        return None
    turns: list[Turn] = []
    system: list[str] = []
    ok = True
    for j, m in enumerate(msgs, 1):
        if not isinstance(m, dict):
            errors.append(f"{where}: message {j} is not an object")
            ok = False
            continue
        role = m.get("role")
        text = content_text(m.get("content"))
        if text is None:
            errors.append(f"{where}: message {j}: 'content' must be a string")
            ok = False
        elif not (check_turn if role in ROLE_MAP else check_text)(f"{where}: message {j} ({role})", text, errors,
                                                                     max_turn_chars):
            ok = False
            continue
        if role == "system":
            if text is not None:
                system.append(text)
        elif role in ROLE_MAP:
            if text is not None:
                turns.append(Turn(ROLE_MAP[role], text))
        else:
            errors.append(f"{where}: message {j}: unknown role {role!r}")
            ok = False
    if ok and not turns:
        errors.append(f"{where}: no user/assistant messages")
        ok = False
    return (turns, system) if ok else None


def parse(path: str | Path, *, max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> ImportResult:
    """Parse a messages JSONL file."""
    p = Path(path)
    errors: list[str] = []
    dialogues: list[ImportedDialogue] = []
    n_rows = 0
    for lineno, obj, ok in iter_json_lines(p, errors):
        n_rows += 1
        if not ok:
            continue
        where = f"line {lineno}"
        if not isinstance(obj, dict) or "messages" not in obj:
            errors.append(f"{where}: missing column 'messages'")
            continue
        parsed = parse_messages(where, obj["messages"], errors, max_turn_chars)
        meta = obj.get("metadata", {})
        if not isinstance(meta, dict):
            errors.append(f"{where}: 'metadata' must be an object")
            continue
        if not check_json_value(where, [meta, obj.get("id")], errors):
            continue
        if parsed is None:
            continue
        turns, system = parsed
        meta = dict(meta)
        if system:
            meta["system"] = system
        ext = obj.get("id")
        dialogues.append(ImportedDialogue(None if ext is None else str(ext), turns, meta, [lineno]))
    if errors:
        raise fail(p, errors, "lines")
    if n_rows == 0:
        raise fail(p, ["file: no data lines"])
    return ImportResult(dialogues, "messages_jsonl")
