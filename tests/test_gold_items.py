"""Gold items on a real SQLite store: marking, importing, mixing into queues, accuracy, migration."""

from __future__ import annotations

import json

import pytest
from rating_fixtures import COLUMNS, add_positions, make_users
from sqlalchemy import create_engine, inspect, select

from workbench.annotate.gold import gold_accuracy, gold_item_ids, import_gold, list_gold, mark_gold
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.errors import AuthError, InputError
from workbench.store.engine import Store
from workbench.store.schema import Assignment, Generation, GoldAnswer, QueueItem, Rating, User, utcnow


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'gold.db'}")
    yield s
    s.dispose()


def _gen_id(store, position, column=COLUMNS[0]) -> int:
    with store.session() as s:
        return s.scalar(select(Generation.id).where(Generation.dialogue_id == position[0],
                                                    Generation.turn_index == position[1],
                                                    Generation.column_name == column))


def _take_and_complete(store, user, k, rate) -> int | None:
    with store.session() as s:
        claim = take_next(s, user, k, rate)
        if claim is None:
            return None
        a = s.scalars(select(Assignment).where(Assignment.item_id == claim.item_id,
                                               Assignment.user_id == user.id)).one()
        a.completed_at = utcnow()  # completion rules are test_ratings' business
        return claim.item_id


def test_only_admins_mark_gold_and_bad_answers_are_refused(store):
    pos = add_positions(store, 1)
    (admin,) = make_users(store, "boss", role="admin")
    (ann,) = make_users(store, "ann")
    gid = _gen_id(store, pos[0])
    with store.session() as s, pytest.raises(AuthError):
        mark_gold(s, ann, {"generation_id": gid, "turn_type": "question"})
    bad = [({"turn_type": "chit-chat"}, "not one of"), ({"questioning": 7}, "whole score"),
           ({"questioning": 3.5}, "whole score"), ({"suggestion": "great"}, "score 1-5"),
           ({"mood": "ok"}, "unknown question"), ({}, "at least one")]
    for answer, msg in bad:
        with store.session() as s, pytest.raises(InputError, match=msg):
            mark_gold(s, admin, {"generation_id": gid, **answer})
    with store.session() as s, pytest.raises(InputError, match="no reply"):
        mark_gold(s, admin, {"generation_id": 10_000, "turn_type": "question"})
    # a greeting is never an item: as gold it would never be shown
    with store.session() as s:
        s.get(Generation, gid).route = "greeting"
    with store.session() as s, pytest.raises(InputError, match=f"reply {gid} is a greeting"):
        mark_gold(s, admin, {"generation_id": gid, "questioning": 4})
    with store.session() as s, pytest.raises(InputError, match=f"reply {gid} is a greeting"):
        mark_gold(s, admin, {"dialogue_id": pos[0][0], "turn_index": pos[0][1], "column": COLUMNS[0], "questioning": 4})
    with store.session() as s:
        s.get(Generation, gid).route = None
    with store.session() as s:
        mark_gold(s, admin, {"generation_id": gid, "turn_type": "question", "questioning": "4",
                             "suggestion": "N/A"}, tolerance=1)
    with store.session() as s:
        gold = s.scalars(select(GoldAnswer)).one()
        assert gold.answer == {"turn_type": "question", "questioning": 4, "suggestion": "na"}
        assert gold.tolerance == 1


def test_gold_items_are_mixed_into_every_queue_at_the_rate(store):
    positions = add_positions(store, 24)
    (admin,) = make_users(store, "boss", role="admin")
    users = make_users(store, "u1", "u2", "u3")
    gids = [_gen_id(store, p) for p in positions[-2:]]
    with store.session() as s:
        sync_queue(s)
        for gid in gids:
            mark_gold(s, admin, {"generation_id": gid, "turn_type": "suggestion"})
    with store.session() as s:
        gold = gold_item_ids(s)
    assert len(gold) == 2
    k = 1  # with one slot per item, only the gold path can give a gold item to a second annotator
    for u in users:
        taken = [_take_and_complete(store, u, k, 0.25) for _ in range(8)]
        got = [i for i in taken if i in gold]
        # floor(0.25 * n) gold items after n items: the 4th and the 8th
        assert len(got) == 2, (u.username, taken)
        assert taken[3] in gold and taken[7] in gold
    with store.session() as s:
        per_gold = {i: len(s.scalars(select(Assignment).where(Assignment.item_id == i)).all()) for i in gold}
    assert per_gold == {i: 3 for i in gold}


def test_without_a_rate_gold_items_are_ordinary_items(store):
    positions = add_positions(store, 6)
    (admin,) = make_users(store, "boss", role="admin")
    u1, u2 = make_users(store, "u1", "u2")
    gid = _gen_id(store, positions[0])
    with store.session() as s:
        sync_queue(s)
        mark_gold(s, admin, {"generation_id": gid, "turn_type": "question"})
    first = [_take_and_complete(store, u1, 1, 0.0) for _ in range(6)]
    second = [_take_and_complete(store, u2, 1, 0.0) for _ in range(6)]
    assert None not in first and set(second) == {None}


def test_an_annotator_cannot_tell_a_gold_item(store):
    positions = add_positions(store, 2)
    (admin,) = make_users(store, "boss", role="admin")
    (ann,) = make_users(store, "ann")
    gid = _gen_id(store, positions[0])
    with store.session() as s:
        sync_queue(s)
        mark_gold(s, admin, {"generation_id": gid, "turn_type": "question"}, note="expected: a question")
    views = []
    for _ in range(2):
        item_id = _take_and_complete(store, ann, 2, 0.5)
        with store.session() as s:
            views.append(open_item(s, ann, item_id))
    assert {v.dialogue_id for v in views} == {p[0] for p in positions}
    for v in views:
        fields = set(vars(v)) | {f for r in v.replies for f in vars(r)}
        assert not any("gold" in f for f in fields)
        assert "expected" not in repr(v)
    # The two views differ only by content: same shape, same kinds of values.
    assert [type(x) for x in vars(views[0]).values()] == [type(x) for x in vars(views[1]).values()]


def _rate(store, user, gid, **values):
    with store.session() as s:
        s.add(Rating(generation_id=gid, user_id=user.id, status="submitted", **values))


def test_gold_accuracy_per_annotator(store):
    positions = add_positions(store, 3)
    (admin,) = make_users(store, "boss", role="admin")
    good, sloppy, drafty = make_users(store, "good", "sloppy", "drafty")
    g1, g2, plain = (_gen_id(store, p) for p in positions)
    with store.session() as s:
        mark_gold(s, admin, {"generation_id": g1, "turn_type": "question", "questioning": 4}, tolerance=1)
        mark_gold(s, admin, {"generation_id": g2, "turn_type": "suggestion", "questioning": "na"})
    _rate(store, good, g1, turn_type="question", scores={"questioning": 5})  # 5 is within 1 of 4
    _rate(store, good, g2, turn_type="suggestion", scores={"questioning": "na"})
    _rate(store, good, plain, turn_type="other")  # not gold: never counted
    _rate(store, sloppy, g1, turn_type="suggestion", scores={"questioning": 2})
    _rate(store, sloppy, g2, turn_type="suggestion", scores={"questioning": 3})
    with store.session() as s:
        s.add(Rating(generation_id=g1, user_id=drafty.id, status="draft", turn_type="question", scores={"questioning": 4}))
    with store.session() as s:
        acc = gold_accuracy(s, admin)
        with pytest.raises(AuthError):
            gold_accuracy(s, good)
    assert acc["good"].accuracy == 1.0 and acc["good"].checked == 4
    assert acc["sloppy"].correct == 1 and acc["sloppy"].accuracy == 0.25
    assert "drafty" not in acc  # drafts are not answers yet


def test_import_is_all_or_nothing_and_names_bad_rows(store, tmp_path):
    positions = add_positions(store, 2)
    (admin,) = make_users(store, "boss", role="admin")
    good_rows = [{"generation_id": _gen_id(store, positions[0]), "turn_type": "question"},
                 {"dialogue_id": positions[1][0], "turn_index": positions[1][1], "column": COLUMNS[1],
                  "suggestion": 2, "tolerance": 1}]
    bad_rows = good_rows + [{"dialogue_id": positions[1][0], "turn_index": 99, "column": COLUMNS[1],
                             "turn_type": "question"}, {"turn_type": "question"}]
    with store.session() as s, pytest.raises(InputError) as err:
        import_gold(s, admin, bad_rows)
    assert "row 3" in str(err.value) and "row 4" in str(err.value)
    with store.session() as s:
        assert s.scalars(select(GoldAnswer)).all() == []
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in good_rows) + "\n", encoding="utf-8")
    from workbench.annotate.gold import read_gold_file

    with store.session() as s:
        assert import_gold(s, admin, read_gold_file(path)) == 2
    with store.session() as s:
        listed = list_gold(s, admin)
    assert [r["column"] for r in listed] == [COLUMNS[0], COLUMNS[1]]
    assert listed[1]["suggestion"] == 2 and listed[1]["tolerance"] == 1
    # A line that is not JSON is reported with every other bad line of the file (it hid them), by line number
    (tmp_path / "broken.jsonl").write_text('{"generation_id": 99999, "turn_type": "question"}\nnot json\n\n[1]\n'
                                           + json.dumps(good_rows[0]) + "\n", encoding="utf-8")
    with store.session() as s, pytest.raises(InputError) as err:
        import_gold(s, admin, read_gold_file(tmp_path / "broken.jsonl"))
    text = str(err.value)
    assert "3 bad gold lines, nothing imported" in text and "line 1: no reply with generation_id 99999" in text
    assert "line 2: not JSON" in text and "line 4: expected an object" in text and "line 5" not in text
    with store.session() as s:
        assert len(s.scalars(select(GoldAnswer)).all()) == 2  # the two imported before, nothing from this file


def _cli_files(tmp_path, db, gid: int):
    """A gold file marking ``gid`` "mixed", and a config whose database is ``db``: what the gold command reads."""
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"generation_id": gid, "turn_type": "mixed"}) + "\n", encoding="utf-8")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"database_url: sqlite:///{db}\ncolumns:\n"
                   "  - {name: A, backend: openai-compatible, base_url: 'http://127.0.0.1:9/v1', model_name: m}\n",
                   encoding="utf-8")
    return path, cfg


def test_gold_cli_imports_and_lists(store, tmp_path, capsys):
    from workbench.cli import main

    positions = add_positions(store, 1)
    gid = _gen_id(store, positions[0])
    path, cfg = _cli_files(tmp_path, tmp_path / "gold.db", gid)
    assert main(["gold", "import", str(path), "--config", str(cfg)]) == 0
    assert main(["gold", "list", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1])["turn_type"] == "mixed"
    path.write_text(json.dumps({"generation_id": gid, "turn_type": "nonsense"}) + "\n", encoding="utf-8")
    assert main(["gold", "import", str(path), "--config", str(cfg)]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_gold_cli_on_a_team_store_needs_a_named_admin(tmp_path, capsys):
    """Without --admin, a store with accounts is refused: the command once added a passwordless admin "local",
    after which the team's only real admin could be disabled."""
    from workbench.auth import upsert_user
    from workbench.cli import main

    db = tmp_path / "team.db"
    team = Store(f"sqlite:///{db}")
    try:
        positions = add_positions(team, 1)
        upsert_user(team, "bob", "a-long-admin-password", "admin")
        gid = _gen_id(team, positions[0])
    finally:
        team.dispose()
    path, cfg = _cli_files(tmp_path, db, gid)
    assert main(["gold", "import", str(path), "--config", str(cfg)]) == 2
    assert "--admin bob" in capsys.readouterr().err
    assert main(["gold", "--admin", "bob", "import", str(path), "--config", str(cfg)]) == 0
    assert main(["gold", "list", "--admin", "bob", "--config", str(cfg)]) == 0  # after the subcommand too
    team = Store(f"sqlite:///{db}")
    try:
        with team.session() as s:
            assert s.scalars(select(User.username)).all() == ["bob"]  # no "local" account was added
    finally:
        team.dispose()


def test_a_version_1_database_gets_the_gold_table(tmp_path):
    from legacy_db import legacy_copy

    url = f"sqlite:///{legacy_copy(tmp_path, version=1)}"  # made by the code of before gold items
    engine = create_engine(url)
    assert "gold_answers" not in inspect(engine).get_table_names()
    engine.dispose()
    store = Store(url)
    try:
        positions = add_positions(store, 1)
        (admin,) = make_users(store, "boss", role="admin")
        gid = _gen_id(store, positions[0])
        with store.session() as s:
            mark_gold(s, admin, {"generation_id": gid, "turn_type": "other"})
        with store.session() as s:
            items = s.scalars(select(QueueItem).where(QueueItem.dialogue_id == positions[0][0],
                                                      QueueItem.turn_index == positions[0][1])).all()
            assert len(items) == 1  # marking also made the item ratable
    finally:
        store.dispose()


def test_rate_api_serves_the_gold_item_at_the_configured_rate(tmp_path):
    """Through the real app: with k = 1 the gold item's slot is taken, yet the Rate API gives it to a
    second annotator as their 2nd item (gold_rate 0.5), and the item JSON carries nothing about gold."""
    from gradio_clients import Client
    from rating_fixtures import test_config
    from ui_server import running_app

    from workbench.services import build_services

    cfg = test_config(tmp_path / "app.db", k=1)
    cfg = cfg.model_copy(update={"annotation": cfg.annotation.model_copy(update={"gold_rate": 0.5})})
    svc = build_services(cfg, auth_enabled=True)
    try:
        positions = add_positions(svc.store, 4)
        (admin,) = make_users(svc.store, "boss", role="admin")
        other, _ann = make_users(svc.store, "other", "ann")
        gid = _gen_id(svc.store, positions[0])
        with svc.store.session() as s:
            sync_queue(s)
            mark_gold(s, admin, {"generation_id": gid, "turn_type": "question"})
        with svc.store.session() as s:
            (gold_item,) = gold_item_ids(s)
        assert _take_and_complete(svc.store, other, 1, 0.0) == gold_item  # its one slot is gone
        with running_app(svc, auth=True) as url:
            client = Client(url, auth=("ann", "secret-pass-ann"), verbose=False, analytics_enabled=False)
            first = json.loads(client.predict(api_name="/rate_api_next"))["item"]
            form = {"turn_type": "question", "questioning": 4, "suggestion": "N/A"}
            labels = [r["label"] for r in first["replies"]]
            payload = {"item_id": first["item_id"], "ratings": {x: form for x in labels},
                       "preference": labels[0], "next": True}
            out = json.loads(client.predict(json.dumps(payload), api_name="/rate_api_submit"))
        assert out["ok"] and first["item_id"] != gold_item
        second = out["next"]
        assert second["item_id"] == gold_item
        assert set(second) == set(first) and "gold" not in json.dumps(second).lower()
    finally:
        svc.close()
