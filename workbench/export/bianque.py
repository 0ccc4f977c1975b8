"""BianQue training format: ``input`` (escaped 病人/医生 history ending in 医生：) and ``target``.

Both texts are escaped as the original training files are (real newlines/tabs -> literal ``\\n``/``\\t``),
with backslashes doubled first so that the escaping is lossless
(:func:`workbench.prompts.escape_training_text`); the file re-imports through
:mod:`workbench.datasets.bianque` into the same texts. Metadata columns follow. The CSV protects
every text cell against formula injection (:mod:`workbench.csv_safety`); JSONL is verbatim.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from workbench.csv_safety import neutralise
from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.prompts import escape_training_text

META_COLUMNS = ["dialogue_id", "turn_index", "generation_id", "dataset", "column", "model", "target_source",
                "turn_type", "annotators", "questioning", "suggestion", "n_ratings", "agreement"]


def _texts(ctx: ExportContext) -> tuple[list[str], list[str]]:
    """(inputs, targets) of the selected targets, escaped; built once for the CSV and the JSONL."""
    got = ctx.memo.get("bianque_texts")
    if got is None:
        selected = ctx.selected
        render = ctx.bianque_input
        got = ctx.memo["bianque_texts"] = ([render(s.candidate) for s in selected],
                                           [escape_training_text(s.target) for s in selected])
    return got


_FORMULA_STARTS = frozenset("'=+-@\t\r")  # every cell neutralise() changes starts with one of these
_FORMULA_PREFIXES = tuple(_FORMULA_STARTS)  # for str.startswith, which takes no set (and copies no character)


def _cell(v: object) -> object:
    """A CSV cell: None as empty, text protected against formulas (neutralise() only where it can apply)."""
    if v is None:
        return ""
    if v.__class__ is str and v and v[0] in _FORMULA_STARTS:
        return neutralise(v)
    return v


def _text_column(values: list) -> list:
    """:func:`_cell` over a column: most text cells need no protection, so only those that might are touched."""
    return [_cell(v) if v is None or (v.__class__ is str and v.startswith(_FORMULA_PREFIXES)) else v for v in values]


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.csv`` with columns input, target and the metadata columns (annotators joined by ';')."""
    path = out_dir / "train.csv"
    res = FormatResult([path], 0)
    rows = ctx.selected_rows
    rows.count_into(res)
    inputs, targets = _texts(ctx)
    metas = rows.metadata
    # Column by column (each cell exactly as _cell() makes it), then one writerows over the zipped columns.
    columns = [_text_column(inputs), _text_column(targets)]
    for k in META_COLUMNS:
        if k == "annotators":
            columns.append([_cell(";".join(m[k])) for m in metas])
        else:
            columns.append(_text_column([m[k] for m in metas]))
    # Into memory, then one UTF-8 encoding and one write: the csv writer's one write per row through a
    # text file cost more than the rows themselves (each was encoded on its own).
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(["input", "target", *META_COLUMNS])
    w.writerows(zip(*columns, strict=True))
    path.write_bytes(buf.getvalue().encode("utf-8"))
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
