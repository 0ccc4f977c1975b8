"""Plotly figures for the dashboard tables. Each builder takes the table its name says and returns a
``go.Figure``; an empty table gives a figure that says "no data" instead of raising."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.analysis.frames import REFERENCE_LABEL, SCORE_AXES
from workbench.analysis.metrics import METRIC_COLUMNS

if TYPE_CHECKING:
    from workbench.analysis.dashboard import Dashboard

_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380}


def _empty(title: str) -> go.Figure:
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    fig.add_annotation(text="no data", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _errors(mid: pd.Series, lo: pd.Series, hi: pd.Series) -> dict[str, object]:
    return {
        "type": "data",
        "symmetric": False,
        "array": (hi - mid).to_numpy(dtype=float),
        "arrayminus": (mid - lo).to_numpy(dtype=float),
    }


def scores_figure(scores: pd.DataFrame) -> go.Figure:
    """Grouped bars: mean questioning and suggestion score per column, with 95% CI error bars."""
    title = "Mean scores (95% bootstrap CI)"
    if scores.empty:
        return _empty(title)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for axis in SCORE_AXES:
        mid = scores[f"{axis}_mean"]
        fig.add_bar(
            x=scores["column"],
            y=mid,
            name=axis,
            error_y=_errors(mid, scores[f"{axis}_lo"], scores[f"{axis}_hi"]),
            customdata=scores[f"n_{axis}"],
            hovertemplate="%{x}<br>" + axis + " %{y:.3f}<br>n=%{customdata}<extra></extra>",
        )
    fig.update_yaxes(title="score (1-5)", range=[1, 5])
    return fig


def coq_figure(coq: pd.DataFrame) -> go.Figure:
    """Lines: share of question replies by doctor-turn index, one per column plus the references."""
    title = "Chain of Questioning: share of question replies by turn"
    if coq.empty:
        return _empty(title)
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    for col, g in coq.groupby("column", sort=True):
        fig.add_scatter(
            x=g["turn_index"],
            y=g["share"],
            mode="lines+markers",
            name=str(col),
            line={"dash": "dash"} if col == REFERENCE_LABEL else None,
            error_y=_errors(g["share"], g["lo"], g["hi"]),
            customdata=g["n"],
            hovertemplate=f"{col}<br>turn %{{x}}: %{{y:.1%}} (n=%{{customdata}})<extra></extra>",
        )
    fig.update_xaxes(title="doctor turn index", dtick=1)
    fig.update_yaxes(title="share asking a question", range=[0, 1], tickformat=".0%")
    return fig


def questions_first_figure(dist: pd.DataFrame) -> go.Figure:
    """Grouped bars: distribution of questions asked before the first suggestion, per column."""
    title = "Questions before the first suggestion"
    if dist.empty:
        return _empty(title)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for col, g in dist.groupby("column", sort=True):
        fig.add_bar(x=g["n_questions"], y=g["share"], name=str(col))
    fig.update_xaxes(title="questions before first non-question turn", dtick=1)
    fig.update_yaxes(title="share of dialogues", tickformat=".0%")
    return fig


def win_matrix_figure(win_rates: pd.DataFrame, counts: pd.DataFrame | None = None) -> go.Figure:
    """Heatmap: win rate of the row column against the column column (ties count half)."""
    title = "Pairwise win rate (row beats column)"
    if win_rates.empty:
        return _empty(title)
    z = win_rates.to_numpy(dtype=float)
    text = np.where(np.isnan(z), "", np.char.mod("%.2f", np.nan_to_num(z)))
    if counts is not None and counts.shape == win_rates.shape:
        n = counts.to_numpy(dtype=float)
        text = np.where(np.isnan(z), "", np.char.add(text, np.char.mod("<br>n=%d", n)))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(c) for c in win_rates.columns],
            y=[str(c) for c in win_rates.index],
            zmin=0,
            zmax=1,
            colorscale="RdBu",
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>",
        ),
        layout={**_LAYOUT, "title": title},
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def bradley_terry_figure(bt: pd.DataFrame) -> go.Figure:
    """Forest plot: Bradley-Terry rating (Elo scale) per column with its bootstrap CI."""
    title = "Bradley-Terry ratings (Elo scale, 95% bootstrap CI)"
    if bt.empty:
        return _empty(title)
    order = bt.sort_values("elo")
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    fig.add_scatter(
        x=order["elo"],
        y=order["column"].astype(str),
        mode="markers",
        marker={"size": 10},
        error_x=_errors(order["elo"], order["elo_lo"], order["elo_hi"]),
        customdata=order["n_comparisons"],
        hovertemplate="%{y}: %{x:.0f}<br>comparisons=%{customdata:.0f}<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=1000, line_dash="dot", line_color="grey")
    fig.update_xaxes(title="rating (1000 = average column)")
    return fig


def position_bias_figure(pb: pd.DataFrame) -> go.Figure:
    """Bars: how often the chosen reply sat in each display slot, with CI and the 1/k chance line."""
    title = "Position bias: top choice by display slot"
    if pb.empty:
        return _empty(title)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for k, g in pb.groupby("n_shown", sort=True):
        fig.add_bar(
            x=[f"slot {s + 1}" for s in g["slot"]],
            y=g["win_rate"],
            name=f"{k} shown",
            error_y=_errors(g["win_rate"], g["lo"], g["hi"]),
            customdata=np.stack([g["n"], g["p_value"]], axis=1),
            hovertemplate="%{x}: %{y:.1%}<br>n=%{customdata[0]}, p=%{customdata[1]:.3g}<extra></extra>",
        )
        fig.add_hline(y=1.0 / k, line_dash="dot", line_color="grey")
    fig.update_yaxes(title="share chosen", tickformat=".0%")
    return fig


def agreement_figure(agreement: pd.DataFrame) -> go.Figure:
    """Bars: Krippendorff's alpha per axis (0.667 and 0.8 are the usual tentative/reliable lines)."""
    title = "Inter-annotator agreement (Krippendorff's alpha)"
    if agreement.empty or agreement["alpha"].isna().all():
        return _empty(title)
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    fig.add_bar(
        x=agreement["axis"],
        y=agreement["alpha"],
        customdata=np.stack([agreement["level"], agreement["n_units"]], axis=1),
        hovertemplate="%{x} (%{customdata[0]}): %{y:.3f}<br>units=%{customdata[1]}<extra></extra>",
    )
    for line in (0.667, 0.8):
        fig.add_hline(y=line, line_dash="dot", line_color="grey")
    fig.update_yaxes(title="alpha", range=[min(0.0, float(agreement["alpha"].min())), 1])
    return fig


def metrics_figure(metrics: pd.DataFrame | None) -> go.Figure:
    """Grouped bars of every registered metric (BLEU-1..4, ROUGE-1/2/L, distinct-1/2...) per column."""
    title = "Reference metrics"
    if metrics is None or metrics.empty:
        return _empty(title)
    names = [c for c in METRIC_COLUMNS if c not in ("column", "n_pairs", "n_replies")]  # every registered metric
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for _, row in metrics.iterrows():
        fig.add_bar(x=names, y=[row[n] for n in names], name=str(row["column"]))
    return fig


def dashboard_figures(dashboard: Dashboard) -> dict[str, go.Figure]:
    """Every figure of the dashboard, keyed by a stable name (the UI maps these to gr.Plot components)."""
    return {
        "scores": scores_figure(dashboard.scores),
        "coq": coq_figure(dashboard.coq),
        "questions_first": questions_first_figure(dashboard.questions_first_dist),
        "win_matrix": win_matrix_figure(dashboard.win_rates, dashboard.win_counts),
        "bradley_terry": bradley_terry_figure(dashboard.bradley_terry),
        "position_bias": position_bias_figure(dashboard.position_bias),
        "agreement": agreement_figure(dashboard.agreement),
        "metrics": metrics_figure(dashboard.metrics),
    }
