"""The Export tab (researchers and admins): pick formats and filters, preview the first rows, download a zip.

Every handler resolves the user from the request and re-checks the role on the server (``require_role``),
so an annotator who calls the API directly is refused; the page only hides the tab as a courtesy. The zip
waits in the private export vault and is served once, to the user who made it, by
``workbench.ui.downloads`` (never through Gradio's file cache).
Nothing read from the database is rendered as markup: the preview is a Dataframe of plain-text
cells and the summary a read-only Textbox.
"""

from __future__ import annotations

import html
import json
import logging
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from sqlalchemy import select

from workbench.access import Permission, require_role
from workbench.analysis.aggregation import METHODS as AGGREGATES
from workbench.auth import CurrentUser
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.export.api import ExportReport
from workbench.export.registry import WRITERS
from workbench.export.selection import ExportFilters
from workbench.services import Services
from workbench.store.schema import Dataset, User
from workbench.ui.i18n import Localizer
from workbench.ui.text import as_toast
from workbench.vocab import TurnType

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
PREVIEW_CELL_CHARS = 400
TURN_TYPES = tuple(TurnType)
NOT_ADMIN = "Export is available to researchers and admins only."
# Main file of each format, shown in the preview.
PREVIEW_FILE = {"bianque_csv": "train.csv", "bianque_jsonl": "train.jsonl", "sft": "train.jsonl",
                "dpo": "train.jsonl", "kto": "train.jsonl", "tables_csv": "generations.csv",
                "tables_parquet": "generations.parquet"}


class ExportRefused(AuthError):
    """The user may not export."""


@dataclass(frozen=True)
class ExportRun:
    """What one export from the UI produced."""

    download_id: str
    file_name: str
    reports: dict[str, ExportReport]
    summary: str
    preview: pd.DataFrame


def _number(v: Any, name: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected a number, got {v!r}") from None


def _names(v: Any) -> tuple[str, ...] | None:
    if not v:
        return None
    items = [v] if isinstance(v, str) else list(v)
    out = tuple(dict.fromkeys(str(x) for x in items if str(x).strip()))
    return out or None


def build_filters(min_questioning: Any = None, min_suggestion: Any = None, min_agreement: Any = None,
                  score_threshold: Any = None, turn_types: Sequence[str] | None = None,
                  include_safety_flagged: bool = False, annotators: Sequence[str] | None = None,
                  datasets: Sequence[str] | None = None, date_from: Any = None, date_to: Any = None,
                  aggregate: str | None = None) -> ExportFilters:
    """ExportFilters from the tab's raw values; InputError names a bad field."""
    from workbench.export.cli import parse_when
    from workbench.export.from_store import utc_naive

    start, end = parse_when(date_from, "from"), parse_when(date_to, "to")
    if start is not None and end is not None and utc_naive(start, end=False) > utc_naive(end, end=True):
        raise InputError("the 'from' date is after the 'to' date")
    tt = _names(turn_types)
    unknown = [t for t in tt or () if t not in TURN_TYPES]
    if unknown:
        raise InputError(f"unknown turn type(s): {', '.join(unknown)}")
    threshold = _number(score_threshold, "score threshold")
    extra = {"score_threshold": threshold} if threshold is not None else {}
    return ExportFilters(
        min_questioning=_number(min_questioning, "min questioning"),
        min_suggestion=_number(min_suggestion, "min suggestion"),
        min_agreement=_number(min_agreement, "min agreement"),
        turn_types=tt, exclude_safety_flagged=not include_safety_flagged,
        annotators=_names(annotators), datasets=_names(datasets), date_from=start, date_to=end,
        aggregate=aggregate or "mean", **extra,
    )


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= PREVIEW_CELL_CHARS else s[:PREVIEW_CELL_CHARS] + "…"


def preview_frame(report: ExportReport, n: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first ``n`` rows of a format's main file as plain strings (nested values as JSON)."""
    path = report.out_dir / PREVIEW_FILE.get(report.format, "")
    if not path.is_file():
        return pd.DataFrame({"note": ["no rows"]})
    if path.suffix == ".csv":
        df = pd.read_csv(path, nrows=n, dtype=str, keep_default_na=False)
    elif path.suffix == ".parquet":
        df = pd.read_parquet(path).head(n)
    else:
        rows = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                if len(rows) >= n:
                    break
                if line.strip():
                    rows.append(json.loads(line))
        df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame({"note": ["no rows"]})
    return pd.DataFrame({str(c): [_cell(v) for v in df[c].tolist()] for c in df.columns})


def _zip_folder(folder: Path, zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(folder).as_posix())


class ExportActions:
    """The tab's server-side actions; each re-checks that the requester may export."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def admin(self, request: Any) -> CurrentUser:
        """The requesting user if their role may export; ExportRefused (an AuthError) otherwise."""
        try:
            return require_role(self.svc.auth, request, Permission.EXPORT)
        except AuthError as e:
            raise ExportRefused(str(e)) from None

    def choices(self, request: Any) -> tuple[list[str], list[str]]:
        """(annotator names, dataset names) for the filter menus."""
        self.admin(request)
        with self.svc.store.session() as s:
            users = list(s.scalars(select(User.username).order_by(User.username)))
            datasets = list(s.scalars(select(Dataset.name).order_by(Dataset.name)))
        return users, datasets

    def run(self, request: Any, formats: Sequence[str], filters: ExportFilters, *, deidentify: bool = True,
            system_prompt: str | None = None) -> ExportRun:
        """Export into a private scratch folder, zip it into the vault; researchers and admins only."""
        from workbench.export.cli import describe
        from workbench.export.from_store import export_from_store

        user = self.admin(request)
        fmts = [f for f in (formats or []) if f]
        if not fmts:
            raise InputError("choose at least one format")
        unknown = [f for f in fmts if f not in WRITERS]
        if unknown:
            raise InputError(f"unknown format(s): {', '.join(unknown)}")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        work = self.svc.exports.new_workdir()
        folder = work / f"export-{stamp}"
        try:
            reports = export_from_store(self.svc.store, fmts, folder, filters, deidentify=deidentify,
                                        system_prompt=(system_prompt or "").strip() or None)
            zip_path = work / f"workbench-export-{stamp}.zip"
            _zip_folder(folder, zip_path)
            preview = preview_frame(next(iter(reports.values())))
            summary = describe(reports).replace(str(folder), folder.name)
            download_id = self.svc.exports.put(zip_path, user.username)
        finally:
            shutil.rmtree(work, ignore_errors=True)  # the vault holds the zip; nothing else is kept
        log.info("export by %s: %s", user.username, ", ".join(f"{k}={r.rows}" for k, r in reports.items()))
        return ExportRun(download_id, zip_path.name, reports, summary, preview)


def download_link(run: ExportRun) -> str:
    """A link to the zip, relative to the page (so it works behind a proxy's path prefix too)."""
    from workbench.ui.downloads import PREFIX

    href = html.escape(PREFIX.lstrip("/") + run.download_id)
    return (f'<a href="{href}" download="{html.escape(run.file_name)}" id="export-download-link">'
            f"Download {html.escape(run.file_name)}</a> (once; it is deleted after the download or within an hour)")


def build_export_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    """Build the Export tab inside the current Blocks; returns its components and :class:`ExportActions`."""
    actions = ExportActions(svc)
    notice = gr.Markdown(NOT_ADMIN, elem_id="export-notice")
    with gr.Column(visible=False, elem_id="export-panel") as panel:
        formats = gr.CheckboxGroup(list(WRITERS), value=["bianque_csv"], label="Formats", elem_id="export-formats")
        with gr.Row():
            min_q = gr.Number(None, label="Min questioning", elem_id="export-min-q")
            min_s = gr.Number(None, label="Min suggestion", elem_id="export-min-s")
            min_agree = gr.Number(None, label="Min agreement (0-1)", elem_id="export-min-agree")
            threshold = gr.Number(4.0, label="Score threshold for a target", elem_id="export-threshold")
        with gr.Row():
            turn_types = gr.CheckboxGroup(list(TURN_TYPES), value=[], label="Turn types (none = all)",
                                          elem_id="export-turn-types")
            include_flagged = gr.Checkbox(False, label="Include safety-flagged replies", elem_id="export-flagged")
            deid = gr.Checkbox(True, label="De-identify (names, phones, ID and record numbers, addresses, accounts, emails…)", elem_id="export-deid")
        with gr.Row():
            annotators = gr.Dropdown([], value=[], multiselect=True, label="Annotators (none = all)",
                                     elem_id="export-annotators")
            datasets = gr.Dropdown([], value=[], multiselect=True, label="Datasets (none = all)",
                                   elem_id="export-datasets")
            date_from = gr.Textbox("", label="From (YYYY-MM-DD, UTC)", elem_id="export-from")
            date_to = gr.Textbox("", label="To (YYYY-MM-DD, inclusive)", elem_id="export-to")
        system_prompt = gr.Textbox("", label="System prompt for SFT / DPO / KTO (optional)", lines=2,
                                   elem_id="export-system")
        aggregate = gr.Dropdown(list(AGGREGATES), value="mean", elem_id="export-aggregate",
                                label="Combine annotators by (targets, DPO, KTO): mean = plain means and one vote "
                                      "each; dawid-skene / mace = weighted by estimated reliability")
        run_btn = gr.Button("Export", variant="primary", elem_id="export-run")
        summary = gr.Textbox("", label="Summary", lines=8, interactive=False, elem_id="export-summary")
        preview = gr.Dataframe(pd.DataFrame(), datatype="str", label="Preview (first rows of the first format)",
                               interactive=False, wrap=True, elem_id="export-preview")
        download = gr.HTML("", elem_id="export-download")

    def on_load(request: gr.Request):
        try:
            users, names = actions.choices(request)
        except AuthError:
            return {notice: gr.update(visible=True), panel: gr.update(visible=False)}
        return {notice: gr.update(visible=False), panel: gr.update(visible=True),
                annotators: gr.update(choices=users, value=[]), datasets: gr.update(choices=names, value=[])}

    def on_export(request: gr.Request, fmts, q, s, agree, thr, tts, flagged, anns, dss, d_from, d_to, deid_on,
                  system, agg="mean"):
        # Gradio injects the request only into a positional parameter, hence its place first.
        try:
            actions.admin(request)
            filters = build_filters(q, s, agree, thr, tts, bool(flagged), anns, dss, d_from, d_to, agg)
            out = actions.run(request, fmts, filters, deidentify=bool(deid_on), system_prompt=system)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {summary: f"not exported: {e}", preview: pd.DataFrame(), download: ""}
        return {summary: out.summary, preview: out.preview, download: download_link(out)}

    run_btn.click(on_export, [formats, min_q, min_s, min_agree, threshold, turn_types, include_flagged, annotators,
                              datasets, date_from, date_to, deid, system_prompt, aggregate],
                  [summary, preview, download], api_name="export_run", trigger_mode="once")
    gr.on(None, on_load, None, [notice, panel, annotators, datasets], api_name="export_load")
    return {"actions": actions, "notice": notice, "panel": panel, "annotators": annotators, "datasets": datasets,
            "summary": summary, "preview": preview, "download": download, "on_load": on_load,
            "on_export": on_export}
