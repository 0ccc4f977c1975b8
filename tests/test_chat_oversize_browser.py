"""A chat message too large for any request (web_guard.MAX_REQUEST_BODY) in Chromium with logins on."""

from __future__ import annotations

import pytest
from rate_ui_support import TIMEOUT_MS, rate_server, sign_in
from sqlalchemy import func, select

from tests.browser import launch, require_chromium
from workbench.store.schema import Turn
from workbench.web_guard import MAX_REQUEST_BODY

pytestmark = pytest.mark.browser


def test_a_message_too_large_for_any_request_stays_in_the_box_and_the_page_says_why(tmp_path):
    """Final walk s63: a 9 MB paste sent from Chat got the guard's 413, and the box was empty: Send takes the text
    out of the box in the browser and nothing brought it back. It now comes back, the pop-up says why in both
    languages, and nothing is stored; the page then sends an ordinary message as usual."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "ann", "zh")
        box = page.locator("#patient-message textarea")
        box.wait_for()
        # UTF-8 Han characters are 3 bytes each: past the cap however the page encodes the request
        huge = "腰" * (MAX_REQUEST_BODY // 3 + 1000)
        page.evaluate("""(t) => { const b = document.querySelector('#patient-message textarea');
                                 b.value = t; b.dispatchEvent(new Event('input', {bubbles: true})); }""", huge)
        page.locator("#send").click()
        expect(page.get_by_text("请求过大").first).to_be_visible(timeout=TIMEOUT_MS)
        page.wait_for_function("(n) => document.querySelector('#patient-message textarea').value.length === n",
                               arg=len(huge), timeout=TIMEOUT_MS)
        with svc.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Turn).where(Turn.role == "patient")) == 0
        box.fill("我腰疼三天了")
        page.locator("#send").click()
        expect(box).to_have_value("", timeout=TIMEOUT_MS)
        page.wait_for_function("() => window.__chatSending === false", timeout=60_000)
        with svc.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Turn).where(Turn.text == "我腰疼三天了")) == 1
        ctx.close()
        browser.close()


def test_two_refused_messages_in_a_row_each_say_why_and_stay_in_the_box(tmp_path):
    """Walk of session 70: a 40,000-character message sent after a refused 4,100-character one showed no pop-up.
    Gradio 6 stacks a warning under an open one and closes the stack when the first one's time is up (10 s), so the
    second refusal went with the first. Each refusal now says why, for its own time, and keeps what was typed; so
    does the same refusal twice."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "ann", "en")
        box = page.locator("#patient-message textarea")
        box.wait_for()
        limit = svc.config.limits.max_message_chars
        toasts = page.locator("[data-testid=toast-text]")

        def refused(n: int) -> None:
            text = "腰" * n
            page.evaluate("""(t) => { const b = document.querySelector('#patient-message textarea');
                                     b.value = t; b.dispatchEvent(new Event('input', {bubbles: true})); }""", text)
            page.locator("#send").click()
            said = toasts.filter(has_text=f"The message is {n} characters long; the limit is {limit}")
            expect(said).to_have_count(1, timeout=TIMEOUT_MS)
            expect(said).to_be_visible()
            page.wait_for_function("(n) => document.querySelector('#patient-message textarea').value.length === n",
                                   arg=n, timeout=TIMEOUT_MS)

        refused(limit + 100)
        page.wait_for_timeout(7_000)  # the first pop-up is near its end (10 s) when the second refusal comes
        refused(40_000)
        page.wait_for_timeout(5_000)  # past the first one's end: the second one's is still on the page
        expect(toasts.filter(has_text="The message is 40000 characters long")).to_be_visible()
        refused(40_000)  # the same refusal again is a pop-up again, not a count on an old one
        with svc.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Turn).where(Turn.role == "patient")) == 0
        ctx.close()
        browser.close()
