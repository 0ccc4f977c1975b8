"""A position is rated once every reply there is in; an item that gains a column later opens again.

A team's walk found both: a batch stopped after its first column queued one-reply items, and the replies a later
run added to items already submitted were never offered.
"""

from __future__ import annotations

import pytest
from rating_fixtures import make_users
from sqlalchemy import select

from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.dialogue import Turn
from workbench.store import batch_runs
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Assignment, Dataset, Generation, Preference, QueueItem, utcnow
from workbench.vocab import AnswerStatus, BatchRunStatus, PreferenceOutcome

V1, V2, HY = "BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2"


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'ready.db'}")
    yield s
    s.dispose()


def _position(store) -> tuple[int, int]:
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "我咳嗽三天了"),), source="dataset")
        return d.id, 1


def _run(store, columns, status) -> int:
    with store.session() as s:
        ds = s.scalar(select(Dataset).where(Dataset.name == "ds")) or Dataset(name="ds", format="bianque_csv")
        s.add(ds)
        s.flush()
        run = batch_runs.start_run(s, ds.id, list(columns), "all")
        run.status = status
        return run.id


def _reply(store, pos, column, *, run_id=None, status="ok", text=None) -> None:
    with store.session() as s:
        s.add(Generation(dialogue_id=pos[0], turn_index=pos[1], column_name=column, backend="test",
                         output=text or f"{column}：咳嗽有痰吗？", status=status, batch_run_id=run_id))


def _items(store) -> set[tuple[int, int]]:
    with store.session() as s:
        sync_queue(s)
        return {(q.dialogue_id, q.turn_index) for q in s.scalars(select(QueueItem))}


def test_a_stopped_runs_position_waits_for_its_missing_columns(store):
    pos = _position(store)
    stopped = _run(store, [V1, V2, HY], BatchRunStatus.STOPPED)
    _reply(store, pos, V1, run_id=stopped)
    assert _items(store) == set()  # one reply of three: not rated yet
    resumed = _run(store, [V2, HY], BatchRunStatus.FINISHED)
    _reply(store, pos, V2, run_id=resumed)
    assert _items(store) == set()  # the stopped run still owes the hybrid
    _reply(store, pos, HY, run_id=resumed, status="error")  # an error is an answer too: nothing more will come
    assert _items(store) == {pos}


def test_a_running_run_holds_its_positions_and_a_finished_one_does_not(store):
    pos, other = _position(store), _position(store)
    running = _run(store, [V1, V2], BatchRunStatus.RUNNING)
    _reply(store, pos, V1, run_id=running)
    finished = _run(store, [V1, V2], BatchRunStatus.FINISHED)  # its second column's model could not load
    _reply(store, other, V1, run_id=finished)
    assert _items(store) == {other}


def test_a_streaming_reply_holds_its_position(store):
    pos = _position(store)
    _reply(store, pos, V1)
    _reply(store, pos, V2, status="running")  # a live chat's second column still streaming
    assert _items(store) == set()
    with store.session() as s:
        s.execute(Generation.__table__.update().where(Generation.column_name == V2).values(status="ok"))
    assert _items(store) == {pos}


def test_a_finished_item_that_gains_a_column_opens_again_and_its_preference_is_chosen_again(store):
    (ann,) = make_users(store, "ann")
    pos = _position(store)
    _reply(store, pos, V1, run_id=_run(store, [V1], BatchRunStatus.FINISHED))
    assert _items(store) == {pos}
    with store.session() as s:
        claim = take_next(s, ann, 1)
        assert claim is not None
        item_id = claim.item_id
    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == item_id)).one()
        a.completed_at = utcnow()
        s.add(Preference(dialogue_id=pos[0], turn_index=pos[1], user_id=ann.id, status=AnswerStatus.SUBMITTED,
                         outcome=PreferenceOutcome.BEST, shown=[]))
    _reply(store, pos, V2, run_id=_run(store, [V2], BatchRunStatus.FINISHED))  # the new model, run later
    assert _items(store) == {pos}
    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == item_id)).one()
        assert a.completed_at is None and a.display_order == [V1, V2]  # what they saw keeps its label
        pref = s.scalars(select(Preference)).one()
        assert pref.status == AnswerStatus.DRAFT
        again = take_next(s, ann, 1)
        assert again is not None and again.item_id == item_id and again.resumed
    with store.session() as s:
        view = open_item(s, ann, item_id)
        assert [(r.label, r.column) for r in view.replies] == [("A", V1), ("B", V2)]
    # A regenerated reply of a column already shown is no new column: a finished item stays finished.
    with store.session() as s:
        s.scalars(select(Assignment)).one().completed_at = utcnow()
    _reply(store, pos, V1)
    _items(store)
    with store.session() as s:
        assert s.scalars(select(Assignment)).one().completed_at is not None


def test_a_new_reply_word_for_word_one_already_rated_opens_nothing(store):
    (ann,) = make_users(store, "ann")
    pos = _position(store)
    _reply(store, pos, V1, run_id=_run(store, [V1], BatchRunStatus.FINISHED), text="咳嗽几天了？")
    _items(store)
    with store.session() as s:
        item_id = take_next(s, ann, 1).item_id
    with store.session() as s:
        s.scalars(select(Assignment)).one().completed_at = utcnow()
        s.add(Preference(dialogue_id=pos[0], turn_index=pos[1], user_id=ann.id, status=AnswerStatus.SUBMITTED,
                         outcome=PreferenceOutcome.BEST, shown=[]))
    _reply(store, pos, HY, run_id=_run(store, [HY], BatchRunStatus.FINISHED), text="咳嗽几天了？")  # its twin
    _items(store)
    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == item_id)).one()
        assert a.completed_at is not None and a.display_order == [V1, HY]  # joined, nothing opened again
        assert s.scalars(select(Preference)).one().status == AnswerStatus.SUBMITTED
