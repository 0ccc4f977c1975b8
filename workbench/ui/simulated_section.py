"""The Compare tab's "Simulated patients and the machine judge" section.

Three tables, computed on their own button (the measures re-classify every consultation's replies):
the simulated-patient measures per column (``workbench.analysis.simulated``), the machine judge's
agreement with the humans per axis, and the judge's scores per column (``workbench.judge``). The
Compare tab is for researchers and admins only, so annotators never see the judge's scores. Each table\nwith rows can be downloaded as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission
from workbench.analysis.defaults import N_BOOT
from workbench.analysis.simulated import consultations_frame, summarize, wide_table
from workbench.errors import WorkbenchError
from workbench.judge import judge_agreement, judge_scores
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


def _or_note(df: pd.DataFrame, note: str) -> pd.DataFrame:
    return df.round(DIGITS) if len(df) else pd.DataFrame({"": [note]})


def compute_simulated_view(svc: Services, datasets: Any = None, columns: Any = None,
                           n_boot: int = N_BOOT, lang: str = "en") -> SimulatedView:
    """The section's tables; ``datasets``/``columns`` narrow the consultations (empty = all)."""
    frame = consultations_frame(svc.store, list(datasets) if datasets else None, list(columns) if columns else None)
    summary = summarize(frame, n_boot=n_boot) if len(frame) else pd.DataFrame()
    measures = wide_table(summary) if len(frame) else pd.DataFrame()
    agreement = judge_agreement(svc.store, n_boot=n_boot)
    scores = judge_scores(svc.store, n_boot=n_boot)
    computed = frozenset(name for name, df in (("measures", measures), ("agreement", agreement),
                                               ("judge_scores", scores)) if len(df))
    used = tuple(sorted({str(d) for d in frame["dataset"].dropna()})) if len(frame) else ()
    pooled = used if not datasets else ()
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
    )


def build_simulated_section(svc: Services, datasets: Any, columns: Any, require_admin: Any,
                            ui: Localizer) -> dict[str, Any]:
    """The accordion; ``datasets``/``columns`` are the tab's filter dropdowns."""
    tables: dict[str, Any] = {}
    with ui.make(gr.Accordion, label=K("compare.sim.section"), open=True, elem_id="compare-section-simulated"):
        button = ui.make(gr.Button, value=K("compare.sim.button"), elem_id="compare-simulated")
        # the pooled-datasets notice, kept above the tables it is about (the pop-up alone faded before it was read)
        note = gr.Markdown("", elem_id="compare-simulated-note")
        links = gr.HTML("", elem_id="compare-downloads-simulated")
        for name, stem, title in TABLES:
            tables[name] = ui.make(gr.Dataframe, value=blank_table(), label=K(title), interactive=False, wrap=True, max_height=320,
                                   elem_id=f"compare-table-{stem}")

    def run(ds: Any, cols: Any, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = require_admin(svc, request)
            view = compute_simulated_view(svc, ds, cols, lang=lang)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None
        pooled = ""
        if view.pooled:
            # Runs with other cases or settings measure other things: one dataset compares like with like
            pooled = i18n.t("compare.sim.pooled", lang, n=len(view.pooled), names=i18n.t("compare.sim.names_separator", lang).join(view.pooled))
            gr.Info(pooled)
        files = {f"{stem}.csv": partial(csv_bytes, view.measures_data if name == "measures" else getattr(view, name))
                 for name, stem, _t in TABLES if name in view.computed}
        token = svc.results.put(user.username, Permission.COMPARE, files)
        out: dict[Any, Any] = {tables[name]: table_update(display_view(getattr(view, name), lang)) if name in view.computed
                               else getattr(view, name) for name, _s, _t in TABLES}
        out[note] = f"⚠ {as_text(pooled)}" if pooled else ""
        out[links] = table_links(token, [(f"{stem}.csv", i18n.t(title, lang)) for name, stem, title in TABLES
                                         if name in view.computed], lang)
        return out

    button.click(run, [datasets, columns], [*tables.values(), links, note], api_name="compare_simulated")
    return {"button": button, "measures": tables["measures"], "agreement": tables["agreement"],
            "judge_scores": tables["judge_scores"], "links": links, "note": note}
