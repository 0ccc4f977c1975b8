"""The simulated-patient summary's intervals, on hand-made consultation frames (no model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.simulated import JUDGE_MEASURES, MEASURES, summarize, wide_table


def _frame(column: str, statuses: list[str], **measures: list[float]) -> pd.DataFrame:
    n = len(statuses)
    data: dict[str, object] = {"column": [column] * n, "status": statuses}
    for m in (*MEASURES, *JUDGE_MEASURES):
        data[m] = measures.get(m, [math.nan] * n)
    return pd.DataFrame(data)


def test_binary_measures_get_a_wilson_interval_not_a_point():
    # 6 of 6 advised: a bootstrap gave [1.00, 1.00]; Wilson gives [0.61, 1].
    frame = _frame("A", ["advised"] * 6, advised=[1.0] * 6, elicitation_recall=[0.2, 0.4, 0.4, 0.5, 0.1, 0.3])
    table = summarize(frame, n_boot=500).set_index("measure")
    for measure in ("advised", "finished"):
        row = table.loc[measure]
        assert row["mean"] == 1.0 and row["n"] == 6
        assert row["ci_low"] == pytest.approx(0.6097, abs=1e-4) and row["ci_high"] == pytest.approx(1.0)
    assert table.loc["elicitation_recall", "ci_low"] < table.loc["elicitation_recall", "ci_high"]


def test_one_consultation_or_no_spread_shows_no_interval():
    frame = pd.concat([
        _frame("one", ["advised"], advised=[1.0], elicitation_recall=[0.5]),
        _frame("flat", ["advised"] * 4, advised=[1.0] * 4, questions_before_advice=[9.0] * 4,
               elicitation_recall=[0.1, 0.2, 0.3, 0.4]),
    ], ignore_index=True)
    table = summarize(frame, n_boot=500).set_index(["column", "measure"])
    for key in (("one", "elicitation_recall"), ("flat", "questions_before_advice")):
        assert np.isnan(table.loc[key, "ci_low"]) and np.isnan(table.loc[key, "ci_high"])
    wide = wide_table(summarize(frame, n_boot=500)).set_index("column")
    assert wide.loc["one", "elicitation_recall"] == "0.50 (n=1)"
    assert wide.loc["flat", "questions_before_advice"] == "9.00 (n=4)"
    assert wide.loc["flat", "advised"] == "1.00 [0.51, 1.00] (n=4)"
