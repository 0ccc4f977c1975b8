"""A Rate page open while the store changes under it (Chromium, logins on): an admin releases its item, or a
dataset is imported. Every keystroke's save on a released item popped up its own "you do not hold this item"
(seven stacked), naming neither the item nor what to do; now the saved line says which item, that nothing was
saved and to press Next item, and only a submit pops a message up. Opening the tab after an import said
"0 available" until Next; now the progress line counts the new items when the tab opens."""

from __future__ import annotations

import pytest
from rate_ui_support import (
    add_item,
    answer_every_box,
    open_rate_tab,
    rate_server,
    take_first_item,
    user_named,
)

from tests.browser import launch, require_chromium
from workbench.annotate import workflow

pytestmark = pytest.mark.browser


def test_keystrokes_on_a_released_item_say_so_once_on_the_saved_line(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True, admins=("boss",)) as (svc, url):
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水。", "先量体温。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            take_first_item(page)
            assert workflow.release_open(svc.store, user_named(svc, "boss"), "ann") == 1
            answer_every_box(page)
            expect(page.locator("#rate-saved")).to_contain_text("not saved: you do not hold item #1")
            expect(page.locator("#rate-saved")).to_contain_text("press Next item")
            page.wait_for_timeout(500)
            assert page.locator(".toast-body").count() == 0
            page.keyboard.press("Enter")
            expect(page.locator(".toast-body")).to_have_count(1)
            expect(page.locator(".toast-body")).to_contain_text("You do not hold item #1")  # on its own, a sentence
            ctx.close()
            browser.close()


def test_the_progress_line_counts_items_added_since_the_page_loaded_when_the_tab_opens(tmp_path):
    """A dataset imported after the annotator's page loaded: opening Rate said "0 available" until Next."""
    from playwright.sync_api import expect, sync_playwright
    from rate_ui_support import sign_in

    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = sign_in(browser, url, "ann", "en")
            expect(page.get_by_role("tab", name="Chat", exact=True)).to_be_visible()
            page.wait_for_timeout(1000)  # the page-load events have run
            for i in range(2):
                add_item(svc.store, [f"咳嗽有痰吗？{i}", f"多喝水。{i}", f"先量体温。{i}"])
            page.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            expect(page.locator("#rate-progress")).to_contain_text("2 available")
            ctx.close()
            browser.close()
