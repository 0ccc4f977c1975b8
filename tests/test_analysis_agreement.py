"""Krippendorff's alpha: the textbook example, hand cases, and an independent coincidence-matrix
implementation on random data; per-reply agreement by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.agreement import (
    agreement_table,
    item_agreement,
    krippendorff_alpha,
    latest_ratings,
    reliability_matrix,
)
from workbench.errors import InputError

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers, 12 units,
# missing values as NaN. Published results: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
KRIPP_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def ratings_from_matrix(
    matrix: np.ndarray, axis: str = "questioning", labels: dict | None = None
) -> pd.DataFrame:
    """Coders x units matrix -> a ratings frame (one row per non-missing cell)."""
    rows = []
    for c, coder in enumerate(matrix):
        for u, value in enumerate(coder):
            if np.isnan(value):
                continue
            rows.append(
                {"generation_id": u + 1, "annotator": f"c{c}", axis: labels[value] if labels else value}
            )
    frame = pd.DataFrame(rows)
    for col in ("questioning", "suggestion", "turn_type"):
        if col not in frame:
            frame[col] = np.nan if col != "turn_type" else None
    return frame


def test_krippendorff_2011_example():
    interval = krippendorff_alpha(ratings_from_matrix(KRIPP_2011), "questioning")
    assert interval["alpha"] == pytest.approx(0.849, abs=5e-4)
    assert interval["level"] == "interval"
    # Unit 12 has a single value and cannot be paired: 11 units, 40 pairable values.
    assert interval["n_units"] == 11 and interval["n_values"] == 40 and interval["n_coders"] == 4
    # Nominal alpha does not care what the categories are called.
    labels = {1.0: "question", 2.0: "suggestion", 3.0: "mixed", 4.0: "other", 5.0: "greeting"}
    nominal = krippendorff_alpha(ratings_from_matrix(KRIPP_2011, "turn_type", labels), "turn_type")
    assert nominal["alpha"] == pytest.approx(0.743, abs=5e-4)


def test_perfect_agreement_is_one_and_no_variation_is_undefined():
    perfect = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, np.nan, 4, 5]], dtype=float)
    assert krippendorff_alpha(ratings_from_matrix(perfect), "questioning")["alpha"] == pytest.approx(1.0)
    # Everyone always says 3: expected disagreement is 0, alpha = 0/0 -> NaN rather than an error.
    flat = np.full((2, 4), 3.0)
    assert np.isnan(krippendorff_alpha(ratings_from_matrix(flat), "questioning")["alpha"])
    # No unit with two values: nothing to compare.
    lonely = np.array([[1, np.nan], [np.nan, 2]], dtype=float)
    assert np.isnan(krippendorff_alpha(ratings_from_matrix(lonely), "questioning")["alpha"])


def test_two_coders_systematic_disagreement_by_hand():
    # Coder 1: 1, 2; coder 2: 2, 1. Values: 1,2,2,1 (n = 4). Observed: each unit pairs 1 with 2 twice
    # -> D_o = sum over ordered pairs within units of (1-2)^2 / (m_u - 1) / n = (2 + 2) / 4 = 1.
    # Expected: all ordered pairs of different values among the 4: 8 pairs of (1,2) with d = 1,
    # D_e = 8 / (n (n - 1)) = 8 / 12 = 2/3. alpha = 1 - D_o / D_e = 1 - 1.5 = -0.5.
    m = np.array([[1, 2], [2, 1]], dtype=float)
    assert krippendorff_alpha(ratings_from_matrix(m), "questioning")["alpha"] == pytest.approx(-0.5)


def alpha_by_coincidences(matrix: np.ndarray, metric: str) -> float:
    """Independent implementation of Krippendorff's alpha from the coincidence-matrix definition."""
    values = np.unique(matrix[~np.isnan(matrix)])
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for unit in matrix.T:
        present = unit[~np.isnan(unit)]
        m = len(present)
        if m < 2:
            continue
        for a in range(m):
            for b in range(m):
                if a != b:
                    o[index[present[a]], index[present[b]]] += 1.0 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if metric == "nominal":
        delta = 1.0 - np.eye(len(values))
    else:
        delta = (values[:, None] - values[None, :]) ** 2
    d_o = (o * delta).sum() / n
    d_e = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1))
    return 1.0 - d_o / d_e


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_coincidence_matrix_on_random_data(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=40)
    noise = rng.integers(-1, 2, size=(5, 40))
    matrix = np.clip(truth + noise, 1, 5).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    ours = krippendorff_alpha(ratings_from_matrix(matrix, "suggestion"), "suggestion")["alpha"]
    assert ours == pytest.approx(alpha_by_coincidences(matrix, "interval"), abs=1e-10)
    labels = {float(v): name for v, name in zip(range(1, 6), "abcde", strict=True)}
    nominal = krippendorff_alpha(ratings_from_matrix(matrix, "turn_type", labels), "turn_type")["alpha"]
    assert nominal == pytest.approx(alpha_by_coincidences(matrix, "nominal"), abs=1e-10)


def test_reliability_matrix_layout():
    frame = ratings_from_matrix(KRIPP_2011)
    mat = reliability_matrix(frame, "questioning")
    # Coders as rows, the 11 pairable units as columns, NaN where a coder skipped the unit.
    assert mat.shape == (4, 11)
    assert mat.loc["c0", 1] == 1.0 and np.isnan(mat.loc["c2", 1])
    import krippendorff

    direct = krippendorff.alpha(reliability_data=mat.to_numpy(), level_of_measurement="interval")
    assert direct == pytest.approx(krippendorff_alpha(frame, "questioning")["alpha"])


def test_latest_rating_per_annotator_wins():
    frame = pd.DataFrame(
        {
            "generation_id": [1, 1, 1, 2, 2],
            "annotator": ["a", "a", "b", "a", "b"],
            "questioning": [1.0, 5.0, 5.0, 2.0, 2.0],
            "created_at": pd.to_datetime(
                ["2025-01-02", "2025-01-03", "2025-01-01", "2025-01-01", "2025-01-01"]
            ),
        }
    )
    latest = latest_ratings(frame)
    assert len(latest) == 4
    # a's later answer on reply 1 (5) replaced the earlier 1: both units agree perfectly.
    assert latest[(latest.generation_id == 1) & (latest.annotator == "a")]["questioning"].item() == 5.0
    assert item_agreement(frame, "questioning").to_dict() == {1: 1.0, 2: 1.0}
    # Rows shuffled: the created_at order still decides.
    assert item_agreement(frame.iloc[::-1], "questioning").to_dict() == {1: 1.0, 2: 1.0}


def test_item_agreement_by_hand():
    frame = pd.DataFrame(
        {
            "generation_id": [1, 1, 2, 2, 3, 3, 4, 5, 5, 5],
            "annotator": ["a", "b", "a", "b", "a", "b", "a", "a", "b", "c"],
            "questioning": [4, 4, 1, 5, 3, 4, 2, np.nan, np.nan, np.nan],
            "turn_type": [
                "question",
                "question",
                "question",
                "mixed",
                None,
                "mixed",
                "other",
                "question",
                "question",
                "suggestion",
            ],
        }
    )
    q = item_agreement(frame, "questioning")
    # 4,4: std 0 -> 1. 1,5: population std 2 = the largest possible on 1-5 -> 0. 3,4: std 0.5 -> 0.75.
    # Reply 4 has one score, reply 5 none: NaN / absent.
    assert q[1] == 1.0 and q[2] == 0.0 and q[3] == 0.75 and np.isnan(q[4]) and 5 not in q.index
    t = item_agreement(frame, "turn_type")
    # Reply 5: labels q, q, s -> agreeing ordered pairs 2*1 out of 3*2 = 1/3. Reply 2: q vs mixed -> 0.
    assert t[5] == pytest.approx(1 / 3) and t[1] == 1.0 and t[2] == 0.0
    assert np.isnan(t[3]) and np.isnan(t[4])  # one label each (None is missing)


def test_agreement_table_and_errors():
    frame = ratings_from_matrix(KRIPP_2011)
    frame["suggestion"] = frame["questioning"]
    table = agreement_table(frame).set_index("axis")
    assert list(table.index) == ["questioning", "suggestion", "turn_type"]
    assert table.loc["suggestion", "alpha"] == pytest.approx(table.loc["questioning", "alpha"])
    assert np.isnan(table.loc["turn_type", "alpha"])
    with pytest.raises(InputError, match="unknown agreement axis"):
        krippendorff_alpha(frame, "safety")
    with pytest.raises(InputError, match="annotator"):
        krippendorff_alpha(frame.drop(columns=["annotator"]), "questioning")
