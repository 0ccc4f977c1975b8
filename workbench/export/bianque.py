"""BianQue training format: ``input`` (escaped 病人/医生 history ending in 医生：) and ``target``.

Both texts are escaped as the original training files are (real newlines/tabs -> literal ``\\n``/``\\t``),
with backslashes doubled first so that the escaping is lossless
(:func:`workbench.prompts.escape_training_text`); the file re-imports through
:mod:`workbench.datasets.bianque` into the same texts. Metadata columns follow. The CSV protects
every text cell against formula injection (:mod:`workbench.csv_safety`); JSONL is verbatim.
"""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.csv_columns import csv_bytes
from workbench.prompts import escape_training_text

META_COLUMNS = ["dialogue_id", "turn_index", "generation_id", "dataset", "column", "model", "target_source",
                "turn_type", "annotators", "questioning", "suggestion", "n_ratings", "agreement"]


def _texts(ctx: ExportContext) -> tuple[list[str], list[str]]:
    """(inputs, targets) of the selected targets, escaped; built once for the CSV and the JSONL."""
    got = ctx.memo.get("bianque_texts")
    if got is None:
        selected = ctx.selected
        render = ctx.bianque_input
        targets = [s.target for s in selected]
        # Targets repeat (a model's stock replies, corrections): each distinct text is escaped once.
        escaped = {t: escape_training_text(t) for t in dict.fromkeys(targets)}
        got = ctx.memo["bianque_texts"] = ([render(s.candidate) for s in selected],
                                           list(map(escaped.__getitem__, targets)))
    return got


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.csv`` with columns input, target and the metadata columns (annotators joined by ';')."""
    path = out_dir / "train.csv"
    res = FormatResult([path], 0)
    rows = ctx.selected_rows
    rows.count_into(res)
    inputs, targets = _texts(ctx)
    metas = rows.metadata
    # Column by column: every text cell protected against formulas, then the bytes csv.writer would write
    # (workbench/export/csv_columns.py), one write.
    columns = [inputs, targets, *(list(map(";".join, map(itemgetter(k), metas))) if k == "annotators"
                                  else list(map(itemgetter(k), metas)) for k in META_COLUMNS)]
    path.write_bytes(csv_bytes(["input", "target", *META_COLUMNS], columns, protect=True))
    return res


def write_jsonl(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl``: one ``{"input", "target", <metadata>}`` object per line."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    rows = ctx.selected_rows
    rows.count_into(res)
    inputs, targets = _texts(ctx)
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        # The metadata's JSON is shared with SFT: spliced in after the two texts (its '{' dropped), unless
        # a rubric axis is named like one of them (then the dict merge decides, as it always did).
        f.writelines(b"".join((b'{"input":', dumpb(i), b',"target":', dumpb(t), b",", j[1:], b"\n"))
                     if "input" not in m and "target" not in m else dumpb({"input": i, "target": t, **m}) + b"\n"
                     for i, t, m, j in zip(inputs, targets, rows.metadata, rows.metadata_json, strict=True))
    return res
