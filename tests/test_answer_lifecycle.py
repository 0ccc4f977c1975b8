"""Ratings and preferences share one save rule (workbench/annotate/answers.py): the same walk, step for
step, gives the same statuses, versions and snapshots for both kinds of answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rating_fixtures import add_positions, make_users
from sqlalchemy import func, select

from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import (
    PreferenceForm,
    RatingForm,
    get_preference,
    get_rating,
    preference_history,
    rating_history,
    save_draft,
    save_preference,
    submit,
)
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.store.engine import Store
from workbench.store.schema import Preference, PreferenceVersion, Rating, RatingVersion

RUBRIC = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")


@pytest.fixture
def env(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'answers.db'}")
    add_positions(store, 1)
    with store.session() as s:
        sync_queue(s)
    (user,) = make_users(store, "ann")
    with store.session() as s:
        item = open_item(s, user, take_next(s, user, 1).item_id)
    yield store, user, item
    store.dispose()


def _kinds(store: Store, user: Any, item: Any) -> dict[str, dict[str, Callable[..., Any]]]:
    """For each kind of answer: save(answer_no, final) with two distinct answers, read, history, rows."""
    gid = item.replies[0].generation_id
    ids = [r.generation_id for r in item.preference_replies]
    ratings = [RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA}),
               RatingForm(turn_type="mixed", scores={"questioning": 2, "suggestion": 3})]
    prefs = [PreferenceForm("best", ids[0]), PreferenceForm("tie")]

    def save_rating(n: int, final: bool) -> None:
        with store.session() as s:
            (submit if final else save_draft)(s, user, gid, ratings[n], rubric=RUBRIC)

    def save_pref(n: int, final: bool) -> None:
        with store.session() as s:
            save_preference(s, user, item.item_id, prefs[n], rubric=RUBRIC, submit=final)

    def read(getter: Callable[..., Any], key: Any) -> Callable[[], tuple[str, int, Any]]:
        def state() -> tuple[str, int, Any]:
            with store.session() as s:
                v = getter(s, user, key)
                row = s.get(Rating if getter is get_rating else Preference, v.id)
                return v.status, v.version, row.updated_at
        return state

    def versions(history: Callable[..., Any], key: Any) -> Callable[[], list[int]]:
        def listed() -> list[int]:
            with store.session() as s:
                return [v for v, _ in history(s, user, key)]
        return listed

    def snapshots(table: Any) -> Callable[[], int]:
        def count() -> int:
            with store.session() as s:
                return s.scalar(select(func.count(table.id))) or 0
        return count

    return {
        "rating": {"save": save_rating, "state": read(get_rating, gid), "history": versions(rating_history, gid),
                   "snapshots": snapshots(RatingVersion)},
        "preference": {"save": save_pref, "state": read(get_preference, item.item_id),
                       "history": versions(preference_history, item.item_id),
                       "snapshots": snapshots(PreferenceVersion)},
    }


@pytest.mark.parametrize("kind", ["rating", "preference"])
def test_one_rule_for_both_kinds_of_answer(env, kind):
    store, user, item = env
    k = _kinds(store, user, item)[kind]
    save, state, history, snapshots = k["save"], k["state"], k["history"], k["snapshots"]

    save(0, False)
    first = state()
    assert first[:2] == ("draft", 1)
    save(0, False)  # unchanged: nothing written, not even the time
    assert state() == first and snapshots() == 0

    save(0, True)  # submit: a snapshot of version 1
    submitted = state()
    assert submitted[:2] == ("submitted", 1) and history() == [1]
    save(0, False)  # a draft over the unchanged submitted answer (autosave, blur): nothing written
    save(0, True)  # a double submit: nothing written
    assert state() == submitted and history() == [1]

    save(1, False)  # a changed draft: the next version, a draft; version 1 stays in the history
    assert state()[:2] == ("draft", 2) and history() == [1]
    save(1, True)
    assert state()[:2] == ("submitted", 2) and history() == [1, 2] and snapshots() == 2
