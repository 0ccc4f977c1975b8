"""An admin releases an annotator's items while the annotator's Rate page shows one (Chromium, logins on). Every
keystroke's save was refused with its own pop-up (seven stacked "you do not hold this item"), naming neither the
item nor what to do. Now the saved line says which item, that nothing was saved and to press Next item; only a
submit pops a message up."""

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
            expect(page.locator("#rate-saved")).to_contain_text("you do not hold item #1")
            expect(page.locator("#rate-saved")).to_contain_text("press Next item")
            page.wait_for_timeout(500)
            assert page.locator(".toast-body").count() == 0
            page.keyboard.press("Enter")
            expect(page.locator(".toast-body")).to_have_count(1)
            expect(page.locator(".toast-body")).to_contain_text("you do not hold item #1")
            ctx.close()
            browser.close()
