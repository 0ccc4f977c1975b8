"""Exports with ``aggregate``: targets, DPO pairs and KTO labels follow the reliable annotators."""

from __future__ import annotations

import json
import random

import pytest

from workbench.annotate.rubric import NA
from workbench.dialogue import Turn
from workbench.errors import InputError
from workbench.export import ExportCandidate, ExportFilters, RatingInfo
from workbench.export.context import ExportContext
from workbench.export.dpo import dpo_pairs
from workbench.export.kto import write as write_kto
from workbench.scope import Scope

HIST = [Turn("patient", "我头痛三天了")]
FULL_TURNS = 36
TURNS = 60
TURN_TYPES = ("suggestion", "mixed", "question", "other")


def true_type(t: int) -> str:
    return TURN_TYPES[(t // 2) % 4]


def _careful(t: int) -> tuple[str, ...]:
    # On thin turns one careful annotator meets the lazy pair; (t // 2) lets each meet both cases.
    return ("c1", "c2", "c3") if t < FULL_TURNS else (f"c{1 + (t // 2) % 3}",)


def crowd(lazy_presence: float = 1.0, seed: int = 0) -> list[ExportCandidate]:
    """Per turn, column A or B is truly better (4 vs 2, alternating). Careful annotators rate, label and
    prefer truly; the lazy pair scores everything 5, calls it a question and always prefers column A.
    Each lazy annotator rates a turn with probability ``lazy_presence``."""
    rng = random.Random(seed)
    out = []
    for t in range(TURNS):
        better = "A" if t % 2 == 0 else "B"
        lazy = [a for a in ("l1", "l2") if rng.random() < lazy_presence]
        for col in ("A", "B"):
            gid = 2 * t + (col == "B")
            true = 4 if col == better else 2
            ratings = [RatingInfo(a, true, None, true_type(t)) for a in _careful(t)]
            ratings += [RatingInfo(a, 5, None, "question") for a in lazy]
            pref = [a for a in _careful(t) if col == better] + (lazy if col == "A" else [])
            dispref = [a for a in _careful(t) if col != better] + (lazy if col == "B" else [])
            out.append(ExportCandidate(gid, t, "demo", 1, HIST, col, f"model-{col}", f"reply {col} {t}",
                                       "question", ratings, None, pref, dispref))
    return out


def _thin_b_turns() -> list[int]:
    return [t for t in range(FULL_TURNS, TURNS) if t % 2 == 1]


def test_mean_follows_the_lazy_pair_on_thin_turns():
    ctx = ExportContext.build(crowd(), ExportFilters(use_corrections=False))
    picked = {s.candidate.dialogue_id: s for s in ctx.selected}
    for t in _thin_b_turns():
        assert picked[t].candidate.column == "A" and picked[t].source == "preferred"
    pairs = {p.dialogue_id: p for p in dpo_pairs(ctx)}
    assert all(pairs[t].chosen[0].column == "A" for t in _thin_b_turns())


@pytest.mark.parametrize(("method", "lazy_presence"), [("dawid-skene", 1.0), ("dawid-skene", 0.8), ("mace", 0.8)])
def test_weighted_targets_and_dpo_follow_the_careful_annotators(method, lazy_presence):
    # MACE only with the lazy pair missing from some turns: when two annotators who always agree are on
    # every item, MACE (crowd-kit 1.4) can take them for the experts on the turn type; the README says so.
    crowd_ = crowd(lazy_presence, seed=0)
    ctx = ExportContext.build(crowd_, ExportFilters(use_corrections=False, aggregate=method))
    picked = {s.candidate.dialogue_id: s for s in ctx.selected}
    assert len(picked) == TURNS
    for t in range(TURNS):
        better = "A" if t % 2 == 0 else "B"
        assert picked[t].candidate.column == better, (t, method)
        assert picked[t].stats.turn_type == true_type(t)
        assert picked[t].stats.questioning == pytest.approx(4.0, abs=0.1)
    assert ctx.vote_weights["l1"] < 0.1 and ctx.vote_weights["c1"] > 0.9
    pairs = {p.dialogue_id: p for p in dpo_pairs(ctx)}
    for t in range(TURNS):
        assert pairs[t].chosen[0].column == ("A" if t % 2 == 0 else "B")


def _kto_labels(ctx: ExportContext, tmp_path) -> dict[int, bool]:
    write_kto(ctx, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    return {r["metadata"]["generation_id"]: r["label"] for r in rows}


def test_kto_labels_by_aggregate(tmp_path):
    worse_on_thin = [2 * t for t in _thin_b_turns()]  # column A where B is better: truly 2
    (tmp_path / "mean").mkdir()
    (tmp_path / "ds").mkdir()
    plain = _kto_labels(ExportContext.build(crowd(), ExportFilters(use_corrections=False)), tmp_path / "mean")
    ds = _kto_labels(ExportContext.build(crowd(), ExportFilters(use_corrections=False, aggregate="dawid-skene")),
                     tmp_path / "ds")
    # (2 + 5 + 5) / 3 = 4 reaches the threshold under the plain mean; the weighted score is about 2
    assert all(plain[g] for g in worse_on_thin)
    assert not any(ds[g] for g in worse_on_thin)
    assert sum(ds.values()) == TURNS  # exactly the truly better reply of each turn is desirable


def test_annotator_filter_and_bad_method():
    only_careful = ExportFilters(scope=Scope(annotators=("c1", "c2", "c3")), use_corrections=False, aggregate="mace")
    ctx = ExportContext.build(crowd(), only_careful)
    assert set(ctx.vote_weights) == {"c1", "c2", "c3"}
    with pytest.raises(InputError, match="unknown aggregation"):
        ExportFilters(aggregate="median")
    assert ExportFilters(aggregate="Dawid_Skene").aggregate == "dawid-skene"
    assert ExportFilters().to_dict()["aggregate"] == "mean"


def test_export_cli_aggregate_on_a_store(tmp_path, capsys):
    from rating_fixtures import COLUMNS, add_positions, make_users
    from sqlalchemy import select

    from workbench.cli import main
    from workbench.store.engine import Store
    from workbench.store.schema import Generation, Rating

    url = f"sqlite:///{tmp_path / 'agg.db'}"
    store = Store(url)
    try:
        add_positions(store, 40, columns=COLUMNS[:1])
        users = {u.username: u for u in make_users(store, "c1", "c2", "c3", "l1", "l2")}
        with store.session() as s:
            gens = list(s.scalars(select(Generation.id).where(Generation.status == "ok").order_by(Generation.id)))
            for t, gid in enumerate(gens):
                true = 4 if t % 2 == 0 else 2
                careful = ("c1", "c2", "c3") if t < 24 else (f"c{1 + (t // 2) % 3}",)
                for who in careful:
                    s.add(Rating(generation_id=gid, user_id=users[who].id, status="submitted",
                                 turn_type=true_type(t), scores={"questioning": true, "suggestion": NA}))
                for who in ("l1", "l2"):
                    s.add(Rating(generation_id=gid, user_id=users[who].id, status="submitted",
                                 turn_type="question", scores={"questioning": 5, "suggestion": NA}))
    finally:
        store.dispose()
    labels = {}
    for method in ("mean", "dawid-skene"):
        out = tmp_path / method
        assert main(["export", "--format", "kto", "--out", str(out), "--db", url, "--aggregate", method]) == 0
        rows = [json.loads(x) for x in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
        labels[method] = {r["metadata"]["generation_id"]: r["label"] for r in rows}
        assert f'"aggregate": "{method}"' in (out / "README.md").read_text(encoding="utf-8")
    thin_low = [gid for t, gid in enumerate(gens) if t >= 24 and t % 2 == 1]
    assert all(labels["mean"][g] for g in thin_low)  # (2 + 5 + 5) / 3 = 4 passes the plain threshold
    assert not any(labels["dawid-skene"][g] for g in thin_low)
    assert sum(labels["dawid-skene"].values()) == 20  # exactly the truly good half
    capsys.readouterr()
    assert main(["export", "--format", "kto", "--out", str(tmp_path / "bad"), "--db", url,
                 "--aggregate", "median"]) == 2
    assert "unknown aggregation" in capsys.readouterr().err


def test_export_tab_builds_filters_with_the_aggregate():
    from workbench.ui.export_tab import build_filters

    assert build_filters(aggregate="mace").aggregate == "mace"
    assert build_filters().aggregate == "mean"
    with pytest.raises(InputError, match="unknown aggregation"):
        build_filters(aggregate="<b>median</b>")
