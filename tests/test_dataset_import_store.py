"""Storing imported datasets: all or nothing, references marked, clear re-import behaviour."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from workbench.datasets import parse_dataset
from workbench.datasets.store_import import import_dataset, list_datasets
from workbench.errors import DatasetError, StoreError
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Generation, Rating, Turn, User

REPO = Path(__file__).resolve().parents[1]
SEED_CSV = REPO / "workbench" / "data" / "seed_examples_bianque.csv"
EXAMPLES = REPO / "workbench" / "data" / "examples.json"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    yield st
    st.dispose()


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t))) for t in (Dataset, Dialogue, Turn))


def test_seed_csv_becomes_the_example_dialogues_with_reference_doctor_turns(store):
    summary = import_dataset(store, SEED_CSV, name="seed")
    examples = json.loads(EXAMPLES.read_text(encoding="utf-8"))["examples"]
    # Each example ends with a patient message that has no doctor reply, so no CSV row carries it.
    expected = [[(t["role"], t["text"]) for t in e["turns"][:-1]] for e in examples]
    assert summary.dialogues == len(expected)
    assert summary.turns == sum(len(x) for x in expected)
    assert summary.references == sum(r == "doctor" for x in expected for r, _ in x)
    with store.session() as s:
        ds = s.scalar(select(Dataset).where(Dataset.name == "seed"))
        assert ds.format == "bianque_csv" and ds.source == SEED_CSV.name
        dialogues = list(s.scalars(select(Dialogue).where(Dialogue.dataset_id == ds.id).order_by(Dialogue.id)))
        got = [[(t.role, t.text) for t in d.turns] for d in dialogues]
        assert got == expected
        assert all(d.source == "dataset" and d.external_id for d in dialogues)
        for d in dialogues:
            assert all(t.is_reference == (t.role == "doctor") for t in d.turns)
            assert d.meta["source_rows"]  # traceable back to the file's rows


def test_every_format_is_stored_as_parsed(store):
    for path in (DATA / "import_messages.jsonl", DATA / "import_turns.json", DATA / "import_bianque_sample.jsonl"):
        parsed = parse_dataset(path)
        summary = import_dataset(store, path)
        assert summary.name == path.stem and summary.dialogues == len(parsed.dialogues)
        with store.session() as s:
            ids = s.scalars(select(Dialogue.id).join(Dataset).where(Dataset.name == path.stem).order_by(Dialogue.id))
            stored = [[(t.role, t.text) for t in s.get(Dialogue, i).turns] for i in ids]
        assert stored == [[(t.role, t.text) for t in d.turns] for d in parsed.dialogues]
    infos = {i.name: i for i in list_datasets(store)}
    assert set(infos) == {"import_messages", "import_turns", "import_bianque_sample"}
    assert infos["import_messages"].dialogues == len(parse_dataset(DATA / "import_messages.jsonl").dialogues)


def test_a_bad_file_stores_nothing_and_names_the_rows(store):
    import_dataset(store, SEED_CSV, name="seed")
    before = counts(store)
    with pytest.raises(DatasetError) as err:
        import_dataset(store, DATA / "import_bianque_bad.csv", name="bad")
    # rows 2-4 of that file are broken in three different ways; row 1 is fine
    rows = " ".join(err.value.row_errors)
    assert "row 2" in rows and "row 3" in rows and "row 4" in rows and "row 1:" not in rows
    assert counts(store) == before


def test_a_database_failure_halfway_rolls_back_everything(store):
    before = counts(store)
    with store.session() as s:  # a real SQLite failure after a few turns are inserted
        s.execute(text(
            "CREATE TRIGGER fail_late BEFORE INSERT ON turns WHEN (SELECT count(*) FROM turns) >= 5 "
            "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
        ))
    with pytest.raises(StoreError, match="nothing was saved") as err:
        import_dataset(store, SEED_CSV, name="seed")
    assert "simulated failure" in err.value.detail  # the driver's text: for the log, not the user
    assert counts(store) == before


def test_reimport_is_refused_then_replace_swaps_the_content(store):
    first = import_dataset(store, SEED_CSV, name="seed")
    before = counts(store)
    with pytest.raises(DatasetError, match="already exists"):
        import_dataset(store, SEED_CSV, name="seed")
    assert counts(store) == before
    with store.session() as s:
        did = s.scalar(select(Dialogue.id).where(Dialogue.dataset_id == first.dataset_id))
        s.add(Generation(dialogue_id=did, turn_index=1, column_name="c", backend="x", status="ok"))
    sample = DATA / "import_bianque_sample.csv"
    again = import_dataset(store, sample, name="seed", replace=True)
    assert again.replaced
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Dataset)) == 1
        assert s.scalar(select(func.count()).select_from(Generation)) == 0  # went with the old dialogues
        ids = s.scalars(select(Dialogue.id).order_by(Dialogue.id))
        stored = [[(t.role, t.text) for t in s.get(Dialogue, i).turns] for i in ids]
    assert stored == [[(t.role, t.text) for t in d.turns] for d in parse_dataset(sample).dialogues]


def test_replace_is_refused_while_ratings_exist(store):
    first = import_dataset(store, SEED_CSV, name="seed")
    with store.session() as s:
        did = s.scalar(select(Dialogue.id).where(Dialogue.dataset_id == first.dataset_id))
        g = Generation(dialogue_id=did, turn_index=1, column_name="c", backend="x", status="ok")
        u = User(username="ann", password_hash="!")
        s.add_all([g, u])
        s.flush()
        s.add(Rating(generation_id=g.id, user_id=u.id, status="submitted", scores={"questioning": 4}))
    before = counts(store)
    with pytest.raises(DatasetError, match="rating"):
        import_dataset(store, SEED_CSV, name="seed", replace=True)
    assert counts(store) == before


# A right-to-left override, a zero-width space and a line separator are invisible: two names would look alike, and
# the override reorders the text of every CSV row the name goes into (walk s67).
@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "a\n---\nlicense: mit", "tab\there", "small\u202e",
                                  "zero\u200bwidth", "line\u2028sep"])
def test_bad_names_are_refused(store, name):
    with pytest.raises(DatasetError, match="name"):
        import_dataset(store, SEED_CSV, name=name)
    assert counts(store) == (0, 0, 0)


def test_missing_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        import_dataset(store, tmp_path / "nope.csv", name="x")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DatasetError, match="a folder, not a file"):
        import_dataset(store, tmp_path / "folder.csv", name="x")


def test_data_tab_import_shows_row_errors_escaped_and_lists_datasets(services, tmp_path):
    from workbench.ui.data_tab import datasets_table, import_file, turns_spec

    bad = import_file(services, None, str(DATA / "import_bianque_bad.csv"), "bad", "auto-detect", False)
    assert bad.startswith("**Error:**") and "nothing imported" in bad and html.unescape(bad).count("row 2:") == 1
    evil = tmp_path / "evil.csv"
    evil.write_text("input,target\n病人：<img src=x onerror=alert(1)>\\n医生：,<script>alert(1)</script>\n",
                    encoding="utf-8")
    # A new name with markup is refused, as an account's is (walk 8: it went raw into every export row), and the
    # refusal shows the name as text.
    refused = import_file(services, None, str(evil), "<b>evil</b>", "bianque_csv", False)
    assert refused.startswith("**Error:**") and "markup" in refused and "<b>" not in refused
    ok = import_file(services, None, str(evil), "evil", "bianque_csv", False)
    assert ok.startswith("✓") and "<img" not in ok
    again = import_file(services, None, str(evil), "evil", None, False)
    assert "already exists" in again
    table = datasets_table(services)
    assert list(table["dataset"]) == ["evil"] and table.iloc[0]["dialogues"] == 1
    assert import_file(services, None, None, "x", None, False).startswith("**Error:**")
    assert turns_spec("sample", 5) == "sample:5" and turns_spec("last", 5) == "last"


def test_data_tab_actions_need_an_admin_when_logins_are_on(demo_config, tmp_path):
    from types import SimpleNamespace

    from tests.conftest import config_with_db
    from workbench.auth import upsert_user
    from workbench.errors import AuthError
    from workbench.services import build_services
    from workbench.ui.compare_tab import require_admin
    from workbench.ui.data_tab import _admin

    svc = build_services(config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}"), auth_enabled=True)
    try:
        upsert_user(svc.store, "ann", "secret1", "annotator")
        boss = upsert_user(svc.store, "boss", "secret2", "admin")
        for check in (_admin, require_admin):
            with pytest.raises(AuthError):
                check(svc, SimpleNamespace(username="ann"))
            with pytest.raises(AuthError):
                check(svc, SimpleNamespace(username=None))
        assert _admin(svc, SimpleNamespace(username="boss")) == boss.id
        require_admin(svc, SimpleNamespace(username="boss"))
    finally:
        svc.close()


def test_a_dataset_stored_with_markup_in_its_name_can_still_be_replaced(store, tmp_path):
    """Names with markup are refused for new datasets only: one stored before the rule keeps working."""
    src = tmp_path / "d.csv"
    src.write_text("input,target\n病人：头疼\\n医生：,疼了几天了？\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="markup"):
        import_dataset(store, src, name="a<b>")
    import_dataset(store, src, name="legacy")
    with store.session() as s:
        s.execute(update(Dataset).where(Dataset.name == "legacy").values(name="a<b>"))
    summary = import_dataset(store, src, name="a<b>", replace=True)
    assert summary.replaced and summary.name == "a<b>"
