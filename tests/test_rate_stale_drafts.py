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
