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
