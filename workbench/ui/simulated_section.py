"""The Compare tab's "Simulated patients and the machine judge" section.

Three tables, computed on their own button (the measures re-classify every consultation's replies):
the simulated-patient measures per column (``workbench.analysis.simulated``), the machine judge's
agreement with the humans per axis, and the judge's scores per column (``workbench.judge``). The
Compare tab is for researchers and admins only, so annotators never see the judge's scores. Each table
with rows can be downloaded as CSV.

All three are computed within the tab's filters (the same :class:`workbench.scope.Scope` as its other
tables), as far as each applies: the agreement follows every filter, the judge's scores every one but the
annotator, the measures datasets, columns and dates (when a consultation began). The note above the tables
names a filter set that a table does not follow, and each CSV's ``filters`` column what it did follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission
from workbench.analysis.defaults import N_BOOT
from workbench.analysis.simulated import SCOPE_FILTERS, consultations_frame, summarize, wide_table
from workbench.errors import WorkbenchError
from workbench.judge import AGREEMENT_FILTERS, SCORE_FILTERS, judge_tables
from workbench.scope import LIVE_CHATS, Scope
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.downloads import csv_bytes, table_links
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import blank_table, display_view, table_update
from workbench.ui.text import as_text, as_toast

DIGITS = 3
#: the section's tables: (SimulatedView field, file stem, catalogue key of its title)
TABLES = (("measures", "simulated_measures", "compare.sim.measures"),
          ("agreement", "judge_agreement", "compare.sim.agreement"),
          ("judge_scores", "judge_scores", "compare.sim.scores"))
#: the scope filters each table follows (the others, when set, are named in the section's note)
FOLLOWED = {"measures": SCOPE_FILTERS, "agreement": AGREEMENT_FILTERS, "judge_scores": SCORE_FILTERS}
#: each filter's name in the note: the filter menus' own labels
FILTER_LABELS = {"annotators": "compare.filter.annotator", "datasets": "compare.filter.dataset",
                 "dates": "compare.sim.dates", "columns": "compare.filter.column",
                 "turn_types": "compare.filter.turn_type"}


@dataclass(frozen=True)
class SimulatedView:
    measures: pd.DataFrame
    agreement: pd.DataFrame
    judge_scores: pd.DataFrame
    computed: frozenset[str] = frozenset()  # the fields holding data rather than a note
    # what simulated_measures.csv holds: one row per column and measure, with numbers (mean, ci_low, ci_high, n) a
    # researcher can analyse, not the table's "1.00 [0.44, 1.00] (n=3)" cells
    measures_data: pd.DataFrame = field(default_factory=pd.DataFrame)
    pooled: tuple[str, ...] = ()  # the simulated datasets pooled where no Dataset filter chose one
    scope: Scope = field(default_factory=Scope)  # the tab's filters the tables were asked for

    def not_followed(self, name: str) -> tuple[str, ...]:
        """The filters set that the table ``name`` (a :data:`TABLES` field) does not follow."""
        return tuple(f for f in self.scope.filters_set() if f not in FOLLOWED[name])

    def csv(self, name: str) -> pd.DataFrame:
        """What the table's CSV holds: its data, with a ``filters`` column naming the filters it followed."""
        data = self.measures_data if name == "measures" else getattr(self, name)
        return data.assign(filters=self.scope.only(FOLLOWED[name]).describe())


def _or_note(df: pd.DataFrame, note: str) -> pd.DataFrame:
    return df.round(DIGITS) if len(df) else pd.DataFrame({"": [note]})


def compute_simulated_view(svc: Services, datasets: Any = None, columns: Any = None,
                           n_boot: int = N_BOOT, lang: str = "en", *, scope: Scope | None = None) -> SimulatedView:
    """The section's tables within ``scope`` (the tab's filters); without one, ``datasets``/``columns`` are the
    scope (empty = all)."""
    if scope is None:
        scope = Scope.parse(datasets=datasets, columns=columns, live_names=(LIVE_CHATS,))
    frame = consultations_frame(svc.store, scope=scope)
    summary = summarize(frame, n_boot=n_boot) if len(frame) else pd.DataFrame()
    measures = wide_table(summary) if len(frame) else pd.DataFrame()
    agreement, scores = judge_tables(svc.store, n_boot=n_boot, scope=scope)
    computed = frozenset(name for name, df in (("measures", measures), ("agreement", agreement),
                                               ("judge_scores", scores)) if len(df))
    used = tuple(sorted({str(d) for d in frame["dataset"].dropna()})) if len(frame) else ()
    pooled = used if scope.datasets is None else ()
    if len(summary):
        # the CSV says which simulated runs its figures come from (a walk found pooled figures unmarked in it)
        summary = summary.assign(datasets="; ".join(used))
    return SimulatedView(
        _or_note(measures, i18n.t("compare.sim.no_consultations", lang)),
        _or_note(agreement, i18n.t("compare.sim.no_pairs", lang)),
        _or_note(scores, i18n.t("compare.sim.no_judge", lang)),
        computed,
        summary,
        pooled if len(pooled) > 1 else (),
        scope,
    )


def scope_note(view: SimulatedView, lang: str) -> str:
    """The note on the filters: those set that a table does not follow, and how dates select consultations
    (empty when no filter is set)."""
    if not view.scope.filters_set():
        return ""
    sep = i18n.t("compare.sim.names_separator", lang)

    def labels(filters: Sequence[str]) -> str:
        return sep.join(i18n.t(FILTER_LABELS[f], lang) for f in filters)

    lines = [i18n.t("compare.sim.scope", lang, filters=labels(view.scope.filters_set()))]
    for name, key in (("judge_scores", "compare.sim.scope_scores"), ("measures", "compare.sim.scope_measures")):
        missing = view.not_followed(name)
        if missing:
            lines.append(i18n.t(key, lang, filters=labels(missing)))
    if view.scope.has_dates:
        lines.append(i18n.t("compare.sim.scope_dates", lang))
    return " ".join(lines)


def build_simulated_section(svc: Services, filters: Sequence[Any], scope_of: Callable[..., Scope],
                            require_admin: Any, ui: Localizer, js: str | None = None) -> dict[str, Any]:
    """The accordion; ``filters`` are the tab's six filter inputs (annotators, datasets, from, to, columns, turn
    types), which ``scope_of`` turns into its Scope as for the tab's other tables; ``js`` prepares their values
    in the page, as the tab's Refresh does."""
    tables: dict[str, Any] = {}
    with ui.make(gr.Accordion, label=K("compare.sim.section"), open=True, elem_id="compare-section-simulated"):
        button = ui.make(gr.Button, value=K("compare.sim.button"), elem_id="compare-simulated")
        # the pooled-datasets notice, kept above the tables it is about (the pop-up alone faded before it was read)
        note = gr.Markdown("", elem_id="compare-simulated-note")
        links = gr.HTML("", elem_id="compare-downloads-simulated")
        for name, stem, title in TABLES:
            tables[name] = ui.make(gr.Dataframe, value=blank_table(), label=K(title), interactive=False, wrap=True, max_height=320,
                                   elem_id=f"compare-table-{stem}")

    def run(a: Any, ds: Any, f: Any, t: Any, c: Any, tt: Any, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = require_admin(svc, request)
            view = compute_simulated_view(svc, scope=scope_of(a, ds, f, t, c, tt), lang=lang)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None
        pooled = ""
        if view.pooled:
            # Runs with other cases or settings measure other things: one dataset compares like with like
            pooled = i18n.t("compare.sim.pooled", lang, n=len(view.pooled), names=i18n.t("compare.sim.names_separator", lang).join(view.pooled))
            gr.Info(pooled)
        files = {f"{stem}.csv": partial(csv_bytes, view.csv(name)) for name, stem, _t in TABLES if name in view.computed}
        token = svc.results.put(user.username, Permission.COMPARE, files)
        out: dict[Any, Any] = {tables[name]: table_update(display_view(getattr(view, name), lang, missing_is_na=True))
                               if name in view.computed
                               else getattr(view, name) for name, _s, _t in TABLES}
        # the filters a table does not follow are said beside the tables, so a narrowed figure is never read as
        # a pooled one (a walk found the judge's agreement over every rating, unmarked, under a one-dataset filter)
        said = scope_note(view, lang)
        out[note] = "\n\n".join(x for x in (f"⚠ {as_text(pooled)}" if pooled else "", as_text(said) if said else "") if x)
        out[links] = table_links(token, [(f"{stem}.csv", i18n.t(title, lang)) for name, stem, title in TABLES
                                         if name in view.computed], lang)
        return out

    button.click(run, list(filters), [*tables.values(), links, note], api_name="compare_simulated", js=js)
    return {"button": button, "measures": tables["measures"], "agreement": tables["agreement"],
            "judge_scores": tables["judge_scores"], "links": links, "note": note}
