"""The Data tab: import a dataset file, list datasets, run batch generation with a progress bar.

Importing and batch runs are admin actions when logins are on. The handlers call
:mod:`workbench.datasets.store_import` and :mod:`workbench.batch`; what they show is escaped, so a
file's content can never become markup.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

import gradio as gr
import gradio.utils
import pandas as pd

from workbench.access import Permission, may, require_role
from workbench.batch import DEFAULT_BATCH_SIZE, BatchSummary, dataset_progress, run_batch
from workbench.datasets.registry import PARSERS
from workbench.datasets.store_import import ImportSummary, import_dataset, list_datasets
from workbench.errors import DatasetError, WorkbenchError
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import header, table_update
from workbench.ui.text import as_text, plain
from workbench.validation import whole_number

log = logging.getLogger(__name__)
AUTO = "auto-detect"
MAX_ROW_ERRORS_SHOWN = 50
# The form's largest batch size: rows generated together, bounded so that one click cannot ask a model for more
# memory than a CPU or a small GPU has (the command line takes any).
MAX_FORM_BATCH_SIZE = 256
DATASET_HEADERS = ["dataset", "format", "file", "dialogues", "reference turns", "batch replies (ok)", "imported"]


def _admin(svc: Services, request: Any) -> int:
    """The acting user's id; AuthError unless an admin (any user when logins are off)."""
    return require_role(svc.auth, request, Permission.DATA).id


def error_heading(lang: str) -> str:
    """The bold "Error:" that starts an error line, with the space after it only where a language wants one (the
    Chinese colon sits outside the bold, **错误**：, so that Markdown closes the bold with no space after it)."""
    heading = i18n.t("data.error", lang)
    return heading if heading.endswith("：") else heading + " "


def error_markdown(e: WorkbenchError, lang: str = "en") -> str:
    """An error (translated where the catalogue knows it) and its row-level details as escaped Markdown."""
    translate = i18n.catalogue().translate
    message = translate(str(e), lang)
    rows = getattr(e, "row_errors", None) or []
    # only the rows shown: a row's translation takes milliseconds, and 200,000 bad lines took minutes (walk s64)
    listed = [translate(r, lang) for r in rows[:MAX_ROW_ERRORS_SHOWN]]
    if listed and listed[0] in message:
        # The message ends with the rows inline ("x.csv: 1 bad row, nothing imported: row 3: …"), as a terminal
        # wants; here they are listed below, so the heading stops before them: each row is said once.
        message = message[:message.index(listed[0])].rstrip(" :：")
    lines = [error_heading(lang) + as_text(message)]
    if rows:
        lines.append("")
        lines += [f"- {as_text(r)}" for r in listed]
        if len(rows) > MAX_ROW_ERRORS_SHOWN:
            lines.append(f"- {i18n.t('data.more', lang, n=len(rows) - MAX_ROW_ERRORS_SHOWN)}")
        if "nothing imported" not in str(e):  # the heading says so already
            lines += ["", i18n.t("data.nothing_imported", lang)]
    return "\n".join(lines)


def shown_datasets(svc: Services, lang: str, rows: bool = True) -> pd.DataFrame:
    """The datasets table with its headers in ``lang`` (no rows for someone who may not see them)."""
    df = datasets_table(svc) if rows else pd.DataFrame(columns=DATASET_HEADERS)
    return df.rename(columns={c: header(c, lang, "data") for c in df.columns})


def datasets_update(svc: Services, lang: str, rows: bool = True) -> dict:
    """The datasets table as shown, each column as wide as its content needs: a long dataset name squeezed
    "Dialogues" into "Dial/ogu/es" and hid the columns after it on a narrow window (walk 9)."""
    return table_update(shown_datasets(svc, lang, rows))


def dataset_choices(svc: Services) -> list[tuple[str, str]]:
    """The batch menu's (label, value) per dataset: bidirectional controls shown in the label, not obeyed."""
    return [(plain(d.name), d.name) for d in list_datasets(svc.store)]


def datasets_table(svc: Services) -> pd.DataFrame:
    progress = dataset_progress(svc.store)
    rows = [
        [plain(d.name), d.format, plain(d.source), d.dialogues, d.references,
         ", ".join(f"{c}: {n}" for c, n in sorted(progress.get(d.name, {}).items())) or "—",
         f"{d.created_at:%Y-%m-%d %H:%M}" if d.created_at else ""]
        for d in list_datasets(svc.store)
    ]
    return pd.DataFrame(rows, columns=DATASET_HEADERS)


#: the first character of :func:`import_file`'s message when the file was stored
IMPORTED = "✓"


def import_file(svc: Services, user_id: int | None, path: str | None, name: str | None, fmt: str | None,
                replace: bool, lang: str = "en") -> str:
    """Import an uploaded file; returns the Markdown message (errors included, never raises WorkbenchError)."""
    return import_upload(svc, user_id, path, name, fmt, replace, lang)[0]


def import_upload(svc: Services, user_id: int | None, path: str | None, name: str | None, fmt: str | None,
                  replace: bool, lang: str = "en") -> tuple[str, str | None]:
    """:func:`import_file`'s message, and the name the dataset was stored under (None: nothing stored)."""
    if not path:
        # The upload box itself refuses a file over the limit (its pop-up names the file): say so here too,
        # or "choose a file" reads as though the dropped file were lost.
        return i18n.t("data.choose_file", lang, limit=f"{svc.config.server.max_upload_mb:g}"), None
    try:
        summary = import_dataset(svc.store, path, name=(name or "").strip() or None,
                                 format=None if fmt in (None, "", AUTO) else fmt, replace=bool(replace),
                                 created_by=user_id, max_turn_chars=svc.config.limits.max_turn_chars)
    except WorkbenchError as e:
        return error_markdown(e, lang), None
    msg = [f"{IMPORTED} {as_text(import_summary(summary, lang))}"]
    msg += [f"- {i18n.t('data.warning', lang)} {as_text(i18n.catalogue().translate(w, lang))}"
            for w in summary.warnings]
    return "\n".join(msg), summary.name


def forget_upload(path: str | None) -> None:
    """Delete an uploaded file once its rows are stored. Gradio keeps every upload until the server stops, and any
    signed-in user who learnt its path could fetch it through ``/gradio_api/file=`` (walk s63): medical data must
    not linger there. A refused import keeps its file, so Import can be pressed again after a fix. Only a file in
    Gradio's upload folder is touched (an API caller or a test may pass a file of its own)."""
    if not path:
        return
    folder = Path(gradio.utils.get_upload_folder()).resolve()
    file = Path(path).resolve()
    if folder not in file.parents:
        return
    try:
        file.unlink(missing_ok=True)
    except OSError as e:
        log.warning("could not delete the imported upload %s: %s", file.name, e)
        return
    if file.parent != folder:
        with contextlib.suppress(OSError):  # Gradio's folder of this one upload, once empty
            file.parent.rmdir()


def import_summary(summary: ImportSummary, lang: str) -> str:
    """What an import stored, in ``lang`` (the command line prints ``summary.describe()``)."""
    key = "data.import.replaced" if summary.replaced else "data.import.imported"
    return i18n.t(key, lang, name=repr(summary.name), format=summary.format, dialogues=summary.dialogues,
                  turns=summary.turns, references=summary.references)


def batch_summary(summary: BatchSummary, lang: str) -> str:
    """What a batch run did, in ``lang`` (the command line prints ``summary.describe()``)."""
    # (in English as the command line prints it: all, last, sample:5)
    mode, _, k = summary.turns.partition(":")
    turns = (i18n.t(f"data.turns.{mode}", lang) + (f" {k}" if k else "")
             if lang != "en" and mode in ("all", "last", "sample") else summary.turns)
    parts = [i18n.t("data.batch.summary", lang, dataset=repr(summary.dataset), turns=turns,
                    positions=summary.positions, columns=len(summary.columns), planned=summary.planned),
             i18n.t("data.batch.counts", lang, skipped=summary.skipped, generated=summary.generated,
                    errors=summary.errors)]
    parts += [i18n.t("data.batch.column_error", lang, column=c, error=i18n.catalogue().translate(e, lang))
              for c, e in summary.column_errors.items()]
    if summary.interrupted_runs:
        parts.append(i18n.t("data.batch.resumed", lang, n=len(summary.interrupted_runs), runs=", ".join(f"#{i}" for i in summary.interrupted_runs)))
    if summary.stopped:
        parts.append(i18n.t("data.batch.stopped_early", lang))
    parts.append(i18n.t("data.batch.seconds", lang, seconds=f"{summary.seconds:.1f}"))
    return i18n.t("data.batch.separator", lang).join(parts)


def turns_spec(mode: str, n: Any) -> str:
    if mode == "sample":
        if n is None or str(n).strip() == "":
            raise DatasetError("give the number of turns to sample")
        k = whole_number(n, "sample size")
        if k < 1:
            raise DatasetError(f"sample size: {k} is below 1")
        return f"sample:{k}"
    return mode


def batch_size(value: Any) -> int:
    """The form's batch size: whole, 1 to :data:`MAX_FORM_BATCH_SIZE` (empty: the default)."""
    size = whole_number(value, "batch size", DEFAULT_BATCH_SIZE)
    if not 1 <= size <= MAX_FORM_BATCH_SIZE:
        raise DatasetError(f"batch size: {size} is outside 1 to {MAX_FORM_BATCH_SIZE}")
    return size


def build_data_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    ui.make(gr.Markdown, value=K("data.intro"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            ui.make(gr.Markdown, value=K("data.import.title"))
            # No file_types: Gradio's own refusal is an English pop-up whatever the page's language, followed by
            # "choose a file first"; the import names a wrong file in the page's language instead.
            upload = ui.make(gr.File, label=K("data.import.file"), type="filepath")
            name = ui.make(gr.Textbox, label=K("data.import.name"), placeholder=K("data.import.name_hint"))
            fmt = ui.make(gr.Dropdown, choices=[(K("data.import.auto"), AUTO), *PARSERS], value=AUTO,
                          label=K("data.import.format"), elem_id="import-format")
            replace = ui.make(gr.Checkbox, label=K("data.import.replace"))
            import_btn = ui.make(gr.Button, value=K("data.import.button"), variant="primary", elem_id="data-import")
            import_msg = gr.Markdown("", elem_id="data-import-result")
            # Never seen: toast_titles.js clicks it when the box refuses a file for its size (no server event).
            refused = gr.Button(visible="hidden", elem_classes=["upload-refused"], elem_id="data-import-refused")
        with gr.Column(scale=1):
            ui.make(gr.Markdown, value=K("data.batch.title"))
            # Filled per request for admins (on_refresh); names typed through the API are checked by run_batch.
            ds = ui.make(gr.Dropdown, choices=[], label=K("data.batch.dataset"), allow_custom_value=True)
            cols = ui.make(gr.Dropdown, choices=[], value=[], multiselect=True, allow_custom_value=True,
                           label=K("data.batch.columns"))
            with gr.Row():
                mode = ui.make(gr.Radio, choices=[(K(f"data.turns.{m}"), m) for m in ("all", "last", "sample")],
                               value="all", label=K("data.batch.turns"))
                # No precision=0: it rounded 2.5 to 2 silently; and no minimum or maximum: Gradio refused an out-of-range
                # value before on_run with a raw error naming no field, even where the mode ignores it (a sample size
                # of 0 with "all" turns). on_run checks each value it uses, by name.
                n = ui.make(gr.Number, value=20, label=K("data.batch.sample"))
                seed = ui.make(gr.Number, value=0, label=K("data.batch.seed"))
                bsize = ui.make(gr.Number, value=DEFAULT_BATCH_SIZE, label=K("data.batch.size"))
            with gr.Row():
                run_btn = ui.make(gr.Button, value=K("data.batch.run"), variant="primary", elem_id="data-batch")
                stop_btn = ui.make(gr.Button, value=K("data.batch.stop"), size="sm", elem_id="data-batch-stop")
            run_msg = gr.Markdown("", elem_id="data-batch-result")
    ui.make(gr.Markdown, value=K("data.datasets.title"))
    table = gr.Dataframe(datasets_table(svc).iloc[0:0], interactive=False, wrap=True, elem_id="data-datasets")
    refresh = ui.make(gr.Button, value=K("data.refresh"), size="sm")

    def on_import(path: Any, nm: str, f: str, rep: bool, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            uid = _admin(svc, request)
        except WorkbenchError as e:
            return {import_msg: error_markdown(e, lang)}
        msg, stored = import_upload(svc, uid, path, nm, f, rep, lang)
        # The batch below starts from the dataset just imported (Run said "choose a dataset first").
        out = {import_msg: msg, table: datasets_update(svc, lang),
               ds: gr.update(choices=dataset_choices(svc)) if stored is None
               else gr.update(choices=dataset_choices(svc), value=stored)}
        if stored is not None:
            # Stored: the next import starts from an empty box, so a new name never goes to the old file.
            out.update({upload: None, name: "", replace: False})
            forget_upload(path)
        return out

    # One stop event per browser session: Stop ends that session's run between chunks (it resumes later).
    stops: dict[str, threading.Event] = {}

    def on_stop(request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            _admin(svc, request)
        except WorkbenchError as e:
            return {run_msg: error_markdown(e, lang)}
        event = stops.get(request.session_hash or "")
        if event is None:
            return {run_msg: i18n.t("data.batch.none", lang)}
        event.set()
        return {run_msg: i18n.t("data.batch.stopping", lang)}

    def on_run(dataset: str | None, columns: list[str], m: str, k: Any, sd: Any, size: Any,
               request: gr.Request, progress: gr.Progress = gr.Progress()) -> dict:  # noqa: B008 - gradio's API
        try:
            uid = _admin(svc, request)
            if not dataset:
                raise DatasetError("choose a dataset first")
            if not columns:
                raise DatasetError("choose at least one column")

            lang = i18n.language(request)

            def report(done: int, total: int, desc: str) -> None:
                # (run_batch says "starting" and "<column>: not ready"; column names are shown as configured)
                shown = (i18n.t("data.batch.starting", lang) if desc == "starting" else
                         i18n.t("data.batch.not_ready", lang, column=desc[: -len(": not ready")])
                         if desc.endswith(": not ready") else desc)
                progress((done, max(total, 1)), desc=shown, unit=i18n.t("data.batch.unit", lang))

            stop = stops[request.session_hash or ""] = threading.Event()
            try:
                summary = run_batch(svc, dataset, columns, turns_spec(m, k), seed=whole_number(sd, "sample seed", 0),
                                    stop=stop, batch_size=batch_size(size),
                                    progress=report, created_by=uid)
            finally:
                stops.pop(request.session_hash or "", None)
        except WorkbenchError as e:
            return {run_msg: error_markdown(e, i18n.language(request))}
        icon = "⚠" if summary.errors or summary.column_errors else "✓"
        lang = i18n.language(request)
        return {run_msg: f"{icon} {as_text(batch_summary(summary, lang))}", table: datasets_update(svc, lang)}

    def on_refresh(request: gr.Request) -> dict:
        # Dataset names and source paths are for admins only, like import and batch.
        lang = i18n.language(request)
        # Also run on every page load: a role without data rights sees no rows, and is not logged as refused.
        if not may(svc.auth, request, Permission.DATA):
            return {table: datasets_update(svc, lang, rows=False), ds: gr.update(choices=[]),
                    cols: gr.update(choices=[])}
        return {table: datasets_update(svc, lang),
                ds: gr.update(choices=dataset_choices(svc)),
                cols: gr.update(choices=svc.columns, value=svc.columns)}

    # A new file's box starts empty: the last import's error stayed under it, as though about the new file.
    upload.upload(None, None, [import_msg], js="() => ''", api_name=False)
    # ...and so does a file the box refuses for its size: the last import's "✓" read as the refused file's.
    refused.click(None, None, [import_msg], js="() => ''", api_visibility="private", queue=False)
    import_btn.click(on_import, [upload, name, fmt, replace], [import_msg, table, ds, upload, name, replace],
                     api_name="import_dataset")
    # The last run's result goes at once (in the page): left under the new run's progress it read as the new result.
    run_btn.click(None, None, [run_msg], js="() => ''", api_name=False, queue=False)
    run_btn.click(on_run, [ds, cols, mode, n, seed, bsize], [run_msg, table], api_name="batch_generate")
    stop_btn.click(on_stop, None, [run_msg], api_name="batch_stop", queue=False)
    refresh.click(on_refresh, None, [table, ds, cols], api_name=False)
    return {"table": table, "import_msg": import_msg, "run_msg": run_msg, "on_load": on_refresh,
            "load_outputs": [table, ds, cols]}
