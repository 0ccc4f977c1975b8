"""Table columns as Arrow arrays straight from Python values, typed as pandas would have typed them.

The flat tables went Python lists -> pandas frame (type inference, a Python check of every value)
-> Arrow table, for the CSV and the Parquet files. :func:`inferred` makes the Arrow array that
``pa.Table.from_pandas(pd.DataFrame({name: values}))`` holds for a column whose values are all of one
plain type (exact ``str``, ``float``, ``int``, ``bool`` or naive ``datetime``, with or without ``None``
as pandas allows), in one C pass. For anything else (mixed types, time zones, huge ints, subclasses) it
answers ``None`` and the caller builds that table through pandas as before, so that no file changes.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.acero  # noqa: F401  (Table.group_by's engine: imported with the writers, not in an export)
import pyarrow.compute as pc

from workbench.csv_safety import FORMULA_FIRST_CHARACTERS, PROTECTED_PATTERN

TIME = pa.timestamp("us")  # pandas keeps Python datetimes at microseconds
_NONE = type(None)
_TZINFO = attrgetter("tzinfo")
_FORMULA = "^" + PROTECTED_PATTERN
_APOSTROPHE, _EMPTY = pa.scalar("'"), pa.scalar("")
# every first byte _FORMULA can match (all ASCII), as a table indexed by byte
_FORMULA_STARTS = np.zeros(256, dtype=bool)
_FORMULA_STARTS[list("".join(FORMULA_FIRST_CHARACTERS).encode("ascii"))] = True
_CONVERSION_ERRORS = (pa.ArrowException, OverflowError, TypeError, ValueError)
_SAMPLE = 256  # values looked at to decide how a text column is converted (speed only, never the result)


def inferred(values: list, text: bool = False) -> pa.Array | None:
    """The Arrow array pandas would make of ``values`` (NaN and None as nulls), or None when unsure.

    ``text``: a column the pandas frame converted as text first (``tables._TEXT_COLUMNS``): whatever
    pyarrow takes as text there is text here too, with no look at each value's type; other values
    (integer ids, numbers, a lone surrogate) go through the checks below, as before."""
    if text:
        arr = _text_array(values)
        if arr is not None:
            return arr
    kinds = set(map(type, values))
    has_none = _NONE in kinds
    kinds.discard(_NONE)
    if not kinds:
        return pa.nulls(len(values))  # pandas: an object column of None, Arrow type null
    if len(kinds) > 1:
        return None  # pandas would coerce (int + float) or keep objects: its own rules decide
    kind = kinds.pop()
    try:
        if kind is str:
            return pa.array(values, type=pa.string())
        if kind is float:
            return pa.array(values, type=pa.float64(), from_pandas=True)
        if kind is int and not has_none:  # with None pandas makes floats
            return pa.array(values, type=pa.int64())  # beyond int64 pandas differs: OverflowError
        if kind is bool and not has_none:  # with None pandas keeps objects
            return pa.array(values, type=pa.bool_())
        # every time naive (a datetime is never falsy: filter(None, ...) drops exactly the Nones)
        if kind is datetime and set(map(_TZINFO, filter(None, values))) == {None}:
            return pa.array(values, type=TIME)
    except _CONVERSION_ERRORS:  # e.g. a lone surrogate in a text
        return None
    return None


def _text_array(values: list) -> pa.Array | None:
    """``values`` as an Arrow ``string`` array, as ``pa.array(values, type=pa.large_string())`` takes them
    (the pandas frame's conversion of a text column); an all-missing column is Arrow ``null`` (pandas keeps
    it as objects). None when pyarrow does not take them as text."""
    try:
        arr = _from_distinct(values) if _repeats_non_ascii(values) else pa.array(values, type=pa.string())
    except _CONVERSION_ERRORS:
        return None
    return pa.nulls(len(values)) if arr.null_count == len(arr) else arr


def _repeats_non_ascii(values: list) -> bool:
    """Whether a sample of the column holds non-ASCII texts whose values repeat in distinct objects (the
    same reply in every candidate that gave it). pyarrow encodes each text object to UTF-8 once (Python
    keeps that copy in the object, a small allocation each): for non-ASCII text that costs ten times a
    hash look-up, so such a column is cheaper converted a distinct value at a time. ASCII text needs no
    encoding, and one object repeated is encoded once: those are converted as they are."""
    sample = [v for v in values[:: max(1, len(values) // _SAMPLE)] if v is not None]
    try:
        if all(map(str.isascii, sample)):
            return False
        return len(set(sample)) * 2 <= len(set(map(id, sample)))
    except TypeError:  # not text (or unhashable): pyarrow decides
        return False


def _from_distinct(values: list) -> pa.Array:
    """The column's distinct values converted once, then taken by index: the same array as converting
    every value. (Equal texts are one key; a column with few repeats is converted as it is.)"""
    distinct = dict.fromkeys(values)
    if len(distinct) * 2 > len(values):
        return pa.array(values, type=pa.string())
    index = dict(zip(distinct, range(len(distinct)), strict=True))
    codes = pa.array(list(map(index.__getitem__, values)), type=pa.int32())
    return pa.array(list(distinct), type=pa.string()).take(codes)


def protected(arr: pa.Array) -> pa.Array:
    """A text column with a ``'`` before every cell that a spreadsheet would run as a formula
    (:func:`workbench.csv_safety.neutralise`, over the whole column at once); other columns as they are."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    if not _may_start_formula(arr):
        return arr
    risky = pc.match_substring_regex(arr, _FORMULA)
    if not pc.any(risky).as_py():
        return arr
    return pc.if_else(risky, pc.binary_join_element_wise(_APOSTROPHE, arr, _EMPTY), arr)


def _may_start_formula(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any cell starts with a byte a formula may start with (:data:`_FORMULA_STARTS`): the first
    byte of every cell read from the column's buffers at once, so that the regex runs only on the few
    columns that may need it. (A null slot's bytes may be read too: at worst the regex then runs.)"""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        _, offsets_buf, data_buf = chunk.buffers()
        if data_buf is None or not len(chunk):
            continue
        kind = np.dtype(np.int64 if pa.types.is_large_string(chunk.type) else np.int32)
        offsets = np.frombuffer(offsets_buf, dtype=kind, count=len(chunk) + 1, offset=chunk.offset * kind.itemsize)
        starts = offsets[:-1][offsets[1:] > offsets[:-1]]  # cells of one character or more
        if _FORMULA_STARTS[np.frombuffer(data_buf, dtype=np.uint8)[starts]].any():
            return True
    return False


def annotator_summary(annotators: pa.Array, created_at: pa.Array) -> pa.Table | None:
    """Per annotator (rows without one left out, sorted by name): ``n_ratings``, ``first_rating`` and
    ``last_rating`` (missing times skipped), as pandas' groupby gave them; None when unsure (not text
    names and times, or no named rating)."""
    if not (pa.types.is_string(annotators.type) and created_at.type == TIME):
        return None
    t = pa.table({"annotator": annotators, "created_at": created_at}).filter(pc.is_valid(annotators))
    if not len(t):
        return None
    g = t.group_by("annotator", use_threads=False).aggregate(
        [("annotator", "count"), ("created_at", "min"), ("created_at", "max")]).sort_by("annotator")
    return pa.table({"annotator": g["annotator"], "n_ratings": g["annotator_count"],
                     "first_rating": g["created_at_min"], "last_rating": g["created_at_max"]})
