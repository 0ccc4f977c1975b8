"""The machine judge's tables and the simulated measures within the Compare/``stats`` scope (walk s65: they took
every rating and judge score in the store whatever the filters, unmarked). Real SQLite store, written row by row
(``judge_scope_world``); the expected pairs of each filter are listed by hand from that world's rows."""

from __future__ import annotations

import csv
from pathlib import Path

import krippendorff
import pytest
from judge_scope_world import AXIS, JUDGE, REPLIES, build_world
from scipy.stats import spearmanr
from sqlalchemy import event

from workbench.analysis.simulated import consultations_frame
from workbench.cli import main
from workbench.judge import AGENT_PREFIX, judge_agreement, judge_pairs, judge_scores, judge_tables
from workbench.scope import Scope
from workbench.store.engine import Store

REPO = Path(__file__).resolve().parents[1]

ALL = {0: 1.5, 1: 3, 2: 5, 3: 2, 4: 4.5, 5: 1, 6: 3, 7: 4, 9: 2}

#: scope → the pairs it keeps, as {reply: the mean of the humans' scores kept}
AGREEMENT_CASES = [
    (Scope(), ALL),
    (Scope(annotators=["ann"]), {0: 1, 1: 3, 3: 2, 4: 4, 6: 3, 9: 2}),
    (Scope(annotators=["bob"]), {0: 2, 2: 5, 4: 5, 5: 1, 7: 4}),
    (Scope(datasets=["d1"]), {0: 1.5, 1: 3, 2: 5, 3: 2}),
    (Scope(datasets=["d2", None]), {4: 4.5, 5: 1, 6: 3, 7: 4, 9: 2}),  # None: live chats
    (Scope(columns=["B"]), {2: 5, 3: 2, 6: 3, 7: 4}),
    # reply 6 was created in January and rated in February: its rating is in the range, the reply is not
    (Scope(date_from="2025-02-01"), {3: 2, 4: 4.5, 5: 1, 7: 4}),
    (Scope(date_to="2025-01-31"), {0: 1.5, 1: 3, 2: 5, 9: 2}),
    # reply 3: the human says question, the classifier suggestion (out); reply 4: bob's "suggestion" is out
    (Scope(turn_types=["question"]), {0: 1.5, 2: 5, 4: 4, 6: 3, 9: 2}),
    (Scope(turn_types=["suggestion"]), {1: 3, 5: 1, 7: 4}),
    (Scope(annotators=["ann"], datasets=["d1"]), {0: 1, 1: 3, 3: 2}),
]

#: scope → the replies whose judge scores it keeps
SCORE_CASES = [
    (Scope(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (Scope(annotators=["bob"]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),  # the judge is not an annotator
    (Scope(datasets=["d1"]), [0, 1, 2, 3, 8]),
    (Scope(datasets=[None]), [9]),
    (Scope(columns=["B"]), [2, 3, 6, 7]),
    (Scope(date_from="2025-02-01"), [3, 4, 5, 7]),
    (Scope(date_to="2025-01-31"), [0, 1, 2, 6, 8, 9]),
    (Scope(turn_types=["question"]), [0, 2, 4, 6, 8, 9]),
]


@pytest.fixture
def world(store):
    return store, build_world(store)


def expected_row(pairs: dict[int, float]) -> dict[str, float]:
    judge = [REPLIES[i].judge for i in sorted(pairs)]
    human = [pairs[i] for i in sorted(pairs)]
    return {"n": len(pairs), "judge_mean": sum(judge) / len(judge), "human_mean": sum(human) / len(human),
            "alpha": krippendorff.alpha(reliability_data=[judge, human], level_of_measurement="interval"),
            "spearman": spearmanr(judge, human).statistic}


@pytest.mark.parametrize(("scope", "pairs"), AGREEMENT_CASES)
def test_judge_agreement_follows_every_filter(world, scope, pairs):
    store, ids = world
    got = judge_pairs(store, scope)
    assert dict(zip(got["generation_id"], got["human"], strict=True)) == {ids[i]: h for i, h in pairs.items()}
    table = judge_agreement(store, n_boot=50, scope=scope)
    assert list(table["judge"]) == [JUDGE] and list(table["axis"]) == [AXIS]
    row = table.iloc[0]
    want = expected_row(pairs)
    assert row["n"] == want["n"]
    for key in ("judge_mean", "human_mean", "alpha", "spearman"):
        assert row[key] == pytest.approx(want[key]), key


def test_no_scope_is_the_whole_store(world):
    store, _ids = world
    assert judge_agreement(store, n_boot=0).equals(judge_agreement(store, n_boot=0, scope=Scope()))
    assert judge_agreement(store, n_boot=0, scope=Scope(annotators=["nobody"])).empty


@pytest.mark.parametrize(("scope", "replies"), SCORE_CASES)
def test_judge_scores_follow_every_filter_but_the_annotator(world, scope, replies):
    store, _ids = world
    table = judge_scores(store, n_boot=50, scope=scope).set_index("column")
    want: dict[str, list[float]] = {}
    for i in replies:
        want.setdefault(REPLIES[i].column, []).append(REPLIES[i].judge)
    assert sorted(table.index) == sorted(want)
    for column, scores in want.items():
        assert table.loc[column, "n"] == len(scores)
        assert table.loc[column, "mean"] == pytest.approx(sum(scores) / len(scores))


@pytest.mark.parametrize("scope", [Scope(), Scope(annotators=["bob"]), Scope(datasets=["d1"]),
                                   Scope(turn_types=["question"], date_from="2025-02-01")])
def test_both_judge_tables_come_from_one_read_of_the_scores(world, scope):
    store, _ids = world
    reads: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        if "suggestions.score" in statement.split("FROM", 1)[0]:  # the judge's scores, not the humans' ratings
            reads.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        agreement, scores = judge_tables(store, n_boot=50, scope=scope)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    # the Compare section and stats show both tables on one request: the judge's scores are read once for both
    assert len(reads) == 1
    assert agreement.equals(judge_agreement(store, n_boot=50, scope=scope))
    assert scores.equals(judge_scores(store, n_boot=50, scope=scope))
    assert len(scores) and all(j.startswith(AGENT_PREFIX) for j in scores["judge"])


@pytest.mark.parametrize(("scope", "datasets"), [
    (Scope(), ["sim-jan", "sim-feb"]),
    (Scope(date_from="2025-02-01"), ["sim-feb"]),  # when the consultation began
    (Scope(date_to="2025-01-10"), ["sim-jan"]),  # a day as "to" is the whole day
    (Scope(columns=["A"]), ["sim-jan"]),
    (Scope(datasets=["sim-feb", "d1"]), ["sim-feb"]),
    (Scope(datasets=[None]), []),  # a live chat is never a consultation
    (Scope(annotators=["ann"], turn_types=["question"]), ["sim-jan", "sim-feb"]),  # do not apply
])
def test_simulated_consultations_follow_datasets_columns_and_dates(world, scope, datasets):
    store, _ids = world
    frame = consultations_frame(store, scope=scope)
    assert (list(frame["dataset"]) if len(frame) else []) == datasets


def test_stats_computes_the_judge_and_the_measures_within_its_filters(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(url)
    build_world(store)
    store.dispose()
    monkeypatch.setenv("WORKBENCH_DB_URL", url)
    cfg = str(REPO / "configs" / "demo.yaml")
    out = tmp_path / "stats"
    assert main(["stats", "--config", cfg, "--out", str(out), "--no-metrics", "--n-boot", "50", "--annotator", "ann",
                 "--column", "A", "--from", "2025-01-01"]) == 0
    printed = capsys.readouterr().out
    # ann's ratings of column A's replies: replies 0, 1, 4 and 9
    want = expected_row({0: 1, 1: 3, 4: 4, 9: 2})
    [row] = list(csv.DictReader((out / "judge_agreement.csv").open(encoding="utf-8-sig")))
    assert int(row["n"]) == want["n"] and float(row["alpha"]) == pytest.approx(want["alpha"])
    assert float(row["human_mean"]) == pytest.approx(want["human_mean"])
    assert row["filters"] == "annotators=ann; date_from=2025-01-01; columns=A"
    assert "Filters: annotators=ann; date_from=2025-01-01; columns=A, all applied" in printed
    # report.md names them as the files beside it do (it wrote Python's tuples: annotators=('ann',), …)
    report = (out / "report.md").read_text("utf-8")
    assert "Filters: annotators=ann; date_from=2025-01-01; columns=A\n" in report and "('" not in report
    # the judge's scores, as the Compare tab's third table: column A's judged replies, any annotator (the judge is none)
    [scores] = list(csv.DictReader((out / "judge_scores.csv").open(encoding="utf-8-sig")))
    column_a = [r.judge for r in REPLIES if r.column == "A"]
    assert (scores["column"], int(scores["n"])) == ("A", len(column_a))
    assert float(scores["mean"]) == pytest.approx(sum(column_a) / len(column_a))
    assert scores["filters"] == "date_from=2025-01-01; columns=A"
    # the measures: column A, begun from January 1 (sim-jan); the annotator filter cannot apply, and says so
    md = (out / "simulated.md").read_text("utf-8")
    assert "--annotator does not apply here" in md and "--from" not in md and "--column" not in md
    # read on its own, the file names the filters its figures are within (not the annotator's), as report.md does
    assert "Filters: date_from=2025-01-01; columns=A." in md and "annotators=ann" not in md
    measures = list(csv.DictReader((out / "simulated_measures.csv").open(encoding="utf-8-sig")))
    assert measures and {m["filters"] for m in measures} == {"date_from=2025-01-01; columns=A"}
    consultations = list(csv.DictReader((out / "simulated_consultations.csv").open(encoding="utf-8-sig")))
    assert [(c["dataset"], c["column"]) for c in consultations] == [("sim-jan", "A")]

    narrow = tmp_path / "d1"
    assert main(["stats", "--config", cfg, "--out", str(narrow), "--no-metrics", "--n-boot", "50",
                 "--dataset", "d1"]) == 0
    # the store's consultations are all outside d1: the run says so rather than staying silent
    assert "No simulated consultation within the filters (datasets=d1)" in capsys.readouterr().out
    # it names the filters that left the consultations out, not the turn type, which a consultation does not follow
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "d1q"), "--no-metrics", "--n-boot", "50",
                 "--dataset", "d1", "--turn-type", "question"]) == 0
    assert "No simulated consultation within the filters (datasets=d1):" in capsys.readouterr().out
    [row] = list(csv.DictReader((narrow / "judge_agreement.csv").open(encoding="utf-8-sig")))
    assert int(row["n"]) == 4 and row["filters"] == "datasets=d1"  # replies 0 to 3
    assert float(row["human_mean"]) == pytest.approx(expected_row({0: 1.5, 1: 3, 2: 5, 3: 2})["human_mean"])
    assert not (narrow / "simulated.md").exists()  # d1 holds no consultation

    # a run whose filters the measures all follow says so too (before, its simulated.md read as the whole store's)
    jan = tmp_path / "jan"
    assert main(["stats", "--config", cfg, "--out", str(jan), "--no-metrics", "--n-boot", "50",
                 "--from", "2025-01-01"]) == 0
    md = (jan / "simulated.md").read_text("utf-8")
    assert "Filters: date_from=2025-01-01." in md and "does not apply" not in md
    unfiltered = tmp_path / "all"
    assert main(["stats", "--config", cfg, "--out", str(unfiltered), "--no-metrics", "--n-boot", "50"]) == 0
    assert "Filters:" not in (unfiltered / "simulated.md").read_text("utf-8")
    assert "Filters: none\n" in (unfiltered / "report.md").read_text("utf-8")
    measures = list(csv.DictReader((unfiltered / "simulated_measures.csv").open(encoding="utf-8-sig")))
    assert {m["filters"] for m in measures} == {"none"}


def test_a_judged_greeting_counts_in_no_judge_table(world):
    """Greetings are counted apart from every metric; the judge skips them, but older or imported rows may hold a
    judge score on one (walk s65): it joins neither the judge's scores nor its agreement with the humans."""
    from workbench.store.schema import Dialogue, Generation, Rating, Suggestion, User
    from workbench.vocab import GREETING_ROUTE

    store, _ids = world
    before_scores = judge_scores(store, n_boot=20)
    before_pairs = judge_pairs(store)
    with store.session() as s:
        ann = s.query(User).filter_by(username="ann").one()
        d = Dialogue(source="live")
        s.add(d)
        s.flush()
        g = Generation(dialogue_id=d.id, turn_index=0, column_name="A", backend="t", output="我是扁鹊", status="ok",
                       route=GREETING_ROUTE)
        s.add(g)
        s.flush()
        s.add(Suggestion(generation_id=g.id, question=AXIS, value="1", score=1, agent=JUDGE))
        s.add(Rating(generation_id=g.id, user_id=ann.id, status="submitted", scores={AXIS: 5}))
    after = judge_scores(store, n_boot=20)
    assert list(after["n"]) == list(before_scores["n"]) and list(after["mean"]) == list(before_scores["mean"])
    assert judge_pairs(store).equals(before_pairs)
