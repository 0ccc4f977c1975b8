"""The flat tables' fast paths give what the slower reference paths give, on random hostile inputs.

* A text column converted straight to Arrow (each distinct value once when non-ASCII texts repeat in
  distinct objects) is the column the pandas frame holds (``tables._frame``, then Arrow), or the
  converter answers None (the caller then takes the pandas path).
* The formula protection that reads each cell's first byte from the Arrow buffers protects exactly the
  cells the regex over the whole column protects (sliced, chunked, large and null-holding columns).
* The tables built column-wise (one pass over the candidates, ratings' ids taken from the generations'
  array, dialogues chained) write the files of the pandas frames of :func:`tables.table_columns`, also
  for dialogue ids that are equal but of different types and histories of equal length.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.csv_safety import PROTECTED_PATTERN
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo, arrow_columns
from workbench.export.arrow_columns import inferred, protected
from workbench.export.table_schema import to_arrow
from workbench.export.tables import _frame, _to_csv, tables_from_candidates, write_csv, write_parquet

PIECES = ("a", ",", '"', "\n", "医", "生", "😀", "=", "-", "'", "@", "\t", "\r", " ", "12", "")


class Text(str):
    """A str subclass: pyarrow takes it as text, as the pandas frame did."""


def _hostile_value(rng: random.Random) -> object:
    k = rng.random()
    if k < 0.03:
        return rng.choice([1, 2.5, float("nan"), b"bytes", Text("sub"), "\ud800", ["x"], True])
    if k < 0.15:
        return None
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))


def _column(rng: random.Random) -> list:
    """A column of a few distinct texts repeated in distinct objects (new strings each time, as de-identified
    copies of one reply are), sometimes with a hostile value."""
    pool = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5))) for _ in range(rng.randint(1, 6))]
    values: list = ["".join(list(rng.choice(pool))) for _ in range(rng.randint(1, 600))]
    for _ in range(rng.choice([0, 0, 1, 3])):
        values[rng.randrange(len(values))] = _hostile_value(rng)
    return values


def _pandas_column(values: list) -> pa.Array:
    """The column as the pandas path holds it in Arrow (text as ``string``)."""
    col = pa.Table.from_pandas(_frame({"text": values}), preserve_index=False)["text"].combine_chunks()
    return col.cast(pa.string()) if pa.types.is_large_string(col.type) else col


def test_text_columns_convert_as_the_pandas_frame_converts_them():
    rng = random.Random(18)
    distinct_path = answered = 0
    for _ in range(400):
        values = _column(rng)
        distinct_path += arrow_columns._repeats_non_ascii(values)
        got = inferred(values, text=True)
        try:
            want = _pandas_column(values)
        except (pa.ArrowException, TypeError, ValueError):
            assert got is None, values  # what pandas cannot hand to Arrow is left to the pandas path
            continue
        if got is None:
            continue  # unsure: the caller writes the pandas frame, the reference itself
        answered += 1
        assert got.type == want.type and got.equals(want), values
    assert distinct_path > 100, "the distinct-value conversion was hardly taken"
    assert answered > 250


def test_converting_distinct_values_once_gives_the_array_of_every_value():
    rng = random.Random(19)
    for _ in range(300):
        values = [v for v in _column(rng) if v is None or type(v) is str]
        try:
            want = pa.array(values, type=pa.string())
        except (pa.ArrowException, UnicodeError):
            continue
        assert arrow_columns._from_distinct(values).equals(want), values


def _regex_protected(arr: pa.Array) -> pa.Array:
    """The protection without the first-byte look: the regex over every cell."""
    risky = pc.match_substring_regex(arr, "^" + PROTECTED_PATTERN)
    if not pc.any(risky).as_py():
        return arr
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), arr, pa.scalar("")), arr)


def test_the_first_byte_look_protects_the_cells_the_regex_protects():
    rng = random.Random(20)
    protected_some = 0
    for _ in range(400):
        values = [None if rng.random() < 0.1 else
                  "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(1, 40))]
        typ = pa.string()
        if rng.random() < 0.5:  # mostly harmless columns: the look must not miss the one risky cell
            values = [v if v is None or v[:1] not in "=-+@'\t\r" else "x" + v for v in values]
            if rng.random() < 0.5:
                values[rng.randrange(len(values))] = rng.choice(["=1", "'-x", "\t", "\r", "@a", "+"])
            else:  # no risky cell: a large_string column (64-bit offsets) is looked at as well
                typ = rng.choice([pa.string(), pa.large_string()])
        arr = pa.array(values, type=typ)
        if rng.random() < 0.3 and len(arr) > 2:
            arr = arr.slice(1, len(arr) - 2)
        got, want = protected(arr), _regex_protected(arr)
        assert got.equals(want), values
        protected_some += not want.equals(arr)
        chunked = pa.chunked_array([arr, arr.slice(0, 1)])
        assert protected(chunked).equals(_regex_protected(chunked))
    assert protected_some > 50


def _candidates(rng: random.Random) -> list[ExportCandidate]:
    """Dialogues whose ids are equal but of different types (1, 1.0, True) and whose columns' histories
    are of equal length, so that the first-seen id and the first longest history decide."""
    t0 = datetime(2025, 3, 1, 9, 0)
    out = []
    for n in range(rng.randint(1, 12)):
        did = rng.choice([1, 1.0, True, 2, "d2", 3])
        history = [Turn(rng.choice(["patient", "doctor"]), rng.choice(["头痛", "=x", "a,b", ""]))
                   for _ in range(rng.randint(0, 3))] + [Turn("patient", f"第{n}问")]
        ratings = [RatingInfo(rng.choice(["ann1", "=ann2"]), rng.choice([1.0, None, 4.5]), 2.0,
                              created_at=t0 + timedelta(minutes=rng.randint(0, 99)))
                   for _ in range(rng.randint(0, 3))]
        out.append(ExportCandidate(
            generation_id=rng.choice([f"g{n}", n]) if rng.random() < 0.2 else f"g{n}", dialogue_id=did,
            dataset=rng.choice(["set", None, "=s"]), turn_index=len(history), history=history,
            column=rng.choice(["c1", "c2"]), model="m", output=rng.choice(["好的", "好的", "=1", ""]),
            ratings=ratings, created_at=t0))
    return out


def test_tables_built_column_wise_write_the_files_of_the_reference_frames(tmp_path):
    rng = random.Random(21)
    for trial in range(60):
        cands = _candidates(rng)
        ctx = ExportContext.build(cands, ExportFilters(), deidentify=False)
        frames = tables_from_candidates(ctx.candidates, ctx.filters)
        for ext, writer in (("csv", write_csv), ("parquet", write_parquet)):
            got, want = tmp_path / f"{trial}-{ext}-got", tmp_path / f"{trial}-{ext}-want"
            got.mkdir()
            want.mkdir()
            try:
                for name, df in frames.items():
                    if ext == "csv":
                        _to_csv(df, want / f"{name}.csv")
                    else:
                        pq.write_table(to_arrow(name, df), want / f"{name}.parquet")
            except Exception as e:  # an input the reference cannot write: the writer fails the same way
                try:
                    writer(ctx, got)
                except type(e):
                    continue
                raise AssertionError(f"the reference failed with {e!r}, the writer did not") from e
            res = writer(ctx, got)
            for path in res.files:
                assert path.read_bytes() == (want / path.name).read_bytes(), (trial, path.name)
