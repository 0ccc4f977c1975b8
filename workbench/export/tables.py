"""Flat tables through pandas: dialogues (one row per turn), generations, ratings, annotators.

The lead may pass its own DataFrames (``tables=`` in :func:`workbench.export.api.export`, e.g. read
straight from SQL); otherwise they are built from the candidates. Built tables honour the dataset,
date and annotator filters only: flat tables are for analysis, so nothing is dropped for its scores.
Free-text columns are de-identified when de-identification is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.csv_safety import PROTECTED_PATTERN, neutralise
from workbench.dialogue import Turn
from workbench.export.context import ExportContext, FormatResult
from workbench.export.records import ExportCandidate
from workbench.export.selection import ExportFilters, in_scope
from workbench.export.table_schema import to_arrow
from workbench.privacy import deidentify_table

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


def tables_from_candidates(candidates: list[ExportCandidate], filters: ExportFilters | None = None) -> dict[str, pd.DataFrame]:
    """The four flat tables for the candidates in scope, one list comprehension per column."""
    f = filters or ExportFilters()
    allowed = set(f.annotators) if f.annotators is not None else None
    no_scope = f.datasets is None and f.date_from is None and f.date_to is None
    cs = candidates if no_scope else [c for c in candidates if in_scope(c, f)]
    longest: dict[object, tuple[str | None, Sequence[Turn]]] = {}
    for c in cs:
        prev = longest.get(c.dialogue_id)
        if prev is None or len(c.history) > len(prev[1]):
            longest[c.dialogue_id] = (c.dataset, c.history)
    gen: dict[str, list[Any]] = {
        "generation_id": [c.generation_id for c in cs],
        "dialogue_id": [c.dialogue_id for c in cs],
        "dataset": [c.dataset for c in cs],
        "turn_index": [c.turn_index for c in cs],
        "column": [c.column for c in cs],
        "model": [c.model for c in cs],
        "output": [c.output for c in cs],
        "turn_type_auto": [c.turn_type_auto for c in cs],
        "agreement": [c.agreement for c in cs],
        "preferred_by": [";".join(c.preferred_by) for c in cs],
        "dispreferred_by": [";".join(c.dispreferred_by) for c in cs],
        "created_at": [c.created_at for c in cs],
    }
    if allowed is None:  # every rating: no (id, rating) pairs to build and take apart again
        rs = [r for c in cs for r in c.ratings]
        rated_ids = [c.generation_id for c in cs for _ in c.ratings]
    else:
        rated = [(c.generation_id, r) for c in cs for r in c.ratings if r.annotator in allowed]
        rs = [r for _, r in rated]
        rated_ids = [g for g, _ in rated]
    # rubric axes beyond the two (the ratings that have any are picked out first: most have none)
    further_axes = list(dict.fromkeys(axis for r in [r for r in rs if r.extra_scores] for axis, _ in r.extra_scores))
    rat: dict[str, list[Any]] = {
        "generation_id": rated_ids,
        "annotator": [r.annotator for r in rs],
        "questioning": [r.questioning for r in rs],
        "suggestion": [r.suggestion for r in rs],
        **{axis: [dict(r.extra_scores).get(axis) for r in rs] for axis in further_axes},
        "turn_type": [r.turn_type for r in rs],
        "safety_flag": [r.safety_flag for r in rs],
        "comment": [r.comment for r in rs],
        "corrected_reply": [r.corrected_reply for r in rs],
        "created_at": [r.created_at for r in rs],
    }
    turns = [(did, ds, i, t) for did, (ds, h) in longest.items() for i, t in enumerate(h)]
    dia: dict[str, list[Any]] = {"dialogue_id": [x[0] for x in turns], "dataset": [x[1] for x in turns], "turn_index": [x[2] for x in turns],
           "role": [x[3].role for x in turns], "text": [x[3].text for x in turns]}
    ratings = _frame(rat)
    annotators = (
        ratings.groupby("annotator", sort=True)
        .agg(n_ratings=("generation_id", "size"), first_rating=("created_at", "min"), last_rating=("created_at", "max"))
        .reset_index()
        if len(ratings) else pd.DataFrame({"annotator": [], "n_ratings": [], "first_rating": [], "last_rating": []})
    )
    return {"dialogues": _frame(dia), "generations": _frame(gen), "ratings": ratings, "annotators": annotators}


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


def _tables(ctx: ExportContext) -> dict[str, pd.DataFrame]:
    if ctx.tables is not None:
        if not ctx.deid.enabled:
            return ctx.tables
        return {name: deidentify_table(name, df, ctx.deid) for name, df in ctx.tables.items()}
    # Candidates in the context are already de-identified; CSV and Parquet share one build.
    if "tables" not in ctx.memo:
        ctx.memo["tables"] = tables_from_candidates(ctx.candidates, ctx.filters)
    return ctx.memo["tables"]


def _write(ctx: ExportContext, out_dir: Path, ext: str) -> FormatResult:
    res = FormatResult([], 0)
    for name, df in _tables(ctx).items():
        path = out_dir / f"{name}.{ext}"
        if ext == "csv":
            _to_csv(df, path)
        else:
            pq.write_table(to_arrow(name, df), path)
        res.files.append(path)
        res.configs.append({"config_name": name, "path": path.name, "rows": len(df)})
        res.notes.append(f"{name}: {len(df)} rows")
        if name == "generations" and "model" in df.columns:
            res.by_model.update(df["model"].fillna("-").astype(str).value_counts().to_dict())
            col = "turn_type_auto" if "turn_type_auto" in df.columns else None
            if col:
                res.by_turn_type.update(df[col].fillna("-").astype(str).value_counts().to_dict())
        res.rows += len(df)
    return res


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """One CSV per table."""
    return _write(ctx, out_dir, "csv")


def write_parquet(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """One Parquet file per table, with the explicit schema of :mod:`workbench.export.table_schema`."""
    return _write(ctx, out_dir, "parquet")
