"""BianQue training files: CSV or JSONL rows with ``input`` / ``target``.

``input`` is the 病人/医生 transcript ending in ``医生：`` with newlines written as the literal two
characters ``\\n`` (as in the original training data); half-width ``病人:`` / ``医生:`` are accepted too.
``target`` is the doctor's reply at that point.

A dialogue with k doctor turns usually appears as k rows, each input extending the previous one.
Rows are grouped back into dialogues:

* by the ``dialogue_id`` column when the file has one (blank ids fall back to prefix grouping);
* then, inside a group, by prefix: a row continues an earlier row when its history starts with that
  row's history + target followed by a patient turn. Histories are compared as parsed turns, so a
  file that mixes ``：``/``:`` or literal/real newlines still chains.

When a row could continue several earlier rows, the longest match wins, and among equal ones the
latest row that has no continuation yet. An exact duplicate of a row that has not been continued is
merged into it. A row that continues no earlier row starts a new dialogue, so a branch (two rows
continuing the same row) yields two dialogues; rows shared by both are listed in ``source_rows`` of
the longer one only (ties: the one that appears first). Rows must come in file order: a row can only
continue a row above it.

Every dialogue's turns are those of its last row's history plus that row's target, so each row's
target is a doctor turn of its dialogue. Texts are unescaped in one pass (``\\\\`` -> backslash,
``\\n`` -> newline, ``\\t`` -> tab; see :func:`workbench.prompts.unescape_training_text`) and otherwise
kept byte for byte. CSV cells that the export protected against formula injection (a leading ``'``
before ``= + - @``, tab or carriage return) get that ``'`` removed (:mod:`workbench.csv_safety`).

Only the digest of each row's turns is kept once a row has been continued, so memory grows with the
number of dialogues' text, not with the (quadratic) size of the cumulative inputs.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workbench.csv_safety import restore
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
from workbench.dialogue import Role, Turn
from workbench.errors import DatasetError
from workbench.plural import plural
from workbench.prompts import unescape_training_text
from workbench.validation import DEFAULT_MAX_TURN_CHARS, blank

ID_COLUMNS = ("dialogue_id", "dialog_id", "conversation_id")
MAX_ROWS_NAMED = 10  # of the rows a warning is about
_FIRST = re.compile(r"(病人|医生)[：:]")
# A turn boundary: an escaped or real newline, then a role marker. An escaped backslash (two
# characters) is consumed first, so the "\\n" of "C:\\\\new" (a literal backslash, then n) is no boundary.
_BOUNDARY = re.compile(r"\\\\|(?:\\n|\r?\n)(病人|医生)[：:]")


def _marks(s: str) -> list[tuple[int, int, str]]:
    """(start, end, role word) of every role marker of an escaped transcript, in order."""
    first = _FIRST.match(s)
    if first is None:
        return []
    out = [(0, first.end(), first.group(1))]
    out += [(m.start(), m.end(), m.group(1)) for m in _BOUNDARY.finditer(s, first.end()) if m.group(1)]
    return out


def parse_history(text: str) -> list[Turn]:
    """Turns of a BianQue ``input`` (without the trailing empty doctor turn); ValueError if malformed."""
    s = text.strip(" \t\r\n\ufeff")
    marks = _marks(s)
    if not marks:
        raise ValueError("input does not start with '病人：' or '医生：'")
    turns: list[Turn] = []
    for i, (_start, end_of_mark, word) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(s)
        role: Role = "patient" if word == "病人" else "doctor"
        turns.append(Turn(role, unescape_training_text(s[end_of_mark:end])))
    last = turns.pop()
    if last.role != "doctor" or last.text.strip():
        raise ValueError("input does not end with '医生：'")
    if not turns:
        raise ValueError("input has no patient turn before '医生：'")
    return turns


def _turn_bytes(t: Turn) -> bytes:
    b = t.text.encode("utf-8")
    return b"%c%d:" % (ord(t.role[0]), len(b)) + b


@dataclass(eq=False)
class _Node:
    rows: list[int]
    turns: list[Turn] | None  # dropped once the row is continued: only leaves keep text
    depth: int
    extras: list[dict]
    parent: _Node | None = None
    children: int = 0


@dataclass
class _Group:
    nodes: list[_Node] = field(default_factory=list)
    by_key: dict[bytes, list[_Node]] = field(default_factory=dict)


class _Assembler:
    """Chains rows into dialogues (see the module docstring)."""

    def __init__(self) -> None:
        self.groups: dict[str | None, _Group] = {}

    def add(self, row: int, history: list[Turn], target: str, group_id: str | None, extras: dict) -> None:
        g = self.groups.setdefault(group_id, _Group())
        h = hashlib.blake2b(digest_size=16)
        prefix_keys: list[bytes | None] = []
        for i, t in enumerate(history):
            # A continuation point: a patient turn right after a doctor turn.
            if i > 0 and t.role == "patient" and history[i - 1].role == "doctor":
                prefix_keys.append(h.digest())
            else:
                prefix_keys.append(None)
            h.update(_turn_bytes(t))
        turns = [*history, Turn("doctor", target)]
        h.update(_turn_bytes(turns[-1]))
        key = h.digest()

        same = g.by_key.get(key, [])
        for node in reversed(same):
            if node.children == 0:
                node.rows.append(row)
                node.extras.append(extras)
                return
        parent = None
        for pk in reversed(prefix_keys):
            if pk is not None and pk in g.by_key:
                cands = g.by_key[pk]
                parent = next((n for n in reversed(cands) if n.children == 0), cands[-1])
                break
        node = _Node([row], turns, len(turns), [extras], parent)
        if parent is not None:
            parent.children += 1
            parent.turns = None
        g.nodes.append(node)
        g.by_key.setdefault(key, []).append(node)

    def dialogues(self) -> tuple[list[ImportedDialogue], list[str]]:
        out: list[tuple[int, ImportedDialogue]] = []
        warnings: list[str] = []
        for gid, g in self.groups.items():
            leaves = [n for n in g.nodes if n.children == 0]
            leaves.sort(key=lambda n: (-n.depth, n.rows[0]))
            claimed: set[int] = set()
            for k, leaf in enumerate(leaves):
                path: list[_Node] = []
                n: _Node | None = leaf
                while n is not None and id(n) not in claimed:
                    claimed.add(id(n))
                    path.append(n)
                    n = n.parent
                path.reverse()
                rows = sorted(r for p in path for r in p.rows)
                extras = [e for p in path for e in p.extras]
                ext_id = gid if (gid is None or k == 0) else f"{gid}#{k + 1}"
                if gid is not None and k > 0:
                    warnings.append(
                        f"dialogue_id {gid!r}: rows {rows} do not continue the longest chain; "
                        f"imported as {ext_id!r}"
                    )
                assert leaf.turns is not None
                out.append((min(rows), ImportedDialogue(ext_id, leaf.turns, _merge_extras(extras), rows)))
        out.sort(key=lambda x: x[0])
        repeats = sorted(r for g in self.groups.values() for n in g.nodes for r in n.rows[1:])
        if repeats:
            # Said, or 300,000 identical rows read back as "1 dialogues" with no word of the rest.
            shown = ", ".join(map(str, repeats[:MAX_ROWS_NAMED])) + (", …" if len(repeats) > MAX_ROWS_NAMED else "")
            warnings.append(f"exact repeats of an earlier row, merged into it: {len(repeats):,} {plural(len(repeats), 'row')} ({shown})")
        return [d for _, d in out], warnings


def _merge_extras(extras: list[dict]) -> dict:
    keys: list[str] = []
    for e in extras:
        keys.extend(k for k in e if k not in keys)
    meta: dict = {}
    for k in keys:
        vals = [e.get(k) for e in extras]
        meta[k] = vals[0] if all(v == vals[0] for v in vals) else vals
    return meta


def _check_row(where: str, inp: object, target: object, errors: list[str],
               max_turn_chars: int) -> tuple[list[Turn], str] | None:
    if not isinstance(inp, str):
        errors.append(f"{where}: 'input' must be a string")
        return None
    if not isinstance(target, str):
        errors.append(f"{where}: 'target' must be a string")
        return None
    ok = True
    try:
        history = parse_history(inp)
    except ValueError as e:
        errors.append(f"{where}: {e}")
        ok = False
    if blank(target):
        errors.append(f"{where}: empty target")
        ok = False
    if not ok:
        return None
    reply = unescape_training_text(target)
    fine = [check_turn(f"{where}, input turn {j} ({t.role})", t.text, errors, max_turn_chars)
            for j, t in enumerate(history, 1)]
    fine.append(check_text(f"{where}, target", reply, errors, max_turn_chars))
    return (history, reply) if all(fine) else None


def _finish(path: str | Path, asm: _Assembler, errors: list[str], n_rows: int, fmt: str) -> ImportResult:
    if errors:
        raise fail(path, errors)
    if n_rows == 0:
        raise fail(path, ["file: no data rows"])
    dialogues, warnings = asm.dialogues()
    return ImportResult(dialogues, fmt, warnings)


def _csv_rows(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    # Cumulative histories make long fields; the csv module's default cap is 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))
    with open_text(path, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        n = -1
        try:
            for n, rec in enumerate(reader):  # noqa: B007 - n is used in the error below
                yield n, rec
        except UnicodeDecodeError as e:
            raise encoding_error(path, e, f"row {n + 1}") from e
        except csv.Error as e:
            raise fail(path, [f"row {n + 1}: {e}"]) from e


def parse_csv(path: str | Path, *, max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> ImportResult:
    """Parse a BianQue training CSV (``.tsv`` is read tab-separated)."""
    p = Path(path)
    delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
    asm = _Assembler()
    errors: list[str] = []
    header: list[str] | None = None
    n_rows = 0
    idx_in = idx_tg = idx_id = -1
    for n, rec in _csv_rows(p, delimiter):
        if header is None:
            header = [h.strip().lower() for h in rec]
            missing = [c for c in ("input", "target") if c not in header]
            if missing:
                # one problem of the file, not of as many rows (walk s62: "2 bad rows … header: …")
                raise DatasetError(
                    f"{p.name}: the header lacks {', '.join(map(repr, missing))}, nothing imported: a BianQue "
                    "CSV's first row names its columns, among them input and target",
                    [f"header: missing column {c!r}" for c in missing])
            idx_in, idx_tg = header.index("input"), header.index("target")
            idx_id = next((header.index(c) for c in ID_COLUMNS if c in header), -1)
            continue
        if not rec or all(not c.strip() for c in rec):
            continue
        n_rows += 1
        where = f"row {n}"
        if len(rec) != len(header):
            errors.append(f"{where}: expected {len(header)} fields, got {len(rec)}")
            continue
        rec = [restore(c) for c in rec]
        checked = _check_row(where, rec[idx_in], rec[idx_tg], errors, max_turn_chars)
        if checked is None:
            continue
        gid = rec[idx_id].strip() or None if idx_id >= 0 else None
        extras = {h: v for i, (h, v) in enumerate(zip(header, rec, strict=True)) if i not in (idx_in, idx_tg, idx_id)}
        if not check_json_value(where, extras, errors):
            continue
        asm.add(n, checked[0], checked[1], gid, extras)
    if header is None:
        raise fail(p, ["file: no header row"])
    return _finish(p, asm, errors, n_rows, "bianque_csv")


def parse_jsonl(path: str | Path, *, max_turn_chars: int = DEFAULT_MAX_TURN_CHARS) -> ImportResult:
    """Parse BianQue rows as JSON Lines: one ``{"input": ..., "target": ...}`` object per line."""
    p = Path(path)
    asm = _Assembler()
    errors: list[str] = []
    n_rows = 0
    for lineno, obj, ok in iter_json_lines(p, errors):
        n_rows += 1
        if not ok:
            continue
        where = f"line {lineno}"
        if not isinstance(obj, dict):
            errors.append(f"{where}: expected a JSON object, got {type(obj).__name__}")
            continue
        missing = [c for c in ("input", "target") if c not in obj]
        if missing:
            errors.extend(f"{where}: missing column {c!r}" for c in missing)
            continue
        checked = _check_row(where, obj["input"], obj["target"], errors, max_turn_chars)
        if checked is None:
            continue
        gid_key = next((c for c in ID_COLUMNS if c in obj), None)
        gid = obj.get(gid_key) if gid_key else None
        gid = None if gid is None or str(gid).strip() == "" else str(gid)
        extras = {k: v for k, v in obj.items() if k not in ("input", "target", gid_key)}
        if not check_json_value(where, [extras, gid], errors):
            continue
        asm.add(lineno, checked[0], checked[1], gid, extras)
    return _finish(p, asm, errors, n_rows, "bianque_jsonl")
