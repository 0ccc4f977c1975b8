"""BianQue training format: ``input`` (escaped 病人/医生 history ending in 医生：) and ``target``.

Both texts are escaped as the original training files are (real newlines/tabs -> literal ``\\n``/``\\t``),
with backslashes doubled first so that the escaping is lossless
(:func:`workbench.prompts.escape_training_text`); the file re-imports through
:mod:`workbench.datasets.bianque` into the same texts. Metadata columns follow. The CSV protects
every text cell against formula injection (:mod:`workbench.csv_safety`); JSONL is verbatim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from workbench.errors import InputError
from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.csv_columns import csv_bytes
from workbench.export.records import ExportCandidate
from workbench.prompts import escape_training_text

META_COLUMNS = ["dialogue_id", "turn_index", "generation_id", "dataset", "column", "model", "target_source",
                "turn_type", "annotators", "questioning", "suggestion", "n_ratings", "agreement"]

_META_FIELDS = itemgetter(*META_COLUMNS)


@dataclass(frozen=True, slots=True)
class _Rows:
    """The BianQue rows of an export: escaped inputs and targets, and the selected rows' metadata."""

    inputs: list[str]
    targets: list[str]
    metadata: list[dict]
    metadata_json: list[bytes]
    left_out: int  # selected targets whose history has no patient message to answer

    def count_into(self, res: FormatResult, ctx: ExportContext) -> None:
        if not self.left_out:
            ctx.selected_rows.count_into(res)
            return
        metas = self.metadata
        res.count_all([m["model"] for m in metas], [m["turn_type"] for m in metas],
                      [m["target_source"] for m in metas])
        ctx.selected_rows.note_duplicates(res)
        what = "1 target" if self.left_out == 1 else f"{self.left_out} targets"
        res.notes.append(f"{what} left out: a history that does not end with a patient message has no BianQue input")


def _rows(ctx: ExportContext) -> _Rows:
    """The rows of the CSV and the JSONL, built once for both."""
    got = ctx.memo.get("bianque_rows")
    if got is not None:
        return got
    selected = ctx.training_targets
    rows = ctx.selected_rows
    render = ctx.bianque_input
    try:
        inputs = [render(s.candidate) for s in selected]
        keep = None
    except InputError:
        # A caller's candidate may answer a doctor turn: BianQue's format cannot hold it, the others can.
        rendered = [_input_or_none(render, s.candidate) for s in selected]
        keep = [i for i, text in enumerate(rendered) if text is not None]
        inputs = [text for text in rendered if text is not None]
        selected = [selected[i] for i in keep]
    targets = [s.target for s in selected]
    # Targets repeat (a model's stock replies, corrections): each distinct text is escaped once.
    escaped = {t: escape_training_text(t) for t in dict.fromkeys(targets)}
    metas, metas_json = rows.metadata, rows.metadata_json
    if keep is not None:
        metas, metas_json = [metas[i] for i in keep], [metas_json[i] for i in keep]
    got = ctx.memo["bianque_rows"] = _Rows(inputs, list(map(escaped.__getitem__, targets)), metas, metas_json,
                                           len(ctx.training_targets) - len(inputs))
    return got


def _input_or_none(render: Callable[[ExportCandidate], str], c: ExportCandidate) -> str | None:
    try:
        return render(c)
    except InputError:
        return None


def write_csv(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.csv`` with columns input, target and the metadata columns (annotators joined by ';')."""
    path = out_dir / "train.csv"
    res = FormatResult([path], 0)
    rows = _rows(ctx)
    rows.count_into(res, ctx)
    inputs, targets, metas = rows.inputs, rows.targets, rows.metadata
    # Column by column: every text cell protected against formulas, then the bytes csv.writer would write
    # (workbench/export/csv_columns.py), one write.
    # The metadata dicts are read in one pass (a pass per column read each of them 13 times), then transposed.
    fields = list(zip(*map(_META_FIELDS, metas), strict=True)) if metas else [() for _ in META_COLUMNS]
    columns = [inputs, targets, *(list(map(";".join, values)) if k == "annotators" else values
                                  for k, values in zip(META_COLUMNS, fields, strict=True))]
    path.write_bytes(csv_bytes(["input", "target", *META_COLUMNS], columns, protect=True))
    return res


def write_jsonl(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl``: one ``{"input", "target", <metadata>}`` object per line."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    rows = _rows(ctx)
    rows.count_into(res, ctx)
    inputs, targets = rows.inputs, rows.targets
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        # The metadata's JSON is shared with SFT: spliced in after the two texts (its '{' dropped), unless
        # a rubric axis is named like one of them (then the dict merge decides, as it always did).
        f.writelines(b"".join((b'{"input":', dumpb(i), b',"target":', dumpb(t), b",", j[1:], b"\n"))
                     if "input" not in m and "target" not in m else dumpb({"input": i, "target": t, **m}) + b"\n"
                     for i, t, m, j in zip(inputs, targets, rows.metadata, rows.metadata_json, strict=True))
    return res
