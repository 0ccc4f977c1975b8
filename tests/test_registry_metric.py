"""A metric is one function plus one registry line: metrics registered here fill their own columns of
the reference-metrics table, the Compare chart and its table, with nothing else changed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from workbench.analysis import metrics
from workbench.analysis.plots import metrics_figure
from workbench.ui.tables import display_view


def mean_tokens(token_lists: Sequence[list[str]]) -> float:
    """Mean number of tokens per text (NaN for none)."""
    return sum(map(len, token_lists)) / len(token_lists) if token_lists else float("nan")


def exact_match(hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> tuple[float]:
    """Share of replies identical to their reference, token for token."""
    return (sum(h == r for h, r in zip(hyps, refs, strict=True)) / len(hyps) if hyps else float("nan"),)


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(metrics.TEXTS_METRICS, "mean_tokens", mean_tokens)
    monkeypatch.setitem(metrics.PAIR_METRICS, ("exact_match",), exact_match)


def _generations() -> pd.DataFrame:
    ref = "建议您多喝水，注意休息。"
    return pd.DataFrame({
        "column": ["A", "A", "B", "B"],
        "output": [ref, "请问发烧几天了？", "多喝水。", "多喝水，注意休息。"],
        "status": ["ok", "ok", "ok", "ok"],
        "reference": [ref, ref, ref, None],
    })


def test_registered_metrics_fill_their_columns(registered):
    gens = _generations()
    table = metrics.reference_metrics(gens, pd.DataFrame({"text": ["请问孩子多大了？"]})).set_index("column")
    assert {"mean_tokens", "exact_match"} <= set(table.columns)
    tokens = {c: [metrics.tokenize(t) for t in gens.loc[gens["column"] == c, "output"]] for c in "AB"}
    assert table.loc["A", "mean_tokens"] == pytest.approx(mean_tokens(tokens["A"]))
    assert table.loc["B", "mean_tokens"] == pytest.approx(mean_tokens(tokens["B"]))
    assert table.loc["reference", "mean_tokens"] == len(metrics.tokenize("请问孩子多大了？"))
    # A: one of its two referenced replies is the reference itself; B's one referenced reply is not.
    assert (table.loc["A", "exact_match"], table.loc["B", "exact_match"]) == (0.5, 0.0)
    # the Compare chart draws a bar for each, named after the metric (no catalogue entry needed)
    fig = metrics_figure(table.reset_index())
    assert {"mean_tokens", "exact_match"} <= set(fig.data[0].x)
    # and its table shows the columns, headed by their names
    shown = display_view(table.reset_index(), "zh")
    assert {"mean_tokens", "exact_match"} <= set(shown.columns)


def test_without_registration_there_is_no_such_column():
    assert "mean_tokens" not in metrics.reference_metrics(_generations()).columns
