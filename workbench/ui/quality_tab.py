"""The Quality tab: the annotator quality table (admins and researchers) and the gold items (admins).

Handlers resolve the user from the request and re-check the role on the server; errors from the
``WorkbenchError`` tree become messages. Annotators are never shown which items are gold.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission, may
from workbench.analysis.aggregation import METHODS
from workbench.annotate.gold import read_gold_file
from workbench.annotate.rubric import TURN_TYPE_KEYS, Rubric, load_rubric
from workbench.errors import InputError, WorkbenchError
from workbench.quality import gold_candidate_rows, gold_rows, import_gold_rows, mark_gold_reply, quality_frame
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.downloads import csv_bytes, table_links
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import blank_table, display_view, header, table_update
from workbench.ui.text import as_toast, plain
from workbench.validation import whole_number

TABLE_DIGITS = 3


def gold_columns(rubric: Rubric) -> list[str]:
    """The gold table's columns: the reply's address, then one per question of the rubric."""
    return ["generation_id", "dialogue_id", "turn_index", "column", "turn_type", *rubric.axis_keys, "tolerance"]


def quality_table(svc: Services, user: Any, method: str) -> pd.DataFrame:
    return quality_frame(svc.store, user, method or "dawid-skene").round(TABLE_DIGITS)


def gold_table(svc: Services, user: Any, rubric: Rubric) -> pd.DataFrame:
    rows = gold_rows(svc.store, user)
    return pd.DataFrame(rows, columns=gold_columns(rubric)).astype(object).where(lambda d: d.notna(), "")


CANDIDATE_COLUMNS = ("generation_id", "turn_index", "column", "reply", "gold")
CANDIDATE_WIDTHS = ["13%", "10%", "15%", "50%", "12%"]
#: a reply longer than this is cut in the list (enough to recognise it; the whole reply is in Chat)
CANDIDATE_REPLY_CHARS = 300


def candidate_table(rows: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """One dialogue's replies for the gold form, headers in ``lang``; cells plain text (datatype str)."""
    def cut(text: str) -> str:
        return text if len(text) <= CANDIDATE_REPLY_CHARS else text[:CANDIDATE_REPLY_CHARS] + "…"

    data = [[str(r["generation_id"]), str(r["turn_index"]), plain(r["column"]), plain(cut(r["reply"] or "")),
             i18n.t("quality.gold.is_gold", lang) if r["gold"] else ""] for r in rows]
    return pd.DataFrame(data, columns=[header(c, lang, "quality") for c in CANDIDATE_COLUMNS])


def build_quality_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    # Gold answers are checked against the same rubric the Rate tab asks, so an added axis can be gold too.
    rubric = load_rubric(svc.config.resolve_path(svc.config.annotation.rubric))
    ui.make(gr.Markdown, value=K("quality.intro"))
    with gr.Row():
        method = ui.make(gr.Dropdown, choices=[(K(f"compare.method.{m}"), m) for m in METHODS], value="dawid-skene",
                         label=K("quality.method"), scale=2)
        refresh = ui.make(gr.Button, value=K("quality.refresh"), variant="primary", elem_id="quality-refresh", scale=1)
    links = gr.HTML("", elem_id="quality-downloads")
    table = ui.make(gr.Dataframe, value=blank_table(), label=K("quality.table"), interactive=False, wrap=True, elem_id="quality-table")
    # Gold answers are the admins' (Permission.TEAM): shown to nobody else, whose every action there was refused.
    with ui.make(gr.Accordion, label=K("quality.gold.section"), open=False, visible=False,
                 elem_id="quality-gold-section") as gold_section:
        ui.make(gr.Markdown, value=K("quality.gold.intro"))
        # No other screen shows a reply's generation id: list one dialogue's replies, and a click on a row
        # fills the id below.
        with gr.Row():
            find_dialogue = ui.make(gr.Textbox, label=K("quality.gold.dialogue"), elem_id="gold-dialogue", scale=2)
            find = ui.make(gr.Button, value=K("quality.gold.find"), elem_id="gold-find", scale=1)
        # (each column's share of the width set: a long reply wraps in its own column instead of pushing "Gold" off
        # the page and squeezing the headers letter by letter, as walk 8 found)
        candidates = ui.make(gr.Dataframe, value=blank_table(), label=K("quality.gold.candidates"), interactive=False,
                             wrap=True, elem_id="gold-candidates", column_widths=CANDIDATE_WIDTHS)
        with gr.Row():
            # Text, not a Number with precision 0: that rounded a typo such as 1.5 to reply 2 and sent an empty
            # box as reply 0; ``whole_number`` refuses both with a message.
            gen_id = ui.make(gr.Textbox, label=K("quality.gold.id"), elem_id="gold-id")
            turn_type = ui.make(gr.Dropdown, choices=[(K("quality.gold.turn_type.none"), ""),
                                                      *((K(f"compare.turn_type.{t}"), str(t)) for t in TURN_TYPE_KEYS)],
                                value="", label=K("quality.gold.turn_type"))
            questioning = ui.make(gr.Textbox, label=K("quality.gold.questioning"))
            suggestion = ui.make(gr.Textbox, label=K("quality.gold.suggestion"))
            tolerance = ui.make(gr.Number, value=0, label=K("quality.gold.tolerance"))  # unrounded: whole_number checks
        with gr.Row():
            mark = ui.make(gr.Button, value=K("quality.gold.mark"), elem_id="gold-mark")
            upload = ui.make(gr.File, label=K("quality.gold.file"), file_types=[".jsonl"], type="filepath")
            do_import = ui.make(gr.Button, value=K("quality.gold.import"), elem_id="gold-import")
        gold_msg = gr.Markdown(elem_id="gold-msg")
        gold = ui.make(gr.Dataframe, value=blank_table(), label=K("quality.gold.table"), interactive=False, wrap=True, elem_id="gold-table")

    def user_of(request: gr.Request) -> Any:
        return svc.auth.from_request(request)

    def on_load(request: gr.Request) -> Any:
        # asked, not required: an annotator's or a disabled account's page load is no refused attempt
        return gr.update(visible=may(svc.auth, request, Permission.TEAM))

    def on_open(request: gr.Request) -> Any:
        """The gold replies already marked, listed when the section opens (the table stood empty until an action or
        a Refresh; a value sent at page load is lost: a closed section's components exist once it is opened)."""
        if not may(svc.auth, request, Permission.TEAM):
            return gr.update()
        try:
            return shown_gold(gold_table(svc, user_of(request), rubric), i18n.language(request))
        except WorkbenchError:
            return gr.update()

    def shown_gold(df: pd.DataFrame, lang: str) -> pd.DataFrame:
        """The gold answers with headers and turn types in ``lang`` (a Chinese page read "question")."""
        if "turn_type" in df.columns:
            df = df.assign(turn_type=[i18n.t(f"compare.turn_type.{v}", lang) if v in TURN_TYPE_KEYS else v
                                      for v in df["turn_type"]])
        return df.rename(columns={c: header(c, lang, "quality") for c in df.columns})

    gr.on(None, on_load, None, [gold_section], api_name=False, show_progress="hidden")
    gold_section.expand(on_open, None, [gold], api_visibility="private", show_progress="hidden")

    def on_refresh(m: str, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = user_of(request)
            data = quality_table(svc, user, m)
            out: dict[Any, Any] = {table: table_update(display_view(data, lang, area="quality", missing_is_na=True))}
            # Researchers see accuracy, not the answers: asked first, so that their every Refresh is not logged
            # as a refused access.
            answers = gold_table(svc, user, rubric) if user.can(Permission.TEAM) else pd.DataFrame(
                columns=gold_columns(rubric))
            out[gold] = shown_gold(answers, lang)
            token = svc.results.put(user.username, Permission.QUALITY,
                                    {"annotator_quality.csv": partial(csv_bytes, data)})
            out[links] = table_links(token, [("annotator_quality.csv", f"{i18n.t('quality.table', lang)} · CSV")],
                                     lang)
            return out
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None

    def on_find(did: Any, request: gr.Request) -> Any:
        lang = i18n.language(request)
        try:
            rows = gold_candidate_rows(svc.store, user_of(request), whole_number(did, "dialogue id"))
        except WorkbenchError as e:
            return {gold_msg: "⚠ " + as_toast(e), candidates: blank_table()}
        frame = candidate_table(rows, lang)
        message = "" if rows else i18n.t("quality.gold.no_candidates", lang)
        return {gold_msg: message, candidates: frame}

    def on_pick(frame: pd.DataFrame, evt: gr.SelectData) -> Any:
        # The id is the row's first cell whichever cell was clicked; a blank table has no rows to pick.
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else None
        if row is None or frame is None or not 0 <= row < len(frame) or frame.shape[1] == 0:
            return gr.update()
        return str(frame.iat[row, 0])

    def on_mark(gid: Any, tt: str, q: str, sg: str, tol: Any, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = user_of(request)
            row = {"generation_id": whole_number(gid, "generation id"), "turn_type": tt or None,
                   "questioning": (q or "").strip() or None, "suggestion": (sg or "").strip() or None}
            mark_gold_reply(svc.store, user, row, tolerance=whole_number(tol, "tolerance", 0), rubric=rubric)
            return {gold_msg: i18n.t("quality.gold.marked", lang, id=row["generation_id"]),
                    gold: shown_gold(gold_table(svc, user, rubric), lang)}
        except WorkbenchError as e:
            return {gold_msg: "⚠ " + as_toast(e)}

    def on_import(path: str | None, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = user_of(request)
            if not path:
                raise InputError("choose a gold JSONL file first")
            rows = read_gold_file(path)
            n = import_gold_rows(svc.store, user, rows, rubric=rubric)
            return {gold_msg: i18n.t("quality.gold.imported", lang, n=n), gold: shown_gold(gold_table(svc, user, rubric), lang)}
        except WorkbenchError as e:
            return {gold_msg: "⚠ " + as_toast(e).replace("\n", "  \n")}

    refresh.click(on_refresh, [method], [table, gold, links], api_name="quality")
    find.click(on_find, [find_dialogue], [gold_msg, candidates], api_name="gold_candidates")
    find_dialogue.submit(on_find, [find_dialogue], [gold_msg, candidates], api_name=False)
    candidates.select(on_pick, [candidates], [gen_id], api_name=False, show_progress="hidden")
    mark.click(on_mark, [gen_id, turn_type, questioning, suggestion, tolerance], [gold_msg, gold],
               api_name="gold_mark")
    do_import.click(on_import, [upload], [gold_msg, gold], api_name="gold_import")
    return {"table": table, "gold": gold, "refresh": refresh, "gold_msg": gold_msg, "links": links}
