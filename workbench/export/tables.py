"""Flat tables: dialogues (one row per turn), generations, ratings, annotators, as CSV and Parquet.

The lead may pass its own DataFrames (``tables=`` in :func:`workbench.export.api.export`, e.g. read
straight from SQL); otherwise they are built from the candidates. Built tables honour the dataset,
date and annotator filters only: flat tables are for analysis, so nothing is dropped for its scores.
Free-text columns are de-identified when de-identification is on.

Tables built from candidates go straight to Arrow (:class:`ArrowTable`, shared by the CSV and the
Parquet writer), typed as the pandas frames they used to be were typed, so the files are the same; a
table with unusual values (mixed types, time zones) still goes through pandas
(:func:`tables_from_candidates`, also the reference the tests compare with).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, count, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from workbench.csv_safety import PROTECTED_PATTERN, neutralise
from workbench.dates import utc_naive
from workbench.dialogue import Turn
from workbench.export.arrow_columns import annotator_summary, inferred, protected
from workbench.export.context import ExportContext, FormatResult
from workbench.export.records import ExportCandidate
from workbench.export.selection import ExportFilters, in_scope
from workbench.export.table_schema import STR, TABLE_TYPES, to_arrow, typed_column
from workbench.plural import plural

TABLES = ("dialogues", "generations", "ratings", "annotators")


def _column(values: list) -> object:
    """A table column from Python values, as ``pd.DataFrame`` would make it: text goes straight into an
    Arrow-backed string array (pandas' own conversion checks every value in Python first, three times
    slower on a large export); anything else (numbers, times, mixed or all-missing values) is left to
    pandas' inference."""
    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return values
    if arr.null_count == len(arr):
        return values  # pandas keeps an all-missing column as objects, not text
    return pd.arrays.ArrowStringArray(pa.chunked_array([arr]), dtype=_STR)


_STR = pd.Series(["x"]).dtype  # pandas' default text dtype, the one pd.DataFrame gives a text column
_TEXT_COLUMNS = {"generation_id", "dataset", "column", "model", "output", "turn_type_auto", "preferred_by", "dispreferred_by",
                 "annotator", "turn_type", "comment", "corrected_reply", "role", "text"}


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({k: _column(v) if k in _TEXT_COLUMNS and v else v for k, v in columns.items()})


def table_columns(candidates: list[ExportCandidate], filters: ExportFilters | None = None
                  ) -> dict[str, dict[str, list]]:
    """The columns (Python values) of the dialogues, generations and ratings tables for the candidates in
    scope; the annotators table is computed from the ratings. The reference :func:`arrow_tables` is
    checked against: every attribute read by name (``attrgetter``, one C loop per field), none of the
    faster paths' shortcuts."""
    f = filters or ExportFilters()
    allowed = set(f.annotators) if f.annotators is not None else None
    no_scope = f.datasets is None and f.date_from is None and f.date_to is None
    cs = candidates if no_scope else [c for c in candidates if in_scope(c, f)]
    longest: dict[object, tuple[str | None, Sequence[Turn]]] = {}
    for c in cs:
        prev = longest.get(c.dialogue_id)
        if prev is None or len(c.history) > len(prev[1]):
            longest[c.dialogue_id] = (c.dataset, c.history)
    gen_fields = ("generation_id", "dialogue_id", "dataset", "turn_index", "column", "model", "output",
                  "turn_type_auto", "agreement")
    gen: dict[str, list[Any]] = {
        **_attributes(cs, gen_fields),
        "preferred_by": list(map(";".join, map(attrgetter("preferred_by"), cs))),
        "dispreferred_by": list(map(";".join, map(attrgetter("dispreferred_by"), cs))),
        "created_at": list(map(attrgetter("created_at"), cs)),
    }
    if allowed is None:  # every rating: each candidate's id repeated once per rating, in C loops
        per_candidate = list(map(attrgetter("ratings"), cs))
        rs = list(chain.from_iterable(per_candidate))
        rated_ids = list(chain.from_iterable(map(repeat, gen["generation_id"], map(len, per_candidate))))
    else:
        rated = [(c.generation_id, r) for c in cs for r in c.ratings if r.annotator in allowed]
        rs = [r for _, r in rated]
        rated_ids = [g for g, _ in rated]
    # rubric axes beyond the two (the ratings that have any are picked out first: most have none)
    further_axes = list(dict.fromkeys(axis for r in [r for r in rs if r.extra_scores] for axis, _ in r.extra_scores))
    rating_fields = ("annotator", "questioning", "suggestion", "turn_type", "safety_flag", "comment",
                     "corrected_reply", "created_at")
    by_field = _attributes(rs, rating_fields)
    rat: dict[str, list[Any]] = {
        "generation_id": rated_ids,
        "annotator": by_field["annotator"],
        "questioning": by_field["questioning"],
        "suggestion": by_field["suggestion"],
        **{axis: [dict(r.extra_scores).get(axis) for r in rs] for axis in further_axes},
        **{k: by_field[k] for k in rating_fields[3:]},
    }
    turns = [(did, ds, i, t) for did, (ds, h) in longest.items() for i, t in enumerate(h)]
    dia: dict[str, list[Any]] = {"dialogue_id": [x[0] for x in turns], "dataset": [x[1] for x in turns], "turn_index": [x[2] for x in turns],
           "role": [x[3].role for x in turns], "text": [x[3].text for x in turns]}
    return {"dialogues": dia, "generations": gen, "ratings": rat}


def _fields(objects: Sequence[object], names: Sequence[str]) -> dict[str, list]:
    """Each attribute in ``names`` as a list, in the objects' order, read from each object's ``__dict__``
    (the records are plain dataclasses). Every value is touched once more for each list it is copied
    into, and on a large export that memory traffic, not the look-ups, is the cost: so the values of
    all the dicts are first laid end to end in one C pass and each field sliced out of that
    (:func:`_sliced_fields`); dicts that are not all laid out alike are read a field at a time."""
    try:
        dicts = list(map(vars, objects))
        return _sliced_fields(dicts, names) or {name: list(map(itemgetter(name), dicts)) for name in names}
    except (TypeError, KeyError):  # an object without a __dict__, or a field that is not stored in it
        return {name: list(map(attrgetter(name), objects)) for name in names}


def _attributes(objects: Sequence[object], names: Sequence[str]) -> dict[str, list]:
    """Each attribute in ``names`` as a list, one C pass per field. For objects that never had their
    ``__dict__`` asked for (Python 3.11 keeps a fresh instance's attributes inline and makes the dict
    on demand, as :func:`_fields` would, one allocation per object): the ratings."""
    return {name: list(map(attrgetter(name), objects)) for name in names}


def _sliced_fields(dicts: list[dict], names: Sequence[str]) -> dict[str, list] | None:
    """The fields as :func:`_fields` gives them, or None unless every dict holds the same number of
    keys and each name at the same position (objects made by one dataclass ``__init__``, or copies of
    them, do): then dict ``j`` fills slots ``j * width`` to ``(j + 1) * width`` of the chained values,
    and a field is every ``width``-th value from its position."""
    if not dicts:
        return None
    layout = list(dicts[0])
    width = len(layout)
    if any(name not in layout for name in names) or set(map(len, dicts)) != {width}:
        return None
    keys = list(chain.from_iterable(dicts))
    positions = [layout.index(name) for name in names]
    if any(keys[p::width].count(name) != len(dicts) for name, p in zip(names, positions, strict=True)):
        return None
    values = list(chain.from_iterable(map(dict.values, dicts)))
    return {name: values[p::width] for name, p in zip(names, positions, strict=True)}


def annotators_frame(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per annotator: number of ratings, first and last rating time, sorted by name."""
    if not len(ratings):
        return pd.DataFrame({"annotator": [], "n_ratings": [], "first_rating": [], "last_rating": []})
    try:
        return _annotator_times(ratings)
    except TypeError:
        # Naive and aware times mixed (a caller's candidates): Python cannot compare them, so the summary
        # compares them as the store keeps times, naive UTC, rather than failing the whole export.
        times = ratings["created_at"].map(lambda v: utc_naive(v) if isinstance(v, datetime) else v)
        return _annotator_times(ratings.assign(created_at=times))


def _annotator_times(ratings: pd.DataFrame) -> pd.DataFrame:
    return (ratings.groupby("annotator", sort=True)
            .agg(n_ratings=("generation_id", "size"), first_rating=("created_at", "min"),
                 last_rating=("created_at", "max"))
            .reset_index())


def tables_from_candidates(candidates: list[ExportCandidate], filters: ExportFilters | None = None) -> dict[str, pd.DataFrame]:
    """The four flat tables for the candidates in scope, as pandas frames (the reference the Arrow
    tables of :mod:`workbench.export.table_columns` are checked against, and their fallback)."""
    cols = table_columns(candidates, filters)
    ratings = _frame(cols["ratings"])
    return {"dialogues": _frame(cols["dialogues"]), "generations": _frame(cols["generations"]), "ratings": ratings,
            "annotators": annotators_frame(ratings)}


def _joined(v: object) -> object:
    return ";".join(str(x) for x in v) if isinstance(v, list | tuple) else v


def _neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV: id lists joined by ";" (no list: empty), and text cells that cannot run as
    spreadsheet formulas (:mod:`workbench.csv_safety`)."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        present = series.dropna()
        if len(present) and isinstance(present.iloc[0], list | tuple):
            out[col] = pd.Series([_joined(v) for v in series.tolist()], index=out.index, dtype=object)
            continue
        try:
            risky = series.str.match(PROTECTED_PATTERN, na=False)  # vectorised: most columns have none
        except AttributeError:  # no text at all (e.g. a column of dates kept as objects)
            continue
        if risky.any():
            out[col] = pd.Series([neutralise(v) if r else v for v, r in zip(series.tolist(), risky.tolist(),
                                                                           strict=True)],
                                 index=out.index, dtype=object)
    return out


def _to_csv(df: pd.DataFrame, path: Path) -> None:
    """pyarrow's CSV writer is several times faster than ``DataFrame.to_csv``; columns of mixed Python
    types (possible in lead-supplied frames) cannot become Arrow columns, so pandas writes those.
    Text cells are protected against formula injection first."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    df = _neutralised(df)
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        df.to_csv(path, index=False)
        return
    pacsv.write_csv(table, path)


@dataclass
class ArrowTable:
    """A flat table built from candidates as Arrow arrays (:mod:`workbench.export.arrow_columns`), the
    arrays ``pa.Table.from_pandas`` would give for its pandas frame; ``values`` keeps the Python values
    a column is made from, for the rare Parquet column whose declared type needs pandas' conversion."""

    name: str
    arrays: dict[str, pa.Array]
    values: dict[str, list] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def counted_frame(self) -> pd.DataFrame:
        """The ``model`` and ``turn_type_auto`` columns as :func:`_frame` makes them of the values (what
        the report counts), a text column taken from its Arrow array rather than converted again."""
        return pd.DataFrame({k: self._text_series(k) for k in ("model", "turn_type_auto") if k in self.values})

    def _text_series(self, col: str) -> object:
        arr = self.arrays[col]
        if pa.types.is_string(arr.type):  # _column's Arrow-backed text (never all-missing: that is null)
            return pd.arrays.ArrowStringArray(pa.chunked_array([arr.cast(pa.large_string())]), dtype=_STR)
        return _frame({col: self.values[col]})[col]

    def csv_table(self) -> pa.Table:
        """The table as the CSV shows it: text cells protected against formulas."""
        return pa.Table.from_arrays([protected(a) for a in self.arrays.values()], names=list(self.arrays))

    def parquet_table(self) -> pa.Table:
        """The table with the declared types of :mod:`workbench.export.table_schema`, as ``to_arrow``
        gives them for the pandas frame."""
        types = TABLE_TYPES.get(self.name, {})
        arrays = [self._declared(col, arr, types.get(col)) for col, arr in self.arrays.items()]
        fields = [pa.field(col, a.type, nullable=True) for col, a in zip(self.arrays, arrays, strict=True)]
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def _declared(self, col: str, arr: pa.Array, typ: pa.DataType | None) -> pa.Array:
        if pa.types.is_null(arr.type):
            return pa.nulls(len(arr), typ or STR)
        if typ is None:
            return arr.cast(STR) if pa.types.is_large_string(arr.type) else arr
        if arr.type == typ or (typ == STR and pa.types.is_string(arr.type)):
            return arr
        if pa.types.is_string(arr.type):
            # e.g. text ids in an integer column: pandas hands pyarrow its Arrow text column, which casts
            # it ("12" -> 12) or, when a value does not parse, keeps it as text
            try:
                if arr[0].is_valid:
                    arr.slice(0, 1).cast(typ)  # ids like "g12": the whole cast fails if the first does, sooner
                return arr.cast(typ)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                return arr
        # anything else (whole numbers declared as floats...): pandas' own conversion decides
        values = self.values[col] if col in self.values else arr.to_pylist()
        return typed_column(pd.Series(_column(values) if col in _TEXT_COLUMNS else values), typ)


_GEN_FIELDS = ("generation_id", "dialogue_id", "dataset", "turn_index", "column", "model", "output", "turn_type_auto",
               "agreement")
_RATING_FIELDS = ("annotator", "questioning", "suggestion", "turn_type", "safety_flag", "comment", "corrected_reply",
                  "created_at")


@dataclass
class _Repeated:
    """A column of another column's values picked by row (each rating's generation id): taken from that
    column's Arrow array (no second conversion of 200k Python values), or converted from the values when
    that column has none."""

    values: list
    array: pa.Array | None
    rows: np.ndarray

    def to_list(self) -> list:
        return list(map(self.values.__getitem__, self.rows.tolist()))

    def to_arrow(self, text: bool) -> pa.Array | None:
        if self.array is None:
            return inferred(self.to_list(), text)
        taken = self.array.take(pa.array(self.rows))
        # picked values of one kind are converted as the whole column was, unless none is present
        return pa.nulls(len(taken)) if taken.null_count == len(taken) else taken


def arrow_tables(candidates: list[ExportCandidate], filters: ExportFilters | None = None
                 ) -> dict[str, ArrowTable | pd.DataFrame]:
    """The four flat tables as :class:`ArrowTable`; a table with a column :func:`inferred` is unsure
    of (mixed or unusual values) or without rows is a pandas frame, exactly as before.

    The same columns as :func:`table_columns` (the reference), built with fewer passes over the objects:
    every candidate field read in one pass, the ratings' generation ids taken from the generations'
    array, the dialogues' columns repeated and chained in C."""
    f = filters or ExportFilters()
    allowed = set(f.annotators) if f.annotators is not None else None
    no_scope = f.datasets is None and f.date_from is None and f.date_to is None
    cs = candidates if no_scope else [c for c in candidates if in_scope(c, f)]
    got = _fields(cs, (*_GEN_FIELDS, "preferred_by", "dispreferred_by", "created_at", "history", "ratings"))
    gen: dict[str, Any] = {
        **{k: got[k] for k in _GEN_FIELDS},
        "preferred_by": list(map(";".join, got["preferred_by"])),
        "dispreferred_by": list(map(";".join, got["dispreferred_by"])),
        "created_at": got["created_at"],
    }
    gen_arrays = {k: inferred(v, k in _TEXT_COLUMNS) for k, v in gen.items()}
    cols = {"dialogues": _dialogue_columns(got["dialogue_id"], got["dataset"], got["history"]),
            "generations": gen,
            "ratings": _rating_columns(cs, got["ratings"], gen["generation_id"], gen_arrays["generation_id"], allowed)}
    out: dict[str, ArrowTable | pd.DataFrame] = {}
    for name, columns in cols.items():
        if name == "generations":
            arrays = gen_arrays
        else:
            arrays = {k: v.to_arrow(k in _TEXT_COLUMNS) if isinstance(v, _Repeated) else inferred(v, k in _TEXT_COLUMNS)
                      for k, v in columns.items()}
        first = next(iter(arrays.values()))
        plain = {k: v for k, v in columns.items() if not isinstance(v, _Repeated)}
        if first is None or not len(first) or any(a is None for a in arrays.values()):
            out[name] = _frame(_listed(columns))
        else:
            out[name] = ArrowTable(name, arrays, plain)
    ratings = out["ratings"]
    summary = (annotator_summary(ratings.arrays["annotator"], ratings.arrays["created_at"])
               if isinstance(ratings, ArrowTable) else None)
    if summary is None:
        out["annotators"] = annotators_frame(ratings if isinstance(ratings, pd.DataFrame)
                                             else _frame(_listed(cols["ratings"])))
    else:
        out["annotators"] = ArrowTable("annotators", dict(zip(summary.column_names, summary.columns, strict=True)))
    return out


def _listed(columns: dict[str, Any]) -> dict[str, list]:
    return {k: v.to_list() if isinstance(v, _Repeated) else v for k, v in columns.items()}


def _rating_columns(cs: list[ExportCandidate], per_candidate: list, gen_ids: list, gen_id_array: pa.Array | None,
                    allowed: set[str] | None) -> dict[str, Any]:
    """The ratings table's columns (as :func:`table_columns` builds them), with the generation ids
    :class:`_Repeated` from the generations' when every rating is in."""
    rated_ids: list | _Repeated
    if allowed is None:
        rs = list(chain.from_iterable(per_candidate))
        rows = np.repeat(np.arange(len(per_candidate)), np.fromiter(map(len, per_candidate), np.int64, len(per_candidate)))
        rated_ids = _Repeated(gen_ids, gen_id_array, rows)
    else:
        rated = [(c.generation_id, r) for c in cs for r in c.ratings if r.annotator in allowed]
        rs = [r for _, r in rated]
        rated_ids = [g for g, _ in rated]
    by_field = _attributes(rs, (*_RATING_FIELDS, "extra_scores"))
    # rubric axes beyond the two (the ratings that have any are picked out first: most have none)
    with_axes = [r for r, e in zip(rs, by_field["extra_scores"], strict=True) if e] if any(by_field["extra_scores"]) else []
    further_axes = list(dict.fromkeys(axis for r in with_axes for axis, _ in r.extra_scores))
    return {
        "generation_id": rated_ids,
        "annotator": by_field["annotator"],
        "questioning": by_field["questioning"],
        "suggestion": by_field["suggestion"],
        **{axis: [dict(r.extra_scores).get(axis) for r in rs] for axis in further_axes},
        **{k: by_field[k] for k in _RATING_FIELDS[3:]},
    }


def _dialogue_columns(dialogue_ids: list, datasets: list, histories: list) -> dict[str, list]:
    """The dialogues table (as :func:`table_columns` builds it): each dialogue's longest history (the first
    of equal length), its turns one row each; the id is the one the dialogue was first seen with."""
    longest: dict[object, tuple[int, int]] = {}
    get = longest.get
    for did, n, i in zip(dialogue_ids, map(len, histories), count()):
        prev = get(did)
        if prev is None or n > prev[0]:
            longest[did] = (n, i)
    lengths = [n for n, _ in longest.values()]
    chosen = [i for _, i in longest.values()]
    turns = list(chain.from_iterable(map(histories.__getitem__, chosen)))
    return {"dialogue_id": list(chain.from_iterable(map(repeat, longest, lengths))),
            "dataset": list(chain.from_iterable(map(repeat, map(datasets.__getitem__, chosen), lengths))),
            "turn_index": list(chain.from_iterable(map(range, lengths))),
            "role": list(map(attrgetter("role"), turns)), "text": list(map(attrgetter("text"), turns))}


def _tables(ctx: ExportContext) -> dict[str, pd.DataFrame | ArrowTable]:
    if ctx.tables is not None:  # de-identified with the rest of the context (ExportContext.build, from_store)
        return ctx.tables
    # Candidates in the context are already de-identified; CSV and Parquet share one build.
    if "tables" not in ctx.memo:
        ctx.memo["tables"] = arrow_tables(ctx.candidates, ctx.filters)
    return ctx.memo["tables"]


def _write(ctx: ExportContext, out_dir: Path, ext: str) -> FormatResult:
    res = FormatResult([], 0)
    # Arrow encodes and writes a file without holding the GIL: two tables' files are written at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        writes = [_write_table(out_dir, ext, name, table, res, pool) for name, table in _tables(ctx).items()]
        for w in writes:
            if w is not None:
                w.result()  # a failed write raises here
    return res


def _write_table(out_dir: Path, ext: str, name: str, table: pd.DataFrame | ArrowTable,
                 res: FormatResult, pool: ThreadPoolExecutor) -> Future | None:
    """Write one table (an Arrow table in ``pool``) and count it into ``res``."""
    path = out_dir / f"{name}.{ext}"
    written = None
    if isinstance(table, ArrowTable):
        if ext == "csv":
            written = pool.submit(pacsv.write_csv, table.csv_table(), path)
        else:
            written = pool.submit(pq.write_table, table.parquet_table(), path)
        counted = table.counted_frame() if name == "generations" else pd.DataFrame()
    else:
        if ext == "csv":
            _to_csv(table, path)
        else:
            pq.write_table(to_arrow(name, table), path)
        counted = table
    res.files.append(path)
    res.configs.append({"config_name": name, "path": path.name, "rows": len(table)})
    res.notes.append(f"{name}: {len(table)} {plural(len(table), 'row')}")
    if name == "generations" and "model" in counted.columns:
        res.by_model.update(counted["model"].fillna("-").astype(str).value_counts().to_dict())
        col = "turn_type_auto" if "turn_type_auto" in counted.columns else None
        if col:
            res.by_turn_type.update(counted[col].fillna("-").astype(str).value_counts().to_dict())
    res.rows += len(table)
    return written


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """One CSV per table."""
    return _write(ctx, out_dir, "csv")


def write_parquet(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """One Parquet file per table, with the explicit schema of :mod:`workbench.export.table_schema`."""
    return _write(ctx, out_dir, "parquet")
