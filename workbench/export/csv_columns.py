"""CSV from columns: the bytes ``csv.writer`` (the ``excel`` dialect: minimal quoting, ``\\r\\n``) writes,
built a column at a time, text cells optionally protected against formula injection.

``csv.writer`` renders and quotes cell by cell in C, but is handed one Python row at a time, and the
protection (:func:`workbench.csv_safety.neutralise`) was a Python call per cell. Here each column becomes
its text once (the writer's rules: ``None`` is empty, a float is its ``repr``, anything else its ``str``),
and the protection (a ``'`` before a text cell matching :data:`~workbench.csv_safety.PROTECTED_PATTERN`),
the quoting (a cell with a comma, a quote, ``\\r`` or ``\\n`` is quoted, its quotes doubled) and the joining
into lines run in pyarrow's compute kernels over whole columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from workbench.csv_safety import PROTECTED_PATTERN, neutralise

_NEEDS_QUOTES = r'[,"\r\n]'
_FORMULA = "^" + PROTECTED_PATTERN
# The join kernels want every argument of one type; large strings: a big column can pass 2 GiB.
_NUMBERS = {int, float, type(None)}  # exact types: a subclass (bool, an enum) may render otherwise
_QUOTE, _COMMA, _EMPTY, _APOSTROPHE, _NONE = (pa.scalar(x, type=pa.large_string()) for x in ('"', ",", "", "'", "None"))
_LINE_END = "\r\n"
_LINE_END_SCALAR = pa.scalar(_LINE_END, type=pa.large_string())


def _text(v: object) -> str:
    """A cell as ``csv.writer`` renders it before quoting."""
    if v is None:
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def _number_texts(values: Sequence[object], kinds: set[type]) -> list[str]:
    """``repr`` of every value (a float's repr is slow). Scores repeat a few values, so a column of floats
    renders each distinct value once, unless it holds a zero: 0.0 and -0.0 are one dict key but two texts."""
    if kinds <= {float, type(None)}:
        distinct = dict.fromkeys(values)
        if len(distinct) * 4 <= len(values) and 0.0 not in distinct:
            rendered = {v: repr(v) for v in distinct}
            return list(map(rendered.__getitem__, values))
    return list(map(repr, values))


def _rendered(values: Sequence[object], protect: bool) -> pa.Array:
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:  # a text column: protected in one pass over the Arrow column
        arr = pc.fill_null(pa.array(values, type=pa.large_string()), _EMPTY)
        if protect:
            risky = pc.match_substring_regex(arr, _FORMULA)
            if pc.any(risky).as_py():
                arr = pc.if_else(risky, pc.binary_join_element_wise(_APOSTROPHE, arr, _EMPTY), arr)
    elif kinds <= _NUMBERS:  # never protected (only text is); repr is str for an int
        arr = pa.array(_number_texts(values, kinds), type=pa.large_string())
        if type(None) in kinds:  # None's "None" (no number renders so) is the empty cell
            arr = pc.if_else(pc.equal(arr, _NONE), _EMPTY, arr)
    else:  # mixed values
        if protect and str in kinds:
            values = [neutralise(v) for v in values]
        arr = pa.array([v if v.__class__ is str else _text(v) for v in values], type=pa.large_string())
    needs = pc.match_substring_regex(arr, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return arr
    return pc.if_else(needs, pc.binary_join_element_wise(_QUOTE, pc.replace_substring(arr, '"', '""'), _QUOTE,
                                                         _EMPTY), arr)


def csv_bytes(header: Sequence[str], columns: Sequence[Sequence[object]], protect: bool = False) -> bytes:
    """UTF-8 bytes of ``header`` and the rows ``zip(*columns)`` exactly as ``csv.writer`` writes them; with
    ``protect``, every text cell of the rows first goes through :func:`workbench.csv_safety.neutralise`."""
    if len(header) < 2:
        raise ValueError("csv_bytes needs two columns or more")  # one empty cell alone is quoted by csv
    if len(columns) != len(header) or len({len(c) for c in columns}) > 1:
        raise ValueError("one column per header name, all of one length")
    head = (",".join(_rendered(list(header), False).to_pylist()) + _LINE_END).encode("utf-8")
    if not len(columns[0]):
        return head
    rows = pc.binary_join_element_wise(*(_rendered(c, protect) for c in columns), _COMMA)
    # every line with its end, then the Arrow column's text buffer as it is: no Python string per line
    return head + _text_bytes(pc.binary_join_element_wise(rows, _EMPTY, _LINE_END_SCALAR))


def _text_bytes(arr: pa.Array) -> bytes:
    """The UTF-8 bytes of a large-string column's cells one after the other (the span of its data buffer
    that its offsets cover)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:  # not expected (every cell is rendered text): take the slow, obvious way
        return "".join(arr.fill_null("").to_pylist()).encode("utf-8")
    _, offsets, data = arr.buffers()
    bounds = memoryview(offsets).cast("q")  # large_string: 64-bit offsets
    start, end = bounds[arr.offset], bounds[arr.offset + len(arr)]
    return data.slice(start, end - start).to_pybytes()
