"""The Rate tab's draft writes on a real SQLite store: an autosave of the item on screen names its replies from
the session (no read of the whole item) yet is refused once the annotator no longer holds the item, and a
preference draft is made from the item as opened in its own write transaction."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import select

from workbench.annotate import workflow
from workbench.annotate.queue import open_item
from workbench.annotate.ratings import RatingForm, preference_from_choice
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.errors import AuthError, InputError
from workbench.store.schema import Preference, Rating

RUBRIC = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
FORM = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA})


@contextmanager
def running_app_with_item(tmp_path, *names: str):
    """The real app with logins (k = 2), one ratable item and the annotators ``names``; yields (app, clients)."""
    from gradio_clients import Client
    from rating_fixtures import RunningApp, add_positions

    app = RunningApp(tmp_path, k=2)
    try:
        add_positions(app.store, 1)
        make_users(app.store, *names)
        yield app, {n: Client(app.url, auth=(n, "secret-pass-" + n), verbose=False, analytics_enabled=False)
                    for n in names}
    finally:
        app.close()


def test_a_draft_for_a_held_item_is_stored_and_refused_once_the_item_is_released(store):
    ann, boss = make_users(store, "ann") + make_users(store, "boss", role="admin")
    add_item(store, ["咳嗽几天了？", "多喝水。"])
    item_id = claim(store, ann)
    with store.read() as s:
        gids = [r.generation_id for r in open_item(s, ann, item_id).groups[0]]
    r = workflow.save_group_draft(store, ann, gids, FORM, rubric=RUBRIC, blind=True, unless_submitted=item_id,
                                  held_item=item_id)
    assert r is not None and r.status == "draft"
    assert workflow.release_open(store, boss, "ann") == 1
    with pytest.raises(AuthError, match="is no longer yours: an admin released it"):
        workflow.save_group_draft(store, ann, gids, RatingForm(turn_type="mixed"), rubric=RUBRIC, blind=True,
                                  unless_submitted=item_id, held_item=item_id)
    with store.read() as s:
        assert [row.turn_type for row in s.scalars(select(Rating))] == ["question"]  # the refused one changed nothing


def test_a_preference_draft_is_made_from_the_item_opened_in_its_transaction(store):
    ann, other = make_users(store, "ann", "other")
    add_item(store, ["咳嗽几天了？", "多喝水。"])
    item_id = claim(store, ann)
    seen = []

    def choice(item):
        seen.append(item.item_id)
        return preference_from_choice(item, "B")

    p = workflow.save_preference_draft(store, ann, item_id, choice, rubric=RUBRIC, blind=True, unless_submitted=True)
    with store.read() as s:
        b = next(r.generation_id for r in open_item(s, ann, item_id).replies if r.label == "B")
        rows = [(x.user_id, x.winner_generation_id) for x in s.scalars(select(Preference))]
    assert p is not None and seen == [item_id] and rows == [(ann.id, b)]
    # not held: refused before the form is made; a bad choice: refused with what was wrong, nothing stored
    with pytest.raises(AuthError, match="do not hold"):
        workflow.save_preference_draft(store, other, item_id, choice, rubric=RUBRIC, blind=True)
    with pytest.raises(InputError):
        workflow.save_preference_draft(store, ann, item_id, lambda item: preference_from_choice(item, "Z"),
                                       rubric=RUBRIC, blind=True)
    assert seen == [item_id]
    with store.read() as s:
        assert [(x.user_id, x.winner_generation_id) for x in s.scalars(select(Preference))] == [(ann.id, b)]


def test_a_blank_answer_is_saved_only_over_an_answer_it_clears(tmp_path):
    """Leaving a text box saves it, so tabbing through an item's boxes wrote an empty draft for every reply and the
    item counted as started. Through the real app: a blank answer over none stores nothing; a blank one over an
    answer is saved (it clears it), as is any answer at all."""
    with running_app_with_item(tmp_path, "ann") as (app, clients):
        ann = clients["ann"]
        ann.predict(api_name="/rate_next")

        def save(answer):
            ann.predict(json.dumps({"item": None, "answer": answer}), api_name="/rate_autosave_0")
            with app.store.read() as s:
                return [(r.status, r.turn_type, r.comment) for r in s.scalars(select(Rating))]

        assert save([None, None, None, False, "", ""]) == []
        assert save(["", "", "", False, "   ", None]) == []
        assert save([None, None, None, False, "先看看", ""]) == [("draft", None, "先看看")]
        assert save([None, None, None, False, "", ""]) == [("draft", None, None)]  # cleared, still a draft


def test_nothing_left_says_the_rest_wait_for_other_annotators(tmp_path):
    """Walk s61: "Nothing left for you to rate" beside "0/1 items complete" read as a stuck queue; with k = 2 the
    item needs a second annotator, and the line now says so until the item is complete."""
    from workbench.ui import i18n

    per_reply = ["question", "4", "N/A", False, "", ""]
    with running_app_with_item(tmp_path, "ann", "bob") as (_app, clients):

        def rate_all(name):
            clients[name].predict(api_name="/rate_next")
            out = clients[name].predict(json.dumps({"item": None, "preference": "A", "ranking": "",
                                                    "answers": [per_reply] * 3}), api_name="/rate_submit")
            return " ".join(str(x) for x in out)

        waiting = i18n.t("rate.done_others", "en", n=1, k=2)
        first = rate_all("ann")
        assert i18n.t("rate.done_all", "en") in first and waiting in first
        second = rate_all("bob")
        assert i18n.t("rate.done_all", "en") in second and "for other annotators" not in second


def test_nothing_left_says_a_flagged_item_waits_for_an_admin(tmp_path):
    """Walk s69: after an annotator flagged the only item, the others read that it waited for other annotators
    ("The other 1 unfinished items"); it waits for an admin to settle the flag."""
    from workbench.ui import i18n

    with running_app_with_item(tmp_path, "ann", "bob") as (_app, clients):
        clients["ann"].predict(api_name="/rate_next")
        flagged = " ".join(str(x) for x in clients["ann"].predict("broken reply", "", api_name="/rate_flag"))
        assert "flagged as broken" in flagged and i18n.t("rate.done_flag_held", "en", n=1) in flagged
        out = " ".join(str(x) for x in clients["bob"].predict(api_name="/rate_next"))
        assert i18n.t("rate.done_all", "en") in out
        assert i18n.t("rate.done_flag_held", "en", n=1) in out and "for other annotators" not in out


def test_my_rated_items_are_named_by_their_turn_and_the_patients_message(store):
    """Walk s61: "Item #8 · submitted" did not say which dialogue it was. The list names the doctor turn and the
    patient's message before it, as one line, whatever it holds."""
    ann, = make_users(store, "ann")
    add_item(store, ["咳嗽几天了？", "多喝水。"])
    add_item(store, ["多久了？", "休息。"], history=(("patient", "头  痛\n<b>三天</b>了，晚上更厉害，吃了布洛芬也不管用"),))
    workflow.skip(store, ann, claim(store, ann))  # skipped for later: still the annotator's, and the next is given
    claim(store, ann)
    described = sorted((turn, said) for _i, _done, turn, said in workflow.my_items_described(store, ann))
    # the latest patient turn before the doctor's, not the opening one
    assert described == [(1, "头  痛\n<b>三天</b>了，晚上更厉害，吃了布洛芬也不管用"), (3, "没有发烧")]
    from workbench.ui.rate_tab import _preview

    assert _preview(described[0][1]) == "头 痛 <b>三天</b>了，晚上更厉害，吃了…"
    assert len(_preview(described[0][1])) == 24 and _preview("没有发烧") == "没有发烧"


def test_a_reload_says_a_draft_was_restored_only_when_there_is_one(tmp_path):
    """Walk s61: "Restored your open item and its draft." after an item was opened and left unanswered, which had
    no draft; it says so once an answer is saved."""
    from workbench.ui import i18n

    with running_app_with_item(tmp_path, "ann") as (_app, clients):
        ann = clients["ann"]
        ann.predict(api_name="/rate_next")

        def reloaded() -> str:
            return " ".join(str(x) for x in ann.predict(api_name="/rate_load"))

        item_only, with_draft = i18n.t("rate.restored_item", "en"), i18n.t("rate.restored", "en")
        shown = reloaded()
        assert item_only in shown and with_draft not in shown
        ann.predict(json.dumps({"item": None, "answer": [None, None, None, False, "先看看", ""]}),
                    api_name="/rate_autosave_0")
        assert with_draft in reloaded()
