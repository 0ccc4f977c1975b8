"""CSV from columns: the bytes ``csv.writer`` (the ``excel`` dialect: minimal quoting, ``\\r\\n``) writes,
built a column at a time, text cells optionally protected against formula injection.

``csv.writer`` renders and quotes cell by cell in C, but is handed one Python row at a time, and the
protection (:func:`workbench.csv_safety.neutralise`) was a Python call per cell. Here each column becomes
its list of cell texts once (the writer's rules: ``None`` is empty, a float is its ``repr``, anything else
its ``str``); the protection (a ``'`` before a text cell matching
:data:`~workbench.csv_safety.PROTECTED_PATTERN`) and the quoting (a cell with a comma, a quote, ``\\r`` or
``\\n`` is quoted, its quotes doubled) look at a column's cells only where a cheap test over the whole
column finds one that may need it (most columns need neither); then the rows are joined and encoded
once. (Building the cells as Arrow arrays and joining them with compute kernels cost several times as
much: every text was converted to Arrow first, and every kernel copied the whole column again.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import itemgetter
from typing import cast

from workbench.csv_safety import FORMULA_FIRST_CHARACTERS, PROTECTED_PATTERN, neutralise

_NEEDS_QUOTES = (",", '"', "\r", "\n")
_PROTECTED = re.compile(PROTECTED_PATTERN)
_NONE = type(None)
_NUMBERS = {int, float, _NONE}  # exact types: a subclass (bool, an enum) may render otherwise
_LINE_END = "\r\n"
_FIRST_CHARACTER = itemgetter(slice(0, 1))  # "" for an empty cell


def _text(v: object) -> str:
    """A cell as ``csv.writer`` renders it before quoting."""
    if v is None:
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def _number_texts(values: Sequence[object], kinds: set[type]) -> list[str]:
    """``repr`` of every value (a float's repr is slow), ``None`` empty. Scores repeat a few values, so a
    column of floats renders each distinct value once, unless it holds a zero: 0.0 and -0.0 are one dict
    key but two texts."""
    if kinds <= {float, _NONE}:
        distinct = dict.fromkeys(values)
        if len(distinct) * 4 <= len(values) and 0.0 not in distinct:
            rendered = {v: _text(v) for v in distinct}  # NaN: each NaN object is its own key
            return list(map(rendered.__getitem__, values))
    if _NONE in kinds:
        return ["" if v is None else repr(v) for v in values]
    return list(map(repr, values))  # repr is str for an int


def _protected(cells: list[str]) -> list[str]:
    """The cells with a ``'`` before each that a spreadsheet would run as a formula; the regex runs only
    on cells that start with one of its characters."""
    starts = FORMULA_FIRST_CHARACTERS
    # the first characters of all cells in one C loop: most columns have no cell to look at
    if starts.isdisjoint(map(_FIRST_CHARACTER, cells)):
        return cells
    risky = [i for i, v in enumerate(cells) if v[:1] in starts and _PROTECTED.match(v)]
    if risky:
        cells = list(cells)
        for i in risky:
            cells[i] = "'" + cells[i]
    return cells


def _quoted(cells: list[str]) -> list[str]:
    """The cells as ``csv.writer`` writes them: quoted (quotes doubled) when they hold a comma, a quote or
    a line break. One search of the joined column first: most columns have none."""
    joined = "".join(cells)
    if not any(ch in joined for ch in _NEEDS_QUOTES):
        return cells
    return ['"' + v.replace('"', '""') + '"' if ("," in v or '"' in v or "\r" in v or "\n" in v) else v
            for v in cells]


def _rendered(values: Sequence[object], protect: bool) -> list[str]:
    """One column's cells, rendered, protected when asked (text cells only) and quoted."""
    kinds = set(map(type, values))
    cells: list[str]
    if kinds <= {str, _NONE}:  # a text column
        cells = cast(list[str], ["" if v is None else v for v in values])
        if protect:
            cells = _protected(cells)
    elif kinds <= _NUMBERS:  # never protected (only text is)
        cells = _number_texts(values, kinds)
    else:  # mixed values
        if protect and str in kinds:
            values = [neutralise(v) for v in values]
        cells = cast(list[str], [v if v.__class__ is str else _text(v) for v in values])
    return _quoted(cells)


def csv_bytes(header: Sequence[str], columns: Sequence[Sequence[object]], protect: bool = False) -> bytes:
    """UTF-8 bytes of ``header`` and the rows ``zip(*columns)`` exactly as ``csv.writer`` writes them; with
    ``protect``, every text cell of the rows first goes through :func:`workbench.csv_safety.neutralise`."""
    if len(header) < 2:
        raise ValueError("csv_bytes needs two columns or more")  # one empty cell alone is quoted by csv
    if len(columns) != len(header) or len({len(c) for c in columns}) > 1:
        raise ValueError("one column per header name, all of one length")
    head = ",".join(_rendered(list(header), False)) + _LINE_END
    if not len(columns[0]):
        return head.encode("utf-8")
    rows = map(",".join, zip(*(_rendered(c, protect) for c in columns), strict=True))
    return (head + _LINE_END.join(rows) + _LINE_END).encode("utf-8")
