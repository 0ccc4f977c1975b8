"""The Compare tab: the research dashboard with filters, every statistic table and its plot.

The handler is thin: :func:`compute_view` loads the frames from the store, computes the dashboard
and its figures in the session's language; the tab maps them onto components by name. Every plot can be
downloaded as PNG and SVG and every table as CSV: the view goes on the services' result shelf, and the
links fetch its files through ``workbench.ui.downloads`` (same role check as the tab). BLEU/ROUGE/distinct segment every reply
with jieba, so they are computed only on the "Compute metrics" button.

Only admins see results when logins are on: the tab names the columns, and annotators rate blind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission, may, require_role
from workbench.analysis.dashboard import Dashboard, compute_dashboard
from workbench.analysis.defaults import N_BOOT
from workbench.analysis.figure_files import FORMATS, figure_bytes
from workbench.analysis.from_store import load_frames
from workbench.analysis.plots import Translate, dashboard_figures
from workbench.analysis.report import SECTIONS
from workbench.errors import InputError, WorkbenchError
from workbench.scope import LIVE_CHATS, Scope
from workbench.services import Services
from workbench.store.choices import scope_choices
from workbench.ui import i18n
from workbench.ui.downloads import csv_bytes, table_links
from workbench.ui.i18n import K, Localizer
from workbench.ui.simulated_section import build_simulated_section
from workbench.ui.tables import ROW_COLUMN, blank_table, data_view, display_view, header, table_update
from workbench.ui.text import as_text, as_toast, plain
from workbench.vocab import TurnType

log = logging.getLogger(__name__)
LIVE = LIVE_CHATS  # the dataset filter's label for dialogues that come from no dataset
TURN_TYPES = tuple(TurnType)

#: (section key: compare.section.<key>, table stems from analysis.report.SECTIONS, figure names from
#: dashboard_figures)
LAYOUT: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("scores", ("scores",), ("scores",)),
    ("differences", ("score_differences",), ()),
    ("coq", ("coq_curve", "questions_first", "questions_first_distribution"), ("coq", "questions_first")),
    ("preferences", ("win_rates", "win_counts", "bradley_terry"), ("win_matrix", "bradley_terry")),
    ("position_bias", ("position_bias", "slot_scores"), ("position_bias",)),
    ("agreement", ("agreement",), ("agreement",)),
    ("metrics", ("metrics",), ("metrics",)),
    ("aggregated", ("aggregated_scores",), ()),
)
#: tables where every missing number reads "n/a" (see tables.display_view)
NA_TABLES = frozenset({"scores", "score_differences"})
#: what the Compare tab shows beside the plain means (see workbench.analysis.aggregation)
AGGREGATES = ("mean", "dawid-skene", "mace")


@dataclass(frozen=True)
class CompareView:
    dashboard: Dashboard
    tables: dict[str, pd.DataFrame]  # by report stem, data column names (a note where not computed)
    shown: dict[str, pd.DataFrame]  # the same tables as the tab shows them: rounded, readable headers
    figures: dict[str, Any]  # by analysis.plots.dashboard_figures name
    summary: str
    computed: frozenset[str]  # the stems whose table holds data (not a note): those have a CSV


# Gradio's date box keeps its last valid date when text that is no date is typed in it (the filter then used a
# date the box no longer showed): the Refresh sends what the boxes show, which the server reads or refuses.
_TYPED_DATES_JS = """(...args) => {
  const shown = (id, value) => { const box = document.querySelector(`#${id} input`); return box ? box.value : value; };
  args[2] = shown('compare-from', args[2]);
  args[3] = shown('compare-to', args[3]);
  return args;
}"""


def make_filters(annotators: Any = None, datasets: Any = None, date_from: Any = None, date_to: Any = None,
                 columns: Any = None, turn_types: Any = None) -> Scope:
    """The scope the widgets select; an empty selection means no filter."""
    return Scope.parse(annotators=annotators, datasets=datasets, date_from=date_from, date_to=date_to,
                       columns=columns, turn_types=turn_types, live_names=(LIVE,))


def translator(lang: str) -> Translate:
    """The plots' texts in ``lang``."""
    return lambda key, **fields: i18n.t(key, lang, **fields)


#: up to this many annotators the summary says why the score intervals are wide (Student's t with n - 1 degrees
#: of freedom: 6.5 times a normal interval's width at 2, 1.4 at 5, 1.3 at 6)
FEW_ANNOTATORS = 5


def compute_view(svc: Services, scope: Scope | None = None, *, metrics: bool = False,
                 n_boot: int = N_BOOT, aggregates: tuple[str, ...] = AGGREGATES, lang: str = "en") -> CompareView:
    """Everything the tab shows for the given scope, in ``lang``."""
    d = compute_dashboard(load_frames(svc.store), scope, metrics=metrics, n_boot=n_boot, aggregates=aggregates,
                          column_order=svc.columns)
    tables: dict[str, pd.DataFrame] = {}
    shown: dict[str, pd.DataFrame] = {}
    for stem, _title, attr, keep_index in SECTIONS:
        df = getattr(d, attr)
        if df is None:
            note = i18n.t({"metrics": "compare.press_metrics", "aggregated_scores": "compare.press_weighted"}
                          .get(stem, "compare.not_computed"), lang)
            tables[stem] = pd.DataFrame({"": [note]})
            shown[stem] = tables[stem]
        else:
            tables[stem] = data_view(df, keep_index=keep_index)
            # a difference with no paired dialogue is not a number either: "n/a", as its bounds
            shown[stem] = display_view(tables[stem], lang, missing_is_na=stem in NA_TABLES)
            if stem == "win_counts":  # a count of comparisons is symmetric: its rows beat nothing
                compared = i18n.t("compare.col.row_compared", lang)
                shown[stem] = shown[stem].rename(columns={header(ROW_COLUMN, lang): compared})
    counts = i18n.t("compare.count.separator", lang).join(
        i18n.t(f"compare.count.{k}", lang, n=v) for k, v in d.counts.items())
    summary = i18n.t("compare.summary", lang, counts=counts, greetings=d.greetings)
    if 2 <= d.annotators <= FEW_ANNOTATORS:
        # two annotators' intervals spanned the whole 1-5 scale, which read as a fault (walk 11)
        summary += "\n\n" + i18n.t("compare.few_annotators", lang, n=d.annotators)
    computed = frozenset(stem for stem, _t, attr, _i in SECTIONS if getattr(d, attr) is not None)
    return CompareView(d, tables, shown, dashboard_figures(d, translator(lang)), summary, computed)


def view_files(view: CompareView) -> dict[str, Callable[[], bytes]]:
    """The view's downloads, made on request: every figure as PNG and SVG, every computed table as CSV."""
    files: dict[str, Callable[[], bytes]] = {}
    for name, fig in view.figures.items():
        for fmt in FORMATS:
            files[f"{name}.{fmt}"] = partial(figure_bytes, fig, fmt)
    for stem in view.computed:
        files[f"{stem}.csv"] = partial(csv_bytes, view.tables[stem])
    return files


def download_links(token: str, figures: tuple[str, ...], stems: tuple[str, ...], lang: str,
                   available: frozenset[str] | None = None) -> str:
    """Links to one section's files on the shelf: each figure as PNG and SVG, each computed table as CSV. A
    section none of whose tables was computed (Reference metrics before Compute metrics) offers no figure: its
    file was an empty "no data" frame."""
    if available is not None and stems and not any(stem in available for stem in stems):
        figures = ()
    items = [(f"{name}.{fmt}", f"{i18n.t(f'compare.plot.{name}', lang)} · {fmt.upper()}")
             for name in figures for fmt in FORMATS]
    items += [(f"{stem}.csv", f"{i18n.t(f'compare.table.{stem}', lang)} · CSV")
              for stem in stems if available is None or stem in available]
    return table_links(token, items, lang)


def dataset_menu(names: list[str], lang: str) -> list[tuple[str, str]]:
    """The dataset filter's (label, value) pairs: live chats named in ``lang``, names with their bidirectional
    controls made visible (the value stays the name)."""
    return [(i18n.t("compare.filter.live", lang) if n == LIVE else plain(n), n) for n in names]


def filter_choices(svc: Services) -> dict[str, list[str]]:
    """Values offered by the filter dropdowns."""
    found = scope_choices(svc.store, svc.columns)
    return {"annotators": found.annotators, "datasets": [LIVE, *found.datasets], "columns": found.columns,
            "turn_types": list(TURN_TYPES)}


def require_admin(svc: Services, request: Any) -> Any:
    """The user if a researcher or admin (the name stays for callers; the check is the shared one)."""
    return require_role(svc.auth, request, Permission.COMPARE)


def build_compare_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    # Annotator, dataset and model names are filled by Refresh, for admins only: the page config is
    # visible to every logged-in annotator, who must not see model names.
    with gr.Row():
        annotators = ui.make(gr.Dropdown, choices=[], multiselect=True, label=K("compare.filter.annotator"), scale=2,
                             elem_id="compare-filter-annotator")
        datasets = ui.make(gr.Dropdown, choices=[], multiselect=True, label=K("compare.filter.dataset"), scale=2)
        columns = ui.make(gr.Dropdown, choices=[], multiselect=True, label=K("compare.filter.column"), scale=2)
        # The filter does not mean one thing in every table (analysis/filters.py): the box says what it keeps.
        turn_types = ui.make(gr.Dropdown, choices=[(K(f"compare.turn_type.{t}"), t) for t in TURN_TYPES],
                             multiselect=True, info=K("compare.filter.turn_type_info"),
                             label=K("compare.filter.turn_type"), scale=2, elem_id="compare-filter-turn-type")
    with gr.Row():
        date_from = ui.make(gr.DateTime, label=K("compare.filter.from"), include_time=False, type="string",
                            elem_id="compare-from")
        date_to = ui.make(gr.DateTime, label=K("compare.filter.to"), include_time=False, type="string",
                          elem_id="compare-to")
        refresh_btn = ui.make(gr.Button, value=K("compare.refresh"), variant="primary", elem_id="compare-refresh")
        metrics_btn = ui.make(gr.Button, value=K("compare.metrics"), elem_id="compare-metrics")
        # Off by default: Dawid-Skene and MACE took 7-13 s of a Refresh on a team's first hundred ratings.
        weighted = ui.make(gr.Checkbox, value=False, label=K("compare.weighted"), elem_id="compare-aggregates")
    summary = ui.make(gr.Markdown, value=K("compare.press_refresh"), elem_id="compare-summary")
    tables: dict[str, Any] = {}
    plots: dict[str, Any] = {}
    links: dict[str, Any] = {}
    for key, stems, figs in LAYOUT:
        with ui.make(gr.Accordion, label=K(f"compare.section.{key}"), open=True, elem_id=f"compare-section-{key}"):
            links[key] = gr.HTML("", elem_id=f"compare-downloads-{key}")
            with gr.Row():
                for name in figs:
                    plots[name] = gr.Plot(label=name, show_label=False, elem_id=f"compare-plot-{name}")
            for stem in stems:
                tables[stem] = ui.make(gr.Dataframe, value=blank_table(), label=K(f"compare.table.{stem}"),
                                       interactive=False, wrap=True,
                                       max_height=320, elem_id=f"compare-table-{stem}")

    # the section's tables are computed within the same filters as the others (one Scope, made by make_filters)
    simulated = build_simulated_section(svc, [annotators, datasets, date_from, date_to, columns, turn_types],
                                        make_filters, require_admin, ui, js=_TYPED_DATES_JS)
    # Each researcher's filters at their last Refresh: a reload (the language switch is one) draws the menus
    # empty, and the next Refresh would silently compute over everything; they come back with the menus.
    last_filters: dict[str, tuple[Any, Any, Any, Any]] = {}
    filter_inputs = [annotators, datasets, date_from, date_to, columns, turn_types, weighted]
    outputs = [summary, annotators, datasets, columns, *tables.values(), *plots.values(), *links.values()]

    def menu_updates(lang: str) -> dict[Any, Any]:
        """The filter menus' current values (datasets and annotators appear while the app runs)."""
        fresh = filter_choices(svc)
        return {annotators: gr.update(choices=fresh["annotators"]),
                datasets: gr.update(choices=dataset_menu(fresh["datasets"], lang)),
                columns: gr.update(choices=fresh["columns"])}

    def handler(metrics: bool):
        def run(a: Any, ds: Any, f: Any, t: Any, c: Any, tt: Any, agg: bool, request: gr.Request) -> dict:
            lang = i18n.language(request)
            try:
                user = require_admin(svc, request)
                scope = make_filters(a, ds, f, t, c, tt)
            except InputError as e:
                # A filter refused: the summary says so above the tables still drawn, which are the last
                # refresh's (an Error badge over the old "Rows after filtering" read as the new result).
                gr.Warning(as_toast(e))
                return {summary: i18n.t("compare.not_refreshed", lang, error=as_text(i18n.catalogue().translate(str(e), lang)))}
            except WorkbenchError as e:
                raise gr.Error(as_toast(e)) from None
            try:
                view = compute_view(svc, scope, metrics=metrics, aggregates=AGGREGATES if agg else (), lang=lang)
            except WorkbenchError as e:
                raise gr.Error(as_toast(e)) from None
            last_filters[user.username] = (a, ds, c, tt)
            token = svc.results.put(user.username, Permission.COMPARE, view_files(view))
            out: dict[Any, Any] = {summary: view.summary, **menu_updates(lang)}
            out.update({tables[k]: table_update(view.shown[k]) for k in tables})
            out.update({plots[k]: view.figures[k] for k in plots})
            out.update({links[key]: download_links(token, figs, stems, lang, view.computed)
                        for key, stems, figs in LAYOUT})
            return out

        return run

    def fill_choices(a: Any, ds: Any, c: Any, tt: Any, request: gr.Request) -> dict:
        """The filter menus' values when the tab is opened: a researcher filters before the first Refresh. Menus
        the page shows empty get the filters of this researcher's last Refresh back (after a reload)."""
        if not may(svc.auth, request, Permission.COMPARE):
            return {annotators: gr.update(), datasets: gr.update(), columns: gr.update(), turn_types: gr.update()}
        out = menu_updates(i18n.language(request))
        out[turn_types] = gr.update()
        kept = None if any((a, ds, c, tt)) else last_filters.get(svc.auth.from_request(request).username)
        if kept:
            for menu, value in zip((annotators, datasets, columns, turn_types), kept, strict=True):
                out[menu] = gr.update(**out[menu], value=value or [])
        return out

    # Progress, and an error, show on the summary line alone: on all 33 outputs a refusal (a role lowered while
    # the page was open) or a failure drew an Error badge over every table and plot.
    refresh_btn.click(handler(False), filter_inputs, outputs, api_name="compare", show_progress_on=[summary],
                      js=_TYPED_DATES_JS)
    metrics_btn.click(handler(True), filter_inputs, outputs, api_name="compare_metrics", show_progress_on=[summary],
                      js=_TYPED_DATES_JS)
    return {"tables": tables, "plots": plots, "links": links, "summary": summary, "refresh": refresh_btn,
            "metrics": metrics_btn, "simulated": simulated, "fill_choices": fill_choices,
            "choice_outputs": [annotators, datasets, columns, turn_types],
            "choice_inputs": [annotators, datasets, columns, turn_types]}
