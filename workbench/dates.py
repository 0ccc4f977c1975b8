"""One date parser for every date filter: the dashboard, the exports, their command lines and tabs.

A bound is a ``YYYY-MM-DD`` day, an ISO date-time (with or without an offset), a ``date``/``datetime``
(``pandas.Timestamp`` is one) or a POSIX timestamp (what ``gr.DateTime`` may give). The store writes
naive UTC, so bounds are compared as naive UTC; a day given as the upper bound covers that whole day.
"""

from __future__ import annotations

import datetime as dt
import math

from workbench.errors import InputError

DateInput = dt.date | dt.datetime | str | int | float | None


def parse_when(value: DateInput, name: str) -> dt.date | dt.datetime | None:
    """``value`` as a day (``date``) or an instant (``datetime``); None when empty; InputError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.date):  # datetime and pandas.Timestamp included
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(f"{name}: not a date: {str(value)[:40]!r} (expected YYYY-MM-DD or an ISO date-time)")


def utc_naive(when: dt.date | dt.datetime, *, end: bool = False) -> dt.datetime:
    """A bound as the store writes times: naive UTC; a day is its first instant, or with ``end`` its last."""
    if not isinstance(when, dt.datetime):
        return dt.datetime.combine(when, dt.time.max if end else dt.time.min)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    to_plain = getattr(when, "to_pydatetime", None)  # a pandas.Timestamp compares as one; keep plain values
    return to_plain() if to_plain is not None else when


def date_range(date_from: DateInput, date_to: DateInput) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Inclusive bounds (naive UTC, None when open) of a from/to filter; InputError when from is after to."""
    start, stop = parse_when(date_from, "date_from"), parse_when(date_to, "date_to")
    check_order(start, stop, ("date_from", "date_to"))
    lo = utc_naive(start) if start is not None else None
    hi = utc_naive(stop, end=True) if stop is not None else None
    return lo, hi


def check_order(start: dt.date | dt.datetime | None, stop: dt.date | dt.datetime | None,
                names: tuple[str, str] = ("from", "to")) -> None:
    """InputError when the lower bound is after the upper one (a day as the upper bound is whole)."""
    if start is not None and stop is not None and utc_naive(start) > utc_naive(stop, end=True):
        raise InputError(f"the '{names[0]}' date is after the '{names[1]}' date")
