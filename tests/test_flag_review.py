"""An admin settles an item flagged as broken: hands it to another annotator, puts it back in the pool, or
retires it (workbench.annotate.workflow.review_flag); an annotator or researcher cannot. The flag itself
(who, why, when) is kept with the decision."""

from __future__ import annotations

from typing import cast

import pytest
from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import select

from workbench.annotate import queue, workflow
from workbench.auth import set_active
from workbench.errors import AuthError, InputError
from workbench.store.schema import Assignment, Dialogue, FlagReview, QueueItem
from workbench.vocab import FlagAction


def _flag(store, user, item_id, reason="回复被截断了"):
    workflow.flag(store, user, item_id, reason)


def _holders(store, item_id) -> dict[int, tuple[int, bool]]:
    """user id -> (slot, flagged) for the item's assignments."""
    with store.read() as s:
        return {a.user_id: (a.slot, a.flagged_at is not None)
                for a in s.scalars(select(Assignment).where(Assignment.item_id == item_id))}


def test_reassign_hands_the_flagged_slot_to_another_annotator_and_keeps_the_flag(store):
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann)
    with store.read() as s:
        order = s.scalars(select(Assignment.display_order).where(Assignment.user_id == ann.id)).one()
    _flag(store, ann, item)
    assert _holders(store, item) == {ann.id: (0, True)}

    assert workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "bob") == FlagAction.REASSIGNED
    # bob holds the freed slot, in its counterbalanced order, and gets it as his next item; the flag is gone
    # from the list of open flags but kept, with the decision.
    assert _holders(store, item) == {bob.id: (0, False)}
    with store.read() as s:
        assert s.scalars(select(Assignment.display_order).where(Assignment.user_id == bob.id)).one() == order
        assert queue.flagged_items(s, boss) == []
        review = s.scalars(select(FlagReview)).one()
    assert (review.item_id, review.flagged_by, review.reason, review.action, review.assigned_to,
            review.reviewed_by) == (item, ann.id, "回复被截断了", FlagAction.REASSIGNED, bob.id, boss.id)
    assert review.flagged_at is not None and review.reviewed_at >= review.flagged_at
    assert claim(store, bob) == item
    # The one who flagged it never gets it back; nobody else takes the slot bob holds.
    assert claim(store, ann) is None and claim(store, cat) is None


def test_back_to_the_pool_frees_the_slot_for_anyone_but_who_flagged_it(store):
    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann)
    _flag(store, ann, item)
    assert claim(store, bob) is None  # k = 1: the flagged slot is still taken
    workflow.review_flag(store, boss, item, "ann", FlagAction.POOL)
    assert _holders(store, item) == {}
    assert claim(store, ann) is None
    assert claim(store, bob) == item
    with store.read() as s:
        assert queue.progress(s, ann, 1).mine_available == 0


def test_retire_takes_the_item_from_everyone(store):
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann, k=3)
    assert claim(store, bob, k=3) == item  # bob holds it open
    _flag(store, ann, item)
    workflow.review_flag(store, boss, item, "ann", FlagAction.RETIRED)
    assert _holders(store, item) == {}  # bob's open hold went too
    for user in (ann, bob, cat):
        assert claim(store, user, k=3) is None
        with store.read() as s:
            assert queue.progress(s, user, 3).mine_available == 0


def test_only_admins_review_and_bad_requests_change_nothing(store):
    ann, bob = make_users(store, "ann", "bob")
    (rita,) = make_users(store, "rita", role="researcher")
    (boss,) = make_users(store, "boss", role="admin")
    (viewer,) = make_users(store, "vera", role="annotator")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann)
    _flag(store, ann, item)
    before = _holders(store, item)
    for who in (bob, rita):
        with pytest.raises(AuthError, match="only an admin can review flagged items"):
            workflow.review_flag(store, who, item, "ann", FlagAction.POOL)
    with pytest.raises(InputError, match="no open flag by bob"):
        workflow.review_flag(store, boss, item, "bob", FlagAction.POOL)
    with pytest.raises(InputError, match="no user named nobody"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "nobody")
    with pytest.raises(InputError, match="^type a username$"):  # not "no user named ''"
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "  ")
    with pytest.raises(InputError, match="^type a username$"):
        workflow.release_open(store, boss, "")
    with pytest.raises(InputError, match="^no user named nobody$"):  # quoted as the hand-on's message
        workflow.release_open(store, boss, "nobody")
    # a disabled annotator: the account is what to change, not the role (walk 9: "vera may not rate")
    set_active(store, "vera", False)
    with pytest.raises(InputError, match="^vera's account is disabled: enable it under Data → Accounts first$"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "vera")
    set_active(store, "vera", True)
    # the flagger is never given the item again: "already has it" read as if they could take it back
    with pytest.raises(InputError, match=f"^ann flagged item #{item} and is never given it again$"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "ann")
    with pytest.raises(ValueError):
        workflow.review_flag(store, boss, item, "ann", cast(FlagAction, "delete"))
    # Someone who held the dialogue in Chat saw the models: the item is not theirs to rate blind.
    with store.session() as s:
        d = s.scalars(select(Dialogue).join(QueueItem, QueueItem.dialogue_id == Dialogue.id)).one()
        d.source, d.created_by = "live", viewer.id
    with pytest.raises(InputError, match="vera held this dialogue in Chat"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "vera")
    assert _holders(store, item) == before
    with store.read() as s:
        assert s.scalars(select(FlagReview)).all() == []
        assert [f.item_id for f in queue.flagged_items(s, boss)] == [item]


def test_a_hand_off_offers_and_accepts_only_active_accounts_whose_role_may_rate(store, monkeypatch):
    """Walk of session 70: who may take a flagged item is who may rate (workbench.access), active, not the one who
    flagged it; the menu offers them alone and the server refuses the rest. Researchers and admins may rate
    today, so they are offered; a role without the permission is neither offered nor accepted."""
    from workbench.access import ROLE_PERMISSIONS, Permission

    ann, _bob, _off = make_users(store, "ann", "bob", "off")
    (_rita,) = make_users(store, "rita", role="researcher")
    (boss,) = make_users(store, "boss", role="admin")
    set_active(store, "off", False)
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann)
    _flag(store, ann, item)
    assert workflow.hand_off_targets(store, boss) == ["ann", "bob", "boss", "rita"]
    assert workflow.hand_off_targets(store, boss, "ann") == ["bob", "boss", "rita"]
    with pytest.raises(AuthError, match="only an admin can review flagged items"):
        workflow.hand_off_targets(store, ann)
    # a role that may not rate: not offered, and refused when named anyway
    monkeypatch.setitem(ROLE_PERMISSIONS, "researcher", ROLE_PERMISSIONS["researcher"] - {Permission.RATE})
    assert workflow.hand_off_targets(store, boss, "ann") == ["bob", "boss"]
    with pytest.raises(InputError, match="^rita may not rate$"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "rita")
    with pytest.raises(InputError, match="^off's account is disabled"):
        workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "off")
    assert workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "bob") == FlagAction.REASSIGNED
