"""compute_dashboard, its plots and reports, and the scale benchmark's command line."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from workbench.analysis.agreement import agreement_table
from workbench.analysis.dashboard import Dashboard, compute_dashboard
from workbench.analysis.filters import apply_filters
from workbench.analysis.frames import Frames
from workbench.analysis.plots import dashboard_figures
from workbench.analysis.preference import bradley_terry, pairwise_matrix, position_bias
from workbench.analysis.report import dashboard_markdown, markdown_table, write_report
from workbench.analysis.scores import column_scores
from workbench.errors import InputError
from workbench.scope import Scope

ROOT = Path(__file__).resolve().parents[1]


def _bench_module():
    spec = importlib.util.spec_from_file_location("stats_scale", ROOT / "bench" / "stats_scale.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def frames() -> Frames:
    return _bench_module().synthetic_frames(n_ratings=900, n_preferences=300, n_dialogues=30, seed=3)


@pytest.fixture(scope="module")
def dash(frames) -> Dashboard:
    return compute_dashboard(frames, n_boot=300, bt_boot=50)


def test_dashboard_tables_equal_the_direct_calls(frames, dash):
    assert dash.counts == {"generations": 450, "ratings": 900, "preferences": 300, "references": 150}
    pd.testing.assert_frame_equal(dash.scores, column_scores(frames.generations, frames.ratings, n_boot=300))
    pd.testing.assert_frame_equal(dash.bradley_terry, bradley_terry(frames.preferences, n_boot=50))
    pd.testing.assert_frame_equal(dash.position_bias, position_bias(frames.preferences))
    pd.testing.assert_frame_equal(dash.win_rates, pairwise_matrix(frames.preferences))
    pd.testing.assert_frame_equal(dash.agreement, agreement_table(frames.ratings))
    assert set(dash.coq["column"]) == {"BianQue-1.0", "BianQue-2.0", "BianQue-hybrid", "reference"}
    assert set(dash.questions_first["column"]) == set(dash.coq["column"])
    assert dash.metrics is not None and len(dash.metrics) == 4  # three columns + reference distinct-n
    assert (dash.metrics.set_index("column").loc["BianQue-1.0", "n_pairs"]) > 0


def test_dashboard_applies_filters(frames):
    f = Scope(columns=("BianQue-1.0", "BianQue-2.0"), annotators=("ann00", "ann01", "ann02", "ann03"))
    d = compute_dashboard(frames, f, metrics=False, n_boot=200, bt_boot=20)
    filtered = apply_filters(frames, columns=f.columns, annotators=f.annotators)
    assert d.counts["ratings"] == len(filtered.ratings) < len(frames.ratings)
    assert set(d.scores["column"]) == {"BianQue-1.0", "BianQue-2.0"}
    assert set(d.bradley_terry["column"]) == {"BianQue-1.0", "BianQue-2.0"}
    assert d.metrics is None and d.scope == f


def test_empty_store_gives_empty_tables_not_errors(tmp_path):
    d = compute_dashboard(Frames(), n_boot=10, bt_boot=5)
    assert d.scores.empty and d.coq.empty and d.bradley_terry.empty and d.position_bias.empty
    assert d.agreement["alpha"].isna().all()
    figs = dashboard_figures(d)
    assert all(isinstance(f, go.Figure) for f in figs.values())
    assert "no data" in figs["scores"].layout.annotations[0].text
    paths = write_report(d, tmp_path / "empty")
    assert "_no data_" in (tmp_path / "empty" / "report.md").read_text(encoding="utf-8")
    assert all(p.exists() for p in paths)


def test_missing_column_fails_loudly(frames):
    broken = Frames(
        frames.generations.drop(columns=["turn_index"]), frames.ratings, frames.preferences, frames.references
    )
    with pytest.raises(InputError, match="turn_index"):
        compute_dashboard(broken)


def test_figures_carry_the_tables(dash):
    figs = dashboard_figures(dash)
    assert set(figs) == {
        "scores",
        "coq",
        "questions_first",
        "win_matrix",
        "bradley_terry",
        "position_bias",
        "agreement",
        "metrics",
    }
    bars = figs["scores"].data
    assert [t.name for t in bars] == ["questioning", "suggestion"]
    np.testing.assert_allclose(bars[0].y, dash.scores["questioning_mean"])
    # Error bars reach exactly from the mean to the CI bounds.
    np.testing.assert_allclose(np.asarray(bars[0].y) + bars[0].error_y.array, dash.scores["questioning_hi"])
    np.testing.assert_allclose(
        np.asarray(bars[0].y) - bars[0].error_y.arrayminus, dash.scores["questioning_lo"]
    )
    assert "reference" in [t.name for t in figs["coq"].data]
    np.testing.assert_allclose(figs["win_matrix"].data[0].z, dash.win_rates.to_numpy(), equal_nan=True)
    forest = figs["bradley_terry"].data[0]
    assert sorted(forest.x) == pytest.approx(sorted(dash.bradley_terry["elo"]))
    assert len(figs["position_bias"].data) == dash.position_bias["n_shown"].nunique()
    figs["scores"].to_json()  # serialisable, as gr.Plot needs


def test_markdown_table_by_hand():
    df = pd.DataFrame({"column": ["A|B", "C"], "mean": [3.14159, np.nan], "n": [2, 10]})
    assert markdown_table(df) == (
        "| column | mean | n |\n|---|---:|---:|\n| A\\|B | 3.142 | 2 |\n| C |  | 10 |"
    )
    assert markdown_table(pd.DataFrame({"p": [1e-30]})).endswith("| 1e-30 |")


def test_write_report_round_trips_csv(dash, tmp_path):
    paths = write_report(dash, tmp_path / "out")
    names = {p.name for p in paths}
    assert {
        "report.md",
        "scores.csv",
        "coq_curve.csv",
        "bradley_terry.csv",
        "win_rates.csv",
        "agreement.csv",
        "position_bias.csv",
        "metrics.csv",
    } <= names
    back = pd.read_csv(tmp_path / "out" / "scores.csv")
    pd.testing.assert_frame_equal(back, dash.scores, check_dtype=False)
    wins = pd.read_csv(tmp_path / "out" / "win_rates.csv", index_col=0)
    np.testing.assert_allclose(wins.to_numpy(), dash.win_rates.to_numpy(), equal_nan=True)
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Bradley-Terry ratings" in md and "BianQue-2.0" in md
    assert md == dashboard_markdown(dash)
    only = write_report(dash, tmp_path / "some", sections=["scores"])
    assert [p.name for p in only] == ["report.md", "scores.csv"]
    with pytest.raises(InputError):
        write_report(dash, tmp_path / "x", sections=["nope"])


def test_bench_runs_and_ends_with_json():
    proc = subprocess.run(
        [
            sys.executable,
            "bench/stats_scale.py",
            "--ratings",
            "3000",
            "--preferences",
            "600",
            "--dialogues",
            "40",
            "--repeat",
            "1",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ratings"] == 3000 and result["seconds"] > 0
    assert result["ratio_vs_baseline"] > 0


def test_a_share_at_zero_or_one_downloads_as_an_image():
    """A column that always asks (share 1.0) has an interval whose top a rounding error leaves below the share:
    a negative error bar, which matplotlib refused (the CoQ curve's PNG and SVG downloads failed with a 500)."""
    from workbench.analysis.figure_files import figure_bytes
    from workbench.analysis.plots import coq_figure

    coq = pd.DataFrame({"column": ["A", "A", "B"], "turn_index": [1, 3, 1], "n": [48, 40, 48],
                        "share": [1.0, 0.5, 0.0], "lo": [0.9259, 0.35, 6.9e-18], "hi": [0.9999999999999999, 0.65, 0.074]})
    fig = coq_figure(coq)
    assert figure_bytes(fig, "png").startswith(b"\x89PNG")
    assert b"<svg" in figure_bytes(fig, "svg")[:400]


def test_the_agreement_chart_writes_each_alpha_at_its_bar_zero_included():
    """An alpha of 0 draws no bar: without its value written it could not be told from a missing one (which
    reads "n/a" and the reason)."""
    from workbench.analysis.plots import agreement_figure

    table = pd.DataFrame({"axis": ["turn_type", "questioning", "suggestion"], "alpha": [0.0, 0.71, np.nan],
                          "level": ["nominal", "ordinal", "ordinal"], "n_units": [12, 12, 3],
                          "undefined_reason": [None, None, "one_rater"]})
    fig = agreement_figure(table)
    assert list(fig.data[0].text) == ["0.00", "0.71", ""]
    assert any("n/a" in (a.text or "") for a in fig.layout.annotations)


def test_a_negative_alphas_value_has_room_below_its_bar():
    """A negative alpha's value, written outside the bar's end, sat on the axis's own end over the tick labels
    ("que-0.56ning"): the axis reaches further down than the bar."""
    from workbench.analysis.plots import agreement_figure

    table = pd.DataFrame({"axis": ["questioning"], "alpha": [-0.56], "level": ["interval"], "n_units": [14],
                          "undefined_reason": [None]})
    low, high = agreement_figure(table).layout.yaxis.range
    assert low < -0.56 - 0.1 and high == 1
