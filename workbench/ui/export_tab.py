"""The Export tab (researchers and admins): pick formats and filters, preview the first rows, download a zip.

Every handler resolves the user from the request and re-checks the role on the server (``require_role``),
so an annotator who calls the API directly is refused; the page only hides the tab as a courtesy. The zip
waits in the private export vault and is served once, to the user who made it, by
``workbench.ui.downloads`` (never through Gradio's file cache).
Nothing read from the database is rendered as markup: the preview is a Dataframe of plain-text
cells and the summary a read-only Textbox.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission, may, require_role
from workbench.analysis.aggregation import METHODS as AGGREGATES
from workbench.annotate.rubric import load_rubric
from workbench.auth import CurrentUser
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.export.api import ExportReport
from workbench.export.registry import WRITERS
from workbench.export.selection import OPTION_LABELS, ExportFilters
from workbench.privacy import TOKENS
from workbench.scope import Scope
from workbench.services import Services
from workbench.store.choices import scope_choices
from workbench.ui import i18n
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import blank_table, note_table
from workbench.ui.text import as_toast, plain
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


#: what names a row of a store table (tables_csv / tables_parquet) in the preview's input column
TABLE_ROW_KEYS = ("dialogue_id", "turn_index", "column", "model", "status")


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
    #: the format whose first rows ``preview`` shows, None when no format has any
    preview_format: str | None


def _number(v: Any, name: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        number = float(v)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):  # "nan" would drop every row without a word
        raise InputError(f"{name}: expected a number, got {v!r}") from None
    return number


def build_filters(min_questioning: Any = None, min_suggestion: Any = None, min_agreement: Any = None,
                  score_threshold: Any = None, turn_types: Sequence[str] | None = None,
                  include_safety_flagged: bool = False, annotators: Sequence[str] | None = None,
                  datasets: Sequence[str] | None = None, date_from: Any = None, date_to: Any = None,
                  aggregate: str | None = None, scale_tops: Mapping[str, int] | None = None) -> ExportFilters:
    """ExportFilters from the tab's raw values; InputError names a bad field (``scale_tops``: the rubric's
    highest score per axis, which a minimum may not exceed)."""
    scope = Scope.parse(annotators=annotators, datasets=datasets, date_from=date_from, date_to=date_to,
                        turn_types=turn_types)
    threshold = _number(score_threshold, OPTION_LABELS["score_threshold"])
    filters = ExportFilters(
        scope=scope,
        min_questioning=_number(min_questioning, OPTION_LABELS["min_questioning"]),
        min_suggestion=_number(min_suggestion, OPTION_LABELS["min_suggestion"]),
        min_agreement=_number(min_agreement, OPTION_LABELS["min_agreement"]),
        exclude_safety_flagged=not include_safety_flagged,
        aggregate=aggregate or "mean",
    )
    # an empty threshold box keeps ExportFilters' own default
    filters = filters if threshold is None else replace(filters, score_threshold=threshold)
    filters.check_scales(scale_tops or {})
    return filters


def _thorough(ticked: Any) -> bool | None:
    """The thorough box as the export's ``thorough``: ticked, the default (which de-identification off overrides,
    though the box stays ticked); unticked, the rules alone."""
    return None if ticked else False


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= PREVIEW_CELL_CHARS else s[:PREVIEW_CELL_CHARS] + "…"


def main_file(report: ExportReport) -> Path:
    """The file a format's preview shows: the known main file, else the first file its writer made (so a
    newly registered format is previewed with no entry here)."""
    if report.format in PREVIEW_FILE:
        return report.out_dir / PREVIEW_FILE[report.format]
    return report.out_dir / report.files[0] if report.files else report.out_dir


def first_with_rows(reports: Mapping[str, ExportReport]) -> ExportReport | None:
    """The first format's report that has rows: the preview shows it (a first format with none showed an empty
    note while the next had rows, walk of session 70); None when no format has any."""
    return next((r for r in reports.values() if r.rows > 0), None)


def rows_preview(reports: Mapping[str, ExportReport], lang: str = "en") -> tuple[pd.DataFrame, str | None]:
    """The exported rows' table and the format it shows: the first rows of the first format that has some, else a
    note that none has any."""
    shown = first_with_rows(reports)
    if shown is None:
        return note_table(i18n.t("export.preview.none_has_rows", lang), lang), None
    return preview_frame(shown, lang=lang), shown.format


def preview_frame(report: ExportReport, n: int = PREVIEW_ROWS, lang: str = "en") -> pd.DataFrame:
    """The first ``n`` rows of a format's main file as plain strings (nested values as JSON); without rows, a
    note in ``lang``."""
    path = main_file(report)
    if not path.is_file():
        return note_table(i18n.t("export.preview.no_rows", lang), lang)
    if path.suffix == ".csv":
        df = pd.read_csv(path, nrows=n, dtype=str, keep_default_na=False)
    elif path.suffix == ".parquet":
        df = pd.read_parquet(path).head(n)
    else:
        rows: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                if len(rows) >= n:
                    break
                if line.strip():
                    rows.append(json.loads(line))
        df = pd.DataFrame(rows)
    if df.empty:
        return note_table(i18n.t("export.preview.no_rows", lang), lang)
    return pd.DataFrame({plain(c): [plain(_cell(v)) for v in df[c].tolist()] for c in df.columns})


def _messages_text(messages: Any) -> str:
    """Chat messages (TRL format) as ``role: content`` lines, one blank line apart."""
    if not isinstance(messages, list):
        return _full(messages)
    return "\n\n".join(f"{m.get('role', '?')}: {_full(m.get('content'))}" if isinstance(m, dict) else _full(m)
                       for m in messages)


def _full(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)


def is_training_row(row: dict[str, Any]) -> bool:
    """Whether a row is a training example (an input and what to answer), not a row of a store table."""
    return ("input" in row and "target" in row) or any(k in row for k in ("messages", "chosen", "completion"))


def input_and_target(row: dict[str, Any]) -> tuple[str, str]:
    """What a training row gives the model and what it should answer, as text, for any format's row."""
    if "input" in row and "target" in row:  # bianque_csv / bianque_jsonl
        return _full(row["input"]), _full(row["target"])
    if "messages" in row:  # sft: the last assistant message is the target
        messages = list(row["messages"] or [])
        return _messages_text(messages[:-1]), _messages_text(messages[-1:])
    if "chosen" in row:  # dpo
        return _messages_text(row.get("prompt")), (f"✔ {_messages_text(row['chosen'])}\n\n"
                                                   f"✘ {_messages_text(row.get('rejected'))}")
    if "completion" in row:  # kto
        mark = "✔" if row.get("label") else "✘"
        return _messages_text(row.get("prompt")), f"{mark} {_messages_text(row['completion'])}"
    # a table of the store (tables_csv / tables_parquet): the reply's input and output where it has them
    source = next((k for k in ("input_text", "model_input", "input", "prompt", "instruction") if k in row), None)
    target = next((k for k in ("output", "text", "target") if k in row), None)
    if source:
        return _full(row.get(source)), _full(row.get(target)) if target else ""
    if target:  # a generations row has no input column: say which reply it is instead of an empty cell
        where = [f"{k}: {_full(row[k])}" for k in TABLE_ROW_KEYS if _full(row.get(k)).strip()]
        return "\n".join(where), _full(row.get(target))
    return _full({k: v for k, v in row.items()}), ""


def preview_rows(report: ExportReport, n: int = PREVIEW_ROWS) -> list[dict[str, Any]]:
    """The first ``n`` rows of a format's main file, as dicts (values as read)."""
    path = main_file(report)
    if not path.is_file():
        return []
    if path.suffix == ".csv":
        return pd.read_csv(path, nrows=n, dtype=str, keep_default_na=False).to_dict("records")
    if path.suffix == ".parquet":
        return pd.read_parquet(path).head(n).to_dict("records")
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if len(rows) >= n:
                break
            if line.strip():
                rows.append(json.loads(line))
    return rows


_CELL = ("vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere;padding:6px;"
         "border-top:1px solid #ddd;text-align:left")


def list_sep(lang: str) -> str:
    """What separates the items of a list in ``lang`` (Chinese: the enumeration comma 、)."""
    return "、" if lang == "zh" else ", "


def side_by_side_html(reports: dict[str, ExportReport], lang: str, n: int = PREVIEW_ROWS) -> str:
    """Each format's first rows as a two-column table, input beside target, wrapped, scrolling past a
    fixed height. Every value is escaped: nothing from the store becomes markup."""
    t = partial(i18n.t, lang=lang)
    parts = []
    if reports:  # which de-identification the rows went through: the boxes may have changed since the last export
        d = next(iter(reports.values())).deid
        key = "export.preview.deid_off" if not d.enabled else (
            "export.preview.deid_thorough" if d.thorough else "export.preview.deid_rules")
        parts.append(f'<p id="export-preview-deid">{html.escape(t(key))}</p>')
    # Formats without rows are named once, together, as the card says it once (a title and "No rows" for each of
    # seven empty formats filled a screen with the same sentence).
    previews = {fmt: preview_rows(report, n) for fmt, report in reports.items()}
    empty = [fmt for fmt, rows in previews.items() if not rows]
    if reports and len(empty) == len(reports):
        return "".join(parts) + f'<p id="export-preview-empty">{html.escape(t("export.preview.none_has_rows"))}</p>'
    for fmt, report in reports.items():
        rows = previews[fmt]
        if not rows:
            continue
        # A store-tables format counts the rows of all its tables and shows its generations table: the title
        # names that file, and the columns say which reply and its text (not a model's input and target).
        main = main_file(report)
        data_files = [p for p in report.files if p.suffix == main.suffix]
        tables = len(data_files) > 1 and bool(rows) and not any(map(is_training_row, rows))
        title = (t("export.preview.format_tables", format=fmt, shown=len(rows), file=main.name,
                   total=report.rows, tables=len(data_files)) if tables
                 else t("export.preview.format", format=fmt, shown=len(rows), total=report.rows))
        parts.append(f'<h4 id="export-preview-{html.escape(fmt)}-title">{html.escape(title)}</h4>')
        left, right = ("export.preview.which_reply", "export.preview.text") if tables else (
            "export.preview.input", "export.preview.target")
        body = "".join(
            f'<tr class="export-preview-row"><td style="{_CELL}">{html.escape(plain(i))}</td>'
            f'<td style="{_CELL}">{html.escape(plain(o))}</td></tr>'
            for i, o in (input_and_target(r) for r in rows))
        parts.append(
            f'<div class="export-preview-scroll" style="max-height:420px;overflow:auto;border:1px solid #ddd;'
            f'border-radius:6px"><table id="export-preview-{html.escape(fmt)}" style="table-layout:fixed;'
            f'width:100%;border-collapse:collapse"><colgroup><col style="width:50%"><col style="width:50%">'
            f'</colgroup><thead><tr><th style="{_CELL}">{html.escape(t(left))}</th>'
            f'<th style="{_CELL}">{html.escape(t(right))}</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
    if empty:
        parts.append(f'<p id="export-preview-empty">'
                     f'{html.escape(t("export.preview.formats_without_rows", formats=list_sep(lang).join(empty)))}</p>')
    return "".join(parts)


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
        found = scope_choices(self.svc.store)
        return found.annotators, found.datasets

    def preview(self, request: Any, formats: Sequence[str], filters: ExportFilters, *, deidentify: bool = True,
                system_prompt: str | None = None, lang: str = "en", thorough: bool | None = None) -> str:
        """Export into a private scratch folder, show each format's first rows side by side, keep nothing."""
        from workbench.export.from_store import export_from_store

        self.admin(request)
        fmts = self._formats(formats)
        work = self.svc.exports.new_workdir()
        try:
            reports = export_from_store(self.svc.store, fmts, work / "preview", filters, deidentify=deidentify,
                                        system_prompt=(system_prompt or "").strip() or None, thorough=thorough)
            return side_by_side_html(reports, lang)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _formats(formats: Sequence[str]) -> list[str]:
        fmts = [f for f in (formats or []) if f]
        if not fmts:
            raise InputError("choose at least one format")
        unknown = [f for f in fmts if f not in WRITERS]
        if unknown:
            raise InputError(f"unknown format(s): {', '.join(unknown)}")
        return fmts

    def run(self, request: Any, formats: Sequence[str], filters: ExportFilters, *, deidentify: bool = True,
            system_prompt: str | None = None, lang: str = "en", thorough: bool | None = None) -> ExportRun:
        """Export into a private scratch folder, zip it into the vault; researchers and admins only."""
        from workbench.export.from_store import export_from_store

        user = self.admin(request)
        fmts = self._formats(formats)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        work = self.svc.exports.new_workdir()
        folder = work / f"export-{stamp}"
        try:
            reports = export_from_store(self.svc.store, fmts, folder, filters, deidentify=deidentify,
                                        system_prompt=(system_prompt or "").strip() or None, thorough=thorough)
            zip_path = work / f"workbench-export-{stamp}.zip"
            _zip_folder(folder, zip_path)
            preview, preview_format = rows_preview(reports, lang)
            summary = export_summary(reports, lang, folder)
            download_id = self.svc.exports.put(zip_path, user.username)
        finally:
            shutil.rmtree(work, ignore_errors=True)  # the vault holds the zip; nothing else is kept
        log.info("export by %s: %s", user.username, ", ".join(f"{k}={r.rows}" for k, r in reports.items()))
        return ExportRun(download_id, zip_path.name, reports, summary, preview, preview_format)


def export_summary(reports: dict[str, ExportReport], lang: str, folder: Path) -> str:
    """Per format the rows, files (named inside the zip) and sources, then the de-identification, in ``lang``.

    The command line prints ``export.cli.describe`` (English, full paths); this is the Export tab's text.
    """
    t = functools.partial(i18n.t, lang=lang)
    counts = lambda c: ", ".join(f"{k}={v}" for k, v in sorted(c.items()))  # noqa: E731
    # what was redacted, named as its replacement token names it in Chinese (姓名=12), in English by its label
    kinds = (lambda c: counts({TOKENS.get(k, k).strip("[]"): v for k, v in c.items()})) if lang == "zh" else counts
    lines: list[str] = []
    for fmt, r in reports.items():
        lines.append(t("export.sum.format", format=fmt, rows=r.rows, seconds=f"{r.seconds:.2f}"))
        for p in r.files:
            name = p.relative_to(folder).as_posix() if p.is_relative_to(folder) else p.name
            lines.append(t("export.sum.file", name=name, size=p.stat().st_size if p.exists() else 0))
        if r.by_model:
            lines.append(t("export.sum.per_model", counts=counts(r.by_model)))
        if r.by_source:
            lines.append(t("export.sum.sources", counts=counts(r.by_source)))
        lines.extend(f"  {i18n.catalogue().translate(n, lang)}" for n in r.notes)
    if reports:
        d = next(iter(reports.values())).deid
        if d.enabled:
            lines.append(t("export.sum.deid_on", total=d.total, changed=d.texts_changed, seen=d.texts_seen,
                           kinds=kinds(d.by_kind) or t("export.sum.deid_nothing")))
            lines.append(t("export.sum.deid_thorough", data_hash=str(d.thorough["data_hash"])[:12]) if d.thorough
                         else t("export.sum.deid_rules"))
        else:
            lines.append(t("export.sum.deid_off"))
    return "\n".join(lines)


#: a row's texts, which share the table's width; every other column (ids, scores, names) gets a narrow one
_TEXT_COLUMNS = frozenset({"input", "target", "prompt", "completion", "chosen", "rejected", "messages", "history",
                           "system"})


#: a row's JSON object (SFT's metadata): read at a quarter of the table; at 110 px it ran one word a line (walk 2 of
#: session 69)
_OBJECT_COLUMNS = frozenset({"metadata"})
_OBJECT_SHARE = 25


#: a narrow column's share (ids, scores, names): about 110 px of a 1,216 px card. Gradio reads a width in px or % of
#: the table alone (no calc()), so every share is a percentage and together they fill the card.
_NARROW_SHARE = 9


def rows_widths(rows: pd.DataFrame) -> list[str]:
    """Column widths of the exported rows' table: the input column took 942 of 1216 px and cut the target off.

    The text columns share what the others leave, so the table fills its card: fixed shares of 35% left a bianque
    table of two texts at 70% of it (walk of session 70). Past 100% (many columns) the table scrolls sideways."""
    names = [str(c) for c in rows.columns]
    texts = [c for c in names if c in _TEXT_COLUMNS]
    objects = [c for c in names if c in _OBJECT_COLUMNS]
    left = 100 - _OBJECT_SHARE * len(objects) - _NARROW_SHARE * (len(names) - len(texts) - len(objects))
    share = f"{max(20, left // max(1, len(texts)))}%"
    narrow = f"{_NARROW_SHARE if texts or objects else max(_NARROW_SHARE, 100 // max(1, len(names)))}%"
    return [share if c in _TEXT_COLUMNS else f"{_OBJECT_SHARE}%" if c in _OBJECT_COLUMNS else narrow for c in names]


def download_link(run: ExportRun, lang: str = "en") -> str:
    """A link to the zip, relative to the page (so it works behind a proxy's path prefix too)."""
    from workbench.ui.downloads import PREFIX

    href = html.escape(PREFIX.lstrip("/") + run.download_id)
    return (f'<a href="{href}" download="{html.escape(run.file_name)}" id="export-download-link">'
            f"{html.escape(i18n.t('export.download', lang, name=run.file_name))}</a> "
            f"{html.escape(i18n.t('export.download_once', lang))}")


def build_export_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    """Build the Export tab inside the current Blocks; returns its components and :class:`ExportActions`."""
    actions = ExportActions(svc)
    rubric = load_rubric(svc.config.resolve_path(svc.config.annotation.rubric))
    scale_tops = rubric.scale_tops
    notice = ui.make(gr.Markdown, value=K("export.not_allowed"), elem_id="export-notice")
    with gr.Column(visible=False, elem_id="export-panel") as panel:
        formats = ui.make(gr.CheckboxGroup, choices=list(WRITERS), value=["bianque_csv"], label=K("export.formats"),
                          elem_id="export-formats")
        with gr.Row():
            # Text, not gr.Number: an empty Number shows and sends 0, and a minimum of 0 drops every reply with
            # an N/A axis or a single rater (no agreement). Empty here means no minimum, as on the command line.
            min_q = ui.make(gr.Textbox, value="", label=K("export.min_q"), placeholder=K("export.no_minimum"),
                            elem_id="export-min-q")
            min_s = ui.make(gr.Textbox, value="", label=K("export.min_s"), placeholder=K("export.no_minimum"),
                            elem_id="export-min-s")
            min_agree = ui.make(gr.Textbox, value="", label=K("export.min_agree"), placeholder=K("export.no_minimum"),
                                elem_id="export-min-agree")
            threshold = ui.make(gr.Number, value=4.0, label=K("export.threshold"), info=K("export.threshold_info"),
                                elem_id="export-threshold")
        with gr.Row():
            turn_types = ui.make(gr.CheckboxGroup, choices=[(K(f"compare.turn_type.{t}"), t) for t in TURN_TYPES],
                             value=[], label=K("export.turn_types"),
                                 elem_id="export-turn-types")
            include_flagged = ui.make(gr.Checkbox, value=False, label=K("export.flagged"), elem_id="export-flagged")
            deid = ui.make(gr.Checkbox, value=True, label=K("export.deid"), elem_id="export-deid")
            thorough = ui.make(gr.Checkbox, value=True, label=K("export.deid_thorough"),
                               info=K("export.deid_thorough_info"), elem_id="export-deid-thorough")
        with gr.Row():
            annotators = ui.make(gr.Dropdown, choices=[], value=[], multiselect=True, label=K("export.annotators"),
                                 elem_id="export-annotators")
            datasets = ui.make(gr.Dropdown, choices=[], value=[], multiselect=True, label=K("export.datasets"),
                               elem_id="export-datasets")
            date_from = ui.make(gr.Textbox, value="", label=K("export.from"), elem_id="export-from")
            date_to = ui.make(gr.Textbox, value="", label=K("export.to"), elem_id="export-to")
        system_prompt = ui.make(gr.Textbox, value="", label=K("export.system"), lines=2, elem_id="export-system")
        aggregate = ui.make(gr.Dropdown, choices=list(AGGREGATES), value="mean", elem_id="export-aggregate",
                            label=K("export.aggregate"))
        with gr.Row():
            preview_btn = ui.make(gr.Button, value=K("export.preview"), elem_id="export-preview-run")
            run_btn = ui.make(gr.Button, value=K("export.run"), variant="primary", elem_id="export-run")
        # The download link first, under the buttons (after the previews of seven formats it sat 5,000 px down);
        # the summary and the rows appear once an export ran (after a Preview they stood there empty).
        download = gr.HTML("", elem_id="export-download")
        summary = ui.make(gr.Textbox, value="", label=K("export.summary"), lines=8, interactive=False,
                          elem_id="export-summary", visible=False)
        preview = ui.make(gr.Dataframe, value=blank_table(), datatype="str", label=K("export.preview_table"),
                          interactive=False, wrap=True, elem_id="export-preview", max_height=420, visible=False)
        side_by_side = gr.HTML("", elem_id="export-preview-side")
        preview_of = gr.State(None)  # the format whose rows the table shows, for its label

    def on_load(request: gr.Request, keep: bool = False):
        # Every page load asks: a role without exports is told so, not logged as a refused attempt.
        if not may(svc.auth, request, Permission.EXPORT):
            return {notice: gr.update(visible=True), panel: gr.update(visible=False)}
        try:
            users, names = actions.choices(request)
        except AuthError:
            return {notice: gr.update(visible=True), panel: gr.update(visible=False)}
        chosen: dict[str, Any] = {} if keep else {"value": []}
        return {notice: gr.update(visible=False), panel: gr.update(visible=True),
                # shown with bidirectional controls made visible (a name could reorder itself: …gnp.exe), sent as stored
                annotators: gr.update(choices=[(plain(u), u) for u in users], **chosen),
                datasets: gr.update(choices=[(plain(n), n) for n in names], **chosen)}

    def fill_choices(request: gr.Request):
        """The filter menus again when the tab is opened (a dataset imported or an annotator added since the
        page loaded), the choices already made kept."""
        return on_load(request, keep=True)

    def on_export(request: gr.Request, fmts, q, s, agree, thr, tts, flagged, anns, dss, d_from, d_to, deid_on,
                  system, agg="mean", thorough_on=True):
        # Gradio injects the request only into a positional parameter, hence its place first.
        try:
            actions.admin(request)
            filters = build_filters(q, s, agree, thr, tts, bool(flagged), anns, dss, d_from, d_to, agg,
                                    scale_tops)
            out = actions.run(request, fmts, filters, deidentify=bool(deid_on), system_prompt=system,
                              lang=i18n.language(request), thorough=_thorough(thorough_on))
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {summary: i18n.t("export.not_exported", i18n.language(request), error=as_toast(e, sentence=False)),
                    preview: pd.DataFrame(), download: "", preview_of: None}
        # plain values: what an API client of /export_run reads (the page shows them in show_results)
        return {summary: out.summary, preview: out.preview, download: download_link(out, i18n.language(request)),
                preview_of: out.preview_format}

    def show_results(rows: Any, shown_format: str | None, request: gr.Request):
        """The summary and the rows, hidden until an export ran, shown with the rows' texts sharing the width and
        the table's label naming the format it shows."""
        table = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame()
        lang = i18n.language(request)
        key = ("export.preview_table_of" if shown_format else "export.preview_table" if table.empty
               else "export.preview_table_none")  # (empty: the export failed, and the summary says why)
        label = i18n.t(key, lang, format=shown_format)
        return gr.update(visible=True), gr.update(visible=True, label=label,
                                                  column_widths=rows_widths(table) or None)

    def on_preview(request: gr.Request, fmts, q, s, agree, thr, tts, flagged, anns, dss, d_from, d_to, deid_on,
                   system, agg="mean", thorough_on=True):
        lang = i18n.language(request)
        try:
            actions.admin(request)
            filters = build_filters(q, s, agree, thr, tts, bool(flagged), anns, dss, d_from, d_to, agg,
                                    scale_tops)
            return actions.preview(request, fmts, filters, deidentify=bool(deid_on), system_prompt=system, lang=lang,
                                   thorough=_thorough(thorough_on))
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return ""

    # Thorough is a kind of de-identification: greyed out while de-identification is off.
    deid.change(lambda on: gr.update(interactive=bool(on)), deid, thorough, queue=False, api_visibility="private")
    def exporting(request: gr.Request):
        """Both buttons off and a note in the link's place before the export starts: a large one takes minutes,
        Gradio's own estimate said 0.3 s, and a second press queued the same export again. A preview made with
        other boxes ticked goes: under the new summary it read as this export's rows (walk s69)."""
        lang = i18n.language(request)
        return {run_btn: gr.update(interactive=False, value=i18n.t("export.running", lang)),
                preview_btn: gr.update(interactive=False), side_by_side: "",
                download: f'<p id="export-running">{html.escape(i18n.t("export.running_note", lang))}</p>'}

    def previewing():
        """The last export's link, summary and rows go before a preview: with other boxes ticked, its summary
        ("de-identification: on") stood above a preview of texts as stored (walk s69)."""
        return {download: "", summary: gr.update(visible=False, value=""),
                preview: gr.update(visible=False, value=blank_table())}

    def exported(request: gr.Request):
        return {run_btn: gr.update(interactive=True, value=i18n.t("export.run", i18n.language(request))),
                preview_btn: gr.update(interactive=True)}

    preview_btn.click(previewing, None, [download, summary, preview], queue=False, api_visibility="private",
                      trigger_mode="once").then(
        on_preview, [formats, min_q, min_s, min_agree, threshold, turn_types, include_flagged, annotators, datasets,
                     date_from, date_to, deid, system_prompt, aggregate, thorough],
        [side_by_side], api_name="export_preview")
    # .then runs after a failed step too, so the buttons come back whatever the export did.
    run_btn.click(exporting, None, [run_btn, preview_btn, download, side_by_side], queue=False,
                  api_visibility="private",
                  trigger_mode="once").then(
        on_export, [formats, min_q, min_s, min_agree, threshold, turn_types, include_flagged, annotators,
                    datasets, date_from, date_to, deid, system_prompt, aggregate, thorough],
        [summary, preview, download, preview_of], api_name="export_run").then(
        show_results, [preview, preview_of], [summary, preview], api_visibility="private").then(
        exported, None, [run_btn, preview_btn], queue=False, api_visibility="private")
    gr.on(None, on_load, None, [notice, panel, annotators, datasets], api_name="export_load")
    return {"actions": actions, "notice": notice, "panel": panel, "thorough": thorough, "annotators": annotators, "datasets": datasets,
            "summary": summary, "preview": preview, "download": download, "on_load": on_load,
            "fill_choices": fill_choices, "choice_outputs": [notice, panel, annotators, datasets],
            "side_by_side": side_by_side, "on_preview": on_preview,
            "on_export": on_export}
