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
                    json.dumps({"answers": [["q" * 65, "4", "N/A", False, "", ""]]})):
        with pytest.raises(InputError) as e:
            parse_page_answers(payload, N, n_boxes=6)
        assert i18n.catalogue().translate(str(e.value), "zh").startswith("评分答案："), str(e.value)
