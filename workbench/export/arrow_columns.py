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

import pyarrow as pa
import pyarrow.acero  # noqa: F401  (Table.group_by's engine: imported with the writers, not in an export)
import pyarrow.compute as pc

from workbench.csv_safety import PROTECTED_PATTERN

TIME = pa.timestamp("us")  # pandas keeps Python datetimes at microseconds
_NONE = type(None)
_TZINFO = attrgetter("tzinfo")
_FORMULA = "^" + PROTECTED_PATTERN
_APOSTROPHE, _EMPTY = pa.scalar("'"), pa.scalar("")
_CONVERSION_ERRORS = (pa.ArrowException, OverflowError, TypeError, ValueError)


def inferred(values: list) -> pa.Array | None:
    """The Arrow array pandas would make of ``values`` (NaN and None as nulls), or None when unsure."""
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


def protected(arr: pa.Array) -> pa.Array:
    """A text column with a ``'`` before every cell that a spreadsheet would run as a formula
    (:func:`workbench.csv_safety.neutralise`, over the whole column at once); other columns as they are."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr
    risky = pc.match_substring_regex(arr, _FORMULA)
    if not pc.any(risky).as_py():
        return arr
    return pc.if_else(risky, pc.binary_join_element_wise(_APOSTROPHE, arr, _EMPTY), arr)


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
