"""The column types a dataset card declares for a JSON Lines or CSV file (``dataset_info.features``).

Without them ``datasets`` infers each export's types from its rows, and a field no row fills (DPO's
``annotators_against`` when no annotator voted against a chosen reply, a score no one gave) became
``Value('null')`` / ``List(Value('null'))``: a schema that changes from one export to the next, so two exports
could not be concatenated, and a column a consumer cannot cast. The card now declares the types: Arrow's
inference over the whole file, with every all-null field given the type its name means. ``datasets`` casts the
file to them when it loads a config (checked by tests/test_export_cards.py).

A CSV file is read by pandas, which types a column no row fills as ``float64`` and an integer column with an empty
cell as ``float64`` too: a comment, title or error column that nobody wrote in became a number column in one export
and text in the next, and ids became 12.0. Its card declares every column: by name where the name says text or a
score, else as Arrow infers it over the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as paj

from workbench.export.table_schema import TABLE_TYPES
from workbench.vocab import RubricAxis

# The type of a field that no row fills, by name. Every scalar field the JSON Lines writers name is here; the
# others are the rubric's further axes, which are scores: an unnamed all-null field is a number.
_NULL_FIELD_TYPES = {
    **dict.fromkeys(("dialogue_id", "turn_index", "generation_id", "n_ratings"), "int64"),
    **dict.fromkeys((*RubricAxis, "agreement"), "float64"),
    **dict.fromkeys(("dataset", "column", "model", "target_source", "pair_source", "turn_type", "role", "content",
                     "input", "target"), "string"),
    "label": "bool",
}
_NULL_LIST_TYPES = {"generation_ids": "int64"}  # other all-null lists hold names (annotators, votes): text
_UNNAMED_NULL = "float64"
# Arrow parses the file in blocks on its threads: 4 MB read a 94 MB DPO file in 0.21 s here, against 0.31 s
# with the 1 MB default (bench/NOTES.md, s48).
_BLOCK_BYTES = 4 << 20
# Arrow type names that datasets spells otherwise
_DTYPE_NAMES = {"double": "float64", "float": "float32", "halffloat": "float16"}


def json_features(path: Path) -> list[dict[str, Any]] | None:
    """The card's ``features`` for the JSON Lines file ``path`` (datasets' YAML form), or None when Arrow
    cannot read it (the card then declares nothing and ``datasets`` infers, as before)."""
    try:
        schema = paj.read_json(path, read_options=paj.ReadOptions(block_size=_BLOCK_BYTES)).schema
    except (pa.ArrowException, OSError):
        return None
    return [_feature(f.name, f.type) for f in schema]


def _feature(name: str, arrow_type: pa.DataType) -> dict[str, Any]:
    return {"name": name, **_type(name, arrow_type)}


def _type(name: str, arrow_type: pa.DataType) -> dict[str, Any]:
    if pa.types.is_struct(arrow_type):
        return {"struct": [_feature(arrow_type.field(i).name, arrow_type.field(i).type)
                           for i in range(arrow_type.num_fields)]}
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = arrow_type.value_type
        if pa.types.is_null(item):
            return {"list": _NULL_LIST_TYPES.get(name, "string")}
        inner = _type(name, item)
        return {"list": inner.get("dtype", inner.get("struct", inner))}
    if pa.types.is_null(arrow_type):
        return {"dtype": _NULL_FIELD_TYPES.get(name, _UNNAMED_NULL)}
    return {"dtype": _DTYPE_NAMES.get(str(arrow_type), str(arrow_type))}


def _csv_name_types() -> dict[str, pa.DataType]:
    """What a CSV column means, by name: the flat tables' declared types and the JSON fields' ones."""
    names: dict[str, pa.DataType] = {}
    for columns in TABLE_TYPES.values():
        for name, arrow_type in columns.items():
            names.setdefault(name, arrow_type)
    return {**names, **{n: pa.type_for_alias(t) for n, t in _NULL_FIELD_TYPES.items()}}


_CSV_NAME_TYPES = _csv_name_types()


def _csv_dtype(arrow_type: pa.DataType) -> str:
    """The datasets dtype of a CSV column of ``arrow_type``. ``datasets`` reads the file with pandas as it
    infers, then casts it to the card's features: an int64 column with empty cells (a float64 one in pandas)
    comes back int64 with nulls."""
    if pa.types.is_integer(arrow_type):
        return "int64"
    if pa.types.is_floating(arrow_type):
        return "float64"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "string"  # text, and times and lists as the CSV writes them


def csv_features(path: Path) -> list[dict[str, Any]] | None:
    """The card's ``features`` for the CSV file ``path``, or None when Arrow cannot read it (``datasets`` then
    infers, as before). Arrow reads it the way pandas does: an empty cell is missing."""
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
                               convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (pa.ArrowException, OSError):
        return None
    features = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        meant = _CSV_NAME_TYPES.get(name)
        if pa.types.is_null(column.type):
            dtype = _csv_dtype(meant) if meant is not None else "string"
        elif meant is not None and (pa.types.is_string(meant) or (pa.types.is_floating(meant)
                                                                  and pa.types.is_integer(column.type))):
            dtype = _csv_dtype(meant)  # the type the name means: a score column of whole numbers is still a score
        else:
            dtype = _csv_dtype(column.type)
        features.append({"name": name, "dtype": dtype})
    return features
