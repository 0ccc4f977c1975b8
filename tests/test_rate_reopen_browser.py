"""Back to a submitted item, change an answer, reload: in Chromium with logins on, the item is open again
everywhere the page shows it (restored on reload, "open" in My items), as the store now counts it."""

from __future__ import annotations

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
from workbench.store.schema import Assignment, Rating
from workbench.ui import i18n

pytestmark = pytest.mark.browser


def _add_items(store, n: int) -> None:
    for i in range(n):
        add_item(store, [f"咳嗽有痰吗？（{i}）", f"多喝水（{i}）。", f"先量体温（{i}）。"])


def _submit_the_first_item(page) -> None:
    """Take item 1, answer every reply, submit it from the keyboard; item 2 is shown."""
    take_first_item(page)
    answer_every_box(page)
    page.keyboard.press("Enter")
    wait_until(lambda: item_shown(page) == 2, what="the next item")


def test_a_changed_answer_on_a_submitted_item_reopens_it_and_a_reload_restores_it(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        _add_items(svc.store, 3)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            _submit_the_first_item(page)
            page.locator("#rate-back").click()
            wait_until(lambda: item_shown(page) == 1, what="item 1 again")
            expect(page.locator("#rate-item-info")).to_contain_text(i18n.t("rate.status.submitted", "en"))
            progress_before = page.locator("#rate-progress").inner_text()
            # A comment on reply A: its autosave (on blur) turns the answer into a draft of version 2.
            comment = page.locator("#rate-comment-0 textarea")
            comment.fill("再想想")
            page.locator("#rate-item-info").click()
            expect(page.locator("#rate-saved")).to_contain_text(i18n.t("rate.reopened", "en"))
            # ... and reply A's header says so too (it read "submitted · version 1" after the edit)
            draft_state = i18n.t("rate.state_version", "en", status=i18n.t("rate.status.draft", "en"), version=2)
            expect(page.locator("#rate-header-0")).to_contain_text(draft_state)
            # ... and so does the item line: open, not submitted
            expect(page.locator("#rate-item-info")).to_contain_text(i18n.t("rate.status.open", "en"))
            expect(page.locator("#rate-item-info")).not_to_contain_text(i18n.t("rate.status.submitted", "en"))
            # ... and the progress line no longer counts it done (it did until Next was pressed)
            expect(page.locator("#rate-progress")).not_to_have_text(progress_before)
            assert "1 done" in progress_before
            expect(page.locator("#rate-progress")).to_contain_text("0 done")
            with svc.store.session() as s:
                a1 = s.scalars(select(Assignment).where(Assignment.item_id == 1)).one()
                assert a1.completed_at is None
                assert "draft" in s.scalars(select(Rating.status)).all()
            page.reload()
            page.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            page.locator("#rate-next").wait_for(state="visible")
            wait_until(lambda: item_shown(page) == 1, what="the reopened item restored")
            expect(page.locator("#rate-comment-0 textarea")).to_have_value("再想想")
            ctx.close()
            browser.close()


def test_a_second_tab_on_an_item_submitted_in_the_first_says_its_answers_are_not_saved(tmp_path):
    """Two tabs of one annotator on the same item: after the first submits, the second tab's changes were
    dropped without a word (its status line still looked fine). It now says they are not saved and why; the
    first tab's own submit never shows that note, and the second tab's submit is refused (it replaced the first
    tab's answer)."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    stale = i18n.t("rate.not_saved_stale", "en", item=1).split(":")[0]  # "⚠ not saved"
    with rate_server(tmp_path, blind=True) as (svc, url):
        _add_items(svc.store, 2)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, first = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            take_first_item(first)
            second = ctx.new_page()  # the same browser: the same sign-in, the same open item on load
            second.goto(str(url))
            second.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            second.locator("#rate-next").wait_for(state="visible")
            wait_until(lambda: item_shown(second) == 1, what="item 1 in the second tab")
            first.bring_to_front()
            answer_every_box(first)
            first.keyboard.press("Enter")
            wait_until(lambda: item_shown(first) == 2, what="the next item in the first tab")
            expect(first.locator("#rate-saved")).not_to_contain_text(stale)
            second.bring_to_front()
            second.locator("#rate-comment-0 textarea").fill("另一个标签页")
            second.locator("#rate-item-info").click()  # blur: the comment's autosave
            expect(second.locator("#rate-saved")).to_contain_text(stale)
            with svc.store.session() as s:
                assert "另一个标签页" not in [c for c in s.scalars(select(Rating.comment)) if c]
                assert s.scalars(select(Assignment).where(Assignment.item_id == 1)).one().completed_at is not None
                first_answers = sorted((r.generation_id, r.version, r.comment) for r in s.scalars(select(Rating)))
            # Its submit would replace the first tab's answer with answers given without seeing it: refused.
            answer_every_box(second)
            second.locator("#rate-submit").click()
            expect(second.locator("#rate-saved")).to_contain_text("submitted in another tab")
            with svc.store.session() as s:
                assert sorted((r.generation_id, r.version, r.comment) for r in s.scalars(select(Rating))) == first_answers
            ctx.close()
            browser.close()


def test_skip_on_a_submitted_item_after_back_says_nothing_was_put_back_and_moves_on(tmp_path):
    """S on an item reopened with Back did nothing at all (the Skip button was disabled for a submitted item,
    and the key press went nowhere). It now moves on and says the submitted item had nothing to put back;
    the item stays submitted."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        _add_items(svc.store, 2)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            _submit_the_first_item(page)
            page.keyboard.press("u")
            wait_until(lambda: item_shown(page) == 1, what="item 1 again")
            page.keyboard.press("s")
            expect(page.locator("#rate-saved")).to_contain_text(i18n.t("rate.skip_submitted", "en", item=1))
            wait_until(lambda: item_shown(page) == 2, what="the next item after S")
            with svc.store.session() as s:
                a1 = s.scalars(select(Assignment).where(Assignment.item_id == 1)).one()
                assert a1.completed_at is not None and a1.skipped_at is None
            ctx.close()
            browser.close()
