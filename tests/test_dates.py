"""One date parser (workbench/dates.py) for the dashboard and the exports: the same bounds select the same
instants in both."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbench.dates import date_range, parse_when, utc_naive
from workbench.errors import InputError
from workbench.export.selection import ExportFilters, in_scope
from workbench.scope import Scope


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-02", dt.date(2025, 3, 2)),
    (" 2025-03-02 ", dt.date(2025, 3, 2)),
    ("2025-03-02T12:30", dt.datetime(2025, 3, 2, 12, 30)),
    ("2025-03-02 12:30:05", dt.datetime(2025, 3, 2, 12, 30, 5)),
    (dt.date(2025, 3, 2), dt.date(2025, 3, 2)),
    (pd.Timestamp("2025-03-02 12:00"), pd.Timestamp("2025-03-02 12:00")),
    (0, dt.datetime(1970, 1, 1)),  # gr.DateTime's timestamps are UTC
    (1740917400.0, dt.datetime(2025, 3, 2, 12, 10)),
    (None, None), ("", None), ("  ", None),
])
def test_parse_when_accepts_days_instants_and_timestamps(value, expected):
    assert parse_when(value, "from") == expected


@pytest.mark.parametrize("value", ["yesterday-ish", "2025/03/02", "2025-13-01", "02.03.2025", True,
                                   float("nan"), float("inf"), 1e300, ["2025-03-02"], "<script>" * 20])
def test_parse_when_names_the_field_and_refuses_the_rest(value):
    with pytest.raises(InputError, match=r"^to: not a date: .*expected YYYY-MM-DD") as e:
        parse_when(value, "to")
    assert len(str(e.value)) < 140  # a long input is cut, not echoed whole
    from workbench.ui.i18n import catalogue

    zh = catalogue().translate(str(e.value), "zh")  # translated whole, the field's name too, not half
    # (the field named as its box is labelled, 截止日期; walk 8 found the message saying 结束日期)
    assert zh.startswith("截止日期：不是日期：") and "expected" not in zh and "应为" in zh


def test_bounds_are_naive_utc_and_a_day_is_whole():
    berlin = pd.Timestamp("2025-03-03 01:00", tz="Europe/Berlin")
    assert utc_naive(berlin) == dt.datetime(2025, 3, 3, 0, 0)
    assert type(utc_naive(berlin)) is dt.datetime
    assert date_range("2025-03-02", "2025-03-02") == (dt.datetime(2025, 3, 2),
                                                      dt.datetime(2025, 3, 2, 23, 59, 59, 999999))
    assert date_range(None, "2025-03-02T08:00+02:00") == (None, dt.datetime(2025, 3, 2, 6, 0))
    with pytest.raises(InputError, match="is after"):
        date_range("2025-03-05", dt.date(2025, 3, 1))


INSTANTS = [dt.datetime(2025, 3, 1, 23, 59, 59, 999999), dt.datetime(2025, 3, 2), dt.datetime(2025, 3, 2, 12),
            dt.datetime(2025, 3, 2, 23, 59, 59, 999999), dt.datetime(2025, 3, 3), dt.datetime(2025, 3, 3, 0, 30)]
BOUNDS = [("2025-03-02", "2025-03-02"), ("2025-03-02T12:00", None), (None, "2025-03-02T12:00:00+00:00"),
          (dt.date(2025, 3, 2), dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
          (pd.Timestamp("2025-03-03 01:00", tz="Europe/Berlin"), None)]


@pytest.mark.parametrize(("date_from", "date_to"), BOUNDS)
def test_the_dashboard_and_the_export_keep_the_same_instants(date_from, date_to):
    from workbench.analysis.filters import _date_mask

    lo, hi = date_range(date_from, date_to)
    dashboard = _date_mask(pd.Series(INSTANTS), pd.Timestamp(lo) if lo else None, pd.Timestamp(hi) if hi else None)
    f = ExportFilters(scope=Scope(date_from=parse_when(date_from, "from"), date_to=parse_when(date_to, "to")))

    class Candidate:
        dataset = None

        def __init__(self, created_at: dt.datetime) -> None:
            self.created_at = created_at

    export = [in_scope(Candidate(t), f) for t in INSTANTS]
    assert list(dashboard) == export
    assert 0 < sum(export) < len(INSTANTS)  # each case is a real cut
