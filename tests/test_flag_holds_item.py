"""An item with an open flag is held for an admin's review: the queue offers it to nobody (not only to who
flagged it), an annotator who already holds it open is not given it back and cannot submit it (their answers
are kept as drafts), and the admin's decision releases it: kept (handed on or back to the pool), it is offered
again and comes back to whoever held it; retired, it is gone for everyone. Progress counts say so."""

from __future__ import annotations

import re

import pytest
from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import select

from workbench.annotate import queue, workflow
from workbench.annotate.ratings import PreferenceForm, RatingForm, preference_from_choice
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.errors import InputError
from workbench.store.schema import Assignment, QueueItem, Rating
from workbench.vocab import AnswerStatus, FlagAction

FORM = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA}, comment="我的评语")


@pytest.fixture
def rubric():
    return load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")


def _answers(item) -> tuple[dict[int, RatingForm], PreferenceForm | None]:
    return {r.generation_id: FORM for r in item.replies}, preference_from_choice(item, "tie")


def _submit(store, user, item_id, rubric, k):
    return workflow.submit(store, user, item_id, _answers, rubric=rubric, blind=True, k=k)


def _progress(store, user, k) -> queue.Progress:
    with store.read() as s:
        return queue.progress(s, user, k)


def _team(store, admin) -> dict[str, tuple[int, int, int]]:
    rows, _flags = workflow.team(store, admin)
    return {r.username: (r.completed, r.open, r.held) for r in rows}


def test_a_flagged_item_is_offered_to_nobody_until_an_admin_keeps_it(store):
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann, k=3)
    workflow.flag(store, ann, item, "回复里有患者的真实姓名")
    # Two slots are free, but the item waits for an admin: neither bob nor cat gets it, and neither is told
    # that it is available.
    for user in (bob, cat):
        assert claim(store, user, k=3) is None
        assert _progress(store, user, 3).mine_available == 0
    # Kept: handed to bob, the item is in play again, so cat may take a free slot too.
    workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "bob")
    assert _progress(store, cat, 3).mine_available == 1
    assert claim(store, bob, k=3) == item
    assert claim(store, cat, k=3) == item
    assert claim(store, ann, k=3) is None  # who flagged it never gets it back


def test_back_to_the_pool_offers_the_item_again(store):
    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    other = add_item(store, ["另一条甲", "另一条乙"])
    item = claim(store, ann, k=2)
    workflow.flag(store, ann, item, "对话无法使用")
    # bob is given the other item, not the held one, and then nothing.
    got = claim(store, bob, k=2)
    assert got is not None and got != item
    with store.read() as s:
        assert s.get(QueueItem, got).dialogue_id == other
    workflow.flag(store, bob, got, "也坏了")  # bob's own queue is now empty: it must not show ann's held item
    assert claim(store, bob, k=2) is None
    workflow.review_flag(store, boss, item, "ann", FlagAction.POOL)
    assert claim(store, bob, k=2) == item


def test_an_open_hold_is_paused_when_another_annotator_flags_the_item(store, rubric):
    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann, k=2)
    assert claim(store, bob, k=2) == item  # bob has it open, with a draft typed
    view = workflow.open_item(store, bob, item)
    assert view is not None
    workflow.save_group_draft(store, bob, [view.replies[0].generation_id], FORM, rubric=rubric, blind=True)
    assert _progress(store, bob, 2).mine_open == 1

    workflow.flag(store, ann, item, "回复被截断了")
    # Paused: bob's next item is not this one (nothing else is left), his open count does not promise it, the
    # admin's team table shows it held, not open.
    assert claim(store, bob, k=2) is None
    p = _progress(store, bob, 2)
    assert (p.mine_open, p.mine_held, p.mine_available) == (0, 1, 0)
    assert _team(store, boss)["bob"] == (0, 0, 1)
    with store.session() as s:
        assert queue.open_assignment(s, bob) is None
    # The page still shows it: a submit is refused with the reason, and what bob typed is kept as drafts.
    with pytest.raises(InputError, match=f"item #{item} was flagged by another annotator"):
        _submit(store, bob, item, rubric, 2)
    with store.read() as s:
        a = s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).one()
        assert a.completed_at is None
        rows = s.scalars(select(Rating).where(Rating.user_id == bob.id)).all()
    assert {r.generation_id for r in rows} == {r.generation_id for r in view.replies}
    assert {(r.status, r.comment) for r in rows} == {(AnswerStatus.DRAFT, "我的评语")}

    # Kept: the item comes back to bob, with his drafts, and he can submit it.
    workflow.review_flag(store, boss, item, "ann", FlagAction.POOL)
    assert claim(store, bob, k=2) == item
    p = _progress(store, bob, 2)
    assert (p.mine_open, p.mine_held) == (1, 0)
    result = _submit(store, bob, item, rubric, 2)
    assert result.done.completed
    assert _team(store, boss)["bob"] == (1, 0, 0)


def test_retiring_a_held_item_ends_the_paused_hold_and_keeps_the_drafts(store, rubric):
    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann, k=2)
    assert claim(store, bob, k=2) == item
    workflow.flag(store, ann, item, "回复被截断了")
    with pytest.raises(InputError, match="waits for an admin's review"):
        _submit(store, bob, item, rubric, 2)
    workflow.review_flag(store, boss, item, "ann", FlagAction.RETIRED)
    assert claim(store, bob, k=2) is None
    p = _progress(store, bob, 2)
    assert (p.mine_open, p.mine_held, p.total_items) == (0, 0, 0)
    assert _team(store, boss)["bob"] == (0, 0, 0)
    with store.read() as s:
        assert s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).all() == []
        assert {r.status for r in s.scalars(select(Rating).where(Rating.user_id == bob.id))} == {AnswerStatus.DRAFT}


def test_answers_submitted_before_the_flag_stand_and_the_item_stays_held(store, rubric):
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, bob, k=3)
    assert item is not None
    _submit(store, bob, item, rubric, 3)
    assert claim(store, ann, k=3) == item
    workflow.flag(store, ann, item, "回复被截断了")
    assert claim(store, cat, k=3) is None
    assert _team(store, boss)["bob"] == (1, 0, 0)  # bob's submitted item is done, not held
    # A new version of a held item is refused too (Back, edit, submit); the stored one stays submitted.
    with pytest.raises(InputError, match="waits for an admin's review"):
        _submit(store, bob, item, rubric, 3)
    with store.read() as s:
        assert {r.status for r in s.scalars(select(Rating).where(Rating.user_id == bob.id))} == {AnswerStatus.SUBMITTED}


def test_an_item_back_from_review_waits_behind_the_item_taken_meanwhile(store, rubric):
    """bob's open item is held, so Next gives him another; when the admin keeps the held one, the item bob is
    working on stays his current one (Next keeps it, a reload restores it), and the returned item comes next."""
    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    add_item(store, ["另一条甲", "另一条乙"])
    held = claim(store, ann, k=2)
    assert claim(store, bob, k=2) == held
    workflow.flag(store, ann, held, "回复被截断了")
    current = workflow.next_screen(store, bob, 2).item
    assert current is not None and current.item_id != held
    workflow.review_flag(store, boss, held, "ann", FlagAction.POOL)
    # Next, again and again, and a reload: always the item on screen, never a jump to the returned one.
    for _ in range(3):
        screen = workflow.next_screen(store, bob, 2)
        assert screen.item is not None and screen.item.item_id == current.item_id
    restored = workflow.restore(store, bob, 2).item
    assert restored is not None and restored.item_id == current.item_id
    # Submitted, the current item gives way to the returned one.
    after = _submit(store, bob, current.item_id, rubric, 2)
    assert after.next is not None and after.next.item is not None
    assert (after.next.item.item_id, after.next.resumed) == (held, True)


def test_an_answer_to_an_item_retired_or_released_meanwhile_says_why_it_was_refused(store, rubric):
    """bob's page still shows an item an admin took from him: his submit and his autosaves are refused with the
    reason (retired, or released from him), in both languages; it used to say "you do not hold this item"."""
    from workbench.errors import AuthError
    from workbench.ui import i18n

    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    add_item(store, ["另一条甲", "另一条乙"])
    retired = claim(store, ann, k=2)
    assert claim(store, bob, k=2) == retired
    view = workflow.open_item(store, bob, retired)
    assert view is not None
    gids = [view.replies[0].generation_id]
    workflow.save_group_draft(store, bob, gids, FORM, rubric=rubric, blind=True, held_item=retired)
    workflow.flag(store, ann, retired, "回复被截断了")
    workflow.review_flag(store, boss, retired, "ann", FlagAction.RETIRED)
    said = f"item #{retired} was retired by an admin"
    with pytest.raises(InputError, match=said) as refused:
        _submit(store, bob, retired, rubric, 2)
    assert i18n.catalogue().translate(str(refused.value), "zh").startswith(f"条目 #{retired} 已被管理员停用")
    with pytest.raises(InputError, match=said):
        workflow.save_group_draft(store, bob, gids, FORM, rubric=rubric, blind=True, held_item=retired)

    released = claim(store, bob, k=2)
    assert released is not None and released != retired
    view = workflow.open_item(store, bob, released)
    assert view is not None
    gids = [view.replies[0].generation_id]
    workflow.save_group_draft(store, bob, gids, FORM, rubric=rubric, blind=True, held_item=released)
    assert workflow.release_open(store, boss, "bob") == 1
    said = f"item #{released} is no longer yours: an admin released it"
    with pytest.raises(AuthError, match=said) as refused:
        _submit(store, bob, released, rubric, 2)
    assert i18n.catalogue().translate(str(refused.value), "zh").startswith(f"条目 #{released} 已不再分配给您")
    with pytest.raises(AuthError, match=said):
        workflow.save_group_draft(store, bob, gids, FORM, rubric=rubric, blind=True, held_item=released)
    with store.read() as s:  # his drafts stay
        assert {r.status for r in s.scalars(select(Rating).where(Rating.user_id == bob.id))} == {AnswerStatus.DRAFT}


def test_an_item_released_before_any_draft_says_which_item_and_what_to_do(store, rubric):
    """bob had answered nothing on an item when the admin released it: his keystrokes' saves said only "you do not
    hold this item". They now name the item, say nothing was saved and to press Next item, in both languages."""
    from workbench.errors import AuthError
    from workbench.ui import i18n

    (bob,) = make_users(store, "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, bob, k=1)
    view = workflow.open_item(store, bob, item)
    assert view is not None
    assert workflow.release_open(store, boss, "bob") == 1
    said = f"you do not hold item #{item} (an admin may have released it"
    with pytest.raises(AuthError, match=re.escape(said)) as refused:
        workflow.save_group_draft(store, bob, [view.replies[0].generation_id], FORM, rubric=rubric, blind=True,
                                  held_item=item)
    assert "press Next item" in str(refused.value)
    assert i18n.catalogue().translate(str(refused.value), "zh") == (
        f"条目 #{item} 不在您名下（可能已被管理员释放或转交他人）：本次未保存任何内容；请按“下一条”")


def test_an_answer_from_the_flagger_after_the_flag_is_settled_says_so(store, rubric):
    """ann flagged an item (another tab of hers still shows it); once the admin hands it on, her submit is
    refused as hers no more because of her own flag, not as 'released by an admin'."""
    from workbench.errors import AuthError
    from workbench.ui import i18n

    ann, bob = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    add_item(store, ["回复甲", "回复乙"])
    item = claim(store, ann, k=2)
    view = workflow.open_item(store, ann, item)
    assert view is not None
    workflow.save_group_draft(store, ann, [view.replies[0].generation_id], FORM, rubric=rubric, blind=True)
    workflow.flag(store, ann, item, "回复被截断了")
    workflow.review_flag(store, boss, item, "ann", FlagAction.REASSIGNED, "bob")
    with pytest.raises(AuthError, match=f"item #{item} is no longer yours: you flagged it as broken") as refused:
        _submit(store, ann, item, rubric, 2)
    assert i18n.catalogue().translate(str(refused.value), "zh").startswith(f"条目 #{item} 已不再分配给您：您曾将其标记")
