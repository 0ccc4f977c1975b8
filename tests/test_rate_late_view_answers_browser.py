"""Answers that reach the page after a Back or Next it sent later (walk s66, session 65's open note).

Events of one page run concurrently. An autosave of item 2 answered after Back had drawn item 1 wrote item 2's
"Reply A: draft saved …" line and its "draft · version 1" header onto submitted item 1; a Back answered after
a later Next drew item 1 over the item Next had shown. Each answer is held on the server until the later event
has been answered, then released."""

from __future__ import annotations

import re
import threading

import pytest
from rate_ui_support import (
    add_item,
    answer_every_box,
    item_shown,
    open_rate_tab,
    rate_server,
    take_first_item,
    wait_until,
)
from sqlalchemy import select

from tests.browser import launch, require_chromium
from workbench.annotate import workflow
from workbench.store.schema import Rating
from workbench.ui import i18n

pytestmark = pytest.mark.browser

SAVES_ANSWERED = "() => (window.__rateSavedUpTo || 0) >= (window.__rateSaveSent || 0)"


def _comment_stored(store, text: str) -> bool:
    with store.read() as s:
        return s.scalar(select(Rating.id).where(Rating.comment == text)) is not None


def _two_items_first_submitted(svc, url, pw):
    """A page on item 2 (open) after item 1 was submitted by keys."""
    for i in range(2):
        add_item(svc.store, [f"咳嗽{i}天了吗？", f"多喝水（{i}）。", f"先量体温（{i}）。"])
    browser = launch(pw)
    ctx, page = open_rate_tab(browser, url, "ann", "en")
    take_first_item(page)
    answer_every_box(page)
    page.wait_for_function(SAVES_ANSWERED)
    page.keyboard.press("Enter")
    wait_until(lambda: item_shown(page) == 2, what="the second item")
    page.wait_for_function(SAVES_ANSWERED)
    return browser, ctx, page


def test_an_autosave_answered_after_back_leaves_the_item_back_showed(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    require_chromium()
    armed, entered, release = threading.Event(), threading.Event(), threading.Event()
    held_for_review = workflow.held_for_review

    def late(store, item_id):
        # the comment's autosave, after its commit (held_note reads this as the answer is built)
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
            page.locator("#rate-comment-0 textarea").fill("typed on two")
            assert entered.wait(120), "the comment's autosave never ran"
            page.locator("#rate-back").click()
            back = i18n.t("rate.back_note", "en", item=1)
            page.locator("#rate-saved", has_text=back).wait_for()
            header_before = page.locator("#rate-header-0").inner_text().strip()
            release.set()
            page.wait_for_function(SAVES_ANSWERED)  # the held autosave's answer has reached the page
            assert item_shown(page) == 1
            assert page.locator("#rate-saved").inner_text().strip() == back
            assert page.locator("#rate-header-0").inner_text().strip() == header_before
            assert "submitted" in header_before and "draft" not in header_before
            # nothing typed was lost: item 2's comment is its draft, and Next shows it again
            page.locator("#rate-next").click()
            wait_until(lambda: item_shown(page) == 2, what="item 2 again")
            assert page.locator("#rate-comment-0 textarea").input_value() == "typed on two"
        finally:
            release.set()
            ctx.close()
            browser.close()


def test_a_back_answered_after_a_later_next_leaves_the_item_next_showed(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    require_chromium()
    armed, entered, release, answered = (threading.Event() for _ in range(4))
    previous_item = workflow.previous_item

    def late(store, user, item_id):
        held = armed.is_set()
        if held:
            armed.clear()
            entered.set()
            release.wait(120)
        try:
            return previous_item(store, user, item_id)
        finally:
            if held:
                answered.set()

    monkeypatch.setattr(workflow, "previous_item", late)
    with rate_server(tmp_path, blind=True) as (svc, url), sync_playwright() as pw:
        browser, ctx, page = _two_items_first_submitted(svc, url, pw)
        try:
            armed.set()
            page.locator("#rate-back").click()  # held before it reads the previous item
            assert entered.wait(120), "Back never ran"
            page.locator("#rate-next").click()  # answered first: item 2 stays (it is open)
            still = i18n.t("rate.still_open", "en", item=2)
            page.locator("#rate-saved", has_text=still).wait_for()
            release.set()
            assert answered.wait(120)
            # an autosave sent now is answered after Back's answer (one page's answers come in order)
            page.locator("#rate-comment-1 textarea").fill("after back")
            wait_until(lambda: _comment_stored(svc.store, "after back"), what="the autosave")
            page.wait_for_function(SAVES_ANSWERED)
            assert item_shown(page) == 2, "Back's late answer drew item 1 over the item Next showed"
            assert re.search(r"Reply B: draft saved", page.locator("#rate-saved").inner_text())
        finally:
            release.set()
            ctx.close()
            browser.close()
