"""Paths whose typing was corrected when mypy started checking all of workbench/ (issue 14 item 7):
the behaviour they had must hold, including where a value can really be None."""

from __future__ import annotations

import httpx
import plotly.graph_objects as go
import pytest

from tests.chat_browser_support import remote_config
from tests.ui_server import running_app
from workbench import chat
from workbench.analysis.figure_files import figure_bytes
from workbench.dialogue import Turn
from workbench.services import build_services
from workbench.ui.export_tab import build_filters


@pytest.fixture
def svc(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    s = build_services(remote_config(tmp_path, "http://127.0.0.1:9/v1"), auth_enabled=False)
    yield s
    s.close()


def test_an_empty_score_threshold_keeps_the_default_and_a_number_replaces_it() -> None:
    default = build_filters().score_threshold
    assert default is not None
    assert build_filters(score_threshold="").score_threshold == default
    assert build_filters(score_threshold=None).score_threshold == default
    assert build_filters(score_threshold="3.5").score_threshold == 3.5
    assert build_filters(score_threshold=2).score_threshold == 2.0


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_reference_lines_are_drawn_into_the_image_files(fmt: str, magic: bytes) -> None:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1.0, 2.0]))
    fig.add_hline(y=1.5, line_dash="dot")
    fig.add_vline(x=0.5, line_dash="dot")
    with_lines = figure_bytes(fig, fmt)
    without = figure_bytes(go.Figure(go.Bar(x=["a", "b"], y=[1.0, 2.0])), fmt)
    assert with_lines.startswith(magic)
    assert with_lines != without  # the lines changed the drawing


def test_gold_turns_with_no_generation_show_without_a_status(svc) -> None:
    did = chat.new_dialogue(svc, user_id=None, turns=(Turn("patient", "我咳嗽三天了"), Turn("doctor", "发烧吗？"),
                                                      Turn("patient", "不发烧")))
    shown = chat.shown_threads(svc, did)
    assert set(shown) == set(svc.columns)
    for turns in shown.values():
        assert [(t.role, t.text, t.status) for t in turns] == [
            ("patient", "我咳嗽三天了", None), ("doctor", "发烧吗？", None), ("patient", "不发烧", None)]


@pytest.mark.parametrize("path", ["workbench-download/nosuchkey/plot.png", "workbench-download/", "workbench-download/x"])
def test_a_result_download_that_does_not_exist_is_a_clear_404(svc, path: str) -> None:
    with running_app(svc) as url:
        r = httpx.get(f"{url}{path}", headers=url.headers, timeout=60)
    assert r.status_code == 404
    assert "Not found" in r.json()["detail"]


def test_category_labels_on_a_y_axis_end_before_the_axis():
    """The Bradley–Terry file's column names were centred on their ticks and ran over the axis line."""
    import pandas as pd

    from workbench.analysis.figure_files import matplotlib_figure
    from workbench.analysis.plots import bradley_terry_figure

    bt = pd.DataFrame({"column": ["BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2"], "elo": [930.0, 1030.0, 1040.0],
                       "elo_lo": [250.0, 960.0, 940.0], "elo_hi": [1080.0, 1360.0, 1365.0],
                       "n_comparisons": [20, 20, 20]})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    mfig = matplotlib_figure(bradley_terry_figure(bt))
    renderer = FigureCanvasAgg(mfig).get_renderer()
    mfig.draw(renderer)
    (ax,) = mfig.axes
    left = ax.get_window_extent(renderer).x0
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    assert [t.get_text() for t in labels] == ["BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2"]
    assert all(t.get_window_extent(renderer).x1 <= left for t in labels)
