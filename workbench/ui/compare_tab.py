"""The Compare tab: the research dashboard with filters, every statistic table and its plot.

The handler is thin: :func:`compute_view` loads the frames from the store, computes the dashboard
and its figures; the tab maps them onto components by name. BLEU/ROUGE/distinct segment every reply
with jieba, so they are computed only on the "Compute metrics" button.

Only admins see results when logins are on: the tab names the columns, and annotators rate blind.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd
from sqlalchemy import select

from workbench.access import Permission, require_role
from workbench.analysis.dashboard import Dashboard, compute_dashboard
from workbench.analysis.filters import Filters
from workbench.analysis.from_store import load_frames
from workbench.analysis.plots import dashboard_figures
from workbench.analysis.report import SECTIONS
from workbench.errors import InputError, WorkbenchError
from workbench.services import Services
from workbench.store.schema import Dataset, Generation, User
from workbench.ui.i18n import Localizer
from workbench.ui.simulated_section import build_simulated_section
from workbench.ui.text import as_toast
from workbench.vocab import TurnType

log = logging.getLogger(__name__)
LIVE = "(live chats)"  # the dataset filter's label for dialogues that come from no dataset
TURN_TYPES = tuple(TurnType)
TABLE_DIGITS = 3

#: (section title, table stems from analysis.report.SECTIONS, figure names from dashboard_figures)
LAYOUT: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Scores per column", ("scores",), ("scores",)),
    ("Chain of questioning", ("coq_curve", "questions_first", "questions_first_distribution"),
     ("coq", "questions_first")),
    ("Preferences", ("win_rates", "win_counts", "bradley_terry"), ("win_matrix", "bradley_terry")),
    ("Position bias", ("position_bias", "slot_scores"), ("position_bias",)),
    ("Inter-annotator agreement", ("agreement",), ("agreement",)),
    ("Reference metrics (BLEU / ROUGE / distinct-n)", ("metrics",), ("metrics",)),
    ("Aggregated over annotators (reliability-weighted)", ("aggregated_scores",), ()),
)
#: what the Compare tab shows beside the plain means (see workbench.analysis.aggregation)
AGGREGATES = ("mean", "dawid-skene", "mace")
TITLES = {stem: title for stem, title, _attr, _idx in SECTIONS}


@dataclass(frozen=True)
class CompareView:
    dashboard: Dashboard
    tables: dict[str, pd.DataFrame]  # by report stem (analysis.report.SECTIONS)
    figures: dict[str, Any]  # by analysis.plots.dashboard_figures name
    summary: str


def _date(value: Any, name: str) -> str | dt.datetime | None:
    """gr.DateTime gives a string, a timestamp or nothing."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).replace(tzinfo=None)
    if isinstance(value, dt.datetime | str):
        return value
    raise InputError(f"{name}: not a date: {value!r}")


def make_filters(annotators: Any = None, datasets: Any = None, date_from: Any = None, date_to: Any = None,
                 columns: Any = None, turn_types: Any = None) -> Filters:
    """Filters from the widgets' values; an empty selection means no filter."""
    def sel(v: Any) -> tuple | None:
        return tuple(v) if v else None

    ds = sel(datasets)
    if ds is not None:
        ds = tuple(None if d == LIVE else d for d in ds)
    return Filters(annotators=sel(annotators), datasets=ds, date_from=_date(date_from, "from"),
                   date_to=_date(date_to, "to"), columns=sel(columns), turn_types=sel(turn_types))


def _display(stem: str, df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame({"": ["press “Compute metrics”" if stem == "metrics" else "not computed"]})
    keep_index = next(idx for s, _t, _a, idx in SECTIONS if s == stem)
    out = df.reset_index() if keep_index else df.copy()
    return out.round(TABLE_DIGITS) if len(out) else out


def compute_view(svc: Services, filters: Filters | None = None, *, metrics: bool = False,
                 n_boot: int = 1000, aggregates: tuple[str, ...] = AGGREGATES) -> CompareView:
    """Everything the tab shows for the given filters."""
    d = compute_dashboard(load_frames(svc.store), filters, metrics=metrics, n_boot=n_boot, aggregates=aggregates)
    tables = {stem: _display(stem, getattr(d, attr)) for stem, _t, attr, _i in SECTIONS}
    counts = ", ".join(f"{v} {k}" for k, v in d.counts.items())
    counts += f"; {d.greetings} greeting replies left out of every table"
    return CompareView(d, tables, dashboard_figures(d), f"**Rows after filtering:** {counts}")


def filter_choices(svc: Services) -> dict[str, list[str]]:
    """Values offered by the filter dropdowns (three small queries)."""
    with svc.store.session() as s:
        users = list(s.scalars(select(User.username).order_by(User.username)))
        datasets = list(s.scalars(select(Dataset.name).order_by(Dataset.name)))
        stored = set(s.scalars(select(Generation.column_name).distinct()))
    columns = list(svc.columns) + sorted(stored - set(svc.columns))
    return {"annotators": users, "datasets": [LIVE, *datasets], "columns": columns, "turn_types": list(TURN_TYPES)}


def require_admin(svc: Services, request: Any) -> None:
    """Researchers and admins only (the name stays for callers; the check is the shared one)."""
    require_role(svc.auth, request, Permission.COMPARE)


def build_compare_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    # Annotator, dataset and model names are filled by Refresh, for admins only: the page config is
    # visible to every logged-in annotator, who must not see model names.
    choices = {"annotators": [], "datasets": [], "columns": [], "turn_types": list(TURN_TYPES)}
    with gr.Row():
        annotators = gr.Dropdown(choices["annotators"], multiselect=True, label="Annotator", scale=2)
        datasets = gr.Dropdown(choices["datasets"], multiselect=True, label="Dataset", scale=2)
        columns = gr.Dropdown(choices["columns"], multiselect=True, label="Column", scale=2)
        turn_types = gr.Dropdown(choices["turn_types"], multiselect=True, label="Turn type", scale=2)
    with gr.Row():
        date_from = gr.DateTime(label="From (inclusive)", include_time=False, type="string")
        date_to = gr.DateTime(label="To (inclusive)", include_time=False, type="string")
        refresh_btn = gr.Button("Refresh", variant="primary", elem_id="compare-refresh")
        metrics_btn = gr.Button("Compute metrics (BLEU/ROUGE, slow)", elem_id="compare-metrics")
        weighted = gr.Checkbox(True, label="Reliability-weighted aggregates (Dawid-Skene, MACE; seconds)",
                               elem_id="compare-aggregates")
    summary = gr.Markdown("Press **Refresh** to compute the statistics.", elem_id="compare-summary")
    tables: dict[str, Any] = {}
    plots: dict[str, Any] = {}
    for title, stems, figs in LAYOUT:
        with gr.Accordion(title, open=True):
            with gr.Row():
                for name in figs:
                    plots[name] = gr.Plot(label=name, show_label=False)
            for stem in stems:
                tables[stem] = gr.Dataframe(label=TITLES[stem], interactive=False, wrap=True, max_height=320)

    simulated = build_simulated_section(svc, datasets, columns, require_admin)
    filter_inputs = [annotators, datasets, date_from, date_to, columns, turn_types, weighted]
    outputs = [summary, annotators, datasets, columns, *tables.values(), *plots.values()]

    def handler(metrics: bool):
        def run(a: Any, ds: Any, f: Any, t: Any, c: Any, tt: Any, agg: bool, request: gr.Request) -> dict:
            try:
                require_admin(svc, request)
                view = compute_view(svc, make_filters(a, ds, f, t, c, tt), metrics=metrics,
                                    aggregates=AGGREGATES if agg else ())
            except WorkbenchError as e:
                raise gr.Error(as_toast(e)) from None
            fresh = filter_choices(svc)  # datasets and annotators appear while the app runs
            out: dict[Any, Any] = {
                summary: view.summary,
                annotators: gr.update(choices=fresh["annotators"]),
                datasets: gr.update(choices=fresh["datasets"]),
                columns: gr.update(choices=fresh["columns"]),
            }
            out.update({tables[k]: view.tables[k] for k in tables})
            out.update({plots[k]: view.figures[k] for k in plots})
            return out

        return run

    refresh_btn.click(handler(False), filter_inputs, outputs, api_name="compare")
    metrics_btn.click(handler(True), filter_inputs, outputs, api_name="compare_metrics")
    return {"tables": tables, "plots": plots, "summary": summary, "refresh": refresh_btn, "metrics": metrics_btn,
            "simulated": simulated}
