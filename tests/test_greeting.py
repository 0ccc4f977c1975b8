"""Greeting turns: live chat keeps the apps' greeting, but it is left out of every metric, the rating
queue and the exports (counted on its own), and batch runs call the model at a dataset's first doctor
turn unless ``--greeting app``."""

from __future__ import annotations

from pathlib import Path

import pytest
from rating_fixtures import make_users
from sqlalchemy import select

from workbench.analysis.dashboard import compute_dashboard
from workbench.analysis.from_store import load_frames
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import RatingForm, submit
from workbench.annotate.rubric import NA, load_rubric
from workbench.batch import run_batch
from workbench.config import REPO_ROOT
from workbench.datasets.store_import import import_dataset
from workbench.dialogue import Dialogue as DialogueValue
from workbench.dialogue import Turn
from workbench.errors import InputError
from workbench.export.from_store import export_from_store, load_export
from workbench.prompts import GREETING
from workbench.store.dialogues import add_turn, create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation, QueueItem, Rating, User

SEED_CSV = Path(REPO_ROOT) / "workbench" / "data" / "seed_examples_bianque.csv"
COLS = ("A", "B")
QUESTION = "咳嗽多久了？有没有发烧？"
ADVICE = "考虑上呼吸道感染，建议多喝水，注意休息。"


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    yield st
    st.dispose()


def _gen(s, did: int, pos: int, col: str, text: str, route: str | None) -> int:
    g = Generation(dialogue_id=did, turn_index=pos, column_name=col, backend="test", model_name=f"test/{col}",
                   output=text, status="ok", route=route, input_text=None if route == "greeting" else "x")
    s.add(g)
    s.flush()
    return g.id


def live_chats(store: Store, n: int) -> list[int]:
    """Live chats as the apps run them: every column greets first, then asks, then advises."""
    ids = []
    with store.session() as s:
        for i in range(n):
            d = create_dialogue(s, (Turn("patient", f"我咳嗽{i}天了"),), source="live").id
            for c in COLS:
                _gen(s, d, 1, c, GREETING, "greeting")
            add_turn(s, d, 2, "patient", "三天了")
            for c in COLS:
                _gen(s, d, 3, c, QUESTION + f"（{i}{c}）", c)
            add_turn(s, d, 4, "patient", "没有发烧")
            for c in COLS:
                _gen(s, d, 5, c, ADVICE + f"（{i}{c}）", c)
            ids.append(d)
    return ids


def test_greetings_are_left_out_of_the_chain_of_questioning_metrics(store):
    live_chats(store, 4)
    frames = load_frames(store)
    d = compute_dashboard(frames, metrics=False, n_boot=50, bt_boot=10)
    # Without the greeting the first real turn of every column is a question ...
    assert set(d.coq["turn_index"]) == {3, 5}
    first = d.coq[d.coq["turn_index"] == 3].set_index("column")
    assert list(first.loc[list(COLS), "share"]) == [1.0, 1.0]
    # ... so every dialogue asks exactly one question before advising (with the greeting it was 0).
    qf = d.questions_first.set_index("column")
    assert list(qf.loc[list(COLS), "mean"]) == [1.0, 1.0]
    assert (frames.generations["output"] != GREETING).all()
    # counted on their own
    assert d.greetings == 8 and d.counts["generations"] == 16


def test_a_gold_greeting_is_not_a_reference_turn(store):
    with store.session() as s:
        from workbench.store.schema import Dataset

        ds = Dataset(name="from-live", format="bianque_csv")
        s.add(ds)
        s.flush()
        create_dialogue(s, (Turn("patient", "头痛"), Turn("doctor", GREETING), Turn("patient", "三天了"),
                            Turn("doctor", QUESTION)), source="dataset", dataset_id=ds.id, reference=True)
    refs = load_frames(store).references
    assert list(refs["text"]) == [QUESTION]


def test_the_queue_never_shows_or_accepts_a_greeting(store):
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "头痛"),), source="live").id
        greet_a = _gen(s, d, 1, "A", GREETING, "greeting")  # A greets as the apps do
        _gen(s, d, 1, "B", QUESTION, "v1")  # B's greeting is switched off in its config
        d2 = create_dialogue(s, (Turn("patient", "发烧"),), source="live").id
        for c in COLS:
            _gen(s, d2, 1, c, GREETING, "greeting")
        sync_queue(s)
        assert [(i.dialogue_id, i.turn_index) for i in s.scalars(select(QueueItem))] == [(d, 1)]
    (ann,) = make_users(store, "ann")
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    with store.session() as s:
        item = open_item(s, ann, take_next(s, ann, 2).item_id)
        assert [r.output for r in item.replies] == [QUESTION]
        with pytest.raises(InputError, match="no ratable reply"):
            submit(s, ann, greet_a, RatingForm(turn_type="other", scores={"questioning": NA, "suggestion": NA}),
                   rubric=rubric)


def test_exports_leave_greetings_out_and_count_them(store, tmp_path):
    ids = live_chats(store, 2)
    (ann,) = make_users(store, "ann")
    with store.session() as s:
        uid = s.scalar(select(User.id).where(User.username == "ann"))
        # ratings stored before greetings were excluded from the queue
        for g in s.scalars(select(Generation).where(Generation.dialogue_id.in_(ids))):
            s.add(Rating(generation_id=g.id, user_id=uid, status="submitted", turn_type="other", scores={"questioning": 5, "suggestion": 5}, display_order=[]))
    data = load_export(store)
    assert data.candidates and all(c.output != GREETING for c in data.candidates)
    assert data.greetings == 4
    reps = export_from_store(store, ["sft", "tables_csv"], tmp_path / "out", deidentify=False)
    sft = (tmp_path / "out" / "sft" / "train.jsonl").read_text("utf-8")
    assert sft.count("\n") == 4  # turns 3 and 5 of two dialogues; never a greeting as target
    assert all(line.rstrip("}").count(GREETING) <= 1 for line in sft.splitlines())  # only as history
    gens = (tmp_path / "out" / "tables_csv" / "generations.csv").read_text("utf-8")
    assert GREETING not in gens
    assert "greeting replies left out: 4" in reps["sft"].notes
    assert "greeting replies left out: 4" in (tmp_path / "out" / "sft" / "README.md").read_text("utf-8")


def _first_positions(store: Store) -> list[Generation]:
    with store.session() as s:
        gens = list(s.scalars(select(Generation).where(Generation.turn_index == 1)))
        for g in gens:
            s.expunge(g)
        return gens


def test_batch_calls_the_model_at_the_first_doctor_turn_unless_greeting_app(services):
    import_dataset(services, SEED_CSV, name="seed")
    cols = ["BianQue-1.0", "Hybrid v1→v2"]
    app = run_batch(services, "seed", cols, "all", greeting="app")
    firsts = _first_positions(services.store)
    assert firsts and {g.route for g in firsts} == {"greeting"} and {g.output for g in firsts} == {GREETING}
    assert app.generated == app.planned
    # the default run calls the model where the app greeted (a stored greeting is not "done")
    summary = run_batch(services, "seed", cols, "all")
    assert summary.generated == len(firsts) and summary.skipped == summary.planned - len(firsts)
    model_firsts = [g for g in _first_positions(services.store) if g.route != "greeting"]
    assert len(model_firsts) == len(firsts)
    for g in model_firsts:
        assert g.input_text and g.route in ("v1", "v2") and g.output != GREETING
        with services.store.session() as s:
            from workbench.store.schema import Dialogue

            gold = s.get(Dialogue, g.dialogue_id).turns[:1]
            history = DialogueValue.of([(t.role, t.text) for t in gold])
        assert g.input_text == services.backends[g.column_name].without_greeting().plan(history).input
    # live chat keeps the apps' greeting
    first_message = DialogueValue.of([("patient", "头痛三天了")])
    assert all(b.plan(first_message).route == "greeting" for b in services.backends.values())


def test_batch_command_line_greeting_option():
    from workbench.cli import build_parser

    p = build_parser()
    assert p.parse_args(["batch", "--dataset", "x"]).greeting == "model"
    assert p.parse_args(["batch", "--dataset", "x", "--greeting", "app"]).greeting == "app"
    with pytest.raises(SystemExit):
        p.parse_args(["batch", "--dataset", "x", "--greeting", "never"])


def test_a_users_stop_is_its_own_status_not_a_model_error(store):
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "头痛"),), source="live").id
        for status in ("ok", "error", "stopped", "stopped"):
            s.add(Generation(dialogue_id=d, turn_index=1, column_name="A", backend="test", output="好的。",
                             status=status, route="v1"))
        s.add(Generation(dialogue_id=d, turn_index=1, column_name="A", backend="test", status="running"))
    scores = compute_dashboard(load_frames(store), metrics=False, n_boot=20, bt_boot=5).scores.set_index("column")
    assert scores.loc["A", "error_rate"] == pytest.approx(1 / 4)
    assert scores.loc["A", "stopped_rate"] == pytest.approx(2 / 4)


def test_stored_preferences_lose_their_greetings(store):
    """Judgements stored before greetings left the queue: only the model replies are compared."""
    from workbench.store.schema import Preference

    (ann,) = make_users(store, "ann")
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "头痛"),), source="live").id
        greet = _gen(s, d, 1, "A", GREETING, "greeting")
        b = _gen(s, d, 1, "B", QUESTION, "v1")
        c = _gen(s, d, 1, "C", ADVICE, "v2")
        uid = s.scalar(select(User.id).where(User.username == "ann"))
        s.add(Preference(dialogue_id=d, turn_index=1, user_id=uid, status="submitted", shown=[greet, b, c],
                         outcome="ranking", ranking=[c, greet, b]))
        d2 = create_dialogue(s, (Turn("patient", "发烧"),), source="live").id
        greet2 = _gen(s, d2, 1, "A", GREETING, "greeting")
        b2 = _gen(s, d2, 1, "B", QUESTION, "v1")
        s.add(Preference(dialogue_id=d2, turn_index=1, user_id=uid, status="submitted", shown=[greet2, b2],
                         outcome="best", winner_generation_id=b2))
    prefs = load_frames(store).preferences
    assert len(prefs) == 1  # the second one compared a greeting with one reply: nothing is left
    row = prefs.iloc[0]
    assert row["shown"] == ["B", "C"] and row["ranking"] == ["C", "B"]


def test_the_compare_tab_says_how_many_greetings_it_left_out(services):
    from workbench.ui.compare_tab import compute_view

    live_chats(services.store, 2)
    view = compute_view(services, n_boot=50)
    assert "4 greeting replies left out" in view.summary
    assert 1 not in set(view.tables["coq_curve"]["turn_index"])
