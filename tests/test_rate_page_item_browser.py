"""A submit or an autosave reaching the server after a Back sent before it acts on the item the page showed (walk
s66, session 66's open note). A submit of item 2 that ran after Back had moved the session to submitted item 1 wrote
item 2's answers over item 1's; an autosave of item 2 sent after Back's answer had drawn item 1 (deferred behind
the box's running save) read its changes under item 1 and saved nothing. The events are held (in the browser, or on
the server) until the Back's answer has drawn item 1."""

from __future__ import annotations

import json
import threading
import time

import pytest
from rate_ui_support import answer_every_box, item_shown, rate_server, user_named, wait_until
from sqlalchemy import select
from test_rate_late_view_answers_browser import SAVES_ANSWERED, _comment_stored, _two_items_first_submitted

from workbench.annotate import workflow
from workbench.annotate.queue import open_item
from workbench.store.schema import Rating
from workbench.ui import i18n

pytestmark = pytest.mark.browser


def _rows(store, user, item_id: int) -> list[tuple]:
    with store.read() as s:
        gids = [r.generation_id for r in open_item(s, user, item_id).replies]
        return sorted((r.generation_id, r.status, r.turn_type, r.comment)
                      for r in s.scalars(select(Rating).where(Rating.generation_id.in_(gids))))


def _payload(route) -> str:
    data = json.loads(route.request.post_data or "{}").get("data") or []
    return next((d for d in data if isinstance(d, str) and d.startswith("{")), "")


def test_a_submit_run_after_a_back_sent_before_it_submits_the_item_the_page_showed(tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.browser import require_chromium

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url), sync_playwright() as pw:
        browser, ctx, page = _two_items_first_submitted(svc, url, pw)
        user = user_named(svc, "ann")
        try:
            first = _rows(svc.store, user, 1)
            assert first and all(r[1] == "submitted" for r in first)
            answer_every_box(page)
            page.locator("#rate-comment-0 textarea").fill("typed on two")
            page.wait_for_function(SAVES_ANSWERED)
            held: dict[str, object] = {}

            def hold(route):
                sent = _payload(route)
                if '"answers"' in sent:
                    held["submit"] = route
                elif set(json.loads(sent or "{}")) == {"item", "seq"} and "back" not in held:
                    held["back"] = route  # Back's request (a view's payload: the item and the number)
                else:
                    route.continue_()

            page.route("**/queue/join*", hold)
            page.locator("#rate-back").click()
            page.locator("#rate-submit").click()  # sent while the page still shows item 2
            wait_until(lambda: "submit" in held and "back" in held, what="Back's and the submit's requests")
            held["back"].continue_()  # Back runs first and draws item 1
            back = i18n.t("rate.back_note", "en", item=1)
            page.locator("#rate-saved", has_text=back).wait_for()
            assert item_shown(page) == 1
            ack = page.locator("#rate-ack textarea, #rate-ack input").first.input_value()
            held["submit"].continue_()  # then the submit of item 2 runs, the session on item 1
            page.locator("#rate-ack textarea, #rate-ack input").first.evaluate(
                "(x, before) => new Promise(done => { const poll = () => x.value !== before ? done() : setTimeout(poll, 20);"
                " poll(); })", ack)
            assert _rows(svc.store, user, 1) == first, "item 2's answers were written over submitted item 1"
            submitted = i18n.t("rate.submitted", "en", item=2)
            page.locator("#rate-saved", has_text=submitted).wait_for()
            second = _rows(svc.store, user, 2)
            assert second and all(r[1] == "submitted" for r in second)
            assert "typed on two" in {r[3] for r in second}
        finally:
            ctx.close()
            browser.close()


def test_a_save_deferred_past_a_back_saves_what_was_typed_on_the_item_left(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    from tests.browser import require_chromium

    require_chromium()
    armed, entered, release = threading.Event(), threading.Event(), threading.Event()
    held_for_review = workflow.held_for_review

    def late(store, item_id):
        # the comment's first autosave, after its commit: the box's next save waits in the page behind it
        if armed.is_set() and _comment_stored(store, "typed on two"):
            armed.clear()
            entered.set()
            release.wait(120)
        return held_for_review(store, item_id)

    monkeypatch.setattr(workflow, "held_for_review", late)
    with rate_server(tmp_path, blind=True) as (svc, url), sync_playwright() as pw:
        browser, ctx, page = _two_items_first_submitted(svc, url, pw)
        try:
            first = _rows(svc.store, user_named(svc, "ann"), 1)
            armed.set()
            box = page.locator("#rate-comment-0 textarea")
            box.fill("typed on two")
            assert entered.wait(120), "the comment's autosave never ran"
            box.press_sequentially(", more")  # its save is deferred behind the held one
            page.locator("#rate-back").click()
            back = i18n.t("rate.back_note", "en", item=1)
            page.locator("#rate-saved", has_text=back).wait_for()
            header = page.locator("#rate-header-0").inner_text().strip()
            release.set()
            wait_until(lambda: _comment_stored(svc.store, "typed on two, more"), timeout=30,
                       what="the comment typed on item 2 saved as its draft")
            page.wait_for_function(SAVES_ANSWERED)
            assert item_shown(page) == 1
            assert page.locator("#rate-header-0").inner_text().strip() == header
            assert _rows(svc.store, user_named(svc, "ann"), 1) == first
            page.locator("#rate-next").click()
            wait_until(lambda: item_shown(page) == 2, what="item 2 again")
            assert box.input_value() == "typed on two, more"
        finally:
            release.set()
            ctx.close()
            browser.close()


def test_one_box_typed_on_two_items_saves_each_items_values_to_that_item(tmp_path, monkeypatch):
    """Box 1 typed on item 2 (its save deferred behind a held one), then, after Back, on item 1: the deferred save
    took item 1's values, and item 2's waited for a save of the box with nothing typed on the item shown (it never
    came here). Each item's unsent values go, to that item only."""
    from playwright.sync_api import sync_playwright

    from tests.browser import require_chromium

    require_chromium()
    armed, entered, release = threading.Event(), threading.Event(), threading.Event()
    held_for_review = workflow.held_for_review

    def late(store, item_id):
        if armed.is_set() and _comment_stored(store, "typed on two"):
            armed.clear()
            entered.set()
            release.wait(120)
        return held_for_review(store, item_id)

    monkeypatch.setattr(workflow, "held_for_review", late)
    with rate_server(tmp_path, blind=True) as (svc, url), sync_playwright() as pw:
        browser, ctx, page = _two_items_first_submitted(svc, url, pw)
        try:
            armed.set()
            box = page.locator("#rate-comment-0 textarea")
            box.fill("typed on two")
            assert entered.wait(120), "the comment's autosave never ran"
            box.press_sequentially(", more")  # its save is deferred behind the held one
            page.locator("#rate-back").click()
            page.locator("#rate-saved", has_text=i18n.t("rate.back_note", "en", item=1)).wait_for()
            box.press_sequentially(" and on one")  # item 1's comment changed too, before the deferred save is sent
            release.set()
            wait_until(lambda: _comment_stored(svc.store, "typed on two, more"), timeout=30,
                       what="the comment typed on item 2 saved as its draft")
            page.wait_for_function(SAVES_ANSWERED)
            ann = user_named(svc, "ann")
            comments = {r[3] or "" for r in _rows(svc.store, ann, 1)}
            assert any(c.strip().endswith("and on one") for c in comments), comments
            assert "typed on two, more" in {r[3] for r in _rows(svc.store, ann, 2)}
            assert not any("typed on two" in c for c in comments), comments
        finally:
            release.set()
            ctx.close()
            browser.close()


def test_a_preference_deferred_past_a_back_saves_the_choice_made_on_the_item_left(tmp_path, monkeypatch):
    """B chosen on item 2 while its A's save is held: the page sends the choice once A's answer comes, after a Back
    has drawn item 1; read from the page then, it was item 1's choice, and B was lost (and item 1's submitted
    preference saved again as a draft). It is item 2's draft, and item 1 keeps its submitted preference."""
    from playwright.sync_api import sync_playwright

    from tests.browser import require_chromium
    from workbench.store.schema import Preference

    require_chromium()
    entered, release = threading.Event(), threading.Event()
    save_preference_draft = workflow.save_preference_draft

    def late(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            release.wait(120)
        return save_preference_draft(*args, **kwargs)

    def preferences():
        with svc.store.read() as s:
            return sorted((str(p.status), str(p.outcome), p.winner_generation_id)
                          for p in s.scalars(select(Preference)))

    monkeypatch.setattr(workflow, "save_preference_draft", late)
    with rate_server(tmp_path, blind=True) as (svc, url), sync_playwright() as pw:
        browser, ctx, page = _two_items_first_submitted(svc, url, pw)
        try:
            first = preferences()
            choices = page.locator("#rate-pref input[type=radio]")
            choices.nth(0).click()
            assert entered.wait(120), "the preference's save never ran"
            choices.nth(1).click()  # its save is deferred behind the held one
            page.locator("#rate-back").click()
            page.locator("#rate-saved", has_text=i18n.t("rate.back_note", "en", item=1)).wait_for()
            release.set()
            wait_until(lambda: len(preferences()) == len(first) + 1 and page.evaluate(SAVES_ANSWERED), timeout=30,
                       what="item 2's preference saved")
            time.sleep(2)  # the deferred save's turn
            now = preferences()
            assert [p for p in now if p[0] == "submitted"] == first, now
            with svc.store.read() as s:
                second = [r.generation_id for r in open_item(s, user_named(svc, "ann"), 2).groups[1]]
            drafts = [p for p in now if p[0] == "draft"]
            assert len(drafts) == 1 and drafts[0][2] in second, (drafts, second)
        finally:
            release.set()
            ctx.close()
            browser.close()
