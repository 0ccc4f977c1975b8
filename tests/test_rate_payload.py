"""The Rate page's answers as one JSON text (workbench/ui/rate_payload.py): what is accepted, what is refused."""

from __future__ import annotations

import json

import pytest

from workbench.errors import InputError
from workbench.ui.rate_payload import parse_page_answers

N = 6  # turn type, two scores, safety, comment, corrected reply


def test_a_submit_and_an_autosave_are_read_box_by_box() -> None:
    page = parse_page_answers(json.dumps({
        "item": "12", "preference": "B", "ranking": "B > A",
        "answers": [["question", "4", "N/A", False, "<script>x</script>", ""], None]}), N, n_boxes=6)
    assert (page.item_ref, page.preference, page.ranking) == ("12", "B", "B > A")
    assert page.answers == (("question", "4", "N/A", False, "<script>x</script>", ""), None)
    one = parse_page_answers(json.dumps({"item": "3", "answer": [None, None, "5", True, None, "改"]}), N, n_boxes=6)
    assert one.answers == ((None, None, "5", True, "", "改"),) and one.preference is None and one.ranking == ""


@pytest.mark.parametrize(("payload", "says"), [
    ("", "nothing was sent"),
    (None, "nothing was sent"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (json.dumps({"answers": [None] * 7}), "at most 6 boxes"),
    (json.dumps({"answers": [["question", "4"]]}), "box 1 must list 6 values"),
    (json.dumps({"answers": [None, ["question", "4", "N/A", "yes", "", ""]]}), "box 2's safety flag"),
    (json.dumps({"answers": [[["question"], "4", "N/A", False, "", ""]]}), "must be text, got list"),
    (json.dumps({"preference": {"best": "A"}}), "the preference must be text"),
    ("x" * 400_001, "more than 400000 characters"),
    # hostile: nesting deeper than the JSON parser's stack, an item that is not a number (a superscript digit
    # passes str.isdigit but not int()), forged or unknown fields, an oversized choice, NaN
    ("[" * 200_000 + "]" * 200_000, "not valid JSON"),
    (json.dumps({"item": "²"}), "the item must be an item number"),
    (json.dumps({"item": "12; DROP TABLE ratings"}), "the item must be an item number"),
    (json.dumps({"item": "1" * 40}), "the item must be an item number"),
    (json.dumps({"item": True}), "the item must be text, got bool"),
    (json.dumps({"item": "3", "user_id": 1}), "unknown field user_id"),
    (json.dumps({"answer": None, "answers": []}), "either answers or answer"),
    (json.dumps({"answers": [["q" * 65, "4", "N/A", False, "", ""]]}), "box 1's choice is longer than 64"),
    ('{"answers": [[NaN, "4", "N/A", false, "", ""]]}', "must be text, got float"),
    (json.dumps({"answers": {"0": None}}), "at most 6 boxes"),
    (json.dumps({"answer": None, "changed": [6]}), "changed must list value indexes from 0 to 5"),
    (json.dumps({"answer": None, "changed": [True]}), "changed must list value indexes"),
    (json.dumps({"answer": None, "changed": "0"}), "changed must list value indexes"),
    (json.dumps({"answers": [], "changed": [0]}), "changed goes with one box's answer"),
])
def test_malformed_answers_are_refused_with_what_was_wrong(payload, says) -> None:
    with pytest.raises(InputError, match=says):
        parse_page_answers(payload, N, n_boxes=6)


def test_the_item_reference_says_whether_the_page_showed_the_item_submitted() -> None:
    from workbench.ui.rate_payload import item_reference

    assert (item_reference(7, False), item_reference(7, True), item_reference(None, False)) == ("7", "7:submitted", "")
    shown = parse_page_answers(json.dumps({"item": item_reference(7, True), "answer": None}), N, n_boxes=6)
    assert (shown.item_ref, shown.shown_submitted) == ("7", True)
    open_ = parse_page_answers(json.dumps({"item": item_reference(7, False), "answer": None}), N, n_boxes=6)
    assert (open_.item_ref, open_.shown_submitted) == ("7", False)


def test_the_refusals_are_translated() -> None:
    from workbench.ui import i18n

    for payload in (json.dumps({"item": "²"}), json.dumps({"item": "1", "who": 2}), "[" * 100_000,
                    json.dumps({"answer": None, "answers": []}),
                    json.dumps({"answers": [["q" * 65, "4", "N/A", False, "", ""]]}),
                    json.dumps({"answer": None, "changed": [9]}), json.dumps({"answers": [], "changed": []})):
        with pytest.raises(InputError) as e:
            parse_page_answers(payload, N, n_boxes=6)
        assert i18n.catalogue().translate(str(e.value), "zh").startswith("评分答案："), str(e.value)


def test_an_autosave_names_the_values_its_page_changed() -> None:
    """The page's script sends which values of the box it changed since its last save (walk s62: two tabs)."""
    page = parse_page_answers(json.dumps({"item": "3", "answer": [None, "4", None, False, "", ""], "changed": [1, 4]}),
                              N, n_boxes=6)
    assert page.changed == frozenset({1, 4})
    assert parse_page_answers(json.dumps({"item": "3", "answer": None}), N, n_boxes=6).changed is None


def test_a_draft_of_changed_values_keeps_the_others_as_stored(tmp_path) -> None:
    """The fields a page did not change keep what another tab of the same annotator saved since."""
    from rating_fixtures import add_positions, claim, make_users

    from workbench.annotate import ratings, workflow
    from workbench.annotate.rubric import load_rubric
    from workbench.store.engine import Store

    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    rubric = load_rubric("annotations/rubric.yaml")
    add_positions(store, 1)
    (user,) = make_users(store, "ann")
    claim(store, user)
    form = ratings.RatingForm
    workflow.save_group_draft(store, user, [1], form(turn_type="question", scores={"questioning": 2},
                                                     comment="other tab"), rubric=rubric, blind=True)
    stale = form(turn_type=None, scores={"questioning": 4, "suggestion": 3}, comment="stale", corrected_reply="")
    changed = frozenset({ratings.score_field("questioning")})
    r = workflow.save_group_draft(store, user, [1], stale, rubric=rubric, blind=True, changed=changed)
    assert r is not None and r.form.comment == "other tab" and r.form.turn_type == "question"
    assert dict(r.form.scores) == {"questioning": 4}
    r = workflow.save_group_draft(store, user, [1], stale, rubric=rubric, blind=True)  # no list: the whole box
    assert r is not None and r.form.comment == "stale" and dict(r.form.scores) == {"questioning": 4, "suggestion": 3}


def test_the_page_numbers_its_events():
    box = [None, None, "5", False, "", ""]
    assert parse_page_answers(json.dumps({"item": "3", "answer": box, "seq": 7}), N, n_boxes=6).seq == 7
    assert parse_page_answers(json.dumps({"item": "3", "answer": box}), N, n_boxes=6).seq is None
    for bad in (0, -1, True, "7", 1.5):
        with pytest.raises(InputError, match="seq must be a whole number"):
            parse_page_answers(json.dumps({"item": "3", "answer": box, "seq": bad}), N, n_boxes=6)
