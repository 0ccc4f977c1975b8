"""Preferences follow the ratings' lifecycle: an untouched submitted preference never turns back into a
draft (the ranking box's blur autosave), each submit is a version in the history."""

from __future__ import annotations

import pytest
from rating_fixtures import add_positions, make_users
from sqlalchemy import select

from workbench.analysis.from_store import load_frames
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import (
    get_preference,
    preference_from_choice,
    preference_history,
    save_preference,
)
from workbench.annotate.rubric import load_rubric
from workbench.config import REPO_ROOT
from workbench.store.engine import Store
from workbench.store.schema import Preference, PreferenceVersion


@pytest.fixture
def rubric():
    return load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")


@pytest.fixture
def env(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'prefs.db'}")
    add_positions(store, 2)
    with store.session() as s:
        sync_queue(s)
    (a,) = make_users(store, "ann_a")
    with store.session() as s:
        item = open_item(s, a, take_next(s, a, 2).item_id)
    yield store, a, item
    store.dispose()


def _row(store: Store) -> Preference:
    with store.session() as s:
        p = s.scalars(select(Preference)).one()
        s.expunge(p)
        return p


def test_blur_autosave_of_an_unchanged_submitted_ranking_changes_nothing(env, rubric):
    store, a, item = env
    form = preference_from_choice(item, "ranking", "C > A > B")
    with store.session() as s:
        save_preference(s, a, item.item_id, form, rubric=rubric, submit=True)
    before = _row(store)
    # ranking.blur -> save_preference(submit=False) with the very same ranking
    with store.session() as s:
        p = save_preference(s, a, item.item_id, form, rubric=rubric, submit=False)
    after = _row(store)
    assert (p.status, p.version) == ("submitted", 1)
    assert (after.status, after.version, after.updated_at) == ("submitted", 1, before.updated_at)
    # still counted by the statistics (and exports), which read submitted preferences only
    assert len(load_frames(store).preferences) == 1
    # a double-clicked submit adds no version either
    with store.session() as s:
        save_preference(s, a, item.item_id, form, rubric=rubric, submit=True)
        assert len(s.scalars(select(PreferenceVersion)).all()) == 1


def test_every_submit_is_a_version_and_a_changed_draft_keeps_the_history(env, rubric):
    store, a, item = env
    ids = [r.generation_id for r in item.replies]
    with store.session() as s:
        save_preference(s, a, item.item_id, preference_from_choice(item, "B"), rubric=rubric)  # draft v1
        save_preference(s, a, item.item_id, preference_from_choice(item, "B"), rubric=rubric, submit=True)
    with store.session() as s:
        # an edited draft over a submitted answer starts version 2 and keeps v1 in the history
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "tie"), rubric=rubric)
        assert (p.status, p.version) == ("draft", 2)
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "ranking", "A>C>B"), rubric=rubric,
                            submit=True)
        assert (p.status, p.version) == ("submitted", 2)
    with store.session() as s:
        hist = preference_history(s, a, item.item_id)
        current = get_preference(s, a, item.item_id)
    assert [v for v, _ in hist] == [1, 2]
    assert hist[0][1]["outcome"] == "best" and hist[0][1]["winner_generation_id"] == ids[1]
    assert hist[1][1]["ranking"] == [ids[0], ids[2], ids[1]] and hist[1][1]["status"] == "submitted"
    assert current.form.ranking == (ids[0], ids[2], ids[1])


def test_a_database_from_before_the_history_gets_the_table(tmp_path):
    from legacy_db import legacy_copy
    from sqlalchemy import create_engine, inspect, text

    from workbench.store.migrate import current_revision, head_revision

    url = f"sqlite:///{legacy_copy(tmp_path, version=2)}"  # as the schema was before version 3
    assert not inspect(create_engine(url)).has_table("preference_versions")
    store = Store(url)
    try:
        assert inspect(store.engine).has_table("preference_versions")
        with store.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert not inspect(conn).has_table("schema_version")
            assert conn.execute(text("SELECT count(*) FROM preferences")).scalar() > 0
    finally:
        store.dispose()
