"""An autosave sent before a submit and answered after it leaves the submit's line (walk s65): the page read
"Reply B: draft saved … (version 1)" under an item the store had submitted. The draft's answer is held on the
server (after its commit, where it reads whether the item is held) until the submit has been answered."""

from __future__ import annotations

import threading

import pytest
from rate_ui_support import (
    add_item,
    answer_every_box,
    item_shown,
    open_rate_tab,
    rate_server,
    take_first_item,
    user_named,
    wait_until,
)
from sqlalchemy import select

from tests.browser import launch, require_chromium
from workbench.annotate import workflow
from workbench.annotate.queue import open_item
from workbench.store.schema import Rating
from workbench.ui import i18n

pytestmark = pytest.mark.browser

SAVES_ANSWERED = "() => (window.__rateSavedUpTo || 0) >= (window.__rateSaveSent || 0)"


def test_a_draft_answered_after_the_submit_leaves_the_submitted_line(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    require_chromium()
    armed, entered, release = threading.Event(), threading.Event(), threading.Event()
    held_for_review = workflow.held_for_review

    def late(store, item_id):
        # only the comment's autosave (a preference's answer may still be on its way when the test arms this)
        if armed.is_set() and late_comment_stored(store):
            armed.clear()
            entered.set()
            release.wait(120)
        return held_for_review(store, item_id)

    def late_comment_stored(store) -> bool:
        with store.read() as s:
            return s.scalar(select(Rating.id).where(Rating.comment == "late comment")) is not None

    monkeypatch.setattr(workflow, "held_for_review", late)
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(2):
            add_item(svc.store, [f"咳嗽{i}天了吗？", f"多喝水（{i}）。", f"先量体温（{i}）。"])
        user = user_named(svc, "ann")
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en")
            try:
                take_first_item(page)
                answer_every_box(page)
                page.wait_for_function(SAVES_ANSWERED)
                with svc.store.read() as s:
                    gid_b = open_item(s, user, 1).groups[1][0].generation_id
                armed.set()
                page.locator("#rate-comment-1 textarea").fill("late comment")  # its autosave commits, then waits
                assert entered.wait(120), "the comment's autosave never ran"
                with svc.store.read() as s:
                    row = s.scalars(select(Rating).where(Rating.generation_id == gid_b)).one()
                    assert (row.status, row.comment) == ("draft", "late comment")
                page.locator("#rate-submit").click()
                submitted = i18n.t("rate.submitted", "en", item=1)
                page.locator("#rate-saved", has_text=submitted).wait_for()
                wait_until(lambda: item_shown(page) == 2, what="the next item")
                release.set()
                page.wait_for_function(SAVES_ANSWERED)  # the late draft's answer has reached the page
                assert page.locator("#rate-saved").inner_text().strip() == submitted
                with svc.store.read() as s:
                    row = s.scalars(select(Rating).where(Rating.generation_id == gid_b)).one()
                    assert (row.status, row.comment) == ("submitted", "late comment")
            finally:
                release.set()
                ctx.close()
                browser.close()
