"""The flat tables built straight as Arrow columns write the files the pandas frames wrote, and the BianQue
input joined from escaped turns is the context's rendering.

Random hostile candidates (formula starts, quotes, commas, line breaks, missing and NaN scores, text
ids that parse as numbers, further rubric axes, time zones, mixed types) are exported by the writers
and by a reference that builds the pandas frames (:func:`tables_from_candidates`) and writes them as
before (``_to_csv`` and ``to_arrow``); every CSV and Parquet file must be byte-identical.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from workbench.dialogue import Dialogue, Turn
from workbench.errors import InputError
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo
from workbench.export.table_schema import to_arrow
from workbench.export.tables import (
    ArrowTable,
    _to_csv,
    tables_from_candidates,
    write_csv,
    write_parquet,
)
from workbench.prompts import bianque_context, escape_training_text
from workbench.scope import Scope

PIECES = ("a", ",", '"', "\r", "\n", " ", "\t", "医", "'", "=", "\\", "“", "-", "+", "@", "😀", "12", ";")
T0 = datetime(2025, 1, 1, 8, 0)


def _text(rng: random.Random, none_share: float = 0.1) -> str | None:
    if rng.random() < none_share:
        return None
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))


def _candidates(rng: random.Random, hostile: bool) -> list[ExportCandidate]:
    """A few dialogues; with ``hostile`` some columns mix types (ints with floats, naive with aware times,
    numbers in text fields), which only the pandas path may decide."""
    numeric_ids = rng.random() < 0.3  # text ids that parse as integers: pyarrow casts them
    # each trial is hostile in a few ways only, so that the other tables still take the Arrow path
    odd = {k for k in ("aware", "no_annotator", "int_and_float", "int_axis", "two_id_types", "int_agreement")
           if hostile and rng.random() < 0.3}
    out = []
    for d in range(rng.randint(1, 4)):
        history: list[Turn] = []
        for k in range(rng.randint(1, 3)):
            history.append(Turn("patient", _text(rng, 0) or ""))
            hist = list(history)
            for j in range(rng.randint(1, 3)):
                ratings = []
                for a in rng.sample(["ann1", "=ann2", "ann,3", "ann 4"], rng.randint(0, 3)):
                    axes = rng.choice([(), (("empathy", rng.choice([1, None] if "int_axis" in odd else [1.0, None, 2.5])),),
                                       (("empathy", 3 if "int_axis" in odd else 3.0), ("comment", 4.0))])
                    when = rng.choice([T0 + timedelta(minutes=rng.randint(0, 9999), microseconds=rng.randint(0, 9)),
                                       None])
                    if "aware" in odd and rng.random() < 0.2:
                        when = when.replace(tzinfo=UTC) if when else T0.replace(tzinfo=UTC)
                    ratings.append(RatingInfo(
                        annotator=None if "no_annotator" in odd and rng.random() < 0.2 else a,
                        questioning=rng.choice([1.0, 2.0, 1 / 3, None, float("nan"), -0.0, 5.0]),
                        suggestion=rng.choice([1 if "int_and_float" in odd else 1.0, 4.5, None]),
                        turn_type=rng.choice(["question", "suggestion", None, "-x"]),
                        safety_flag=rng.random() < 0.3, comment=_text(rng, 0.6),
                        corrected_reply=_text(rng, 0.7), created_at=when, extra_scores=axes))
                gid = f"{d}{k}{j}" if numeric_ids else f"g{d}-{k}-{j}"
                out.append(ExportCandidate(
                    generation_id=7 if "two_id_types" in odd and rng.random() < 0.2 else gid,
                    dialogue_id=d, dataset=rng.choice(["set-a", "=set", None]), turn_index=2 * k + 1, history=hist,
                    column=f"c{j}", model=rng.choice(["BianQue-1.0", "+m", "m,2"]), output=_text(rng, 0) or "",
                    turn_type_auto=rng.choice(["question", None]), ratings=ratings,
                    agreement=rng.choice([0.5, None, float("nan"), 1.0, 1e20] + ([1] if "int_agreement" in odd else [])),
                    preferred_by=rng.sample(["ann1", "=x", "a;b"], rng.randint(0, 2)),
                    dispreferred_by=rng.sample(["ann1", "-y"], rng.randint(0, 1)),
                    created_at=rng.choice([T0 + timedelta(hours=d, minutes=k), None]),
                ))
            history.append(Turn("doctor", _text(rng, 0) or ""))
    return out


def _reference(candidates, filters, out, ext: str) -> None:
    for name, df in tables_from_candidates(candidates, filters).items():
        if ext == "csv":
            _to_csv(df, out / f"{name}.csv")
        else:
            pq.write_table(to_arrow(name, df), out / f"{name}.parquet")


FILTERS = [ExportFilters(), ExportFilters(scope=Scope(annotators=("ann1", "=ann2"))),
           ExportFilters(scope=Scope(datasets=("set-a", None), date_from=T0, date_to=T0 + timedelta(hours=2)))]


@pytest.mark.parametrize("hostile", [False, True])
def test_arrow_tables_write_the_files_the_pandas_frames_wrote(tmp_path, hostile):
    rng = random.Random(26 + hostile)
    arrow_built = 0
    for trial in range(40):
        cands = _candidates(rng, hostile)
        filters = FILTERS[trial % len(FILTERS)]
        ctx = ExportContext.build(cands, filters, deidentify=False)
        for ext, writer in (("csv", write_csv), ("parquet", write_parquet)):
            got, want = tmp_path / f"{trial}-{ext}-got", tmp_path / f"{trial}-{ext}-want"
            got.mkdir()
            want.mkdir()
            try:
                _reference(ctx.candidates, filters, want, ext)
            except Exception as e:  # an input the reference cannot write: the writer fails the same way
                with pytest.raises(type(e)):
                    writer(ctx, got)
                continue
            res = writer(ctx, got)
            for path in res.files:
                assert path.read_bytes() == (want / path.name).read_bytes(), (trial, path.name)
        arrow_built += sum(isinstance(t, ArrowTable) for t in ctx.memo.get("tables", {}).values())
    assert arrow_built >= 40, "the Arrow path was hardly taken: the comparison tests pandas against itself"


def test_the_tables_count_rows_models_and_turn_types_as_before(tmp_path):
    cands = _candidates(random.Random(5), hostile=False)
    res = write_csv(ExportContext.build(cands, ExportFilters(), deidentify=False), tmp_path)
    frames = tables_from_candidates(cands)
    assert res.rows == sum(len(df) for df in frames.values())
    gens = frames["generations"]
    assert dict(res.by_model) == gens["model"].fillna("-").astype(str).value_counts().to_dict()
    assert dict(res.by_turn_type) == gens["turn_type_auto"].fillna("-").astype(str).value_counts().to_dict()


def _history(rng: random.Random) -> list[Turn]:
    roles = [rng.choice(["patient", "doctor"]) for _ in range(rng.randint(0, 6))]
    return [Turn(r, "".join(rng.choice(("病", "\n", "\t", "\\", "n", "：", "医生：", "")) for _ in range(rng.randint(0, 5))))
            for r in roles]


def test_the_bianque_input_is_the_dialogues_rendering_escaped():
    """The context joins each turn's escaped line (once per turn): the same text as escaping the whole
    transcript that Dialogue.pairs() and bianque_context render, or the same error."""
    rng = random.Random(9)
    ctx = ExportContext.build([], ExportFilters(), deidentify=False)
    shared = _history(rng)
    seen_error = seen_text = 0
    for i in range(600):
        history = shared + _history(rng) if i % 3 == 0 else _history(rng)
        c = ExportCandidate(i, 1, None, len(history), history, "c", "m", "out")
        try:
            rounds, last = Dialogue(tuple(history)).pairs()
            want = escape_training_text(bianque_context(rounds, last))
        except InputError:  # a history that does not end with the patient: the same error, not a text
            with pytest.raises(InputError):
                ctx.bianque_input(c)
            seen_error += 1
            continue
        assert ctx.bianque_input(c) == want, history
        assert ctx.bianque_input(c) == want  # the second time from the cache
        seen_text += 1
    assert seen_text > 150 and seen_error > 50


def test_ids_of_two_kinds_are_written_to_parquet_as_the_text_the_csv_holds(tmp_path):
    """A caller's own candidates may mix integer and text ids: Parquet keeps them as text, and the export does
    not fail (it raised ``ArrowInvalid`` before)."""
    cands = _candidates(random.Random(3), hostile=False)
    mixed = [ExportCandidate(**{**c.__dict__, "generation_id": 7 + i if i % 2 else f"g-{i}",
                                "dialogue_id": i if i % 3 else f"d{i}"}) for i, c in enumerate(cands)]
    assert len(mixed) >= 3
    ctx = ExportContext.build(mixed, ExportFilters(), deidentify=False)
    (tmp_path / "pq").mkdir()
    (tmp_path / "csv").mkdir()
    parquet = write_parquet(ctx, tmp_path / "pq")
    csv = write_csv(ctx, tmp_path / "csv")
    gens = pq.read_table(next(p for p in parquet.files if p.name == "generations.parquet")).to_pylist()
    assert [r["generation_id"] for r in gens] == [str(c.generation_id) for c in mixed]
    assert [r["dialogue_id"] for r in gens] == [str(c.dialogue_id) for c in mixed]
    import pandas as pd
    frame = pd.read_csv(next(p for p in csv.files if p.name == "generations.csv"), dtype=str, keep_default_na=False)
    assert frame["generation_id"].tolist() == [r["generation_id"] for r in gens]
