"""The one reader of "a column's thread as of turn t" (workbench/store/threads.py) and its consumers:
the next reply's input, the threads shown in Chat, a rating item's per-reply history and the export's
history all read the same thread, a stopped reply keeps its status, and ``as_of`` reads a thread as it
was when a later reply was written."""

from __future__ import annotations

import pytest
from rating_fixtures import make_users

from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.dialogue import Turn
from workbench.store.dialogues import add_turn, create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation
from workbench.store.threads import ThreadRequest, column_thread, read_threads

COLUMNS = ("A", "B")


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'threads.db'}")
    yield s
    s.dispose()


def _live_dialogue(store: Store) -> tuple[int, dict[str, int]]:
    """patient 0; each column's reply at 1 (A regenerated: a stopped reply, then an ok one); patient 2;
    each column's reply at 3. Returns the dialogue and each column's reply id at 3."""
    later: dict[str, int] = {}
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "头疼两天"),), source="live")
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="A", backend="t", output="A-旧", status="ok"))
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="B", backend="t", output="B-1", status="stopped"))
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="A", backend="t", output="", status="error"))
        add_turn(s, d.id, 2, "patient", "有点发烧")
        for c in COLUMNS:
            g = Generation(dialogue_id=d.id, turn_index=3, column_name=c, backend="t", output=f"{c}-3", status="ok")
            s.add(g)
            s.flush()
            later[c] = g.id
        # A's reply at 1 regenerated after the replies at 3 were written
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="A", backend="t", output="A-新", status="ok"))
        return d.id, later


def test_latest_and_as_of_threads(store):
    did, later = _live_dialogue(store)
    with store.read() as s:
        now = read_threads(s, [ThreadRequest(did, c, 3) for c in COLUMNS])
        then = read_threads(s, [ThreadRequest(did, c, 3, as_of=later[c]) for c in COLUMNS])
        shared = read_threads(s, [ThreadRequest(did, None, 3)])[ThreadRequest(did, None, 3)]
        assert column_thread(s, did, "A", before=3).turns == now[ThreadRequest(did, "A", 3)].turns
    assert [t.text for t in now[ThreadRequest(did, "A", 3)].turns] == ["头疼两天", "A-新", "有点发烧"]
    # as of A's reply at 3, the regenerated reply did not exist yet
    assert [t.text for t in then[ThreadRequest(did, "A", 3, later["A"])].turns] == ["头疼两天", "A-旧", "有点发烧"]
    b = now[ThreadRequest(did, "B", 3)]
    assert [t.text for t in b.turns] == ["头疼两天", "B-1", "有点发烧"]
    assert b.statuses == (None, "stopped", None)  # a stopped reply stays marked
    assert [t.text for t in shared.turns] == ["头疼两天", "有点发烧"]


def test_a_rating_item_shows_each_reply_the_thread_its_column_has(store):
    did, _later = _live_dialogue(store)
    first, second = make_users(store, "ann", "other")
    with store.session() as s:
        sync_queue(s)
        # k = 1: the first annotator holds the item at 1, so the second one gets the item at 3
        assert take_next(s, first, 1) is not None
        claim = take_next(s, second, 1)
        assert claim is not None
        view = open_item(s, second, claim.item_id)
    assert view.turn_index == 3 and view.history_diverges
    assert view.history == (("patient", "头疼两天"), ("patient", "有点发烧"))
    with store.read() as s:
        for r in view.replies:
            assert r.history == tuple((t.role, t.text) for t in column_thread(s, did, r.column, before=3).turns)
    assert {r.column: r.history[1][1] for r in view.replies} == {"A": "A-新", "B": "B-1"}
