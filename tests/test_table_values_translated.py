"""Vocabulary shown as table values (rubric axes, measurement levels, aggregation methods) reads in the page's
language, as the headers do; the CSV view keeps the data's own values."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.analysis.agreement import agreement_table
from workbench.ui import i18n
from workbench.ui.tables import data_view, display_view


def _ratings() -> pd.DataFrame:
    rows = []
    for gid in range(4):
        for who, shift in (("a", 0), ("b", 1)):
            rows.append({"generation_id": gid, "annotator": who, "turn_type": "question" if gid % 2 else "suggestion",
                         "questioning": 1 + (gid + shift) % 5, "suggestion": 2 + gid % 3})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_agreement_table_shows_axes_and_levels_in_the_language(lang):
    table = agreement_table(_ratings(), ("questioning", "suggestion", "turn_type"))
    shown = display_view(data_view(table), lang)
    t = i18n.catalogue().t
    axis_col, level_col = t("compare.col.axis", lang), t("compare.col.level", lang)
    assert list(shown[axis_col]) == [t(f"compare.axis.{a}", lang) for a in table["axis"]]
    assert list(shown[level_col]) == [t(f"compare.level.{v}", lang) for v in table["level"]]
    if lang == "zh":
        assert "问诊质量" in set(shown[axis_col]) and "定距" in set(shown[level_col])
    assert list(data_view(table)["axis"]) == list(table["axis"])  # the CSV keeps the data's values


def test_an_unknown_value_keeps_its_name():
    df = pd.DataFrame({"column": ["A", "B"], "aggregate": ["dawid-skene", "my-method"]})
    shown = display_view(df, "zh")
    assert list(shown.iloc[:, 1]) == ["Dawid–Skene（按可靠性加权）", "my-method"]
