"""A Rate event acts on the item its page showed when it was sent, not on the item the session moved to since.

The page's events run concurrently: a Back (or Next) sent before a submit or an autosave may change the session's
item before the later event runs. Through the real app (one gradio_client session; each event sent with the item
reference and the number the page gives it), in the order the server runs them."""

from __future__ import annotations

import json
from contextlib import contextmanager

from rating_fixtures import add_positions, make_users
from sqlalchemy import select

from workbench.annotate import workflow
from workbench.annotate.queue import open_item
from workbench.store.schema import Rating
from workbench.ui import i18n


@contextmanager
def two_items(tmp_path):
    """The real app (k = 1), two ratable items, ann's client and ann; item 1 submitted from the page, item 2 open."""
    from gradio_clients import Client
    from rating_fixtures import RunningApp

    app = RunningApp(tmp_path, k=1)
    try:
        add_positions(app.store, 2)
        (user,) = make_users(app.store, "ann")
        ann = Client(app.url, auth=("ann", "secret-pass-ann"), verbose=False, analytics_enabled=False)
        ann.predict(json.dumps({"item": "", "seq": 1}), api_name="/rate_next")
        ann.predict(json.dumps({"item": "1", "preference": "A", "ranking": "", "seq": 2,
                                "answers": _answers(app.store, user, 1, "one")}), api_name="/rate_submit")
        assert workflow.my_items(app.store, user) == [(2, False), (1, True)]
        yield app, ann, user
    finally:
        app.close()


def _answers(store, user, item_id: int, comment: str) -> list[list]:
    with store.read() as s:
        n = len(open_item(s, user, item_id).groups)
    return [["question", "4", "N/A", False, comment, ""] for _ in range(n)]


def _stored(store, user, item_id: int) -> list[tuple[str, str | None]]:
    with store.read() as s:
        gids = [r.generation_id for r in open_item(s, user, item_id).replies]
        rows = s.scalars(select(Rating).where(Rating.user_id == user.id, Rating.generation_id.in_(gids)))
        return sorted({(r.status, r.comment) for r in rows})


def test_a_submit_run_after_a_back_sent_before_it_submits_the_item_the_page_showed(tmp_path):
    """Back (sent 3rd) moved the session to submitted item 1 before the submit of item 2 (sent 4th) ran: the
    submit wrote item 2's answers over item 1's."""
    with two_items(tmp_path) as (app, ann, user):
        ann.predict(json.dumps({"item": "2", "seq": 3}), api_name="/rate_back")
        out = ann.predict(json.dumps({"item": "2", "preference": "A", "ranking": "", "seq": 4,
                                      "answers": _answers(app.store, user, 2, "two")}), api_name="/rate_submit")
        assert _stored(app.store, user, 1) == [("submitted", "one")]
        assert _stored(app.store, user, 2) == [("submitted", "two")]
        assert i18n.t("rate.submitted", "en", item=2) in json.dumps(out, ensure_ascii=False)


def test_an_autosave_run_after_a_back_sent_before_it_saves_the_item_the_page_showed(tmp_path):
    """An autosave of item 2 (sent 3rd) that ran after Back (sent 4th) had moved the session to item 1 was dropped:
    the comment typed on item 2 was lost. It is item 2's draft, and item 1 is left as submitted."""
    with two_items(tmp_path) as (app, ann, user):
        ann.predict(json.dumps({"item": "2", "seq": 4}), api_name="/rate_back")
        ann.predict(json.dumps({"item": "2", "answer": [None, None, None, False, "typed on two", ""], "changed": [4],
                                "seq": 3}), api_name="/rate_autosave_0")
        with app.store.read() as s:
            gid = open_item(s, user, 2).groups[0][0].generation_id
            row = s.scalars(select(Rating).where(Rating.generation_id == gid)).one_or_none()
        assert row is not None, "the comment typed on item 2 was not saved"
        assert (row.status, row.comment) == ("draft", "typed on two")
        assert _stored(app.store, user, 1) == [("submitted", "one")]


def test_a_preference_run_after_a_back_sent_before_it_saves_the_item_the_page_showed(tmp_path):
    """A preference chosen on item 2 (sent 3rd) that ran after Back (sent 4th) had moved the session to item 1 was
    dropped (the old check: the page's item was not the session's). It is item 2's draft, and item 1 keeps its
    submitted preference; its answer says nothing on the page, which shows item 1 now."""
    from workbench.store.schema import Preference
    from workbench.vocab import PreferenceOutcome

    with two_items(tmp_path) as (app, ann, user):
        ann.predict(json.dumps({"item": "2", "seq": 4}), api_name="/rate_back")
        out = ann.predict(json.dumps({"item": "2", "preference": "tie", "ranking": "", "seq": 3, "typed": 2}),
                          api_name="/rate_preference")
        with app.store.read() as s:
            rows = sorted((str(p.status), p.outcome) for p in s.scalars(select(Preference).where(
                Preference.user_id == user.id)))
        assert rows == [("draft", PreferenceOutcome.TIE), ("submitted", PreferenceOutcome.BEST)], rows
        assert "draft" not in json.dumps(out, ensure_ascii=False)
