"""Flat tables through pandas: dialogues (one row per turn), generations, ratings, annotators.

The lead may pass its own DataFrames (``tables=`` in :func:`workbench.export.api.export`, e.g. read
straight from SQL); otherwise they are built from the candidates. Built tables honour the dataset,
date and annotator filters only: flat tables are for analysis, so nothing is dropped for its scores.
Free-text columns are de-identified when de-identification is on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from workbench.csv_safety import PROTECTED_PATTERN, neutralise
from workbench.export.context import ExportContext, FormatResult
from workbench.export.records import ExportCandidate
from workbench.export.selection import ExportFilters, in_scope
from workbench.export.table_schema import to_arrow

TABLES = ("dialogues", "generations", "ratings", "annotators")


def tables_from_candidates(candidates: list[ExportCandidate], filters: ExportFilters | None = None) -> dict[str, pd.DataFrame]:
    """The four flat tables for the candidates in scope. Columns are built as lists, then framed once."""
    f = filters or ExportFilters()
    allowed = set(f.annotators) if f.annotators is not None else None
    longest: dict[object, tuple[str | None, list]] = {}
    gen: dict[str, list] = {k: [] for k in ("generation_id", "dialogue_id", "dataset", "turn_index", "column",
                                            "model", "output", "turn_type_auto", "agreement", "preferred_by",
                                            "dispreferred_by", "created_at")}
    rat: dict[str, list] = {k: [] for k in ("generation_id", "annotator", "questioning", "suggestion", "turn_type",
                                            "safety_flag", "comment", "corrected_reply", "created_at")}
    # Rows as tuples, transposed once by zip(): far fewer Python-level operations than appending per cell.
    gen_rows: list[tuple] = []
    rat_rows: list[tuple] = []
    for c in candidates:
        if not in_scope(c, f):
            continue
        prev = longest.get(c.dialogue_id)
        if prev is None or len(c.history) > len(prev[1]):
            longest[c.dialogue_id] = (c.dataset, list(c.history))
        gen_rows.append((c.generation_id, c.dialogue_id, c.dataset, c.turn_index, c.column, c.model, c.output,
                         c.turn_type_auto, c.agreement, ";".join(c.preferred_by), ";".join(c.dispreferred_by),
                         c.created_at))
        gid = c.generation_id
        rat_rows.extend(
            (gid, r.annotator, r.questioning, r.suggestion, r.turn_type, r.safety_flag, r.comment,
             r.corrected_reply, r.created_at)
            for r in c.ratings if allowed is None or r.annotator in allowed
        )
    for cols, rows in ((gen, gen_rows), (rat, rat_rows)):
        if rows:
            for k, values in zip(cols, zip(*rows, strict=True), strict=True):
                cols[k] = list(values)
    dia: dict[str, list] = {"dialogue_id": [], "dataset": [], "turn_index": [], "role": [], "text": []}
    for did, (ds, turns) in longest.items():
        for i, t in enumerate(turns):
            dia["dialogue_id"].append(did)
            dia["dataset"].append(ds)
            dia["turn_index"].append(i)
            dia["role"].append(t.role)
            dia["text"].append(t.text)
    ratings = pd.DataFrame(rat)
    annotators = (
        ratings.groupby("annotator", sort=True)
        .agg(n_ratings=("generation_id", "size"), first_rating=("created_at", "min"), last_rating=("created_at", "max"))
        .reset_index()
        if len(ratings) else pd.DataFrame({"annotator": [], "n_ratings": [], "first_rating": [], "last_rating": []})
    )
    return {"dialogues": pd.DataFrame(dia), "generations": pd.DataFrame(gen), "ratings": ratings,
            "annotators": annotators}


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
        return {name: ctx.clean_frame(name, df) for name, df in ctx.tables.items()}
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
