"""Aggregation over annotators: hand-made cases with a known right answer, and a simulated crowd."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from workbench.analysis.aggregation import Answer, aggregate, agreement_with_others, check_method, kappa_with
from workbench.analysis.crowd_simulation import accuracy, evaluate, reliability_rank_correlation, simulate
from workbench.errors import InputError

LABELS = ("question", "suggestion", "mixed")


def _colluding_spammers(n_full: int = 45, n_thin: int = 24) -> tuple[list[Answer], dict[int, str]]:
    """Three careful annotators who are always right, two who always answer "question".

    On the first ``n_full`` items all five answer (the careful ones outvote the pair); on the next
    ``n_thin`` only one careful annotator meets the pair, so a majority vote follows the spammers.
    """
    truth = {i: LABELS[i % 3] for i in range(n_full + n_thin)}
    answers = []
    for i, lab in truth.items():
        # (i // 3) so that each careful annotator meets every label on the thin items
        careful = ("good-1", "good-2", "good-3") if i < n_full else (f"good-{1 + (i // 3) % 3}",)
        answers += [Answer(i, who, lab) for who in careful]
        answers += [Answer(i, who, "question") for who in ("lazy-1", "lazy-2")]
    return answers, truth


def test_majority_vote_and_its_ties():
    answers = [Answer("a", "u1", "x"), Answer("a", "u2", "x"), Answer("a", "u3", "y"),
               Answer("b", "u1", "y"), Answer("b", "u2", "x")]
    res = aggregate(answers, "mean")
    assert res.labels == {"a": "x", "b": "x"}  # b is a tie: the label that sorts first, whatever the order
    assert aggregate(list(reversed(answers)), "mean").labels == res.labels
    assert res.probabilities["a"] == pytest.approx({"x": 2 / 3, "y": 1 / 3})


def test_a_resubmitted_answer_replaces_the_earlier_one():
    res = aggregate([Answer(1, "u1", "x"), Answer(1, "u2", "y"), Answer(1, "u1", "y")], "mean")
    assert res.labels[1] == "y" and res.probabilities[1] == {"y": 1.0}


@pytest.mark.parametrize("method", ["dawid-skene", "mace"])
def test_em_methods_see_through_colluding_spammers(method):
    answers, truth = _colluding_spammers()
    thin = [i for i in truth if i >= 45 and truth[i] != "question"]
    majority = aggregate(answers, "mean")
    assert all(majority.labels[i] == "question" for i in thin)  # the case a majority gets wrong
    res = aggregate(answers, method)
    assert accuracy(res, truth) == 1.0
    assert min(res.reliability[f"good-{k}"] for k in (1, 2, 3)) > 0.9
    assert max(res.reliability["lazy-1"], res.reliability["lazy-2"]) < 0.1


@pytest.mark.parametrize("method", ["dawid-skene", "mace"])
def test_scores_follow_the_reliable_annotator(method):
    # The careful annotators' score is the item's true score; the lazy pair always gives 5.
    truth = {i: 1 + i % 4 for i in range(60)}
    answers = []
    for i, score in truth.items():
        careful = ("good-1", "good-2", "good-3") if i < 40 else (f"good-{1 + (i // 4) % 3}",)
        answers += [Answer(i, who, score) for who in careful]
        answers += [Answer(i, who, 5) for who in ("lazy-1", "lazy-2")]
    mean = aggregate(answers, "mean", ordinal=True)
    assert mean.scores[41] == pytest.approx((2 + 5 + 5) / 3)  # the lazy pair drags a 2 up to 4
    res = aggregate(answers, method, ordinal=True)
    for i, score in truth.items():
        assert res.scores[i] == pytest.approx(score, abs=0.05)
        assert res.labels[i] == score


def test_reliability_of_the_majority_is_leave_one_out():
    # u3 always disagrees with the two others, who agree with each other: with a self-inclusive
    # majority u3 would still "agree" on half of the ties; leave-one-out gives 0.
    answers = []
    for i in range(12):
        lab = LABELS[i % 3]
        wrong = LABELS[(i + 1) % 3]
        answers += [Answer(i, "u1", lab), Answer(i, "u2", lab), Answer(i, "u3", wrong)]
    rel = aggregate(answers, "mean").reliability
    assert rel["u3"] == 0.0
    # u1's others split 50/50 between the right and a wrong label: observed 0.5, chance 1/3 -> kappa 0.25
    assert rel["u1"] == pytest.approx(0.25) and rel["u1"] == rel["u2"]


def test_kappa_is_chance_corrected():
    truth = {i: {"q": 1.0} if i < 8 else {"s": 1.0} for i in range(10)}
    always_q = [Answer(i, "lazy", "q") for i in range(10)]
    perfect = [Answer(i, "good", "q" if i < 8 else "s") for i in range(10)]
    k = kappa_with(always_q + perfect, truth)
    assert k["lazy"] == pytest.approx(0.0, abs=1e-9)  # 80% right, but only because "q" is 80% of the items
    assert k["good"] == 1.0


def test_agreement_with_others():
    answers = [Answer(1, "a", "x"), Answer(1, "b", "x"), Answer(1, "c", "y"),
               Answer(2, "a", "x"), Answer(2, "b", "y"), Answer(3, "a", "z")]
    got = agreement_with_others(answers)
    assert got["a"] == pytest.approx((0.5 + 0.0) / 2)  # item 3 has nobody else
    assert got["b"] == pytest.approx((0.5 + 0.0) / 2)
    assert got["c"] == 0.0


def test_degenerate_inputs():
    assert aggregate([], "mace").labels == {}
    one_label = [Answer(i, w, "x") for i in range(3) for w in ("a", "b")]
    res = aggregate(one_label, "dawid-skene")
    assert set(res.labels.values()) == {"x"} and res.reliability == {"a": 1.0, "b": 1.0}
    alone = aggregate([Answer(1, "a", "x"), Answer(2, "a", "y")], "mace")
    assert alone.labels == {1: "x", 2: "y"} and alone.reliability == {"a": 0.0}


def test_bad_method_and_bad_scores_are_clear_errors():
    assert check_method("Dawid_Skene") == "dawid-skene" and check_method("majority") == "mean"
    with pytest.raises(InputError, match="unknown aggregation"):
        check_method("median")
    with pytest.raises(InputError, match="must be a number"):
        aggregate([Answer(1, "a", "five")], "mean", ordinal=True)


def test_simulated_crowd_meets_the_bench_goals():
    crowd = simulate(n_items=500, per_item=5, seed=0)
    got = evaluate(crowd)
    acc = got["accuracy"]
    assert max(acc["dawid_skene"], acc["mace"]) >= acc["majority"] + 0.05
    assert got["reliability_rank_correlation_by_method"]["dawid_skene"] >= 0.8
    assert got["reliability_rank_correlation_by_method"]["mace"] >= 0.8


def test_simulated_truth_is_what_the_reliable_annotators_mostly_say():
    # Guards the simulation itself: a reliable annotator must match the truth about as often as designed.
    crowd = simulate(n_items=400, per_item=10, seed=3)
    for ann in crowd.annotators:
        mine = [a for a in crowd.answers if a.annotator == ann.name]
        hit = sum(crowd.truth[a.item] == a.label for a in mine) / len(mine)
        if ann.kind == "reliable":
            assert hit > ann.knows - 0.08
        if ann.kind == "constant":
            assert {a.label for a in mine} == {"question"}
    oracle = aggregate([a for a in crowd.answers if a.annotator.startswith("reliable")], "mean")
    assert reliability_rank_correlation(oracle, crowd) < 1.0  # annotators it never saw rank last, tied


def _ratings_frame() -> tuple[pd.DataFrame, dict[int, int]]:
    """Column A's replies truly score 2, B's 4; two lazy annotators give everything 5 and "question"."""
    rows, truth = [], {}
    for g in range(60):
        column = "A" if g % 2 == 0 else "B"
        score = 2 if column == "A" else 4
        truth[g] = score
        tt = ("suggestion", "mixed", "other")[g // 2 % 3]
        careful = ("good-1", "good-2", "good-3") if g < 36 else (f"good-{1 + (g // 2) % 3}",)
        for who in careful:
            rows.append({"generation_id": g, "annotator": who, "column": column, "turn_type": tt,
                         "questioning": float(score), "suggestion": float("nan")})
        for who in ("lazy-1", "lazy-2"):
            rows.append({"generation_id": g, "annotator": who, "column": column, "turn_type": "question",
                         "questioning": 5.0, "suggestion": float("nan")})
    return pd.DataFrame(rows), truth


def test_aggregated_scores_table_beside_the_plain_mean():
    from workbench.analysis.aggregate_tables import aggregated_scores, reliability_table

    ratings, _truth = _ratings_frame()
    table = aggregated_scores(ratings, ("mean", "dawid-skene")).set_index(["column", "aggregate"])
    plain_a = table.loc[("A", "mean"), "questioning"]
    assert plain_a > 3.0  # the lazy pair's 5s drag A's 2 upwards
    assert table.loc[("A", "dawid-skene"), "questioning"] == pytest.approx(2.0, abs=0.05)
    assert table.loc[("B", "dawid-skene"), "questioning"] == pytest.approx(4.0, abs=0.05)
    assert table.loc[("A", "dawid-skene"), "turn_type:question"] == pytest.approx(0.0)
    assert table.loc[("A", "mean"), "turn_type:question"] > 0.3  # thin items: 2 lazy votes beat 1 careful one
    assert math.isnan(table.loc[("A", "mean"), "suggestion"])  # every suggestion score was N/A
    assert table.loc[("A", "mean"), "replies"] == 30
    rel = reliability_table(ratings, "dawid-skene").set_index("annotator")
    assert rel.loc["good-1", "reliability:questioning"] > 0.9 and rel.loc["lazy-1", "reliability:turn_type"] < 0.1



def test_a_tied_turn_type_vote_counts_half_to_each_type():
    """Two annotators, one says question and one suggestion: the mean method's share was 100 % question (the
    label that sorts first took the tie)."""
    from workbench.analysis.aggregate_tables import aggregated_scores

    rows = [{"generation_id": g, "annotator": who, "column": "A", "turn_type": tt, "questioning": 3.0,
             "suggestion": 3.0} for g in range(4) for who, tt in (("a1", "question"), ("a2", "suggestion"))]
    table = aggregated_scores(pd.DataFrame(rows), ("mean",)).set_index(["column", "aggregate"])
    assert table.loc[("A", "mean"), "turn_type:question"] == pytest.approx(0.5)
    assert table.loc[("A", "mean"), "turn_type:suggestion"] == pytest.approx(0.5)
    assert table.loc[("A", "mean"), "turn_type:mixed"] == 0.0


def test_aggregated_scores_of_nothing_and_of_a_bad_method():
    from workbench.analysis.aggregate_tables import aggregated_scores

    ratings, _ = _ratings_frame()
    assert aggregated_scores(ratings.iloc[0:0]).empty
    with pytest.raises(InputError, match="unknown aggregation"):
        aggregated_scores(ratings, ("median",))
