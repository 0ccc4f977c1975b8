"""BianQue training format: ``input`` (escaped 病人/医生 history ending in 医生：) and ``target``.

Both texts are escaped as the original training files are (real newlines/tabs -> literal ``\\n``/``\\t``),
with backslashes doubled first so that the escaping is lossless
(:func:`workbench.prompts.escape_training_text`); the file re-imports through
:mod:`workbench.datasets.bianque` into the same texts. Metadata columns follow. The CSV protects
every text cell against formula injection (:mod:`workbench.csv_safety`); JSONL is verbatim.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.csv_columns import csv_bytes
from workbench.export.records import ExportCandidate
from workbench.prompts import DOCTOR, PATIENT, escape_training_text

META_COLUMNS = ["dialogue_id", "turn_index", "generation_id", "dataset", "column", "model", "target_source",
                "turn_type", "annotators", "questioning", "suggestion", "n_ratings", "agreement"]


class InputRenderer:
    """The escaped BianQue input of a candidate (:meth:`ExportContext.bianque_input`'s text), joined from
    pieces: every distinct turn text is escaped once, and each history is its turns' escaped texts
    between the 病人/医生 labels (escaping maps each character on its own, so the escaped whole is the
    escaped parts joined). Rendering each history from scratch re-split and re-escaped the turns it
    shares with the dialogue's earlier histories. A history this does not expect (one that does not end
    with a patient turn, an unknown role) goes to ``fallback``, which renders it or says what is wrong.
    """

    # What goes before a turn, by (previous role, this role); a doctor turn with no patient turn before
    # it pairs with an empty patient message, as Dialogue.pairs() does.
    _BEFORE = {(None, "patient"): PATIENT, ("doctor", "patient"): f"\\n{PATIENT}", ("patient", "patient"): "\\n",
               ("patient", "doctor"): f"\\n{DOCTOR}", (None, "doctor"): f"{PATIENT}\\n{DOCTOR}",
               ("doctor", "doctor"): f"\\n{PATIENT}\\n{DOCTOR}"}
    _END = f"\\n{DOCTOR}"

    def __init__(self, fallback: Callable[[ExportCandidate], str]) -> None:
        self._fallback = fallback
        self._escaped: dict[str, str] = {}
        self._by_history: dict[int, tuple[object, str]] = {}

    def __call__(self, c: ExportCandidate) -> str:
        h = c.history
        got = self._by_history.get(id(h))
        if got is not None and got[0] is h:
            return got[1]
        text = self._joined(h)
        if text is None:
            text = self._fallback(c)
        self._by_history[id(h)] = (h, text)  # keeps h alive, so its id is never reused meanwhile
        return text

    def _joined(self, history) -> str | None:
        escaped, before = self._escaped, self._BEFORE
        parts = []
        previous = None
        for t in history:
            text = t.text
            prefix = before.get((previous, t.role))
            if prefix is None or text.__class__ is not str:
                return None
            e = escaped.get(text)
            if e is None:
                e = escaped[text] = escape_training_text(text)
            parts.append(prefix)
            parts.append(e)
            previous = t.role
        if previous != "patient":
            return None
        parts.append(self._END)
        return "".join(parts)


def _texts(ctx: ExportContext) -> tuple[list[str], list[str]]:
    """(inputs, targets) of the selected targets, escaped; built once for the CSV and the JSONL."""
    got = ctx.memo.get("bianque_texts")
    if got is None:
        selected = ctx.selected
        render = InputRenderer(ctx.bianque_input)
        got = ctx.memo["bianque_texts"] = ([render(s.candidate) for s in selected],
                                           [escape_training_text(s.target) for s in selected])
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
