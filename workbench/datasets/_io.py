"""Opening dataset files: encoding checks, streaming line iteration, shared error helpers."""

from __future__ import annotations

import codecs
import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from workbench.errors import DatasetError
from workbench.validation import blank

MAX_ROW_ERRORS_IN_MESSAGE = 20
_PROBE = 1 << 16
#: bytes no text file holds (C0 controls but tab, line feed, form feed and carriage return; DEL): reached only for
#: a file that is not UTF-8 (UTF-16, whose NULs would match, is found by its BOM before this)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: metadata nested deeper than this is refused (deeper still breaks the JSON encoder at insert)
MAX_JSON_DEPTH = 32
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def text_problem(text: str, max_chars: int | None = None) -> str | None:
    """Why ``text`` cannot be stored (a NUL, a lone surrogate, too long), or None."""
    if max_chars is not None and len(text) > max_chars:
        return f"{len(text):,} characters, more than the limit of {max_chars:,} (limits.max_turn_chars)"
    m = _UNSTORABLE.search(text)
    if m is None:
        return None
    what = "a NUL character" if m.group() == "\x00" else f"a lone surrogate (U+{ord(m.group()):04X})"
    return f"contains {what} at character {m.start() + 1}"


def check_text(where: str, text: str, errors: list[str], max_chars: int | None = None) -> bool:
    """Append ``where: problem`` to ``errors`` when ``text`` cannot be stored; True when it can."""
    problem = text_problem(text, max_chars)
    if problem is not None:
        errors.append(f"{where}: {problem}")
    return problem is None


def check_turn(where: str, text: str, errors: list[str], max_chars: int | None = None) -> bool:
    """:func:`check_text` for a patient or doctor turn, which also may not be empty: an empty reference reply
    counted as a reference in Compare, and an empty patient turn became a bare "病人：" in every prompt."""
    if blank(text):
        errors.append(f"{where}: empty turn")
        return False
    return check_text(where, text, errors, max_chars)


def check_json_value(where: str, value: object, errors: list[str]) -> bool:
    """Metadata must nest at most MAX_JSON_DEPTH levels and hold only storable strings (keys too) and finite
    numbers: Python's json reads NaN and Infinity, which are not JSON (PostgreSQL's json type refuses them)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:  # iterative: a recursive walk is what fails on deep input
        v, depth = stack.pop()
        if isinstance(v, dict | list) and depth > MAX_JSON_DEPTH:
            errors.append(f"{where}: metadata nested more than {MAX_JSON_DEPTH} levels deep")
            return False
        if isinstance(v, dict):
            for k, x in v.items():
                if not check_text(f"{where}: metadata key", str(k), errors):
                    return False
                stack.append((x, depth + 1))
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, str) and not check_text(f"{where}: metadata", v, errors):
            return False
        elif isinstance(v, float) and not math.isfinite(v):
            errors.append(f"{where}: metadata holds {json.dumps(v)}, which is not JSON")
            return False
    return True


def sniff_encoding(path: Path) -> str:
    """'utf-8-sig' (also plain UTF-8), or 'utf-32' / 'utf-16' when the file starts with that BOM."""
    with path.open("rb") as f:
        head = f.read(4)
    # UTF-32 LE's BOM starts with UTF-16 LE's: read as UTF-16, every other character was a NUL
    if head in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        return "utf-32"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    return "utf-8-sig"


#: how archives and spreadsheets start: read as text, they were refused as "not valid UTF-8" at some byte
_ARCHIVES = {b"PK\x03\x04": "zip", b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz",
             b"7z\xbc\xaf\x27\x1c": "7z", b"Rar!": "rar", b"\x28\xb5\x2f\xfd": "zstd"}
_SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
_OLE = b"\xd0\xcf\x11\xe0"  # the old .xls (and .doc) container


def not_text_problem(path: Path) -> str | None:
    """Why ``path`` is no dataset file at all (an archive, a spreadsheet), read from its first bytes; or None."""
    with path.open("rb") as f:
        head = f.read(8)
    kind = next((k for magic, k in _ARCHIVES.items() if head.startswith(magic)), None)
    if path.suffix.lower() in _SPREADSHEETS or head.startswith(_OLE):
        return f"{path.name}: a spreadsheet, not a dataset file: save it as CSV (UTF-8) and import that"
    if kind is not None:
        return (f"{path.name}: a compressed archive ({kind}), not a dataset file: unpack it and import the CSV, "
                "JSONL or JSON file inside")
    return None


def open_text(path: str | Path, newline: str | None = None) -> io.TextIOWrapper:
    """Open ``path`` for streaming text reads; raise DatasetError for a missing or empty file, an archive or a
    spreadsheet (nothing inside an archive is read: a small zip can unpack to gigabytes)."""
    p = Path(path)
    if p.is_dir():
        raise DatasetError(f"{p}: a folder, not a file: name the dataset file inside it")
    if not p.is_file():
        raise DatasetError(f"{p}: file not found")
    if p.stat().st_size == 0:
        raise DatasetError(f"{p.name}: the file is empty")
    problem = not_text_problem(p)
    if problem is not None:
        raise DatasetError(problem)
    return p.open("r", encoding=sniff_encoding(p), errors="strict", newline=newline)


def encoding_error(path: Path, err: UnicodeDecodeError, where: str) -> DatasetError:
    """A DatasetError that says which encoding the file probably has."""
    hint = ""
    with path.open("rb") as f:
        probe = f.read(_PROBE)
    if max(probe[0::2].count(0), probe[1::2].count(0)) > len(probe) // 4:  # a NUL in every other byte
        hint = " It looks like UTF-16 without a byte-order mark: re-save it as UTF-8."
    elif _CONTROL_BYTES.search(probe):
        # GB18030 decodes almost any short run of bytes: a picture named .csv was told to re-save itself as UTF-8
        hint = " It holds control bytes, as a picture or a program does: it is not a text file."
    else:
        try:
            probe.decode("gb18030")
            hint = " It decodes as GB18030/GBK: re-save it as UTF-8."
        except UnicodeDecodeError:
            pass
    found = _first_undecodable_line(path)
    if found is not None:  # the decoder reads ahead in chunks: its position names no row
        where = f"line {found[0]}"
        detail = f"{where}, byte {found[1] + 1} of that line: {err.reason}"
    else:
        detail = f"{where}: {err.reason} at byte {err.start}"
    # The file's name only: an upload's path is the server's temporary folder, nothing the user knows.
    msg = f"{path.name}: not valid UTF-8 ({detail}).{hint}"
    return DatasetError(msg, row_errors=[f"{where}: not valid UTF-8"])


def _first_undecodable_line(path: Path) -> tuple[int, int] | None:
    """(1-based line, 0-based byte in it) of the first line that is not UTF-8; None for UTF-16/32 files."""
    if sniff_encoding(path) != "utf-8-sig":
        return None
    with path.open("rb") as f:
        for lineno, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                return lineno, e.start
    return None


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line without newline) lazily, so a huge file is never read whole."""
    p = Path(path)
    lineno = 0
    with open_text(p) as f:
        try:
            for lineno, line in enumerate(f, 1):  # noqa: B007 - lineno is used after the loop
                yield lineno, line.rstrip("\r\n")
        except UnicodeDecodeError as e:
            raise encoding_error(p, e, f"line {lineno + 1}") from e


def iter_json_lines(path: str | Path, errors: list[str]) -> Iterator[tuple[int, object, bool]]:
    """Each non-blank line of a JSON Lines file: (line number, parsed value, parsed ok).

    A line that is not JSON is reported in ``errors`` and yielded with ``ok`` False, so that callers
    still count it as a row.
    """
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line), True
        except json.JSONDecodeError as e:
            errors.append(f"line {lineno}: invalid JSON: {e.msg} (column {e.colno})")
            yield lineno, None, False
        except RecursionError:
            errors.append(f"line {lineno}: JSON nested too deeply")
            yield lineno, None, False


def fail(path: str | Path, errors: list[str], what: str = "rows") -> DatasetError:
    """Build the all-or-nothing error that lists every bad row."""
    shown = "; ".join(errors[:MAX_ROW_ERRORS_IN_MESSAGE])
    more = f" (+{len(errors) - MAX_ROW_ERRORS_IN_MESSAGE} more)" if len(errors) > MAX_ROW_ERRORS_IN_MESSAGE else ""
    # rows, not problems: one row with an empty target and a bad input was "2 bad rows" (walk of session 72)
    bad = len({_where(e) for e in errors})
    unit = what.removesuffix("s") if bad == 1 else what  # "1 bad row", "2 bad rows"
    return DatasetError(f"{Path(path).name}: {bad} bad {unit}, nothing imported: {shown}{more}", errors)


def _where(error: str) -> str:
    """The row or line a problem names ("row 3" of "row 3, turn 1: …"): each problem begins with it."""
    return re.split(r"[:,]", error, maxsplit=1)[0]
