"""The same dialogue in two tabs, once a reply can change in place (walk s66). A reply regenerated in one tab left
the other showing the old one, and from there it could send, regenerate, branch or preview from a state the store
no longer had: every such action is now refused with a message that says so, the tab then shows the dialogue as
stored, and what was typed stays in its box. A tab refused while the other tab's replies stream draws them by itself
once they are stored, and a second and third refusal redraw it as the first did, however often the other tab
changes the dialogue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

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
from workbench.store.schema import Dialogue, Generation
from workbench.ui.chat_tab import (
    BUSY_ELSEWHERE,
    BUSY_ELSEWHERE_REGENERATE,
    STALE,
    STALE_BRANCH,
    STALE_PREVIEW,
    STALE_REGENERATE,
    STALE_STOP,
    STOP_ELSEWHERE,
)
from workbench.ui.i18n import catalogue

pytestmark = pytest.mark.browser
LANGS = [("en-US", "en"), ("zh-CN", "zh")]
TYPED = "晚上咳得厉害"  # typed in the second tab, never sent until its page is current
SECOND, FOURTH = "还有点发烧", "嗓子也疼"


def _count(svc, what) -> int:
    with svc.store.read() as s:
        return s.scalar(select(func.count(what.id))) or 0


def _two_tabs(browser, url, locale, lang):
    one = open_page(browser, url, locale, "res")  # a researcher: Preview is shown
    wait_loaded(one, lang)
    send_and_wait(one, FIRST_MESSAGE, lang)
    two = one.context.new_page()  # the same browser: it reopens the dialogue it remembers
    two.set_default_timeout(BROWSER_TIMEOUT_MS)
    two.goto(url)
    wait_loaded(two, lang)
    return one, two


def _regenerate(page, model, reply: str, lang: str) -> None:
    """Regenerate every column in ``page`` and wait until ``reply`` is stored and shown there."""
    from playwright.sync_api import expect

    model.chunks = [reply]
    page.locator("#regenerate-all").click()
    expect(first_column(page)).to_contain_text(reply)
    wait_done(page, lang)


def _refused(page, message: str, did: int, lang: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".toast-body").filter(has_text=catalogue().translate(message.format(id=did), lang))
           ).to_be_visible()


@pytest.mark.parametrize("locale,lang", LANGS)
def test_a_tab_showing_a_reply_regenerated_elsewhere_acts_on_nothing_and_is_redrawn(tmp_path, locale, lang):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with (remote_app(tmp_path, ["旧回复。"], delay_s=0.05, users={"res": "researcher"}) as (svc, url, model),
          sync_playwright() as pw):
        browser = launch(pw)
        one, two = _two_tabs(browser, url, locale, lang)
        did = patient_turns(svc)[0][0]
        column, box = first_column(two), two.locator("#patient-message textarea")
        expect(column).to_contain_text("旧回复")
        box.fill(TYPED)
        steps = [("第二版。", lambda: two.locator("#regenerate-0").click(), STALE_REGENERATE),
                 ("第三版。", lambda: two.locator("#send").click(), STALE),
                 ("第四版。", lambda: two.get_by_role("button", name=t("chat.branch", lang)).first.click(), STALE_BRANCH),
                 ("第五版。", lambda: two.locator("#preview").click(), STALE_PREVIEW),
                 ("第六版。", lambda: two.locator("#stop").click(), STALE_STOP)]
        for reply, act, refusal in steps:
            _regenerate(one, model, reply, lang)  # the turn count stays: only the reply changed
            expect(column).not_to_contain_text(reply)  # the second tab still shows the reply before
            replies, dialogues = _count(svc, Generation), _count(svc, Dialogue)
            act()
            _refused(two, refusal, did, lang)
            expect(column).to_contain_text(reply)  # now drawn as stored
            expect(box).to_have_value(TYPED)  # what was typed is kept
            assert (_count(svc, Generation), _count(svc, Dialogue)) == (replies, dialogues)  # nothing was done
            assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE]

        send_and_wait(two, TYPED, lang)  # the page is current now: it sends, after the reply it shows
        assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE, TYPED]
        assert "第六版" in json.dumps(model.requests[-1]["body"], ensure_ascii=False)
        browser.close()


@pytest.mark.parametrize("locale,lang", LANGS)
def test_a_refused_tab_ends_up_showing_the_stored_dialogue_however_often_it_changes(tmp_path, locale, lang):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with (remote_app(tmp_path, ["旧回复。"], delay_s=0.05, users={"res": "researcher"}) as (svc, url, model),
          sync_playwright() as pw):
        browser = launch(pw)
        one, two = _two_tabs(browser, url, locale, lang)
        did = patient_turns(svc)[0][0]
        column, box = first_column(two), two.locator("#patient-message textarea")
        asked = first_column(two).locator('[data-testid="user"]')
        expect(asked).to_have_count(1)

        # The first tab's replies stream for as long as the second tab needs (sped up below).
        model.chunks, model.delay_s = [f"第{i}句。" for i in range(400)], 0.25
        one.locator("#patient-message textarea").fill(SECOND)
        one.locator("#send").click()
        expect(one.locator("#column-status-0")).to_contain_text(t("chat.status.streaming", lang))
        box.fill(TYPED)
        two.locator("#send").click()
        _refused(two, BUSY_ELSEWHERE, did, lang)
        expect(box).to_have_value(TYPED)
        two.locator("#regenerate-0").click()
        _refused(two, BUSY_ELSEWHERE_REGENERATE, did, lang)
        two.locator("#stop").click()
        _refused(two, STOP_ELSEWHERE, did, lang)  # Stop here stops nothing of the other tab's
        model.delay_s = 0.0
        wait_done(one, lang)  # done, not stopped
        # No action needed: the refused tab draws the stored replies by itself, its box as typed.
        expect(asked).to_have_count(2)
        expect(column).to_contain_text(SECOND)
        expect(column).to_contain_text("第399句")
        expect(box).to_have_value(TYPED)

        model.chunks, model.delay_s = ["第二版。"], 0.05
        send_and_wait(one, FOURTH, lang)
        two.locator("#send").click()  # a second refusal, after a message sent in the other tab
        _refused(two, STALE, did, lang)
        expect(asked).to_have_count(3)
        expect(box).to_have_value(TYPED)
        _regenerate(one, model, "第三版。", lang)
        two.locator("#regenerate-all").click()  # a third, after a reply regenerated there
        _refused(two, STALE_REGENERATE, did, lang)
        expect(column).to_contain_text("第三版")
        expect(box).to_have_value(TYPED)
        assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE, SECOND, FOURTH]

        send_and_wait(two, TYPED, lang)  # current again: it sends
        assert [text for _d, text in patient_turns(svc)] == [FIRST_MESSAGE, SECOND, FOURTH, TYPED]
        browser.close()
