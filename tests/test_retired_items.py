"""A retired item (an admin settled a flag by retiring it) is offered to nobody by any path: the queue, the
gold items, skipped items, Back, the annotator's list, a hand-over; and no queue or progress count holds it.
The gold path follows the queue's other rules too (no item from one's own chats, none flagged and settled).
On a real SQLite store (tests/conftest.py ``store``)."""

from __future__ import annotations

import pytest
from rating_fixtures import add_positions, claim, make_users
from sqlalchemy import select

from workbench.annotate import queue, workflow
from workbench.annotate.gold import gold_item_ids, gold_items_due, mark_gold
from workbench.annotate.queue import sync_queue
from workbench.errors import InputError
from workbench.store.schema import Assignment, Dialogue, Generation, QueueItem, utcnow
from workbench.ui.i18n import catalogue
from workbench.vocab import FlagAction


def _item_of(store, position: tuple[int, int]) -> int:
    with store.read() as s:
        return s.scalar(select(QueueItem.id).where(QueueItem.dialogue_id == position[0],
                                                   QueueItem.turn_index == position[1]))


def _mark_gold(store, admin, position: tuple[int, int]) -> int:
    with store.session() as s:
        gid = s.scalar(select(Generation.id).where(Generation.dialogue_id == position[0],
                                                   Generation.turn_index == position[1]).limit(1))
        mark_gold(s, admin, {"generation_id": gid, "turn_type": "question"})
    return _item_of(store, position)


def _complete(store, user, item_id: int) -> None:
    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == item_id, Assignment.user_id == user.id)).one()
        a.completed_at = utcnow()  # the completion rules are test_ratings' business


def _retire(store, admin, flagger, item_id: int) -> None:
    workflow.flag(store, flagger, item_id, "回复是乱码")
    workflow.review_flag(store, admin, item_id, flagger.username, FlagAction.RETIRED)


def _everything_offered(store, user, k: int, gold_rate: float) -> list[int]:
    """Every item ``user`` is given, one after another (each completed at once), until nothing is left."""
    got = []
    while (item := claim(store, user, k, gold_rate)) is not None:
        assert item not in got, "an item came twice"
        got.append(item)
        _complete(store, user, item)
    return got


@pytest.mark.parametrize("gold_rate", [0.0, 0.5, 1.0])
def test_a_retired_gold_item_is_offered_to_nobody(store, gold_rate):
    positions = add_positions(store, 5)
    with store.session() as s:
        sync_queue(s)
    (boss,) = make_users(store, "boss", role="admin")
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    retired = _mark_gold(store, boss, positions[0])
    kept = _mark_gold(store, boss, positions[1])
    # ann holds the gold item and flags it as broken; the admin retires it.
    with store.session() as s:
        s.add(Assignment(item_id=retired, user_id=ann.id, slot=0, display_order=[]))
    _retire(store, boss, ann, retired)
    with store.read() as s:
        assert gold_item_ids(s) == {kept}
        for user in (bob, cat):
            assert retired not in gold_items_due(s, user, 1.0)
    live_items = {_item_of(store, p) for p in positions} - {retired}
    # k = 1: bob takes every live item; cat then gets only what the gold path adds beyond k.
    assert set(_everything_offered(store, bob, 1, gold_rate)) == live_items
    assert _everything_offered(store, cat, 1, gold_rate) == ([kept] if gold_rate == 1.0 else [])


def test_the_gold_path_follows_the_queues_rules(store):
    """Gold items beyond their k slots go only where the queue would send an item: not to whoever held the
    dialogue in Chat (they saw the models), and not back to whoever flagged it once the flag is settled."""
    positions = add_positions(store, 4)
    (boss,) = make_users(store, "boss", role="admin")
    ann, bob = make_users(store, "ann", "bob")
    own_chat = _mark_gold(store, boss, positions[0])
    flagged = _mark_gold(store, boss, positions[1])
    with store.session() as s:
        d = s.get(Dialogue, positions[0][0])
        d.source, d.created_by = "live", bob.id
    first = claim(store, ann, 1, 1.0)
    assert first in (own_chat, flagged)  # gold at once with a rate of 1
    workflow.flag(store, ann, first, "两条回复一样")
    workflow.review_flag(store, boss, first, "ann", FlagAction.POOL)
    with store.read() as s:
        assert first not in gold_items_due(s, ann, 1.0)
        assert own_chat not in gold_items_due(s, bob, 1.0)
    assert first not in _everything_offered(store, ann, 1, 1.0)
    assert own_chat not in _everything_offered(store, bob, 1, 1.0)


def test_progress_and_team_counts_leave_a_retired_item_out(store):
    k = 2
    add_positions(store, 3)
    (boss,) = make_users(store, "boss", role="admin")
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    done_by_ann = claim(store, ann, k)
    _complete(store, ann, done_by_ann)
    assert claim(store, bob, k) == done_by_ann  # items others started come first
    _complete(store, bob, done_by_ann)
    broken = claim(store, ann, k)
    assert claim(store, cat, k) == broken  # cat holds it open (then skips it)
    with store.session() as s:
        queue.skip_item(s, cat, broken)
    with store.read() as s:
        before = {u.username: queue.progress(s, u, k) for u in (ann, bob, cat)}
    assert before["ann"].total_items == 3 and before["ann"].slots_completed == 2

    # Retire the item ann and cat hold, then the one ann and bob completed: cat is given it too (a slot
    # beyond k, as a gold item is), finds it broken, and the admin retires it.
    workflow.flag(store, ann, broken, "回复被截断了")
    workflow.review_flag(store, boss, broken, "ann", FlagAction.RETIRED)
    with store.session() as s:
        s.add(Assignment(item_id=done_by_ann, user_id=cat.id, slot=2, display_order=[]))
    workflow.flag(store, cat, done_by_ann, "病人的话被截断了")
    workflow.review_flag(store, boss, done_by_ann, "cat", FlagAction.RETIRED)

    with store.read() as s:
        after = {u.username: queue.progress(s, u, k) for u in (ann, bob, cat)}
        team = {r.username: (r.completed, r.open) for r in queue.annotator_progress(s, boss)}
        listed = {u.username: queue.my_items(s, u) for u in (ann, bob, cat)}
        back = {u.username: queue.previous_item(s, u, None) for u in (ann, bob, cat)}
    for name, p in after.items():
        assert (p.total_items, p.slots_total) == (1, 1 * k), name
        assert p.slots_completed == 0 and p.items_completed == 0, name
        assert p.mine_completed == 0 and p.mine_open == 0, name
        assert p.mine_available == 1, name
        assert listed[name] == [] and back[name] is None, name
    assert team["ann"] == team["bob"] == team["cat"] == (0, 0)
    # cat's skipped hold on the retired item never comes back.
    assert claim(store, cat, k) not in (broken, done_by_ann)


def test_a_retired_item_cannot_be_handed_to_anyone(store):
    add_positions(store, 1)
    (boss,) = make_users(store, "boss", role="admin")
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    item = claim(store, ann, 3)
    assert claim(store, bob, 3) == item
    workflow.flag(store, ann, item, "回复是乱码")
    workflow.flag(store, bob, item, "看不懂")
    workflow.review_flag(store, boss, item, "ann", FlagAction.RETIRED)
    message = f"item #{item} is retired: it cannot be handed to anyone"
    with pytest.raises(InputError, match=message):
        workflow.review_flag(store, boss, item, "bob", FlagAction.REASSIGNED, "cat")
    with store.read() as s:
        assert s.scalars(select(Assignment.user_id).where(Assignment.item_id == item)).all() == [bob.id]
    # bob's own flag can still be settled; the item stays retired whatever the decision.
    workflow.review_flag(store, boss, item, "bob", FlagAction.POOL)
    assert claim(store, cat, 3) is None
    zh = catalogue().translate(message, "zh")
    assert zh != message and f"#{item}" in zh
