"""Plotly figures for the dashboard tables. Each builder takes the table its name says and returns a
``go.Figure``; an empty table gives a figure that says "no data" instead of raising.

Every text a figure shows (title, axis titles, legend entries, notes) comes from ``tr``, a function from a
catalogue key (``compare.plot.*``, see ``workbench/ui/locales/compare.yaml``) to the text in the reader's
language; the default gives English. Slots come numbered from 1 in the tables (``frames.FIRST_SLOT``), as shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.analysis.frames import REFERENCE_LABEL, SCORE_AXES
from workbench.analysis.metrics import metric_names

if TYPE_CHECKING:
    from workbench.analysis.dashboard import Dashboard

#: a key of the UI catalogue and its fields -> the text shown
Translate = Callable[..., str]

_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380}


def english(key: str, **fields: Any) -> str:
    """The catalogue's English text (imported lazily: the catalogue lives with the UI)."""
    from workbench.ui.i18n import t

    return t(key, "en", **fields)


def slot_label(slot: int, tr: Translate = english) -> str:
    """A table's display slot (counted from 1, see ``frames.FIRST_SLOT``) as a label: "slot 1" for the first shown."""
    return tr("compare.plot.slot", n=int(slot))


def _empty(title: str, tr: Translate) -> go.Figure:
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    fig.add_annotation(text=tr("compare.plot.no_data"), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
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


def _column_name(col: object, tr: Translate) -> str:
    return tr("compare.plot.reference") if col == REFERENCE_LABEL else str(col)


def scores_figure(scores: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Grouped bars: mean questioning and suggestion score per column, with 95% CI error bars."""
    title = tr("compare.plot.scores.title")
    if scores.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    # Every axis the table has (a further rubric axis shows under its own key when it has no UI text).
    axes = [*SCORE_AXES, *(c[2:] for c in scores.columns
                           if c.startswith("n_") and f"{c[2:]}_lo" in scores.columns and c[2:] not in SCORE_AXES)]
    for axis in axes:
        mid = scores[f"{axis}_mean"]
        name = tr(f"compare.axis.{axis}") if axis in SCORE_AXES else axis
        fig.add_bar(
            x=scores["column"].astype(str),
            y=mid,
            name=name,
            error_y=_errors(mid, scores[f"{axis}_lo"], scores[f"{axis}_hi"]),
            customdata=scores[f"n_{axis}"],
            hovertemplate="%{x}<br>" + name + " %{y:.3f}<br>n=%{customdata}<extra></extra>",
        )
    fig.update_xaxes(title=tr("compare.plot.column"))
    fig.update_yaxes(title=tr("compare.plot.scores.y"), range=[1, 5])
    return fig


def coq_figure(coq: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Lines: share of question replies by doctor-turn index, one per column plus the references.

    The x-axis has a tick at every turn index present (and only those: doctor turns are often every
    other index), so no index is skipped however many there are.
    """
    title = tr("compare.plot.coq.title")
    if coq.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    for col, g in coq.groupby("column", sort=True):
        name = _column_name(col, tr)
        fig.add_scatter(
            x=g["turn_index"],
            y=g["share"],
            mode="lines+markers",
            name=name,
            line={"dash": "dash"} if col == REFERENCE_LABEL else None,
            error_y=_errors(g["share"], g["lo"], g["hi"]),
            customdata=g["n"],
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.1%}} (n=%{{customdata}})<extra></extra>",
        )
    ticks = sorted({int(v) for v in coq["turn_index"].dropna()})
    fig.update_xaxes(title=tr("compare.plot.coq.x"), tickmode="array", tickvals=ticks,
                     ticktext=[str(v) for v in ticks])
    fig.update_yaxes(title=tr("compare.plot.coq.y"), range=[0, 1], tickformat=".0%")
    return fig


def questions_first_figure(dist: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Grouped bars: distribution of questions asked before the first suggestion, per column."""
    title = tr("compare.plot.questions_first.title")
    if dist.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for col, g in dist.groupby("column", sort=True):
        fig.add_bar(x=g["n_questions"], y=g["share"], name=_column_name(col, tr))
    ticks = sorted({int(v) for v in dist["n_questions"].dropna()})
    fig.update_xaxes(title=tr("compare.plot.questions_first.x"), tickmode="array", tickvals=ticks,
                     ticktext=[str(v) for v in ticks])
    fig.update_yaxes(title=tr("compare.plot.questions_first.y"), tickformat=".0%")
    return fig


def win_matrix_figure(win_rates: pd.DataFrame, counts: pd.DataFrame | None = None,
                      tr: Translate = english) -> go.Figure:
    """Heatmap: win rate of the row column against the column column (ties count half)."""
    title = tr("compare.plot.win_matrix.title")
    if win_rates.empty:
        return _empty(title, tr)
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
            colorbar={"title": {"text": tr("compare.plot.win_matrix.scale")}},
        ),
        layout={**_LAYOUT, "title": title},
    )
    fig.update_xaxes(title=tr("compare.plot.win_matrix.x"))
    fig.update_yaxes(title=tr("compare.plot.win_matrix.y"), autorange="reversed")
    return fig


def bradley_terry_figure(bt: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Forest plot: Bradley-Terry rating (Elo scale) per column with its bootstrap CI."""
    title = tr("compare.plot.bradley_terry.title")
    if bt.empty:
        return _empty(title, tr)
    order = bt.sort_values("elo")
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    fig.add_scatter(
        x=order["elo"],
        y=order["column"].astype(str),
        mode="markers",
        marker={"size": 10},
        error_x=_errors(order["elo"], order["elo_lo"], order["elo_hi"]),
        customdata=order["n_comparisons"],
        hovertemplate="%{y}: %{x:.0f}<br>n=%{customdata:.0f}<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=1000, line_dash="dot", line_color="grey")
    fig.update_xaxes(title=tr("compare.plot.bradley_terry.x"))
    fig.update_yaxes(title=tr("compare.plot.column"))
    return fig


def position_bias_figure(pb: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Bars: how often the chosen reply sat in each display slot, with CI and the 1/k chance line."""
    title = tr("compare.plot.position_bias.title")
    if pb.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    for k, g in pb.groupby("n_shown", sort=True):
        fig.add_bar(
            x=[slot_label(s, tr) for s in g["slot"]],
            y=g["win_rate"],
            name=tr("compare.plot.position_bias.legend", shown=int(k)),
            error_y=_errors(g["win_rate"], g["lo"], g["hi"]),
            customdata=np.stack([g["n"], g["p_value"]], axis=1),
            hovertemplate="%{x}: %{y:.1%}<br>n=%{customdata[0]}, p=%{customdata[1]:.3g}<extra></extra>",
        )
        fig.add_hline(y=1.0 / k, line_dash="dot", line_color="grey")
    fig.update_xaxes(title=tr("compare.plot.position_bias.x"))
    fig.update_yaxes(title=tr("compare.plot.position_bias.y"), tickformat=".0%")
    return fig


def agreement_figure(agreement: pd.DataFrame, tr: Translate = english) -> go.Figure:
    """Bars: Krippendorff's alpha per axis (0.667 and 0.8 are the usual tentative/reliable lines).

    An axis whose alpha cannot be computed gets no bar (never a bar at 0) but "n/a" and the reason.
    """
    title = tr("compare.plot.agreement.title")
    if agreement.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title})
    names = [tr(f"compare.axis.{a}") for a in agreement["axis"]]
    alpha = pd.to_numeric(agreement["alpha"], errors="coerce")
    fig.add_bar(
        x=names,
        y=alpha,
        # each value written at its bar: an alpha of 0 draws no bar and read as a missing value
        text=["" if pd.isna(v) else f"{v:.2f}" for v in alpha],
        textposition="outside",
        cliponaxis=False,
        customdata=np.stack([agreement["level"], agreement["n_units"]], axis=1),
        hovertemplate="%{x} (%{customdata[0]}): %{y:.3f}<br>n=%{customdata[1]}<extra></extra>",
        showlegend=False,
    )
    reasons = agreement["undefined_reason"] if "undefined_reason" in agreement else [None] * len(agreement)
    for name, value, reason in zip(names, alpha, reasons, strict=True):
        if pd.isna(value):
            # "n/a" over its reason, one per line: several axes' reasons side by side stay readable
            text = not_available(reason, tr).replace(" (", "<br>(").replace("（", "<br>（")
            fig.add_annotation(x=name, y=0.5, text=text, showarrow=False)
    for line, key in ((0.667, "compare.plot.agreement.tentative"), (0.8, "compare.plot.agreement.reliable")):
        fig.add_hline(y=line, line_dash="dot", line_color="grey")
        # what the dotted line means, at its right end (a walk found two unexplained lines)
        # on a white ground: over a bar, grey on blue could not be read
        fig.add_annotation(x=1, xref="paper", y=line, yref="y", text=tr(key), showarrow=False, xanchor="right",
                           yanchor="bottom", font={"size": 10, "color": "#444"}, bgcolor="rgba(255,255,255,0.85)")
    low = float(alpha.min()) if alpha.notna().any() else 0.0
    fig.update_xaxes(title=tr("compare.plot.agreement.x"))
    # below a negative bar, room for its value: at the axis's own end it was printed over the axis labels
    fig.update_yaxes(title=tr("compare.plot.agreement.y"), range=[low - 0.15 if low < 0 else 0.0, 1])
    return fig


def not_available(reason: object, tr: Translate = english) -> str:
    """What a statistic that cannot be computed reads: "n/a (one rater)"."""
    if isinstance(reason, str) and reason:
        return tr("compare.na_because", reason=tr(f"compare.na.{reason}"))
    return tr("compare.na")



def metric_label(name: str, tr: Translate = english) -> str:
    """A metric's display name; a newly registered metric without a catalogue entry shows its own name."""
    label = tr(f"compare.col.{name}")
    return name if label == f"compare.col.{name}" else label


def metrics_figure(metrics: pd.DataFrame | None, tr: Translate = english) -> go.Figure:
    """Grouped bars of every registered metric (BLEU-1..4, ROUGE-1/2/L, distinct-1/2...) per column."""
    title = tr("compare.plot.metrics.title")
    if metrics is None or metrics.empty:
        return _empty(title, tr)
    fig = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group"})
    # every registered metric (analysis/metrics.py's registries), in the order the table shows them
    names = [n for n in metric_names() if n in metrics.columns]
    labels = [metric_label(n, tr) for n in names]
    for _, row in metrics.iterrows():
        fig.add_bar(x=labels, y=[row[n] for n in names], name=_column_name(row["column"], tr))
    fig.update_yaxes(title=tr("compare.plot.metrics.y"))
    return fig


def dashboard_figures(dashboard: Dashboard, tr: Translate = english) -> dict[str, go.Figure]:
    """Every figure of the dashboard, keyed by a stable name (the UI maps these to gr.Plot components)."""
    return {
        "scores": scores_figure(dashboard.scores, tr),
        "coq": coq_figure(dashboard.coq, tr),
        "questions_first": questions_first_figure(dashboard.questions_first_dist, tr),
        "win_matrix": win_matrix_figure(dashboard.win_rates, dashboard.win_counts, tr),
        "bradley_terry": bradley_terry_figure(dashboard.bradley_terry, tr),
        "position_bias": position_bias_figure(dashboard.position_bias, tr),
        "agreement": agreement_figure(dashboard.agreement, tr),
        "metrics": metrics_figure(dashboard.metrics, tr),
    }
