"""A reload of the Chat tab keeps the message box (walk 11): a message waiting for the replies before it, or one
half typed, went with the page. It comes back as typed; nothing is sent until Enter."""

from __future__ import annotations

import pytest
from rate_ui_support import wait_until

from tests.browser import launch, require_chromium
from tests.chat_browser_support import (
    FIRST_MESSAGE,
    SLOW_CHUNKS,
    SLOW_DELAY_S,
    first_column,
    open_page,
    patient_turns,
    remote_app,
    wait_done,
    wait_loaded,
)

pytestmark = pytest.mark.browser

WAITING = "第二条：晚上更严重"


def test_a_waiting_message_comes_back_into_the_box_after_a_reload(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with remote_app(tmp_path, SLOW_CHUNKS, delay_s=SLOW_DELAY_S) as (svc, url, _model), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, "en")
        box = page.locator("#patient-message textarea")
        box.fill(FIRST_MESSAGE)
        box.press("Enter")
        expect(first_column(page).get_by_text(FIRST_MESSAGE)).to_be_visible()
        box.fill(WAITING)
        box.press("Enter")  # the replies to the first still stream: this one waits in the box
        expect(box).to_have_value(WAITING)
        page.reload()
        wait_loaded(page, "en")
        expect(box).to_have_value(WAITING)
        assert WAITING not in [text for _d, text in patient_turns(svc)]  # kept in the box, not sent
        # once more, and an emptied box stays empty
        page.reload()
        wait_loaded(page, "en")
        expect(box).to_have_value(WAITING)
        box.fill("")
        page.reload()
        wait_loaded(page, "en")
        page.wait_for_timeout(500)
        expect(box).to_have_value("")
        # typed again and sent: it goes, once
        box.fill(WAITING)
        box.press("Enter")
        expect(box).to_have_value("")
        wait_until(lambda: WAITING in [text for _d, text in patient_turns(svc)], what="the message stored")
        page.wait_for_timeout(1000)
        assert [text for _d, text in patient_turns(svc)].count(WAITING) == 1
        browser.close()


def test_a_reply_still_generating_when_the_page_reloads_is_drawn_once_stored(tmp_path):
    """Walk 11: reloaded while a reply streamed, the page reopened the dialogue with that column saying "streaming"
    for good: the reply, stored a moment later, showed only after another reload. The page now watches it."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    chunks = [f"第{i}句。" for i in range(24)]  # about 7 s of streaming: the reload comes in the middle
    with remote_app(tmp_path, chunks, delay_s=0.3) as (svc, url, _model), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, "en")
        box = page.locator("#patient-message textarea")
        box.fill(FIRST_MESSAGE)
        box.press("Enter")
        expect(first_column(page).get_by_text(FIRST_MESSAGE)).to_be_visible()
        expect(first_column(page)).to_contain_text("第2句。")
        page.reload()  # the reply is still streaming, to the page that is gone
        wait_loaded(page, "en")
        expect(first_column(page).get_by_text(FIRST_MESSAGE)).to_be_visible()
        # once the reply is stored, the reopened page draws it and says done, with no reload
        wait_done(page, "en")
        expect(first_column(page)).to_contain_text("第23句。")
        browser.close()
