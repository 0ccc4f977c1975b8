"""A draft read from the page while the item was open must not undo the item's submit when it reaches the
server after it (the page's events run concurrently): checked where the draft is written, in one transaction.
An item the page shows as submitted (after Back) still takes drafts: that is how an edit starts."""

from __future__ import annotations

from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import select

from workbench.annotate import workflow
from workbench.annotate.queue import open_item
from workbench.annotate.ratings import RatingForm, preference_from_choice, submit_item
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.store.schema import Preference, Rating
from workbench.vocab import AnswerStatus

RUBRIC = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
FORM = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA})
EARLIER = RatingForm(turn_type="suggestion")  # what the page held a moment before the submit


def test_a_draft_read_before_the_submit_leaves_the_submitted_answer(store):
    (ann,) = make_users(store, "ann")
    add_item(store, ["咳嗽几天了？", "多喝水。"])
    item_id = claim(store, ann)
    with store.session() as s:
        item = open_item(s, ann, item_id)
    first = item.groups[0]
    # before the submit the draft is saved as usual
    assert workflow.save_group_draft(store, ann, [r.generation_id for r in first], EARLIER, rubric=RUBRIC,
                                     blind=True, unless_submitted=item_id) is not None
    with store.session() as s:
        submit_item(s, ann, item_id, {r.generation_id: FORM for r in item.replies},
                    preference_from_choice(item, "tie"), rubric=RUBRIC)
    late = workflow.save_group_draft(store, ann, [r.generation_id for r in first], EARLIER, rubric=RUBRIC,
                                     blind=True, unless_submitted=item_id)
    late_pref = workflow.save_preference_draft(store, ann, item_id, preference_from_choice(item, "all_bad"),
                                               rubric=RUBRIC, blind=True, unless_submitted=True)
    assert late is None and late_pref is None
    with store.read() as s:
        rows = list(s.scalars(select(Rating)))
        prefs = list(s.scalars(select(Preference)))
    assert rows and all(r.status == AnswerStatus.SUBMITTED and r.turn_type == "question" for r in rows)
    assert [(p.status, p.outcome) for p in prefs] == [(AnswerStatus.SUBMITTED, "tie")]
    # shown as submitted (after Back), the same draft is an edit and is stored
    edit = workflow.save_group_draft(store, ann, [r.generation_id for r in first], EARLIER, rubric=RUBRIC,
                                     blind=True, unless_submitted=None)
    assert edit is not None and edit.status == AnswerStatus.DRAFT


def test_an_edit_sent_before_the_resubmit_and_run_after_it_leaves_the_item_submitted(store):
    """Walk s65: on an item shown submitted (after Back) drafts are edits, so the open item's check lets them
    through; one sent before the page's re-submit and run after it would have made the new answer a draft of its
    earlier values. The page numbers its events (SentOrder), and the draft asks in its write transaction."""
    from workbench.ui.rate_pages import SentOrder

    (ann,) = make_users(store, "ann")
    add_item(store, ["咳嗽几天了？", "多喝水。"])
    item_id = claim(store, ann)
    with store.session() as s:
        item = open_item(s, ann, item_id)
        submit_item(s, ann, item_id, {r.generation_id: FORM for r in item.replies},
                    preference_from_choice(item, "tie"), rubric=RUBRIC)
    order, page = SentOrder(), "page-1"
    first = [r.generation_id for r in item.groups[0]]
    edited = RatingForm(turn_type="question", scores={"questioning": 2, "suggestion": NA})

    def draft(form: RatingForm, seq: int):
        return workflow.save_group_draft(store, ann, first, form, rubric=RUBRIC, blind=True, unless_submitted=None,
                                         superseded=lambda: order.draft_superseded(ann.id, page, item_id, seq))

    order.view_begins(ann.id, page, 8)
    with store.session() as s:  # the re-submit (sent 8th) with questioning 3 commits first
        resubmitted = RatingForm(turn_type="question", scores={"questioning": 3, "suggestion": NA})
        submit_item(s, ann, item_id, {r.generation_id: resubmitted for r in item.replies},
                    preference_from_choice(item, "tie"), rubric=RUBRIC)
        order.submit_stored(ann.id, page, item_id, 8)
    assert draft(edited, 7) is None  # sent 7th: older than the submit, nothing written
    assert workflow.save_preference_draft(store, ann, item_id, preference_from_choice(item, "all_bad"), rubric=RUBRIC,
                                          blind=True, superseded=lambda: order.draft_superseded(ann.id, page,
                                                                                                item_id, 7)) is None
    with store.read() as s:
        assert [(r.status, r.scores["questioning"]) for r in s.scalars(select(Rating))] == [
            (AnswerStatus.SUBMITTED, 3)] * len(item.replies)
        assert [(p.status, p.outcome) for p in s.scalars(select(Preference))] == [(AnswerStatus.SUBMITTED, "tie")]
    # sent after the submit (9th), the same edit is stored: the item is open again
    again = draft(edited, 9)
    assert again is not None and again.status == AnswerStatus.DRAFT


def test_a_page_line_shows_only_the_latest_sent_answer():
    from workbench.ui.rate_pages import SentOrder

    order = SentOrder()
    assert order.may_show(1, "p", 2)[0]
    assert not order.may_show(1, "p", 1)[0]  # sent before the one already shown
    order.view_begins(1, "p", 5)
    assert not order.may_show(1, "p", 4)[0]  # sent before a view (a submit, Back) that has begun: it rewrites the line
    assert order.may_show(1, "p", 6)[0] and order.may_show(1, "q", 1)[0] and order.may_show(1, "p", None)[0]
