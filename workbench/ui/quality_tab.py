"""The Quality tab: the annotator quality table (admins and researchers) and the gold items (admins).

Handlers resolve the user from the request and re-check the role on the server; errors from the
``WorkbenchError`` tree become messages. Annotators are never shown which items are gold.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from workbench.analysis.aggregation import METHODS
from workbench.analysis.annotator_quality import annotator_quality
from workbench.annotate.gold import import_gold, list_gold, mark_gold, read_gold_file
from workbench.annotate.rubric import TURN_TYPE_KEYS
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.services import Services
from workbench.ui.i18n import Localizer

TABLE_DIGITS = 3
GOLD_COLUMNS = ["generation_id", "dialogue_id", "turn_index", "column", "turn_type", "questioning", "suggestion",
                "tolerance"]


def quality_table(svc: Services, user: Any, method: str) -> pd.DataFrame:
    with svc.store.session() as s:
        df = annotator_quality(s, user, method or "dawid-skene")
    return df.round(TABLE_DIGITS)


def gold_table(svc: Services, user: Any) -> pd.DataFrame:
    with svc.store.session() as s:
        rows = list_gold(s, user)
    return pd.DataFrame(rows, columns=GOLD_COLUMNS).astype(object).where(lambda d: d.notna(), "")


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value in (None, ""):
        if default is not None:
            return default
        raise InputError(f"{name} is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number, got {value!r}") from None
    if number != int(number):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    return int(number)


def build_quality_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    gr.Markdown("Per annotator: items done, median time per item, agreement with the others, gold accuracy, "
                "estimated reliability (0 = no information, 1 = always right) and **anchoring**: the share of "
                "turn types left as the machine suggested. Admins and researchers only.")
    with gr.Row():
        method = gr.Dropdown(list(METHODS), value="dawid-skene", label="Reliability estimated by", scale=2)
        refresh = gr.Button("Refresh", variant="primary", elem_id="quality-refresh", scale=1)
    table = gr.Dataframe(label="Annotator quality", interactive=False, wrap=True, elem_id="quality-table")
    with gr.Accordion("Gold items (admins)", open=False):
        gr.Markdown("A gold reply has an expected answer. Gold items are mixed into every annotator's queue at "
                    "`annotation.gold_rate` and look like any other item. Scores: 1-5 or `na`.")
        with gr.Row():
            gen_id = gr.Number(label="Generation id", precision=0)
            turn_type = gr.Dropdown(["", *TURN_TYPE_KEYS], value="", label="Expected turn type")
            questioning = gr.Textbox(label="Expected questioning (1-5, na)")
            suggestion = gr.Textbox(label="Expected suggestion (1-5, na)")
            tolerance = gr.Number(value=0, label="Score tolerance", precision=0)
        with gr.Row():
            mark = gr.Button("Mark as gold", elem_id="gold-mark")
            upload = gr.File(label="Import gold JSONL", file_types=[".jsonl"], type="filepath")
            do_import = gr.Button("Import file", elem_id="gold-import")
        gold_msg = gr.Markdown(elem_id="gold-msg")
        gold = gr.Dataframe(label="Gold replies", interactive=False, wrap=True, elem_id="gold-table")

    def user_of(request: gr.Request) -> Any:
        return svc.auth.from_request(request)

    def on_refresh(m: str, request: gr.Request) -> dict:
        try:
            user = user_of(request)
            out: dict[Any, Any] = {table: quality_table(svc, user, m)}
            try:
                out[gold] = gold_table(svc, user)
            except AuthError:
                out[gold] = pd.DataFrame(columns=GOLD_COLUMNS)  # researchers see accuracy, not the answers
            return out
        except WorkbenchError as e:
            raise gr.Error(html.escape(str(e), quote=False)) from None

    def on_mark(gid: Any, tt: str, q: str, sg: str, tol: Any, request: gr.Request) -> dict:
        try:
            user = user_of(request)
            row = {"generation_id": _int(gid, "generation id"), "turn_type": tt or None,
                   "questioning": (q or "").strip() or None, "suggestion": (sg or "").strip() or None}
            with svc.store.session() as s:
                mark_gold(s, user, row, tolerance=_int(tol, "tolerance", 0))
            return {gold_msg: f"✅ reply {row['generation_id']} is gold", gold: gold_table(svc, user)}
        except WorkbenchError as e:
            return {gold_msg: "⚠️ " + html.escape(str(e), quote=False)}

    def on_import(path: str | None, request: gr.Request) -> dict:
        try:
            user = user_of(request)
            if not path:
                raise InputError("choose a gold JSONL file first")
            rows = read_gold_file(path)
            with svc.store.session() as s:
                n = import_gold(s, user, rows)
            return {gold_msg: f"✅ {n} reply(ies) marked as gold", gold: gold_table(svc, user)}
        except WorkbenchError as e:
            return {gold_msg: "⚠️ " + html.escape(str(e), quote=False).replace("\n", "  \n")}

    refresh.click(on_refresh, [method], [table, gold], api_name="quality")
    mark.click(on_mark, [gen_id, turn_type, questioning, suggestion, tolerance], [gold_msg, gold],
               api_name="gold_mark")
    do_import.click(on_import, [upload], [gold_msg, gold], api_name="gold_import")
    return {"table": table, "gold": gold, "refresh": refresh, "gold_msg": gold_msg}
