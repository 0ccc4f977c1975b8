"""BianQue training format: ``input`` (escaped 病人/医生 history ending in 医生：) and ``target``.

Both texts are escaped as the original training files are (real newlines/tabs -> literal ``\\n``/``\\t``),
with backslashes doubled first so that the escaping is lossless
(:func:`workbench.prompts.escape_training_text`); the file re-imports through
:mod:`workbench.datasets.bianque` into the same texts. Metadata columns follow. The CSV protects
every text cell against formula injection (:mod:`workbench.csv_safety`); JSONL is verbatim.
"""

from __future__ import annotations

import csv
from pathlib import Path

from workbench.csv_safety import neutralise
from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.prompts import escape_training_text

META_COLUMNS = ["dialogue_id", "turn_index", "generation_id", "dataset", "column", "model", "target_source",
                "turn_type", "annotators", "questioning", "suggestion", "n_ratings", "agreement"]


def _rows(ctx: ExportContext, res: FormatResult):
    for s in ctx.selected:
        meta = s.metadata()
        res.count(meta["model"], meta["turn_type"], meta["target_source"])
        yield ctx.bianque_input(s.candidate), escape_training_text(s.target), meta


_FORMULA_STARTS = frozenset("'=+-@\t\r")  # every cell neutralise() changes starts with one of these


def _cell(v: object) -> object:
    """A CSV cell: None as empty, text protected against formulas (neutralise() only where it can apply)."""
    if v is None:
        return ""
    if v.__class__ is str and v and v[0] in _FORMULA_STARTS:
        return neutralise(v)
    return v


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.csv`` with columns input, target and the metadata columns (annotators joined by ';')."""
    path = out_dir / "train.csv"
    res = FormatResult([path], 0)
    with path.open("w", encoding="utf-8", newline="", buffering=WRITE_BUFFER) as f:
        w = csv.writer(f)
        w.writerow(["input", "target", *META_COLUMNS])
        w.writerows(
            [_cell(inp), _cell(tgt),
             *(_cell(";".join(meta[k])) if k == "annotators" else _cell(meta[k]) for k in META_COLUMNS)]
            for inp, tgt, meta in _rows(ctx, res)
        )
    return res


def write_jsonl(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl``: one ``{"input", "target", <metadata>}`` object per line."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        f.writelines(dumpb({"input": inp, "target": tgt, **meta}) + b"\n" for inp, tgt, meta in _rows(ctx, res))
    return res
