"""Explicit Arrow types of the flat tables, so a Parquet file's schema never depends on the data.

Without it an all-empty column became Arrow ``null`` and id lists became strings. Every column listed
here gets its type and is nullable; a column not listed (a lead-supplied frame) is inferred, and an
inferred ``null`` column becomes ``string``. ``shown`` and ``ranking`` are lists of generation ids.
"""

from __future__ import annotations

import pyarrow as pa
from pandas import DataFrame

INT, FLOAT, STR, BOOL = pa.int64(), pa.float64(), pa.string(), pa.bool_()
TIME = pa.timestamp("us")
IDS = pa.list_(pa.int64())

#: table -> column -> type. Tables built from the store and from candidates share names; where a
#: column means the same in both it has one type.
TABLE_TYPES: dict[str, dict[str, pa.DataType]] = {
    "dialogues": {"dialogue_id": INT, "dataset": STR, "source": STR, "external_id": STR, "title": STR,
                  "parent_id": INT, "turn_index": INT, "role": STR, "text": STR, "is_reference": BOOL,
                  "generation_id": INT, "created_at": TIME},
    "generations": {"generation_id": INT, "dialogue_id": INT, "dataset": STR, "turn_index": INT, "column": STR,
                    "backend": STR, "model": STR, "model_revision": STR, "status": STR, "output": STR,
                    "error": STR, "route": STR, "route_reason": STR, "seed": INT, "latency_ms": FLOAT,
                    "ttft_ms": FLOAT, "prompt_tokens": INT, "output_tokens": INT, "turn_type_auto": STR,
                    "batch_run_id": INT, "agreement": FLOAT, "preferred_by": STR, "dispreferred_by": STR,
                    "created_at": TIME},
    "ratings": {"rating_id": INT, "generation_id": INT, "annotator": STR, "turn_type": STR, "questioning": FLOAT,
                "questioning_na": BOOL, "suggestion": FLOAT, "suggestion_na": BOOL, "safety_flag": BOOL,
                "comment": STR, "corrected_reply": STR, "rubric_version": STR, "blind": BOOL, "display_slot": INT,
                "version": INT, "created_at": TIME, "updated_at": TIME},
    "preferences": {"preference_id": INT, "annotator": STR, "dialogue_id": INT, "turn_index": INT, "shown": IDS,
                    "outcome": STR, "winner_generation_id": INT, "ranking": IDS, "rubric_version": STR,
                    "blind": BOOL, "version": INT, "created_at": TIME, "updated_at": TIME},
    "annotators": {"annotator": STR, "role": STR, "active": BOOL, "n_ratings": INT, "n_preferences": INT,
                   "first_rating": TIME, "last_rating": TIME, "created_at": TIME},
}


def typed_column(values, typ: pa.DataType | None) -> pa.Array:
    """A column (pandas or Python values) as an Arrow array of type ``typ`` when its values convert,
    else as inferred (text: ``string``)."""
    if typ is not None:
        try:
            return pa.array(values, type=typ, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass  # e.g. text ids from a caller's own candidates: keep what they are
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Values of two kinds (e.g. integer and text ids from a caller's own candidates): Parquet holds them
        # as the text the CSV writes, rather than failing the whole export.
        arr = pa.array([None if _missing(v) else str(v) for v in values], type=STR)
    if pa.types.is_null(arr.type) or pa.types.is_large_string(arr.type):
        return arr.cast(STR)
    return arr


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def to_arrow(name: str, df: DataFrame) -> pa.Table:
    """The table with its declared types (see the module docstring), every field nullable."""
    types = TABLE_TYPES.get(name, {})
    arrays = [typed_column(df[c], types.get(str(c))) for c in df.columns]
    fields = [pa.field(str(c), a.type, nullable=True) for c, a in zip(df.columns, arrays, strict=True)]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
