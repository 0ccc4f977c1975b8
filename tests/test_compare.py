"""Analysis frames from the store, the Compare tab's handler and the stats CLI, on a small hand-made DB."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from sqlalchemy import event, select

from workbench.analysis.from_store import load_frames
from workbench.analysis.plots import dashboard_figures
from workbench.analysis.report import SECTIONS
from workbench.annotate.rubric import NA
from workbench.datasets.store_import import import_dataset
from workbench.scope import Scope
from workbench.store.engine import Store
from workbench.store.schema import Dialogue, Generation, Preference, Rating, Suggestion, Turn, User

REPO = Path(__file__).resolve().parents[1]
SEED_CSV = REPO / "workbench" / "data" / "seed_examples_bianque.csv"


def populate(store: Store) -> dict:
    """Two columns A and B at the seed dataset's first two positions, plus one live reply, with
    ratings and preferences in every status. Returns the ids and expected values."""
    import_dataset(store, SEED_CSV, name="seed")
    with store.session() as s:
        ann1, ann2 = User(username="ann1", password_hash="!"), User(username="ann2", password_hash="!")
        s.add_all([ann1, ann2])
        first = s.scalar(select(Dialogue).where(Dialogue.external_id.is_not(None)).order_by(Dialogue.id))
        ref1, ref3 = first.turns[1], first.turns[3]  # gold doctor turns at indices 1 and 3
        live = Dialogue(source="live")
        s.add(live)
        s.flush()
        gens: dict[str, Generation] = {}
        for key, (did, tix, col, out, status, ref) in {
            "A1": (first.id, 1, "A", "失眠多久了？", "ok", ref1),
            "B1": (first.id, 1, "B", "建议早点睡觉。", "ok", ref1),
            "A3": (first.id, 3, "A", "睡眠怎么样？", "ok", ref3),
            "B3": (first.id, 3, "B", "", "error", ref3),
            "L": (live.id, 1, "A", "多喝水。", "ok", None),
        }.items():
            g = Generation(dialogue_id=did, turn_index=tix, column_name=col, backend="bianque-v1",
                           model_name=None if col == "B" else "path/a", output=out, status=status,
                           latency_ms=100.0 if col == "A" else 300.0, length_chars=len(out),
                           reference_turn_id=ref.id if ref else None, batch_run_id=None)
            s.add(g)
            gens[key] = g
        s.flush()
        # two suggestions for A1: the newest one is the one the frames must carry
        s.add(Suggestion(generation_id=gens["A1"].id, question="turn_type", value="other", agent="old"))
        s.flush()
        s.add(Suggestion(generation_id=gens["A1"].id, question="turn_type", value="question", agent="new"))
        s.add(Suggestion(generation_id=gens["B1"].id, question="turn_type", value="suggestion", agent="new"))

        def rate(g, u, status, q, q_na=False, slot=0, tt=None):
            s.add(Rating(generation_id=gens[g].id, user_id=u.id, status=status, scores={"questioning": NA if q_na else q, "suggestion": 3}, display_slot=slot, turn_type=tt))

        rate("A1", ann1, "submitted", 4, slot=0, tt="question")
        rate("A1", ann2, "submitted", 2, slot=1)
        rate("B1", ann1, "submitted", None, q_na=True, slot=1)
        rate("B1", ann2, "draft", 5)  # not a result
        rate("A3", ann1, "discarded", 1)  # not a result
        g = gens
        for u, outcome, shown, winner, ranking, status in (
            (ann1, "best", [g["A1"].id, g["B1"].id], g["A1"].id, None, "submitted"),
            (ann2, "ranking", [g["B1"].id, g["A1"].id], None, [g["A1"].id, g["B1"].id], "submitted"),
        ):
            s.add(Preference(dialogue_id=first.id, turn_index=1, user_id=u.id, status=status, shown=shown,
                             outcome=outcome, winner_generation_id=winner, ranking=ranking))
        s.add(Preference(dialogue_id=first.id, turn_index=3, user_id=ann1.id, status="draft",
                         shown=[g["A3"].id, g["B3"].id], outcome="best", winner_generation_id=g["B3"].id))
        return {"gens": {k: v.id for k, v in gens.items()}, "first": first.id, "ref1": ref1.text,
                "ref3": ref3.text, "n_refs": s.query(Turn).filter(Turn.is_reference.is_(True)).count()}


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    yield st
    st.dispose()


def test_frames_from_store_follow_the_contract(store):
    ids = populate(store)
    f = load_frames(store)
    g = f.generations.set_index("generation_id")
    gid = ids["gens"]
    assert set(g.index) == set(gid.values())
    assert g.loc[gid["A1"], "dataset"] == "seed" and pd.isna(g.loc[gid["L"], "dataset"])
    assert g.loc[gid["B3"], "reference"] == ids["ref3"]
    assert pd.isna(g.loc[gid["A1"], "reference"])  # the gold turn there is the apps' greeting: no reference
    assert pd.isna(g.loc[gid["L"], "reference"])
    assert g.loc[gid["A1"], "turn_type_auto"] == "question"  # newest suggestion wins
    assert g.loc[gid["B1"], "turn_type_auto"] == "suggestion" and pd.isna(g.loc[gid["A3"], "turn_type_auto"])
    assert g.loc[gid["A1"], "model"] == "path/a" and g.loc[gid["B1"], "model"] == "bianque-v1"
    assert g.loc[gid["B3"], "status"] == "error" and g.loc[gid["A1"], "column"] == "A"

    r = f.ratings
    assert len(r) == 3  # drafts and discarded ratings are not results
    assert sorted(r["annotator"]) == ["ann1", "ann1", "ann2"]
    a1 = r[r["generation_id"] == gid["A1"]].set_index("annotator")
    assert a1.loc["ann1", "questioning"] == 4 and a1.loc["ann2", "questioning"] == 2
    assert a1.loc["ann1", "display_slot"] == 0 and a1.loc["ann1", "turn_type"] == "question"
    assert pd.isna(a1.loc["ann2", "turn_type"])
    b1 = r[r["generation_id"] == gid["B1"]].iloc[0]
    assert math.isnan(b1["questioning"]) and b1["column"] == "B" and b1["dataset"] == "seed"

    p = f.preferences.set_index("annotator")
    assert len(p) == 2
    assert p.loc["ann1", "shown"] == ["A", "B"] and p.loc["ann1", "winner"] == "A"
    assert p.loc["ann2", "shown"] == ["B", "A"] and p.loc["ann2", "ranking"] == ["A", "B"]
    assert pd.isna(p.loc["ann2", "winner"]) and p.loc["ann1", "dataset"] == "seed"

    refs = f.references
    # The seed CSV has one row per doctor turn (8); two dialogues open with the apps' greeting, which is
    # no reference for any model (see workbench.store.greetings).
    assert len(refs) == ids["n_refs"] - 2 == 6
    first = refs[refs["dialogue_id"] == ids["first"]].set_index("turn_index")
    assert 1 not in first.index and first.loc[3, "text"] == ids["ref3"] and set(refs["dataset"]) == {"seed"}


def test_frames_take_a_fixed_number_of_queries(store):
    populate(store)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        load_frames(store)
        small = len(statements)
        with store.session() as s:  # ten times the replies must not mean more queries
            did = s.scalar(select(Dialogue.id))
            s.add_all(Generation(dialogue_id=did, turn_index=9, column_name=f"C{i}", backend="x", status="ok")
                      for i in range(50))
        statements.clear()
        load_frames(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(statements) == small <= 5


def test_dashboard_from_store_matches_hand_counts(store):
    from workbench.analysis.dashboard import compute_dashboard

    populate(store)
    d = compute_dashboard(load_frames(store), metrics=False, n_boot=200)
    scores = d.scores.set_index("column")
    assert scores.loc["A", "questioning_mean"] == pytest.approx(3.0)  # (4 + 2) / 2; the draft 5 is ignored
    assert scores.loc["B", "n_questioning"] == 0  # its only submitted rating says "not applicable"
    assert scores.loc["B", "error_rate"] == pytest.approx(0.5)  # B1 ok, B3 error
    # A wins both submitted judgements (a pick and a ranking); the draft win for B does not count
    assert d.win_rates.loc["A", "B"] == pytest.approx(1.0) and d.win_counts.loc["A", "B"] == 2
    only_ann2 = compute_dashboard(load_frames(store), Scope(annotators=("ann2",)), metrics=False, n_boot=200)
    assert only_ann2.counts["ratings"] == 1 and only_ann2.counts["preferences"] == 1


def test_compare_handler_returns_every_table_and_figure(services):
    from workbench.ui.compare_tab import compute_view, filter_choices, make_filters

    populate(services.store)
    view = compute_view(services, metrics=True, n_boot=200)
    assert set(view.tables) == {stem for stem, *_ in SECTIONS}
    assert all(isinstance(t, pd.DataFrame) for t in view.tables.values())
    assert set(view.figures) == set(dashboard_figures(view.dashboard))
    assert all(isinstance(fig, go.Figure) for fig in view.figures.values())
    assert len(view.figures["scores"].data) >= 1 and len(view.figures["win_matrix"].data) >= 1
    metrics = view.tables["metrics"]
    assert {"A"} <= set(metrics["column"])  # A's ok replies have references to be scored against
    assert not view.tables["scores"].empty and not view.tables["coq_curve"].empty
    # Differences: every missing number reads n/a (the difference too, not only its bounds), headers readable.
    diffs = view.shown["score_differences"]
    assert {"First column", "Second column", "Difference (second − first)", "Reading"} <= set(diffs.columns)
    questioning = diffs[diffs["Axis"] == "questioning"].iloc[0]
    assert questioning["Difference (second − first)"] == "n/a" and questioning["Reading"] == "n/a"
    # The comparisons table counts each pair both ways: its rows "beat" nothing (the win-rate table's do).
    assert view.shown["win_rates"].columns[0] == "Row (beats →)"
    assert view.shown["win_counts"].columns[0] == "Column (compared with →)"
    counts = view.tables["win_counts"].set_index("row")
    assert (counts.fillna(0) == counts.fillna(0).T).all().all()
    assert all(pd.api.types.is_integer_dtype(t) for t in counts.dtypes)  # whole comparisons, not 5.0
    zh_view = compute_view(services, n_boot=50, lang="zh")
    zh = zh_view.shown["score_differences"]
    assert "," not in zh_view.summary and "，" in zh_view.summary  # a Chinese list's commas
    # Two annotators: intervals up to the whole scale, and the summary says why (walk 11); one: nothing to say.
    assert "**Only 2 annotators:**" in view.summary and "1 degrees" not in view.summary
    assert "只有 2 位标注员" in zh_view.summary
    assert "annotators:**" not in compute_view(services, make_filters(annotators=["ann1"]), n_boot=50).summary
    assert set(zh["结论"]) == {"不适用"} and "差值（第二列 − 第一列）" in zh.columns

    from workbench.auth import upsert_user

    upsert_user(services.store, "idle", "idle-password", "admin")  # no answers: nothing to filter by
    choices = filter_choices(services)
    assert {"ann1", "ann2"} <= set(choices["annotators"]) and "seed" in choices["datasets"]
    assert "idle" not in choices["annotators"]
    narrowed = compute_view(services, make_filters(columns=["A"], datasets=["seed"]), n_boot=200)
    assert set(narrowed.tables["scores"]["column"]) == {"A"}
    assert narrowed.tables["metrics"].iloc[0, 0] == 'press "Compute metrics"'  # not computed by default
    # ... and its section offers no PNG/SVG of an empty "no data" chart until then; other sections do
    from workbench.ui.compare_tab import download_links

    assert "metrics.png" not in download_links("t", ("metrics",), ("metrics",), "en", narrowed.computed)
    assert "agreement.png" in download_links("t", ("agreement",), ("agreement",), "en", narrowed.computed)


def test_app_has_compare_and_data_tabs(services):
    import gradio as gr

    from workbench.ui.app import build_app

    demo = build_app(services)
    labels = {b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)}
    assert {"Compare", "Data"} <= labels
    apis = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"compare", "compare_metrics", "import_dataset", "batch_generate"} <= apis


def test_stats_cli_writes_markdown_and_csvs(store, tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    populate(store)
    monkeypatch.setenv("WORKBENCH_DB_URL", store.url)
    out = tmp_path / "report"
    rc = main(["stats", "--config", str(REPO / "configs" / "demo.yaml"), "--out", str(out), "--n-boot", "200"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# ") and "Bradley-Terry" in printed
    assert (out / "report.md").read_text(encoding="utf-8").strip() == printed.strip()
    expected = {f"{stem}.csv" for stem, *_ in SECTIONS}
    assert expected <= {p.name for p in out.iterdir()}
    scores = pd.read_csv(out / "scores.csv").set_index("column")
    assert scores.loc["A", "questioning_mean"] == pytest.approx(3.0)
    # B - A on the one dialogue both were rated in: suggestion 3 against 3 and 3, no interval from one
    # dialogue; B's only questioning answer is "not applicable", so nothing pairs there.
    diffs = pd.read_csv(out / "score_differences.csv").set_index("axis")
    assert list(diffs["first"]) == ["A", "A"] and list(diffs["second"]) == ["B", "B"]
    assert diffs.loc["suggestion", ["n_first", "n_second", "n_paired_dialogues"]].tolist() == [2, 1, 1]
    assert diffs.loc["suggestion", "difference"] == 0 and math.isnan(diffs.loc["suggestion", "lo"])
    assert diffs.loc["questioning", "n_paired_dialogues"] == 0 and math.isnan(diffs.loc["questioning", "difference"])
    assert set(diffs["reading"]) == {"no_interval"}
    assert "## Differences between columns" in printed

    rc = main(["stats", "--config", str(REPO / "configs" / "demo.yaml"), "--out", str(tmp_path / "r2"),
               "--annotator", "ann2", "--column", "A", "--no-metrics", "--n-boot", "100"])
    assert rc == 0
    capsys.readouterr()
    scores = pd.read_csv(tmp_path / "r2" / "scores.csv").set_index("column")
    assert list(scores.index) == ["A"] and scores.loc["A", "questioning_mean"] == pytest.approx(2.0)
    assert not (tmp_path / "r2" / "metrics.csv").exists()  # skipped on request


def test_stats_cli_rejects_a_bad_date(store, tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_DB_URL", store.url)
    rc = main(["stats", "--config", str(REPO / "configs" / "demo.yaml"), "--out", str(tmp_path / "x"),
               "--from", "not-a-date"])
    assert rc == 2 and "not a date" in capsys.readouterr().err


def test_stats_cli_refuses_a_folder_an_earlier_run_filled(store, tmp_path, monkeypatch, capsys):
    """Walk s64: a filtered run into the folder of an unfiltered one rewrote report.md but left the old run's
    metrics.csv, aggregated_scores.csv and simulated_*.csv beside it, read as this run's (as export refuses)."""
    from workbench.cli import main

    populate(store)
    monkeypatch.setenv("WORKBENCH_DB_URL", store.url)
    cfg = str(REPO / "configs" / "demo.yaml")
    out = tmp_path / "r"
    assert main(["stats", "--config", cfg, "--out", str(out), "--no-metrics", "--n-boot", "50"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main(["stats", "--config", cfg, "--out", str(out), "--no-metrics", "--n-boot", "50",
                 "--aggregate", "none"]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # refused before anything was written
    (tmp_path / "f").write_text("x")
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "f"), "--no-metrics", "--n-boot", "50"]) == 2
    assert "is a file" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["stats", "--config", cfg, "--out", str(empty), "--no-metrics", "--n-boot", "50"]) == 0


def test_stats_cli_writes_the_aggregates_beside_the_plain_scores(store, tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    populate(store)
    monkeypatch.setenv("WORKBENCH_DB_URL", store.url)
    cfg = str(REPO / "configs" / "demo.yaml")
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "r"), "--no-metrics", "--n-boot", "50"]) == 0
    assert "aggregated over annotators" in capsys.readouterr().out
    agg = pd.read_csv(tmp_path / "r" / "aggregated_scores.csv")
    assert set(agg["aggregate"]) == {"mean", "dawid-skene", "mace"}
    plain = pd.read_csv(tmp_path / "r" / "scores.csv").set_index("column")
    mean_a = agg[(agg["column"] == "A") & (agg["aggregate"] == "mean")].iloc[0]
    assert mean_a["questioning"] == pytest.approx(plain.loc["A", "questioning_mean"])
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "n"), "--no-metrics", "--n-boot", "50",
                 "--aggregate", "none"]) == 0
    assert not (tmp_path / "n" / "aggregated_scores.csv").exists()
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "x"), "--aggregate", "median"]) == 2
    assert "unknown aggregation" in capsys.readouterr().err


def test_menus_show_words_not_data_keys(services):
    """The Quality tab's method menu offered mean / dawid-skene / mace, and the gold turn type its raw keys."""
    import gradio as gr

    from workbench.ui.app import build_app
    from workbench.ui.i18n import t

    demo = build_app(services)
    menus = {b.label: [name for name, _ in b.choices] for b in demo.blocks.values() if isinstance(b, gr.Dropdown)}
    assert menus[t("quality.method", "en")] == [t(f"compare.method.{m}", "en") for m in ("mean", "dawid-skene", "mace")]
    assert menus[t("quality.gold.turn_type", "en")][1:] == [t(f"compare.turn_type.{k}", "en")
                                                            for k in ("question", "suggestion", "mixed", "other")]


def test_the_dataset_menu_names_live_chats_in_the_language_and_shows_controls():
    from workbench.scope import LIVE_CHATS
    from workbench.ui.compare_tab import dataset_menu

    assert dataset_menu([LIVE_CHATS, "seed", "bad\u202ename"], "zh") == [
        ("（实时对话）", LIVE_CHATS), ("seed", "seed"), ("bad[U+202E]name", "bad\u202ename")]
    assert dataset_menu([LIVE_CHATS], "en") == [("(live chats)", LIVE_CHATS)]


def test_the_tab_and_the_stats_cli_write_the_same_tables(services, tmp_path, monkeypatch, capsys):
    """The tab's CSVs counted slots from 1 and the CLI's from 0, and the tab resampled 1000 times where the
    CLI did 2000, so one store gave two sets of interval endpoints: both now share slots and defaults."""
    import io

    from workbench.cli import main
    from workbench.ui.compare_tab import compute_view
    from workbench.ui.downloads import csv_bytes

    populate(services.store)
    view = compute_view(services, aggregates=())
    monkeypatch.setenv("WORKBENCH_DB_URL", services.store.url)
    out = tmp_path / "cli"
    assert main(["stats", "--config", str(REPO / "configs" / "demo.yaml"), "--out", str(out), "--no-metrics",
                 "--aggregate", "none"]) == 0
    capsys.readouterr()
    for stem in ("scores", "slot_scores", "position_bias", "bradley_terry"):
        ui = pd.read_csv(io.BytesIO(csv_bytes(view.tables[stem])), encoding="utf-8-sig")
        cli = pd.read_csv(out / f"{stem}.csv", encoding="utf-8-sig")
        pd.testing.assert_frame_equal(ui, cli, check_dtype=False, obj=stem)
    assert sorted(pd.read_csv(out / "position_bias.csv")["slot"]) == [1, 2]
    assert sorted(set(pd.read_csv(out / "slot_scores.csv")["slot"])) == [1, 2]


def test_reliability_weighting_is_off_by_default_and_its_table_says_how_to_get_it(services):
    """Dawid-Skene and MACE took 7-13 s of every Refresh on a team's first hundred ratings, ticked by default."""
    from workbench.ui.app import build_app
    from workbench.ui.compare_tab import compute_view
    from workbench.ui.i18n import t

    populate(services.store)
    demo = build_app(services)
    box = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "compare-aggregates")
    assert box.value is False
    view = compute_view(services, aggregates=())
    assert view.shown["aggregated_scores"].iloc[0, 0] == t("compare.press_weighted", "en")
    assert "aggregated_scores" not in view.computed


def test_the_turn_type_filter_says_what_it_keeps_in_both_languages(services):
    """Ratings, replies and preferences are filtered differently by turn type, and nothing on screen said so."""
    from workbench.ui.app import build_app
    from workbench.ui.i18n import t

    demo = build_app(services)
    import gradio as gr

    box = next(b for b in demo.blocks.values()
               if isinstance(b, gr.Dropdown) and b.label == t("compare.filter.turn_type", "en"))
    assert box.info == t("compare.filter.turn_type_info", "en")
    assert "preferences" in box.info and "偏好" in t("compare.filter.turn_type_info", "zh")
