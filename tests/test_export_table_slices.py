"""The flat tables read the candidates' fields by slicing their chained ``__dict__`` values
(``tables._sliced_fields``) when every dict is laid out alike, and a field at a time otherwise.

The reference reads every attribute by name. Records are made the ways an export meets them: by the
dataclass ``__init__``, as ``copy_with`` copies (some with changed fields), with an extra instance
attribute, with a dict rebuilt in another key order, and with two dicts whose keys line up only when
chained (one short, the next rotated), which a position check alone would accept. The whole tables are
then written both ways on random hostile candidates of mixed layouts, byte for byte.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pyarrow.parquet as pq

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo, tables
from workbench.export.records import copy_with
from workbench.export.table_schema import to_arrow

HOSTILE = ("=1+1", "-", "@x", "'=y", '"q"', "a,b", "line\nbreak", "cr\r", "\ttab", "😀", "", "医生", "12", None)
FIELDS = ("generation_id", "dialogue_id", "dataset", "turn_index", "column", "model", "output",
          "turn_type_auto", "agreement", "preferred_by", "created_at", "history", "ratings")


def _candidate(rng: random.Random, i: int, text_ids: bool = False) -> ExportCandidate:
    ratings = [RatingInfo(annotator=rng.choice(["ann1", "=a2"]), questioning=rng.choice([1.0, None, float("nan")]),
                          suggestion=rng.choice([2.0, 4.5]), comment=rng.choice(HOSTILE),
                          created_at=datetime(2025, 1, 1) + timedelta(minutes=rng.randint(0, 999)))
               for _ in range(rng.randint(0, 3))]
    return ExportCandidate(
        generation_id=f"g{i}" if text_ids else i, dialogue_id=i // 4, dataset=rng.choice(["s", "=s", None]),
        turn_index=1, history=[Turn("patient", rng.choice(HOSTILE) or "x")], column=f"c{i % 3}",
        model=rng.choice(["m1", "+m"]), output=rng.choice(HOSTILE) or "", ratings=ratings,
        agreement=rng.choice([0.5, None, float("nan")]), preferred_by=rng.sample(["a", "=b"], rng.randint(0, 2)),
        created_at=rng.choice([datetime(2025, 2, 1) + timedelta(hours=i), None]))


def _reordered(c: ExportCandidate) -> ExportCandidate:
    new = copy_with(c, {})
    object.__setattr__(new, "__dict__", dict(reversed(list(vars(c).items()))))
    return new


def _with_extra(c: ExportCandidate) -> ExportCandidate:
    new = copy_with(c, {})
    object.__setattr__(new, "note", "extra")  # one key more: every later dict would be shifted by one
    return new


def _mixed(rng: random.Random, n: int) -> list[ExportCandidate]:
    out = []
    text_ids = rng.random() < 0.5
    for i in range(n):
        c = _candidate(rng, i, text_ids)
        kind = rng.random()
        if kind < 0.3:
            c = copy_with(c, {"output": rng.choice(HOSTILE) or "", "model": "m1"})
        elif kind < 0.35:
            c = _reordered(c)
        elif kind < 0.4:
            c = _with_extra(c)
        out.append(c)
    return out


def _same(got: list, want: list) -> bool:
    """The same objects in the same order (``==`` would call two NaNs different)."""
    return len(got) == len(want) and all(a is b for a, b in zip(got, want, strict=True))


def _check(objects: list) -> None:
    got = tables._fields(objects, FIELDS)
    for name in FIELDS:
        assert _same(got[name], [getattr(o, name) for o in objects]), name


def test_sliced_fields_equal_attribute_reads_on_every_layout():
    rng = random.Random(3)
    alike = [_candidate(rng, i) for i in range(50)]
    assert tables._sliced_fields(list(map(vars, alike)), FIELDS) is not None  # the fast path is taken
    _check(alike)
    copies = [copy_with(c, {"output": "changed"}) if i % 2 else c for i, c in enumerate(alike)]
    assert tables._sliced_fields(list(map(vars, copies)), FIELDS) is not None
    _check(copies)
    for odd in (_reordered, _with_extra):
        objects = [odd(c) if i == 7 else c for i, c in enumerate(alike)]
        assert tables._sliced_fields(list(map(vars, objects)), FIELDS) is None, odd.__name__
        _check(objects)
    for _ in range(20):
        _check(_mixed(rng, 60))


def test_dicts_that_line_up_only_when_chained_are_read_a_field_at_a_time():
    a, b, c = ({"x": 1, "y": 2, "z": 3}, {"x": 4, "y": 5}, {"z": 6, "x": 7, "y": 8})
    # chained keys: x y z x y z x y  -- each key at its slot, yet the second and third dicts are not laid out alike
    assert tables._sliced_fields([a, b, c], ("x", "y")) is None
    assert tables._sliced_fields([a, dict(a)], ("x", "z")) == {"x": [1, 1], "z": [3, 3]}
    assert tables._sliced_fields([a, {"y": 2, "x": 1, "z": 3}], ("x",)) is None
    assert tables._sliced_fields([a, a], ("w",)) is None
    assert tables._sliced_fields([], ("x",)) is None


def test_tables_of_mixed_layouts_write_the_files_of_the_reference(tmp_path):
    rng = random.Random(11)
    arrow_built = 0
    for trial in range(12):
        cands = _mixed(rng, rng.randint(1, 80))
        ctx = ExportContext.build(cands, ExportFilters(), deidentify=False)
        for ext, writer in (("csv", tables.write_csv), ("parquet", tables.write_parquet)):
            got, want = tmp_path / f"{trial}{ext}got", tmp_path / f"{trial}{ext}want"
            got.mkdir()
            want.mkdir()
            for name, df in tables.tables_from_candidates(ctx.candidates).items():
                if ext == "csv":
                    tables._to_csv(df, want / f"{name}.csv")
                else:
                    pq.write_table(to_arrow(name, df), want / f"{name}.parquet")
            for path in writer(ctx, got).files:
                assert path.read_bytes() == (want / path.name).read_bytes(), (trial, path.name)
        arrow_built += isinstance(ctx.memo["tables"]["generations"], tables.ArrowTable)
    assert arrow_built >= 6, "the Arrow path was hardly taken: the comparison tests pandas against itself"
