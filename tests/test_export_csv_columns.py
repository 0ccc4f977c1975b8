"""The column-wise CSV writer writes the bytes csv.writer writes (with every text cell protected by
neutralise() when asked): random cells with commas, quotes, line breaks, formula starts, numbers, None
and booleans, in text, numeric and mixed columns."""

from __future__ import annotations

import random

import pytest

from tests.csv_reference import csv_writer_bytes
from workbench.export.csv_columns import csv_bytes

PIECES = ("a", ",", '"', "\r", "\n", " ", "\t", "医", "'", "=", "\\", "“", "-", "+", "@")


def _value(rng: random.Random, kind: str) -> object:
    k = rng.random()
    if k < 0.1:
        return None
    if kind == "text" or k < 0.3:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
    if kind == "numbers" or k < 0.5:
        return rng.choice([1.0, 1 / 3, float("nan"), -0.0, 1e20, -4.5, 7, -3, 10**12])
    return rng.choice([True, False, 2.5, "x"])


@pytest.mark.parametrize("protect", [False, True])
def test_random_columns_are_written_as_csv_writer_writes_them(protect):
    rng = random.Random(7)
    for _ in range(150):
        n_rows, n_cols = rng.randint(1, 25), rng.randint(2, 6)
        columns = [[_value(rng, kind) for _ in range(n_rows)]
                   for kind in (rng.choice(["text", "numbers", "mixed"]) for _ in range(n_cols))]
        header = [f"h{i}" for i in range(n_cols)]
        assert csv_bytes(header, columns, protect) == csv_writer_bytes(header, columns, protect)


def test_a_formula_is_protected_only_in_text_cells():
    got = csv_bytes(["text", "number"], [["=1+1", "-2", "'@x", None], [-1.5, -2, None, 3.0]], protect=True)
    assert got == b"text,number\r\n'=1+1,-1.5\r\n'-2,-2\r\n''@x,\r\n,3.0\r\n"


def test_no_rows_is_the_header_alone():
    assert csv_bytes(["a", "b"], [[], []]) == b"a,b\r\n"


def test_float_scores_rendered_once_per_value_keep_their_exact_text():
    """A column of floats that repeat (scores) renders each distinct value once: the cells must still be
    each value's own repr (0.0 and -0.0 are equal as keys but not as text; NaN is never equal to itself)."""
    rng = random.Random(3)
    for _ in range(100):
        n = rng.randint(4, 40)
        pool = rng.sample([1.0, 2.5, 1 / 3, 5.0, 1e20, 1e-7, float("nan"), float("inf"), 0.0, -0.0, None], 4)
        columns = [[rng.choice(pool) for _ in range(n)], [rng.choice(pool) for _ in range(n)]]
        assert csv_bytes(["a", "b"], columns) == csv_writer_bytes(["a", "b"], columns, False)
    assert csv_bytes(["a", "b"], [[0.0, -0.0] * 4, [1.0] * 8]) == b"a,b\r\n" + b"0.0,1.0\r\n-0.0,1.0\r\n" * 4
