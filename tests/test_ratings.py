"""Ratings on a real SQLite file: drafts, submits, edits as versions, rubric version, validation, N/A."""

from __future__ import annotations

import pytest
from rating_fixtures import add_positions, make_users
from sqlalchemy import func, select

from workbench.annotate.queue import open_item, progress, sync_queue, take_next
from workbench.annotate.ratings import (
    PreferenceForm,
    RatingForm,
    discard,
    get_preference,
    get_rating,
    list_ratings,
    parse_ranking,
    preference_from_choice,
    rating_history,
    save_draft,
    save_preference,
    submit,
    submit_item,
    validate_rating,
)
from workbench.annotate.rubric import NA, load_rubric, parse_rubric
from workbench.config import REPO_ROOT
from workbench.errors import AuthError, InputError
from workbench.store.engine import Store
from workbench.store.schema import Assignment, Preference, Rating, RatingVersion, Suggestion

K = 2
GOOD = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA}, comment="问得好")


@pytest.fixture
def rubric():
    return load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")


@pytest.fixture
def env(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'ratings.db'}")
    add_positions(store, 3)
    with store.session() as s:
        sync_queue(s)
    a, b = make_users(store, "ann_a", "ann_b")
    (admin,) = make_users(store, "admin1", role="admin")
    with store.session() as s:
        claim = take_next(s, a, K)
        item = open_item(s, a, claim.item_id)
    yield store, a, b, admin, item
    store.dispose()


def test_draft_then_submit_then_edit_keeps_versions(env, rubric):
    store, a, _b, _admin, item = env
    gid = item.replies[0].generation_id
    with store.session() as s:
        d = save_draft(s, a, gid, RatingForm(scores={"questioning": 3}), rubric=rubric)
    assert (d.status, d.version, d.form.score("questioning"), d.form.score("suggestion")) == ("draft", 1, 3, None)
    with store.session() as s:
        v1 = submit(s, a, gid, GOOD, rubric=rubric)
    assert (v1.status, v1.version) == ("submitted", 1)
    # A repeated submit of the same answer (double click) adds no version.
    with store.session() as s:
        submit(s, a, gid, GOOD, rubric=rubric)
    # Edit later: the draft is version 2, the submitted version 1 stays in the history.
    with store.session() as s:
        e = save_draft(s, a, gid, RatingForm(turn_type="mixed", scores={"questioning": 2, "suggestion": 3}), rubric=rubric)
    assert (e.status, e.version) == ("draft", 2)
    with store.session() as s:
        v2 = submit(s, a, gid, RatingForm(turn_type="mixed", scores={"questioning": 2, "suggestion": 3}, safety_flag=True), rubric=rubric)
    assert (v2.status, v2.version, v2.form.safety_flag) == ("submitted", 2, True)
    with store.session() as s:
        assert s.scalar(select(func.count(Rating.id))) == 1  # one current answer per annotator and reply
        hist = rating_history(s, a, gid)
    assert [v for v, _ in hist] == [1, 2]
    assert hist[0][1]["scores"] == {"questioning": 4, "suggestion": NA} and hist[0][1]["comment"] == "问得好"
    assert hist[1][1]["turn_type"] == "mixed" and hist[1][1]["safety_flag"] is True


def test_autosave_of_an_unchanged_submitted_answer_changes_nothing(env, rubric):
    store, a, *_rest, item = env
    gid = item.replies[1].generation_id
    with store.session() as s:
        first = submit(s, a, gid, GOOD, rubric=rubric)
    with store.session() as s:
        again = save_draft(s, a, gid, GOOD, rubric=rubric)
    assert (again.status, again.version, again.updated_at) == ("submitted", 1, first.updated_at)


def test_rubric_version_and_blind_order_are_stored(env, rubric):
    store, a, *_rest, item = env
    reply = item.replies[2]
    with store.session() as s:
        r = submit(s, a, reply.generation_id, GOOD, rubric=rubric, blind=True)
        a_row = s.scalars(select(Assignment).where(Assignment.user_id == a.id)).one()
    assert r.rubric_version == rubric.version_id and r.rubric_version.startswith("1.0+")
    assert list(r.display_order) == list(a_row.display_order) == list(item.display_order)
    assert r.display_order[r.display_slot] == reply.column and r.display_slot == 2
    assert r.blind is True
    # A changed rubric gives a different version id; the old rating keeps its own.
    data = rubric.model_dump(mode="json")
    data["version"] = "2.0"
    new = parse_rubric(data)
    with store.session() as s:
        r2 = submit(s, a, item.replies[0].generation_id, GOOD, rubric=new)
        old = get_rating(s, a, reply.generation_id)
    assert r2.rubric_version.startswith("2.0+") and old.rubric_version == rubric.version_id


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (RatingForm(turn_type="question", scores={"questioning": 6, "suggestion": NA}), "outside 1..5"),
        (RatingForm(turn_type="question", scores={"questioning": 0, "suggestion": NA}), "outside 1..5"),
        (RatingForm(turn_type="question", scores={"questioning": 2.5, "suggestion": NA}), "whole number"),
        (RatingForm(turn_type="question", scores={"questioning": 3, "suggestion": NA, "empathy": 4}), "unknown rating axis empathy"),
        (RatingForm(turn_type="question", scores={"questioning": 3}), "suggestion quality: missing score"),
        (RatingForm(scores={"questioning": 3, "suggestion": 3}), "turn type"),
        (RatingForm(turn_type="chitchat", scores={"questioning": 3, "suggestion": 3}), "not one of"),
        (RatingForm(turn_type="question", scores={"questioning": 3, "suggestion": 3}, comment="x" * 2001), "limit is 2000"),
        (RatingForm(turn_type="question", scores={"questioning": 3, "suggestion": 3}, corrected_reply="y" * 4001), "limit is 4000"),
    ],
)
def test_submit_validation(env, rubric, form, message):
    store, a, *_rest, item = env
    gid = item.replies[0].generation_id
    with pytest.raises(InputError, match=message), store.session() as s:
        submit(s, a, gid, form, rubric=rubric)
    with store.session() as s:
        assert get_rating(s, a, gid) is None  # nothing partial stored


def test_draft_allows_partial_answers_but_not_bad_values(env, rubric):
    store, a, *_rest, item = env
    gid = item.replies[0].generation_id
    with store.session() as s:
        d = save_draft(s, a, gid, RatingForm(scores={"suggestion": NA}), rubric=rubric)
    assert d.form.is_na("suggestion") and d.form.score("questioning") is None and d.form.turn_type is None
    with pytest.raises(InputError, match="outside"), store.session() as s:
        save_draft(s, a, gid, RatingForm(scores={"questioning": 9}), rubric=rubric)


def test_na_is_stored_as_null_score_with_flag(env, rubric):
    store, a, *_rest, item = env
    gid = item.replies[0].generation_id
    with store.session() as s:
        submit(s, a, gid, RatingForm(turn_type="other", scores={"questioning": NA, "suggestion": NA}), rubric=rubric)
    with store.session() as s:
        row = s.scalars(select(Rating)).one()
    assert row.scores == {"questioning": NA, "suggestion": NA}


def test_free_text_is_cleaned_and_html_kept_as_text(env, rubric):
    store, a, *_rest, item = env
    gid = item.replies[0].generation_id
    evil = "<script>alert(1)</script>\x00\x07 注意"
    with store.session() as s:
        r = save_draft(s, a, gid, RatingForm(comment=evil, corrected_reply="   "), rubric=rubric)
    assert r.form.comment == "<script>alert(1)</script> 注意"  # control characters dropped, markup untouched
    assert r.form.corrected_reply is None


def test_machine_suggestion_is_kept_apart_from_the_human_answer(env, rubric):
    store, a, *_rest, item = env
    reply = item.replies[0]
    assert reply.suggestion is not None
    human = "other" if reply.suggestion.turn_type != "other" else "question"
    with store.session() as s:
        submit(s, a, reply.generation_id, RatingForm(turn_type=human, scores={"questioning": NA, "suggestion": NA}),
               rubric=rubric)
    with store.session() as s:
        sug = s.scalars(select(Suggestion).where(Suggestion.generation_id == reply.generation_id)).one()
        row = s.scalars(select(Rating)).one()
    assert sug.value == reply.suggestion.turn_type and sug.agent == reply.suggestion.agent
    assert row.turn_type == human


def test_isolation_between_annotators(env, rubric):
    store, a, b, admin, item = env
    gid = item.replies[0].generation_id
    with store.session() as s:
        submit(s, a, gid, GOOD, rubric=rubric)
    with store.session() as s:
        # B does not hold the item: cannot write a rating on it at all.
        with pytest.raises(AuthError):
            save_draft(s, b, gid, GOOD, rubric=rubric)
    with store.session() as s:
        with pytest.raises(AuthError):
            get_rating(s, b, gid, user_id=a.id)
        with pytest.raises(AuthError):
            list_ratings(s, b, user_id=a.id)
        with pytest.raises(AuthError):
            list_ratings(s, b, all_users=True)
        with pytest.raises(AuthError):
            rating_history(s, b, gid, user_id=a.id)
        assert get_rating(s, b, gid) is None  # B's own (absent) rating, not A's
        assert list_ratings(s, b) == []
        with pytest.raises(InputError):
            discard(s, b, gid)
        # Admins read everyone's.
        assert get_rating(s, admin, gid, user_id=a.id).form == validate_rating(GOOD, rubric, final=True)
        assert len(list_ratings(s, admin, all_users=True)) == 1
    # When B holds the same item, B's answer is a separate row; A's is untouched.
    with store.session() as s:
        take_next(s, b, K)
        submit(s, b, gid, RatingForm(turn_type="other", scores={"questioning": 1, "suggestion": 1}), rubric=rubric)
    with store.session() as s:
        rows = {r.user_id: r.scores["questioning"] for r in s.scalars(select(Rating))}
    assert rows == {a.id: 4, b.id: 1}


def test_discard(env, rubric):
    store, a, *_rest, item = env
    gid = item.replies[0].generation_id
    with store.session() as s:
        submit(s, a, gid, GOOD, rubric=rubric)
    with store.session() as s:
        d = discard(s, a, gid)
    assert (d.status, d.version) == ("discarded", 2)
    with store.session() as s:
        assert [v for v, _ in rating_history(s, a, gid)] == [1]


def test_preference_best_tie_all_bad_and_ranking(env, rubric):
    store, a, *_rest, item = env
    ids = [r.generation_id for r in item.replies]
    with store.session() as s:
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "B"), rubric=rubric)
    assert (p.status, p.form.outcome, p.form.winner_generation_id, p.shown) == ("draft", "best", ids[1], tuple(ids))
    with store.session() as s:
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "tie"), rubric=rubric, submit=True)
    assert (p.status, p.form.outcome, p.form.winner_generation_id, p.version) == ("submitted", "tie", None, 1)
    with store.session() as s:
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "ranking", "c > a > b"),
                            rubric=rubric, submit=True)
    assert p.form.ranking == (ids[2], ids[0], ids[1]) and p.version == 2
    with pytest.raises(InputError, match="rank all 3"), store.session() as s:
        save_preference(s, a, item.item_id, preference_from_choice(item, "ranking", "A>B"), rubric=rubric, submit=True)
    with store.session() as s:
        # A partial ranking is a fine draft.
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "ranking", "A>B"), rubric=rubric)
        assert p.form.ranking == (ids[0], ids[1]) and p.status == "draft"
        p = save_preference(s, a, item.item_id, preference_from_choice(item, "all_bad"), rubric=rubric, submit=True)
        assert p.form.outcome == "all_bad"
        row = s.scalars(select(Preference)).one()
    assert row.shown == ids and row.rubric_version == rubric.version_id and row.blind
    with pytest.raises(InputError, match="winner"), store.session() as s:
        save_preference(s, a, item.item_id, PreferenceForm("best", 999999), rubric=rubric, submit=True)


def test_parse_ranking():
    assert parse_ranking("B > A > C", ["A", "B", "C"]) == ["B", "A", "C"]
    assert parse_ranking("bac", ["A", "B", "C"]) == ["B", "A", "C"]
    assert parse_ranking("c，a、b", ["A", "B", "C"]) == ["C", "A", "B"]
    with pytest.raises(InputError, match="unknown"):
        parse_ranking("A > D", ["A", "B", "C"])


def test_submit_item_is_all_or_nothing_and_completes(env, rubric):
    store, a, *_rest, item = env
    forms = {r.generation_id: GOOD for r in item.replies}
    bad = dict(forms)
    bad[item.replies[2].generation_id] = RatingForm(turn_type="question")
    with pytest.raises(InputError, match="reply C: missing questioning quality, suggestion quality$"), store.session() as s:
        submit_item(s, a, item.item_id, bad, preference_from_choice(item, "A"), rubric=rubric)
    # every box's gaps in one message (walk 10: one at a time, each submit naming the next)
    bad[item.replies[0].generation_id] = RatingForm(scores={"questioning": 3})
    with pytest.raises(InputError, match="^reply A: missing turn type, suggestion quality; reply C: missing "
                                         "questioning quality, suggestion quality$"), store.session() as s:
        submit_item(s, a, item.item_id, bad, preference_from_choice(item, "A"), rubric=rubric)
    with pytest.raises(InputError, match="choose a preference"), store.session() as s:
        submit_item(s, a, item.item_id, forms, None, rubric=rubric)
    with store.session() as s:
        assert s.scalar(select(func.count(Rating.id))) == 0  # nothing partial
        assert s.scalar(select(func.count(RatingVersion.id))) == 0
    with store.session() as s:
        done = submit_item(s, a, item.item_id, forms, preference_from_choice(item, "A"), rubric=rubric)
    assert done.completed
    with store.session() as s:
        assert s.scalar(select(func.count(Rating.id)).where(Rating.status == "submitted")) == 3
        assert get_preference(s, a, item.item_id).form.outcome == "best"
        p = progress(s, a, K)
        nxt = take_next(s, a, K)
    assert p.mine_completed == 1 and p.mine_open == 0
    assert nxt is not None and nxt.item_id != item.item_id and not nxt.resumed


@pytest.mark.parametrize("change", ["rating", "preference", "discard"])
def test_a_submitted_item_whose_answer_becomes_a_draft_is_open_again(env, rubric, change):
    """Editing an answer of a submitted item (Back, My items) makes it a draft: analysis and exports no longer
    count it, so the item is open again (item list, progress, team table, a reload's resume) until the next
    submit, never "submitted" while its answers are not. An unchanged autosave leaves it submitted."""
    from workbench.annotate.queue import annotator_progress, my_items

    store, a, _b, admin, item = env
    forms = {r.generation_id: GOOD for r in item.replies}
    gid = item.replies[1].generation_id
    with store.session() as s:
        submit_item(s, a, item.item_id, forms, preference_from_choice(item, "A"), rubric=rubric)
    with store.session() as s:
        nxt = take_next(s, a, K)  # the annotator moves on to a new item
        assert nxt is not None and nxt.item_id != item.item_id
        save_draft(s, a, gid, GOOD, rubric=rubric)  # untouched: a blur's autosave
        save_preference(s, a, item.item_id, preference_from_choice(item, "A"), rubric=rubric)
        assert dict(my_items(s, a))[item.item_id] is True
    with store.session() as s:
        if change == "rating":
            save_draft(s, a, gid, RatingForm(turn_type="mixed", scores={"questioning": 2}), rubric=rubric)
        elif change == "preference":
            save_preference(s, a, item.item_id, preference_from_choice(item, "B"), rubric=rubric)
        else:
            discard(s, a, gid)
    with store.session() as s:
        assert dict(my_items(s, a))[item.item_id] is False
        p = progress(s, a, K)
        assert (p.mine_completed, p.mine_open) == (0, 2)
        team = {row.username: row for row in annotator_progress(s, admin)}
        assert (team["ann_a"].completed, team["ann_a"].open) == (0, 2)
        resumed = take_next(s, a, K)
    assert resumed is not None and resumed.item_id == item.item_id and resumed.resumed  # the older open item
    with store.session() as s:
        again = submit_item(s, a, item.item_id, forms, preference_from_choice(item, "A"), rubric=rubric)
        assert again.completed and dict(my_items(s, a))[item.item_id] is True
        assert s.scalar(select(func.count(Rating.id)).where(Rating.status == "submitted")) == 3
