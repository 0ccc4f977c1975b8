"""The same account's dialogue in two tabs (walk s65): a send from the second tab while the first tab's replies
stream is refused with a warning that says the dialogue moves on in another tab; once they are stored the second tab
draws them by itself, and a send from it then continues the dialogue it shows."""

from __future__ import annotations

import pytest

from tests.browser import launch, require_chromium
from tests.chat_browser_support import (
    FIRST_MESSAGE,
    first_column,
    open_page,
    patient_turns,
    remote_app,
    send_and_wait,
    t,
    wait_done,
    wait_loaded,
)
from tests.ui_login import BROWSER_TIMEOUT_MS
from workbench.ui.chat_tab import BUSY_ELSEWHERE
from workbench.ui.i18n import catalogue

pytestmark = pytest.mark.browser
CHUNKS = [f"第{i}句。" for i in range(8)]  # about two seconds a reply
SECOND, THIRD = "还有点发烧", "晚上咳得厉害"


@pytest.mark.parametrize("locale,lang", [("en-US", "en"), ("zh-CN", "zh")])
def test_a_second_tab_is_told_its_dialogue_moves_on_and_draws_it_once_stored(tmp_path, locale, lang):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with (remote_app(tmp_path, CHUNKS, delay_s=0.25, users={"ann": "annotator"}) as (svc, url, _model),
          sync_playwright() as pw):
        browser = launch(pw)
        one = open_page(browser, url, locale, "ann")
        wait_loaded(one, lang)
        send_and_wait(one, FIRST_MESSAGE, lang)
        two = one.context.new_page()  # the same browser: it reopens the dialogue it remembers
        two.set_default_timeout(BROWSER_TIMEOUT_MS)
        two.goto(url)
        wait_loaded(two, lang)
        expect(first_column(two).locator('[data-testid="user"]')).to_have_count(1)
        did = patient_turns(svc)[0][0]

        one.locator("#patient-message textarea").fill(SECOND)
        one.locator("#send").click()
        expect(one.locator("#column-status-0")).to_contain_text(t("chat.status.streaming", lang))
        two.locator("#patient-message textarea").fill(THIRD)
        two.locator("#send").click()
        busy = catalogue().translate(BUSY_ELSEWHERE.format(id=did), lang)
        expect(two.locator(".toast-body").filter(has_text=busy)).to_be_visible()
        expect(two.locator("#patient-message textarea")).to_have_value(THIRD)  # back in its box

        wait_done(one, lang)
        # The refused tab draws the stored replies by itself (session 66; a send from it was refused as stale
        # before: tests/test_chat_two_tabs_regenerate_browser.py), its box as typed.
        expect(first_column(two).locator('[data-testid="user"]')).to_have_count(2)
        expect(first_column(two)).to_contain_text(SECOND)
        expect(two.locator("#patient-message textarea")).to_have_value(THIRD)
        assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE, SECOND]  # nothing of the refused send

        send_and_wait(two, THIRD, lang)  # the page is current now: it sends
        assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE, SECOND, THIRD]
        browser.close()
