"""The Data tab: import a dataset file, list datasets, run batch generation with a progress bar.

Importing and batch runs are admin actions when logins are on. The handlers call
:mod:`workbench.datasets.store_import` and :mod:`workbench.batch`; what they show is escaped, so a
file's content can never become markup.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission, require_role
from workbench.batch import DEFAULT_BATCH_SIZE, dataset_progress, run_batch
from workbench.datasets.registry import PARSERS
from workbench.datasets.store_import import import_dataset, list_datasets
from workbench.errors import DatasetError, WorkbenchError
from workbench.services import Services
from workbench.ui.i18n import Localizer
from workbench.ui.text import as_text

log = logging.getLogger(__name__)
AUTO = "auto-detect"
MAX_ROW_ERRORS_SHOWN = 50
DATASET_HEADERS = ["dataset", "format", "file", "dialogues", "reference turns", "batch replies (ok)", "imported"]


def _admin(svc: Services, request: Any) -> int:
    """The acting user's id; AuthError unless an admin (any user when logins are off)."""
    return require_role(svc.auth, request, Permission.DATA).id


def error_markdown(e: WorkbenchError) -> str:
    """An error and its row-level details as escaped Markdown."""
    lines = [f"**Error:** {as_text(e)}"]
    rows = getattr(e, "row_errors", None) or []
    if rows:
        lines.append("")
        lines += [f"- {as_text(r)}" for r in rows[:MAX_ROW_ERRORS_SHOWN]]
        if len(rows) > MAX_ROW_ERRORS_SHOWN:
            lines.append(f"- … and {len(rows) - MAX_ROW_ERRORS_SHOWN} more")
        lines += ["", "Nothing was imported."]
    return "\n".join(lines)


def datasets_table(svc: Services) -> pd.DataFrame:
    progress = dataset_progress(svc.store)
    rows = [
        [d.name, d.format, d.source or "", d.dialogues, d.references,
         ", ".join(f"{c}: {n}" for c, n in sorted(progress.get(d.name, {}).items())) or "—",
         f"{d.created_at:%Y-%m-%d %H:%M}" if d.created_at else ""]
        for d in list_datasets(svc.store)
    ]
    return pd.DataFrame(rows, columns=DATASET_HEADERS)


def import_file(svc: Services, user_id: int | None, path: str | None, name: str | None, fmt: str | None,
                replace: bool) -> str:
    """Import an uploaded file; returns the Markdown message (errors included, never raises WorkbenchError)."""
    if not path:
        return "**Error:** choose a file first."
    try:
        summary = import_dataset(svc.store, path, name=(name or "").strip() or None,
                                 format=None if fmt in (None, "", AUTO) else fmt, replace=bool(replace),
                                 created_by=user_id, max_turn_chars=svc.config.limits.max_turn_chars)
    except WorkbenchError as e:
        return error_markdown(e)
    msg = [f"✅ {as_text(summary.describe())}"]
    msg += [f"- warning: {as_text(w)}" for w in summary.warnings]
    return "\n".join(msg)


def turns_spec(mode: str, n: Any) -> str:
    if mode == "sample":
        try:
            k = int(n)
        except (TypeError, ValueError):
            raise DatasetError("give the number of turns to sample") from None
        return f"sample:{k}"
    return mode


def build_data_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    gr.Markdown("Import evaluation dialogues, then have every column reply at their doctor turns "
                "with the gold history as context. Replies are stored for rating and for the Compare tab.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            gr.Markdown("### Import a dataset")
            upload = gr.File(label="Dataset file (.csv, .tsv, .jsonl, .json)", type="filepath",
                             file_types=[".csv", ".tsv", ".jsonl", ".json"])
            name = gr.Textbox(label="Name", placeholder="default: the file name")
            fmt = gr.Dropdown([AUTO, *PARSERS], value=AUTO, label="Format")
            replace = gr.Checkbox(label="Replace a dataset of the same name (refused if it has ratings)")
            import_btn = gr.Button("Import", variant="primary", elem_id="data-import")
            import_msg = gr.Markdown("", elem_id="data-import-result")
        with gr.Column(scale=1):
            gr.Markdown("### Batch generation")
            # Filled per request for admins (on_refresh); names typed through the API are checked by run_batch.
            ds = gr.Dropdown([], label="Dataset", allow_custom_value=True)
            cols = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True, label="Columns")
            with gr.Row():
                mode = gr.Radio(["all", "last", "sample"], value="all", label="Doctor turns")
                n = gr.Number(value=20, precision=0, minimum=1, label="Sample size")
                seed = gr.Number(value=0, precision=0, label="Sample seed")
                bsize = gr.Number(value=DEFAULT_BATCH_SIZE, precision=0, minimum=1, maximum=256, label="Batch size")
            with gr.Row():
                run_btn = gr.Button("Run batch generation", variant="primary", elem_id="data-batch")
                stop_btn = gr.Button("Stop after this chunk", size="sm", elem_id="data-batch-stop")
            run_msg = gr.Markdown("", elem_id="data-batch-result")
    gr.Markdown("### Datasets")
    table = gr.Dataframe(datasets_table(svc).iloc[0:0], interactive=False, wrap=True, elem_id="data-datasets")
    refresh = gr.Button("Refresh", size="sm")

    def on_import(path: Any, nm: str, f: str, rep: bool, request: gr.Request) -> dict:
        try:
            uid = _admin(svc, request)
        except WorkbenchError as e:
            return {import_msg: error_markdown(e)}
        msg = import_file(svc, uid, path, nm, f, rep)
        return {import_msg: msg, table: datasets_table(svc),
                ds: gr.update(choices=[d.name for d in list_datasets(svc.store)])}

    # One stop event per browser session: Stop ends that session's run between chunks (it resumes later).
    stops: dict[str, threading.Event] = {}

    def on_stop(request: gr.Request) -> dict:
        try:
            _admin(svc, request)
        except WorkbenchError as e:
            return {run_msg: error_markdown(e)}
        event = stops.get(request.session_hash or "")
        if event is None:
            return {run_msg: "No batch run is going on in this session."}
        event.set()
        return {run_msg: "⏹ Stopping after the current chunk; run again to resume."}

    def on_run(dataset: str | None, columns: list[str], m: str, k: Any, sd: Any, size: Any,
               request: gr.Request, progress: gr.Progress = gr.Progress()) -> dict:  # noqa: B008 - gradio's API
        try:
            uid = _admin(svc, request)
            if not dataset:
                raise DatasetError("choose a dataset first")
            if not columns:
                raise DatasetError("choose at least one column")

            def report(done: int, total: int, desc: str) -> None:
                progress((done, max(total, 1)), desc=desc, unit="replies")

            stop = stops[request.session_hash or ""] = threading.Event()
            try:
                summary = run_batch(svc, dataset, columns, turns_spec(m, k), seed=int(sd or 0), stop=stop,
                                    batch_size=int(size or DEFAULT_BATCH_SIZE), progress=report, created_by=uid)
            finally:
                stops.pop(request.session_hash or "", None)
        except WorkbenchError as e:
            return {run_msg: error_markdown(e)}
        icon = "⚠️" if summary.errors or summary.column_errors else "✅"
        return {run_msg: f"{icon} {as_text(summary.describe())}", table: datasets_table(svc)}

    def on_refresh(request: gr.Request) -> dict:
        # Dataset names and source paths are for admins only, like import and batch.
        try:
            _admin(svc, request)
        except WorkbenchError:
            return {table: datasets_table(svc).iloc[0:0], ds: gr.update(choices=[]), cols: gr.update(choices=[])}
        return {table: datasets_table(svc), ds: gr.update(choices=[d.name for d in list_datasets(svc.store)]),
                cols: gr.update(choices=svc.columns, value=svc.columns)}

    import_btn.click(on_import, [upload, name, fmt, replace], [import_msg, table, ds], api_name="import_dataset")
    run_btn.click(on_run, [ds, cols, mode, n, seed, bsize], [run_msg, table], api_name="batch_generate")
    stop_btn.click(on_stop, None, [run_msg], api_name="batch_stop", queue=False)
    refresh.click(on_refresh, None, [table, ds, cols], api_name=False)
    return {"table": table, "import_msg": import_msg, "run_msg": run_msg, "on_load": on_refresh,
            "load_outputs": [table, ds, cols]}
