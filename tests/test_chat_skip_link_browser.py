"""Chat's "Skip to the message box" in Chromium: the keyboard reached the message box only after every column's
copy, regenerate, branch and model-input controls (about 23 Tab presses). The tab's first stop now skips there;
it is seen only while focused, in the page's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import ARTIFACTS, launch
from tests.chat_browser_support import wait_loaded
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import running_app
from workbench.ui import i18n

pytestmark = pytest.mark.browser

BOX_JS = """() => { const r = document.querySelector('#skip-to-message').getBoundingClientRect();
  return {width: r.width, height: r.height, left: r.left, right: r.right, top: r.top, inner: innerWidth}; }"""
FOCUSED_JS = "() => document.activeElement.matches('#patient-message textarea')"


@pytest.mark.parametrize(("locale", "lang", "width"), [("zh-CN", "zh", 1400), ("en-US", "en", 390)])
def test_one_tab_and_enter_put_the_caret_in_the_message_box(services, locale, lang, width):
    with running_app(services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(locale=locale, viewport={"width": width, "height": 900})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)
            wait_loaded(page, lang)  # the page's load event re-renders the tabs, and the focus with them
            skip = page.locator("#skip-to-message")
            expect(skip).to_have_text(i18n.t("chat.skip_to_message", lang))
            # out of sight until focused (it takes no room either)
            hidden = page.evaluate(BOX_JS)
            assert hidden["width"] <= 1 and hidden["height"] <= 1, hidden
            # from the last of the tab list (at 390 px Gradio adds a "more tabs" button after it): one Tab
            tabs = page.locator("[role=tab]:visible")
            tabs.last.focus()
            # At 390 px Gradio's overflow controls for the hidden tabs come first: a few presses, not the ~23 it took
            # past the columns' controls.
            focused = ("() => { const e = document.activeElement; return e ? `${e.tagName}#${e.id}"
                       ".${e.className}:${(e.innerText || e.getAttribute('aria-label') || '').slice(0, 30)}` : ''; }")
            passed: list[str] = []  # what each press focused, for the failure message
            while len(passed) < (1 if width >= 640 else 4) and "#skip-to-message." not in "".join(passed[-1:]):
                page.keyboard.press("Tab")
                passed.append(page.evaluate(focused))
            assert "#skip-to-message." in passed[-1], passed
            shown = page.evaluate(BOX_JS)
            assert shown["width"] > 40 and shown["height"] > 15 and 0 <= shown["left"] and shown["right"] <= shown["inner"], shown
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"chat-skip-link-{width}.png"),
                            clip={"x": 0, "y": 0, "width": width, "height": 300})
            page.keyboard.press("Enter")
            page.wait_for_function(FOCUSED_JS)
            # typed text goes to the box
            page.keyboard.type("头痛")
            expect(page.locator("#patient-message textarea")).to_have_value("头痛")
        finally:
            browser.close()
