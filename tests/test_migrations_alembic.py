"""Alembic migrations: model and revisions agree, databases of before Alembic upgrade in place keeping
every row, and the database itself refuses a value outside workbench/vocab.py.

On SQLite always, on PostgreSQL too when WORKBENCH_TEST_PG_URL is set (``bash .ci/postgres``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic import command
from legacy_db import LEGACY_DB, legacy_copy, table_rows
from sqlalchemy import Enum, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from workbench.errors import StoreError
from workbench.store.engine import Store
from workbench.store.migrate import BASELINE, alembic_config, current_revision, head_revision
from workbench.store.schema import Base

PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _new_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'wb.db'}"
    schema = "t_" + uuid.uuid4().hex[:10]  # a fresh schema per test
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    return PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"


def _alembic_check(store: Store) -> None:
    """``alembic check``: raises when the upgraded database and the model differ."""
    with store.engine.connect() as conn:
        command.check(alembic_config(conn))


#: Every column typed with a vocabulary enum: (table, column, allowed values, CHECK name).
ENUM_COLUMNS = [(t.name, c.name, tuple(c.type.enums), f"ck_{t.name}_{c.type.name}")
                for t in Base.metadata.sorted_tables for c in t.columns if isinstance(c.type, Enum)]


def test_the_model_names_every_enum_column():
    assert {(t, c) for t, c, _, _ in ENUM_COLUMNS} >= {
        ("generations", "status"), ("ratings", "status"), ("ratings", "turn_type"),
        ("preferences", "status"), ("preferences", "outcome"), ("batch_runs", "status")}


@pytest.mark.parametrize("kind", DATABASES)
def test_a_new_database_is_at_head_and_alembic_check_is_clean(kind, tmp_path):
    store = Store(_new_url(kind, tmp_path))
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        _alembic_check(store)
        # alembic check does not compare CHECK constraints: the vocabulary's are compared here.
        insp = inspect(store.engine)
        for table, _column, _values, name in ENUM_COLUMNS:
            assert name in {ck["name"] for ck in insp.get_check_constraints(table)}, (table, name)
        again = Store(store.url)  # a second start changes nothing
        again.dispose()
        _alembic_check(store)
    finally:
        store.dispose()


def _schema(engine) -> dict[str, dict]:
    """Everything the database says about its tables: columns, keys, indexes and CHECKs, by name."""
    insp = inspect(engine)
    out = {}
    for t in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        out[t] = {
            "columns": [(c["name"], str(c["type"].as_generic()), c["nullable"]) for c in insp.get_columns(t)],
            "pk": (insp.get_pk_constraint(t)["name"], insp.get_pk_constraint(t)["constrained_columns"]),
            "uq": sorted((u["name"], u["column_names"]) for u in insp.get_unique_constraints(t)),
            "fk": sorted((f["name"], f["constrained_columns"], f["referred_table"],
                          (f.get("options") or {}).get("ondelete")) for f in insp.get_foreign_keys(t)),
            "ix": sorted((i["name"], i["column_names"], bool(i["unique"])) for i in insp.get_indexes(t)),
            "ck": sorted((c["name"], "".join(c["sqltext"].split()).replace('"', "'"))
                         for c in insp.get_check_constraints(t)),
        }
    return out


@pytest.mark.parametrize("kind", DATABASES)
def test_the_revisions_build_from_nothing_what_a_new_database_gets(kind, tmp_path):
    """A new database is made from the model and stamped (fast); replaying every revision on an empty
    database must give the same schema, constraint names and CHECKs included."""
    (tmp_path / "a").mkdir()
    made = Store(_new_url(kind, tmp_path / "a"))
    (tmp_path / "b").mkdir()
    replayed = create_engine(_new_url(kind, tmp_path / "b"))
    try:
        with replayed.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
            assert current_revision(conn) == head_revision()
        assert _schema(replayed) == _schema(made.engine)
    finally:
        made.dispose()
        replayed.dispose()


@pytest.mark.parametrize("kind", DATABASES)
@pytest.mark.parametrize(("table", "column", "allowed", "check"), ENUM_COLUMNS,
                         ids=[f"{t}.{c}" for t, c, _, _ in ENUM_COLUMNS])
def test_the_database_refuses_a_value_outside_the_vocabulary(kind, table, column, allowed, check, tmp_path):
    store = Store(_new_url(kind, tmp_path))
    try:
        with store.engine.begin() as conn:
            _fill_one_row_per_table(conn)
            conn.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": allowed[0]})  # a known value is fine
        with pytest.raises(IntegrityError, match=check if kind == "postgresql" else "CHECK"):
            with store.engine.begin() as conn:
                conn.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": allowed[0].upper() + "_x"})
    finally:
        store.dispose()


def _fill_one_row_per_table(conn) -> None:
    """One row in each table holding a vocabulary column, through plain SQL (the ORM would refuse first)."""
    t = "'2026-01-01 00:00:00'"
    for sql in (
        f"INSERT INTO users (id, username, password_hash, role, active, created_at) VALUES (1, 'u', 'h', 'annotator', true, {t})",
        f"INSERT INTO datasets (id, name, format, meta, created_at) VALUES (1, 'd', 'f', '{{}}', {t})",
        f"INSERT INTO dialogues (id, source, meta, created_at) VALUES (1, 'live', '{{}}', {t})",
        f"INSERT INTO batch_runs (id, dataset_id, columns, turn_selection, created_at, status) "
        f"VALUES (1, 1, '[]', 'all', {t}, 'running')",
        f"INSERT INTO generations (id, dialogue_id, turn_index, column_name, backend, params, output, status, "
        f"created_at) VALUES (1, 1, 1, 'A', 'demo', '{{}}', 'x', 'ok', {t})",
        f"INSERT INTO ratings (id, generation_id, user_id, status, scores, safety_flag, blind, "
        f"display_order, version, created_at, updated_at) VALUES (1, 1, 1, 'draft', '{{}}', false, true, '[]', "
        f"1, {t}, {t})",
        f"INSERT INTO preferences (id, dialogue_id, turn_index, user_id, status, shown, blind, version, created_at, "
        f"updated_at) VALUES (1, 1, 1, 1, 'draft', '[]', true, 1, {t}, {t})",
        f"INSERT INTO queue_items (id, dialogue_id, turn_index, created_at) VALUES (1, 1, 1, {t})",
        f"INSERT INTO flag_reviews (id, item_id, flagged_by, reason, flagged_at, action, reviewed_at) "
        f"VALUES (1, 1, 1, 'r', {t}, 'pool', {t})",
    ):
        conn.execute(text(sql))


def test_the_orm_refuses_an_unknown_value_before_the_database(tmp_path):
    from workbench.store.schema import Generation

    store = Store(_new_url("sqlite", tmp_path))
    try:
        with pytest.raises(StoreError):
            with store.session() as s:
                s.add(Generation(dialogue_id=1, turn_index=1, column_name="A", backend="b", status="finished"))
    finally:
        store.dispose()


def test_a_database_made_by_main_upgrades_in_place_keeping_every_row(tmp_path):
    path = legacy_copy(tmp_path)
    before = table_rows(path)
    assert all(before[t] for t in before), "the fixture has rows in every table"
    store = Store(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after migrating
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        _alembic_check(store)
    finally:
        store.dispose()
    after = table_rows(path)
    assert set(after) >= set(before) - {"schema_version"} | {"alembic_version"}
    # Tables added by later revisions (0005: flag_reviews) start empty.
    assert all(not after[t] for t in set(after) - set(before) - {"alembic_version"})
    before = _as_after_0004(path, before)
    for table in set(before) - {"schema_version"}:
        # Later revisions may append nullable columns (0003: assignments' skip and flag): the old columns
        # keep every value, the new ones start empty.
        width = len(before[table][0])
        assert [r[:width] for r in after[table]] == before[table], table
        assert all(v is None for r in after[table] for v in r[width:]), table
    raw = sqlite3.connect(path)
    scores = sorted(raw.execute("SELECT scores FROM ratings").fetchall())
    snapshots = [json.loads(x) for (x,) in raw.execute("SELECT snapshot FROM rating_versions ORDER BY id")]
    raw.close()
    assert sorted((json.loads(x) for (x,) in scores), key=repr) == sorted(
        [{}, {"questioning": 4, "suggestion": "na"}, {"questioning": "na", "suggestion": 5}], key=repr)
    assert snapshots == [{"status": "submitted", "scores": {"questioning": 3}},
                         {"status": "submitted", "scores": {"questioning": 4}}]
    # the references survived the copies of the tables: deleting a dialogue still cascades
    store = Store(f"sqlite:///{path}")
    try:
        with store.engine.begin() as conn:
            dialogue = conn.execute(text("SELECT dialogue_id FROM generations LIMIT 1")).scalar()
            conn.execute(text("DELETE FROM dialogues WHERE id = :d"), {"d": dialogue})
            assert conn.execute(text("SELECT count(*) FROM generations WHERE dialogue_id = :d"),
                                {"d": dialogue}).scalar() == 0
    finally:
        store.dispose()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_a_database_of_each_former_schema_version_is_finished_and_stamped(version, tmp_path):
    path = legacy_copy(tmp_path, version)
    before = table_rows(path)
    store = Store(f"sqlite:///{path}")
    try:
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        _alembic_check(store)
        after = table_rows(path)
        before = _as_after_0004(path, before)
        for table in set(before) - {"schema_version", "batch_runs"}:
            width = len(before[table][0])  # columns appended by later revisions start empty
            assert [r[:width] for r in after[table]] == before[table], table
            assert all(v is None for r in after[table] for v in r[width:]), table
        assert len(after["batch_runs"]) == len(before["batch_runs"])
        if version < 4:  # step 4 judged the runs by finished_at
            raw = sqlite3.connect(path)
            rows = raw.execute("SELECT finished_at IS NULL, status, heartbeat_at = created_at, typeof(heartbeat_at) "
                               "FROM batch_runs").fetchall()
            raw.close()
            assert sorted(rows) == [(0, "finished", 1, "text"), (1, "running", 1, "text")]
    finally:
        store.dispose()


#: The columns of ratings that revision 0004 folds into ``scores`` (JSON keyed by axis).
FORMER_AXIS_COLUMNS = ("questioning", "questioning_na", "suggestion", "suggestion_na")


def _expected_scores(row: dict) -> dict:
    """What 0004 makes of one rating's fixed axis columns: a score, "na", or nothing per axis."""
    out = {}
    for axis in ("questioning", "suggestion"):
        if row[f"{axis}_na"]:
            out[axis] = "na"
        elif row[axis] is not None:
            out[axis] = row[axis]
    return out


def _as_after_0004(path: Path, before: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The rows of a database before the upgrade, as 0004 must leave them: ratings' fixed axis columns
    moved value for value into ``scores`` (the last column), rating_versions' snapshots likewise."""
    raw = sqlite3.connect(path)
    try:
        rating_cols = [r[1] for r in raw.execute("PRAGMA table_info(ratings)")]
    finally:
        raw.close()
    assert rating_cols[-1] == "scores" and not set(FORMER_AXIS_COLUMNS) & set(rating_cols)
    legacy = sqlite3.connect(f"file:{LEGACY_DB}?mode=ro", uri=True)
    try:
        old_cols = [r[1] for r in legacy.execute("PRAGMA table_info(ratings)")]
    finally:
        legacy.close()
    out = dict(before)
    ratings = []
    for row in before["ratings"]:
        named = dict(zip(old_cols, row, strict=True))
        kept = tuple(v for c, v in named.items() if c not in FORMER_AXIS_COLUMNS)
        ratings.append((*kept, json.dumps(_expected_scores(named))))
    out["ratings"] = sorted(ratings, key=repr)
    versions = []
    for row in before["rating_versions"]:
        *head, snap, created = row
        old = json.loads(snap)
        new = {k: v for k, v in old.items() if k not in FORMER_AXIS_COLUMNS}
        if any(k in old for k in FORMER_AXIS_COLUMNS):
            new["scores"] = _expected_scores({k: old.get(k) for k in FORMER_AXIS_COLUMNS})
        versions.append((*head, json.dumps(new), created))
    out["rating_versions"] = sorted(versions, key=repr)
    return out


def _row_after_0004(table: str, row: dict) -> dict:
    """One row (a dict) of a database before 0004 as 0004 must leave it (see :func:`_as_after_0004`)."""
    if table == "ratings":
        kept = {k: v for k, v in row.items() if k not in FORMER_AXIS_COLUMNS}
        return {**kept, "scores": _expected_scores(row)}
    if table == "rating_versions" and isinstance(row.get("snapshot"), dict):
        snap = row["snapshot"]
        new = {k: v for k, v in snap.items() if k not in FORMER_AXIS_COLUMNS}
        if any(k in snap for k in FORMER_AXIS_COLUMNS):
            new["scores"] = _expected_scores({k: snap.get(k) for k in FORMER_AXIS_COLUMNS})
        return {**row, "snapshot": new}
    return row


def test_the_baseline_is_the_former_latest_schema(tmp_path):
    """A database stamped with the baseline and one made by main at e0d258c have the same tables and columns."""
    url = f"sqlite:///{tmp_path / 'base.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
    baseline = _columns(engine)
    engine.dispose()
    legacy = create_engine(f"sqlite:///{legacy_copy(tmp_path)}")
    assert _columns(legacy) == baseline | {"schema_version": _columns(legacy)["schema_version"]}
    legacy.dispose()


def _columns(engine) -> dict[str, list[tuple[str, str, bool]]]:
    insp = inspect(engine)
    return {t: [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)]
            for t in insp.get_table_names() if t != "alembic_version"}


def test_a_value_outside_the_vocabulary_stops_the_upgrade_and_changes_nothing(tmp_path):
    path = legacy_copy(tmp_path)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE ratings SET turn_type = 'questionable' WHERE id = 1")
    raw.commit()
    raw.close()
    before = table_rows(path)
    with pytest.raises(StoreError, match=r"ratings\.turn_type holds \['questionable'\]"):
        Store(f"sqlite:///{path}")
    assert table_rows(path) == before  # still the old database, schema_version and all


def test_a_database_of_an_unknown_revision_is_refused(tmp_path):
    store = Store(_new_url("sqlite", tmp_path))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    store.dispose()
    with pytest.raises(StoreError, match="ffff_from_the_future"):
        Store(store.url)


def test_a_newer_former_schema_version_is_refused(tmp_path):
    path = legacy_copy(tmp_path)
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (5, 'x', '2026-01-01')")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="schema version 5"):
        Store(f"sqlite:///{path}")


@pytest.mark.skipif(not PG_URL, reason="needs WORKBENCH_TEST_PG_URL (bash .ci/postgres)")
def test_a_postgresql_database_made_by_main_upgrades_keeping_every_row(tmp_path):
    """Main's schema on PostgreSQL (its constraints named by PostgreSQL: users_pkey ...), made as main's
    create_all made it, with the rows of main's fixture: the upgrade keeps them and renames the constraints."""
    from sqlalchemy import MetaData, select

    source = create_engine(f"sqlite:///{legacy_copy(tmp_path)}")
    legacy_schema = MetaData()  # no naming convention, as on main
    legacy_schema.reflect(source)
    for column in (c for t in legacy_schema.tables.values() for c in t.columns):
        column.type = column.type.as_generic()  # SQLite's DATETIME is PostgreSQL's TIMESTAMP
    url = _new_url("postgresql", tmp_path)
    engine = create_engine(url)
    before: dict[str, list[str]] = {}
    with source.connect() as src, engine.begin() as dst:
        legacy_schema.create_all(dst)
        dst.exec_driver_sql("SET session_replication_role = replica")  # the dialogues/generations cycle
        for name, table in legacy_schema.tables.items():
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            before[name] = sorted(repr(_row_after_0004(name, r)) for r in rows)
            dst.execute(table.insert(), rows)
        for name in before:  # the ids were given: move the sequences past them
            if name != "schema_version":
                dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                    f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")
        assert "users_username_key" in {c["name"] for c in inspect(dst).get_unique_constraints("users")}
    engine.dispose()
    store = Store(url)
    try:
        _alembic_check(store)
        insp = inspect(store.engine)
        assert {c["name"] for c in insp.get_unique_constraints("users")} == {"uq_users_username"}
        assert insp.get_pk_constraint("ratings")["name"] == "pk_ratings"
        assert {fk["name"] for fk in insp.get_foreign_keys("turns")} == {
            "fk_turns_dialogue_id_dialogues", "fk_turns_generation_id_generations"}
        after_schema = MetaData()
        after_schema.reflect(store.engine)
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert "schema_version" not in after_schema.tables
            for name in set(before) - {"schema_version"}:
                rows = [dict(r._mapping) for r in conn.execute(select(after_schema.tables[name]))]
                old_columns = list(_row_after_0004(name, dict.fromkeys(legacy_schema.tables[name].columns.keys())))
                # Later revisions may append nullable columns (0003: assignments' skip and flag): the old
                # columns keep every value, the new ones start empty.
                assert all(v is None for r in rows for k, v in r.items() if k not in old_columns), name
                kept = [{k: r[k] for k in old_columns} for r in rows]
                assert sorted(map(repr, kept)) == before[name], name
    finally:
        store.dispose()
        source.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs WORKBENCH_TEST_PG_URL (bash .ci/postgres)")
def test_a_sqlite_database_made_after_a_postgresql_one_keeps_every_foreign_key(tmp_path):
    """Creating the tables on PostgreSQL adds the dialogues/turns -> generations keys by ALTER and marks
    them so on the model; a SQLite database made next in the same process lost them."""
    (tmp_path / "pg").mkdir()
    Store(_new_url("postgresql", tmp_path / "pg")).dispose()
    store = Store(_new_url("sqlite", tmp_path))
    try:
        insp = inspect(store.engine)
        assert "generations" in {fk["referred_table"] for fk in insp.get_foreign_keys("turns")}
        assert "generations" in {fk["referred_table"] for fk in insp.get_foreign_keys("dialogues")}
    finally:
        store.dispose()


def test_0004_downgrades_back_to_the_fixed_axis_columns(tmp_path):
    """Down to 0003 and up again: the two shipped axes' answers come back as they were."""
    path = legacy_copy(tmp_path)
    before = table_rows(path)
    Store(f"sqlite:///{path}").dispose()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0003")
        raw = sqlite3.connect(path)
        axes = raw.execute("SELECT questioning, questioning_na, suggestion, suggestion_na FROM ratings ORDER BY id").fetchall()
        raw.close()
        legacy = sqlite3.connect(f"file:{LEGACY_DB}?mode=ro", uri=True)
        assert axes == legacy.execute(
            "SELECT questioning, questioning_na, suggestion, suggestion_na FROM ratings ORDER BY id").fetchall()
        legacy.close()
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
    finally:
        engine.dispose()
    assert len(table_rows(path)["ratings"]) == len(before["ratings"])
