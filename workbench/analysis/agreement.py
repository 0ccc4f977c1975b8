"""Inter-annotator agreement: Krippendorff's alpha per axis, and a per-reply agreement value.

Units are generations, coders are annotators. When an annotator rated one generation more than once,
only their latest rating (by ``created_at``, then row order) counts: there is one current answer per
annotator and reply. Missing values (NaN score = not applicable, empty turn type) are missing data,
which alpha handles natively. Units with fewer than two values cannot be paired and are left out.
"""

from __future__ import annotations

from typing import Literal

import krippendorff
import numpy as np
import pandas as pd

from workbench.analysis.frames import score_axes, validate_frame
from workbench.errors import InputError

Level = Literal["nominal", "ordinal", "interval", "ratio"]
# axis -> Krippendorff level of measurement
AXIS_LEVELS: dict[str, Level] = {"questioning": "interval", "suggestion": "interval", "turn_type": "nominal"}

AGREEMENT_COLUMNS = ["axis", "level", "alpha", "n_units", "n_coders", "n_values", "undefined_reason"]

#: why alpha is NaN (the ``undefined_reason`` column); None where alpha is a number
UNDEFINED_REASONS = {
    "no_ratings": "no ratings on this axis",
    "one_rater": "one rater",
    "no_overlap": "no reply rated by two annotators",
    "one_unit": "only one reply rated by two annotators",
    "no_variation": "no variation",
}


def _check_axis(axis: str, ratings: pd.DataFrame | None = None) -> Level:
    """The axis's level of measurement; a further rubric axis of ``ratings`` is a whole-number scale."""
    if axis in AXIS_LEVELS:
        return AXIS_LEVELS[axis]
    if ratings is not None and axis in score_axes(ratings):
        return "interval"
    raise InputError(f"unknown agreement axis {axis!r}; expected one of {sorted(AXIS_LEVELS)}")


def _time_key(created: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch in UTC (naive times taken as UTC), missing times first."""
    when = pd.to_datetime(created, errors="coerce", utc=True).dt.tz_localize(None)
    return when.to_numpy(dtype="datetime64[ns]").view("int64")  # NaT is the smallest int64


def latest_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per (annotator, generation): the latest by ``created_at``, then by row order.

    The latest answer wins even where it is N/A on an axis: it replaced the earlier value.
    """
    validate_frame(ratings, "ratings", ["generation_id", "annotator"])
    if "created_at" in ratings.columns:
        ratings = ratings.iloc[np.argsort(_time_key(ratings["created_at"]), kind="stable")]
    last = ~ratings.duplicated(["generation_id", "annotator"], keep="last").to_numpy()
    return ratings[last]


def _long_values(ratings: pd.DataFrame, axis: str, latest: bool = False) -> pd.DataFrame:
    """Columns unit, coder, value: non-missing values of the latest rating per (annotator, generation).

    ``latest=True`` says ``ratings`` already went through :func:`latest_ratings`.
    """
    level = _check_axis(axis, ratings)
    validate_frame(ratings, "ratings", ["generation_id", "annotator", axis])
    if not latest:
        ratings = latest_ratings(ratings)
    if level == "nominal":
        raw = ratings[axis].astype(object).to_numpy()
        value = pd.Series([v if isinstance(v, str) and v != "" else None for v in raw], dtype=object)
    else:
        value = pd.Series(pd.to_numeric(ratings[axis], errors="coerce").to_numpy(dtype=float))
    frame = pd.DataFrame(
        {
            "unit": ratings["generation_id"].to_numpy(),
            "coder": ratings["annotator"].to_numpy(),
            "value": value,
        }
    )
    return frame[frame["value"].notna().to_numpy()]


def reliability_matrix(ratings: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Coders x units matrix (annotators as rows, generation ids as columns), NaN where missing.

    Nominal axes are coded as integers (codes follow sorted labels), as the krippendorff library wants
    numbers. Only units with at least two values are kept.
    """
    long = _long_values(ratings, axis)
    long = long[long.groupby("unit")["unit"].transform("size") >= 2]
    if _check_axis(axis, ratings) == "nominal":
        long = long.assign(value=pd.Categorical(long["value"]).codes.astype(float))
    return long.pivot(index="coder", columns="unit", values="value")


def _value_counts(long: pd.DataFrame, nominal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(units x values) counts and the value domain, built directly from long data (no dense matrix)."""
    unit_codes, _ = pd.factorize(long["unit"], sort=True)
    if nominal:
        value_codes, domain = pd.factorize(long["value"], sort=True)
        domain_arr = np.arange(len(domain), dtype=float)
    else:
        value_codes, domain = pd.factorize(long["value"], sort=True)
        domain_arr = np.asarray(domain, dtype=float)
    counts = np.zeros((unit_codes.max() + 1 if len(unit_codes) else 0, len(domain_arr)), dtype=np.int64)
    np.add.at(counts, (unit_codes, value_codes), 1)
    return counts, domain_arr


def krippendorff_alpha(ratings: pd.DataFrame, axis: str, latest: bool = False) -> dict[str, object]:
    """Krippendorff's alpha for one axis (computed by the ``krippendorff`` library).

    Returns axis, level, alpha, n_units (units with >= 2 values), n_coders, n_values (pairable values) and
    undefined_reason (a key of :data:`UNDEFINED_REASONS`, None where alpha is a number).
    alpha is NaN where it is undefined: no unit with two values; one such unit only (its observed and
    expected disagreement are then the same pairs, so alpha is 0 whatever the scores: no information);
    or a single value used throughout (no disagreement is expected by chance, so 0/0).
    """
    level = _check_axis(axis, ratings)
    every = _long_values(ratings, axis, latest)
    long = every[every.groupby("unit")["unit"].transform("size") >= 2]
    result: dict[str, object] = {
        "axis": axis,
        "level": level,
        "alpha": float("nan"),
        "n_units": int(long["unit"].nunique()),
        "n_coders": int(long["coder"].nunique()),
        "n_values": len(long),
        "undefined_reason": None,
    }
    reason = _undefined_reason(every, long)
    if reason is not None:
        result["undefined_reason"] = reason
        return result
    counts, domain = _value_counts(long, nominal=level == "nominal")
    result["alpha"] = float(
        krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level)
    )
    return result


def _undefined_reason(every: pd.DataFrame, pairable: pd.DataFrame) -> str | None:
    if every.empty:
        return "no_ratings"
    if every["coder"].nunique() < 2:
        return "one_rater"
    if pairable.empty:
        return "no_overlap"
    if pairable["unit"].nunique() < 2:
        return "one_unit"
    if pairable["value"].nunique() < 2:
        return "no_variation"
    return None


def agreement_table(
    ratings: pd.DataFrame, axes: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """One row per axis: Krippendorff's alpha with its counts (see :func:`krippendorff_alpha`).

    By default every score axis of the frame (:func:`score_axes`), then the turn type.
    """
    if axes is None:
        axes = (*score_axes(ratings), "turn_type")
    latest = latest_ratings(ratings)
    rows = [krippendorff_alpha(latest, axis, latest=True) for axis in axes]
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


SCORE_RANGE = (1.0, 5.0)


def item_agreement(ratings: pd.DataFrame, axis: str) -> pd.Series:
    """Per-generation agreement in [0, 1] (index generation_id), NaN with fewer than two values.

    Scores: 1 - (population std / largest possible std), the largest being half the scale range (2 on a
    1-5 scale), so 1 = identical scores and 0 = split between the two extremes.
    Turn type: share of annotator pairs giving the same label, sum n_c (n_c - 1) / (n (n - 1)).
    """
    level = _check_axis(axis, ratings)
    long = _long_values(ratings, axis)
    if long.empty:
        return pd.Series(dtype=float, name=f"{axis}_agreement").rename_axis("generation_id")
    if level == "nominal":
        per_label = long.groupby(["unit", "value"]).size()
        same = (per_label * (per_label - 1)).groupby(level="unit").sum()
        n = per_label.groupby(level="unit").sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (same / (n * (n - 1))).where(n >= 2)
    else:
        grouped = long.groupby("unit")["value"]
        std = grouped.std(ddof=0)
        max_std = (SCORE_RANGE[1] - SCORE_RANGE[0]) / 2.0
        out = (1.0 - std / max_std).where(grouped.size() >= 2)
    return out.astype(float).rename(f"{axis}_agreement").rename_axis("generation_id")
