"""The rating queue on a real SQLite file: k slots, no repeats, concurrent takers, counterbalancing."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest
from rating_fixtures import COLUMNS, add_positions, make_users
from sqlalchemy import func, select

from workbench.annotate.blind import counterbalanced_order, slot_label, slot_labels, williams_square
from workbench.annotate.queue import (
    annotator_progress,
    open_item,
    progress,
    release_open,
    sync_queue,
    take_next,
)
from workbench.errors import AuthError
from workbench.store.engine import Store
from workbench.store.schema import Assignment, QueueItem, Suggestion


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'queue.db'}")
    yield s
    s.dispose()


def _take(store, user, k):
    with store.session() as s:
        return take_next(s, user, k)


def _complete_directly(store, user, item_id):
    # Completion rules are tested in test_ratings; here only the queue's bookkeeping matters.
    from workbench.store.schema import utcnow

    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == item_id, Assignment.user_id == user.id)).one()
        a.completed_at = utcnow()


def test_sync_is_idempotent_and_skips_failed_generations(store):
    positions = add_positions(store, 3)
    with store.session() as s:
        assert sync_queue(s) == 3
    with store.session() as s:
        assert sync_queue(s) == 0
        items = {(q.dialogue_id, q.turn_index) for q in s.scalars(select(QueueItem))}
    # The error generation at position 5 of each dialogue is not an item.
    assert items == set(positions)


def test_sync_skips_greeting_only_positions(store):
    from workbench.store.dialogues import create_dialogue
    from workbench.store.schema import Generation

    with store.session() as s:
        d = create_dialogue(s, ())
        s.add(Generation(dialogue_id=d.id, turn_index=0, column_name="BianQue-1.0", backend="t", output="你好",
                         status="ok", route="greeting"))
    with store.session() as s:
        assert sync_queue(s) == 0


def test_k_annotators_per_item_and_never_the_same_item_twice(store):
    add_positions(store, 4)
    with store.session() as s:
        sync_queue(s)
    users = make_users(store, "u1", "u2", "u3")
    k = 2
    seen: dict[str, list[int]] = {u.username: [] for u in users}
    for _round in range(10):
        for u in users:
            c = _take(store, u, k)
            if c is None:
                continue
            assert not c.resumed
            seen[u.username].append(c.item_id)
            _complete_directly(store, u, c.item_id)
    for name, items in seen.items():
        assert len(items) == len(set(items)), f"{name} got an item twice: {items}"
    with store.session() as s:
        per_item = dict(s.execute(select(Assignment.item_id, func.count()).group_by(Assignment.item_id)).all())
        slots = s.execute(select(Assignment.item_id, Assignment.slot)).all()
    # 4 items x k=2 slots = 8 assignments in total, exactly k per item, slots 0..k-1.
    assert sorted(per_item.values()) == [k] * 4
    assert all(0 <= slot < k for _, slot in slots)
    assert sum(len(v) for v in seen.values()) == 8
    for u in users:
        assert _take(store, u, k) is None


def test_resume_returns_the_open_item(store):
    add_positions(store, 3)
    with store.session() as s:
        sync_queue(s)
    (u,) = make_users(store, "solo")
    first = _take(store, u, 2)
    again = _take(store, u, 2)
    assert again is not None and again.resumed and again.item_id == first.item_id
    assert again.display_order == first.display_order
    _complete_directly(store, u, first.item_id)
    nxt = _take(store, u, 2)
    assert nxt is not None and not nxt.resumed and nxt.item_id != first.item_id


def test_started_items_are_filled_first(store):
    add_positions(store, 5)
    with store.session() as s:
        sync_queue(s)
    a, b = make_users(store, "a", "b")
    ca = _take(store, a, 2)
    cb = _take(store, b, 2)
    assert cb.item_id == ca.item_id and {ca.slot, cb.slot} == {0, 1}


def test_concurrent_takers_never_share_the_last_slot(tmp_path):
    """Many threads, each with its own engine on one SQLite file, race for the k slots of each item."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    store = Store(url)
    add_positions(store, 3)
    with store.session() as s:
        sync_queue(s)
    k = 3
    users = make_users(store, *[f"racer{i}" for i in range(8)])
    barrier = threading.Barrier(len(users))
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(u):
        own = Store(url)  # separate connection pool: the database is the only thing they share
        try:
            mine = []
            barrier.wait()
            while True:
                with own.session() as s:
                    c = take_next(s, u, k)
                if c is None:
                    break
                mine.append(c.item_id)
                with own.session() as s:
                    a = s.scalars(select(Assignment).where(Assignment.item_id == c.item_id,
                                                           Assignment.user_id == u.id)).one()
                    from workbench.store.schema import utcnow

                    a.completed_at = utcnow()
            got[u.username] = mine
        except BaseException as e:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(e)
        finally:
            own.dispose()

    threads = [threading.Thread(target=worker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with store.session() as s:
        rows = s.execute(select(Assignment.item_id, Assignment.slot, Assignment.user_id)).all()
    by_item = Counter(i for i, _, _ in rows)
    assert sorted(by_item.values()) == [k] * 3  # every item exactly k annotators, never k+1
    assert len({(i, slot) for i, slot, _ in rows}) == len(rows)  # no slot held twice
    assert len({(i, uid) for i, _, uid in rows}) == len(rows)  # no annotator twice on an item
    assert sum(len(v) for v in got.values()) == 3 * k
    store.dispose()


def test_claim_of_a_taken_slot_fails_at_the_database(store):
    """The constraint itself, not the read-before-insert, is what guards the slot."""
    from workbench.annotate.queue import _try_claim

    add_positions(store, 1)
    with store.session() as s:
        sync_queue(s)
    a, b = make_users(store, "first", "second")
    with store.session() as s:
        item = s.scalars(select(QueueItem)).one()
        assert _try_claim(s, item, a, 1, 2) is not None
        assert _try_claim(s, item, b, 1, 2) is None  # same slot, other user: refused
        assert _try_claim(s, item, a, 0, 2) is None  # same user, other slot: refused
        assert _try_claim(s, item, b, 0, 2) is not None
    with store.session() as s:
        assert s.scalar(select(func.count(Assignment.id))) == 2


def test_overall_slots_count_each_item_up_to_k_after_k_is_lowered(store):
    """k is the config's (annotation.annotators_per_item) and may be lowered between starts: an item rated by
    three annotators filled three of two slots, so with k=1 the line read "2/2 item slots done (100%)" beside
    "1/2 items complete" while one item had no rating at all (walk s62). Each item counts up to k slots."""
    add_positions(store, 2)
    with store.session() as s:
        sync_queue(s)
    users = make_users(store, "r1", "r2", "r3")
    for u in users:
        c = _take(store, u, 3)
        assert c is not None and c.item_id == 1
        _complete_directly(store, u, c.item_id)
    with store.session() as s:
        p3, p2, p1 = (progress(s, users[0], k) for k in (3, 2, 1))
    assert (p3.slots_completed, p3.slots_total, p3.items_completed) == (3, 6, 1)
    assert (p2.slots_completed, p2.slots_total, p2.items_completed) == (2, 4, 1)
    assert (p1.slots_completed, p1.slots_total, p1.items_completed) == (1, 2, 1)
    assert p1.overall_fraction == pytest.approx(1 / 2)


def test_progress_mine_and_overall(store):
    add_positions(store, 3)
    with store.session() as s:
        sync_queue(s)
    a, b = make_users(store, "pa", "pb")
    (admin,) = make_users(store, "boss", role="admin")
    c = _take(store, a, 2)
    _complete_directly(store, a, c.item_id)
    _take(store, a, 2)
    with store.session() as s:
        pa = progress(s, a, 2)
        pb = progress(s, b, 2)
    assert (pa.total_items, pa.slots_total, pa.mine_completed, pa.mine_open, pa.mine_available) == (3, 6, 1, 1, 1)
    assert (pb.mine_completed, pb.mine_open, pb.mine_available, pb.slots_completed) == (0, 0, 3, 1)
    assert pa.overall_fraction == pytest.approx(1 / 6)
    with store.session() as s:
        with pytest.raises(AuthError):
            annotator_progress(s, a)
        rows = {r.username: (r.completed, r.open) for r in annotator_progress(s, admin)}
    assert rows["pa"] == (1, 1) and rows["pb"] == (0, 0)
    # An admin or researcher with nothing rated is not a row of 0 / 0 among the annotators; once rating, is.
    (rita,) = make_users(store, "rita", role="researcher")
    with store.session() as s:
        assert set(r.username for r in annotator_progress(s, admin)) == {"pa", "pb"}
    _take(store, rita, 2)
    with store.session() as s:
        assert {r.username: (r.completed, r.open) for r in annotator_progress(s, admin)}["rita"] == (0, 1)


def test_open_item_is_only_for_its_holder_and_hides_nothing_it_needs(store):
    add_positions(store, 1, live=True)
    with store.session() as s:
        sync_queue(s)
    a, b = make_users(store, "holder", "other")
    c = _take(store, a, 2)
    with store.session() as s:
        first = open_item(s, a, c.item_id)
    # Both doctor positions of a live dialogue are items; the second one has per-column history.
    assert first.turn_index == 1 and not first.history_diverges
    _complete_directly(store, a, c.item_id)
    c = _take(store, a, 2)
    with store.session() as s:
        view = open_item(s, a, c.item_id)
    assert view.turn_index == 3
    with store.session() as s:
        with pytest.raises(AuthError):
            open_item(s, b, c.item_id)
    assert [r.label for r in view.replies] == ["A", "B", "C"]
    assert [r.column for r in view.replies] == list(c.display_order)
    # Live dialogue: the doctor turn before the position is each column's own reply.
    assert view.history_diverges
    for r in view.replies:
        assert ("doctor", f"{r.column}-早先的回复") in r.history
        assert r.suggestion is not None and r.suggestion.turn_type in ("question", "suggestion", "mixed", "other")
    with store.session() as s:
        assert s.scalar(select(func.count(Suggestion.id))) == 6  # filled in once per reply of both items
        open_item(s, a, c.item_id)
    with store.session() as s:
        assert s.scalar(select(func.count(Suggestion.id))) == 6


def test_a_live_item_whose_columns_said_the_same_earlier_has_one_shared_history(store):
    """Every column of a live chat opens with the app's greeting: the same doctor turn for all. The item said
    "earlier doctor turns differ per reply" and showed only the patient's messages as the dialogue so far."""
    from workbench.dialogue import Turn
    from workbench.store.dialogues import add_turn, create_dialogue
    from workbench.store.schema import Generation

    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "我头疼"),), source="live")
        for c in COLUMNS:
            s.add(Generation(dialogue_id=d.id, turn_index=1, column_name=c, backend="greeting", route="greeting",
                             output="我是扁鹊，你可以向我提问。", status="ok"))
        add_turn(s, d.id, 2, "patient", "两天了")
        for c in COLUMNS:
            s.add(Generation(dialogue_id=d.id, turn_index=3, column_name=c, backend="test", output=f"{c}：疼在哪里？",
                             status="ok"))
        sync_queue(s)
    (a,) = make_users(store, "holder")
    c = _take(store, a, 1)
    with store.session() as s:
        view = open_item(s, a, c.item_id)
    assert view.turn_index == 3 and not view.history_diverges
    assert ("doctor", "我是扁鹊，你可以向我提问。") in view.history
    assert all(r.history == view.history for r in view.replies)


# ---------------------------------------------------------------------------------------------------
# Counterbalancing


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_williams_square_is_a_balanced_latin_square(n):
    rows = williams_square(n)
    assert len(rows) == (n if n % 2 == 0 else 2 * n)
    for row in rows:
        assert sorted(row) == list(range(n))
    # Position balance: each treatment equally often in each position.
    for pos in range(n):
        assert Counter(r[pos] for r in rows) == Counter({t: len(rows) // n for t in range(n)})
    # Carry-over balance: each ordered neighbour pair equally often.
    pairs = Counter((r[i], r[i + 1]) for r in rows for i in range(n - 1))
    assert set(pairs) == {(x, y) for x in range(n) for y in range(n) if x != y}
    assert len(set(pairs.values())) == 1


@pytest.mark.parametrize(("columns", "k"), [(COLUMNS, 2), (COLUMNS, 3), (("a", "b"), 2), (("w", "x", "y", "z"), 3)])
def test_counterbalanced_order_balances_positions_over_items_and_slots(columns, k):
    n = len(columns)
    period = len(williams_square(n))
    orders = [counterbalanced_order(columns, item, slot) for item in range(1, period + 1) for slot in range(k)]
    for o in orders:
        assert sorted(o) == sorted(columns)
    for pos in range(n):
        counts = Counter(o[pos] for o in orders)
        assert len(set(counts.values())) == 1 and set(counts) == set(columns), (pos, counts)
    for slot in range(k):  # each slot alone (an annotator who always claims it) is balanced too
        alone = [counterbalanced_order(columns, item, slot) for item in range(period)]
        for pos in range(n):
            counts = Counter(o[pos] for o in alone)
            assert len(set(counts.values())) == 1 and set(counts) == set(columns), (slot, pos, counts)
    # All permutations are used when the square has n! rows (n = 2, 3).
    if len(list(itertools.permutations(columns))) == period:
        assert len({tuple(o) for o in orders}) == period


def _dialogues_with_turns(store, n_dialogues, turns_per):
    """Dataset dialogues with ``turns_per`` rated doctor turns each, every column answering at each one,
    queued dialogue by dialogue and turn by turn (the audit's k2 scenario)."""
    from workbench.dialogue import Turn
    from workbench.store.dialogues import create_dialogue
    from workbench.store.schema import Generation

    with store.session() as s:
        for d in range(n_dialogues):
            turns = []
            for t in range(turns_per):
                turns += [Turn("patient", f"患者消息{d}-{t}"), Turn("doctor", f"医生参考{d}-{t}")]
            dlg = create_dialogue(s, tuple(turns), source="dataset", reference=True)
            for t in range(turns_per):
                for c in COLUMNS:
                    s.add(Generation(dialogue_id=dlg.id, turn_index=2 * t + 1, column_name=c, backend="test",
                                     model_name=f"test/{c}", output=f"{c} 回复 {d}-{t}？", status="ok"))
    with store.session() as s:
        sync_queue(s)


def test_blind_positions_are_balanced_at_every_turn_index(store):
    # Items are numbered dialogue x turn; an order tied to the item id put one column first at every first turn
    # (k=2, 3 turns per dialogue), which confounds position bias with quality changing by turn.
    _dialogues_with_turns(store, 30, 3)
    users = make_users(store, "p1", "p2")
    k = 2
    active = list(users)
    while active:
        for u in list(active):
            c = _take(store, u, k)
            if c is None:
                active.remove(u)
                continue
            _complete_directly(store, u, c.item_id)
    with store.session() as s:
        rows = s.execute(select(QueueItem.turn_index, Assignment.display_order)
                         .join(Assignment, Assignment.item_id == QueueItem.id)).all()
    assert len(rows) == 30 * 3 * k
    by_turn: dict[int, Counter] = {}
    for turn, order in rows:
        for pos, column in enumerate(order):
            by_turn.setdefault(turn, Counter())[(column, pos)] += 1
    assert sorted(by_turn) == [1, 3, 5]
    for turn, counts in by_turn.items():
        # 60 orders per turn: each column in each of the 3 positions exactly 20 times.
        assert counts == Counter({(c, p): 20 for c in COLUMNS for p in range(3)}), (turn, counts)
    # And for each annotator: whoever usually claims first (or second) sees every column in every position
    # about equally often at every turn (rank * k + slot gave the first claimant only half the square's rows).
    with store.session() as s:
        mine = s.execute(select(Assignment.user_id, QueueItem.turn_index, Assignment.display_order)
                         .join(QueueItem, QueueItem.id == Assignment.item_id)).all()
    for uid in {u for u, _t, _o in mine}:
        for turn in (1, 3, 5):
            counts = Counter((c, pos) for u, t, order in mine if u == uid and t == turn for pos, c in enumerate(order))
            assert set(counts) == {(c, p) for c in COLUMNS for p in range(3)}, (uid, turn, counts)
            assert max(counts.values()) - min(counts.values()) <= 2, (uid, turn, counts)
    # Two annotators of one item never see the same order.
    with store.session() as s:
        per_item: dict[int, list[tuple[str, ...]]] = {}
        for item_id, order in s.execute(select(Assignment.item_id, Assignment.display_order)):
            per_item.setdefault(item_id, []).append(tuple(order))
    assert all(len(set(v)) == len(v) for v in per_item.values())


def test_a_stored_order_keeps_its_meaning(store):
    # Orders are stored with the assignment: an item resumed later shows the order it was given.
    _dialogues_with_turns(store, 2, 2)
    (u,) = make_users(store, "p1")
    first = _take(store, u, 1)
    with store.session() as s:
        a = s.scalars(select(Assignment).where(Assignment.item_id == first.item_id)).one()
        a.display_order = list(reversed(a.display_order))
        stored = tuple(a.display_order)
    again = _take(store, u, 1)
    assert again.resumed and again.display_order == stored


def test_order_does_not_depend_on_input_order():
    assert counterbalanced_order(["c", "a", "b"], 7, 1) == counterbalanced_order(["b", "c", "a"], 7, 1)


def test_labels():
    assert slot_labels(3) == ["A", "B", "C"]
    assert slot_label(25) == "Z" and slot_label(26) == "AA"


def test_an_admin_releases_the_slots_of_an_annotator_who_left(store):
    add_positions(store, 1)
    with store.session() as s:
        sync_queue(s)
    gone, other = make_users(store, "gone", "other")
    (boss,) = make_users(store, "boss", role="admin")
    held = _take(store, gone, 1)
    assert held is not None and _take(store, other, 1) is None  # k = 1: the only slot is taken
    with pytest.raises(AuthError):
        with store.session() as s:
            release_open(s, other, "gone")
    with store.session() as s:
        assert release_open(s, boss, "gone") == 1
    freed = _take(store, other, 1)
    assert freed is not None and freed.item_id == held.item_id
    _complete_directly(store, other, freed.item_id)
    with store.session() as s:
        assert release_open(s, boss, "other") == 0  # completed work is never released


def test_an_annotator_never_gets_items_from_their_own_live_chats(services):
    """Blind leak: in Chat the annotator saw which column wrote each reply, so those items go to others.

    A chats through the real chat path (demo models); a dataset position A imported stays open to A.
    """
    from workbench import chat

    ann_a, ann_b = make_users(services.store, "chat_a", "chat_b")

    def chat_turns(user, messages):
        did = None
        for m in messages:
            did, pos = chat.send(services, did, m, user_id=user.id)
            list(chat.run(services, did, pos, chat.jobs_for(services, did, pos, services.columns)))
        return did

    own = chat_turns(ann_a, ["你好", "孩子发烧两天了，38度5"])
    example_id, first = chat.load_example(services, chat.examples()[0].id, user_id=ann_a.id)
    did, pos = chat.send(services, example_id, first, user_id=ann_a.id)
    list(chat.run(services, did, pos, chat.jobs_for(services, did, pos, services.columns)))
    imported = add_positions(services.store, 1)[0][0]
    with services.store.session() as s:
        from workbench.store.schema import Dialogue

        s.get(Dialogue, imported).created_by = ann_a.id  # A imported it: importing shows no reply
        sync_queue(s)
        items = {i.id: i.dialogue_id for i in s.scalars(select(QueueItem))}
    assert set(items.values()) == {own, example_id, imported}

    got_a = [c.item_id for c in iter(lambda: _take_and_complete(services.store, ann_a, 2), None)]
    assert [items[i] for i in got_a] == [imported]
    with services.store.session() as s:
        assert progress(s, ann_a, 2).mine_available == 0
        assert progress(s, ann_b, 2).mine_available == len(items)
    got_b = [c.item_id for c in iter(lambda: _take_and_complete(services.store, ann_b, 2), None)]
    assert sorted(got_b) == sorted(items)


def _take_and_complete(store, user, k):
    claim = _take(store, user, k)
    if claim is not None:
        _complete_directly(store, user, claim.item_id)
    return claim
