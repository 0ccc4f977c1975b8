"""The Compare tab's "Simulated patients and the machine judge" section.

Three tables, computed on their own button (the measures re-classify every consultation's replies):
the simulated-patient measures per column (``workbench.analysis.simulated``), the machine judge's
agreement with the humans per axis, and the judge's scores per column (``workbench.judge``). The
Compare tab is for admins only, so annotators never see the judge's scores.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from workbench.analysis.simulated import consultations_frame, summarize, wide_table
from workbench.errors import WorkbenchError
from workbench.judge import judge_agreement, judge_scores
from workbench.services import Services

DIGITS = 3


@dataclass(frozen=True)
class SimulatedView:
    measures: pd.DataFrame
    agreement: pd.DataFrame
    judge_scores: pd.DataFrame


def _or_note(df: pd.DataFrame, note: str) -> pd.DataFrame:
    return df.round(DIGITS) if len(df) else pd.DataFrame({"": [note]})


def compute_simulated_view(svc: Services, datasets: Any = None, columns: Any = None,
                           n_boot: int = 1000) -> SimulatedView:
    """The section's tables; ``datasets``/``columns`` narrow the consultations (empty = all)."""
    frame = consultations_frame(svc.store, list(datasets) if datasets else None, list(columns) if columns else None)
    measures = wide_table(summarize(frame, n_boot=n_boot)) if len(frame) else pd.DataFrame()
    return SimulatedView(
        _or_note(measures, "no simulated consultations: run python -m workbench simulate"),
        _or_note(judge_agreement(svc.store, n_boot=n_boot), "no reply has both a judge score and a human rating"),
        _or_note(judge_scores(svc.store, n_boot=n_boot), "no judge scores: run python -m workbench judge"),
    )


def build_simulated_section(svc: Services, datasets: Any, columns: Any, require_admin: Any) -> dict[str, Any]:
    """The accordion; ``datasets``/``columns`` are the tab's filter dropdowns."""
    with gr.Accordion("Simulated patients and the machine judge", open=True):
        button = gr.Button("Compute simulated-patient measures", elem_id="compare-simulated")
        measures = gr.Dataframe(label="Simulated-patient measures per column: mean [95% CI] (n)",
                                interactive=False, wrap=True, max_height=320)
        agreement = gr.Dataframe(label="Machine judge vs humans: Krippendorff's α and Spearman ρ with 95% CIs",
                                 interactive=False, wrap=True, max_height=320)
        scores = gr.Dataframe(label="Machine judge scores per column", interactive=False, wrap=True,
                              max_height=320)

    def run(ds: Any, cols: Any, request: gr.Request) -> dict:
        try:
            require_admin(svc, request)
            view = compute_simulated_view(svc, ds, cols)
        except WorkbenchError as e:
            raise gr.Error(html.escape(str(e), quote=False)) from None
        return {measures: view.measures, agreement: view.agreement, scores: view.judge_scores}

    button.click(run, [datasets, columns], [measures, agreement, scores], api_name="compare_simulated")
    return {"button": button, "measures": measures, "agreement": agreement, "judge_scores": scores}
