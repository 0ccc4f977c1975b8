"""What a screen reader hears. When an event ends, Gradio's status tracker says "complete" in a polite live
region; Gradio 6 ships no text for that key (``common.complete``), so the page announced the key itself; the
app gives it a word in English and Chinese (``workbench.ui.app.FRONTEND_TEXTS``). And boxes without a visible
label are named by a hidden one, not Gradio's "Textbox" / "Radio"."""

from __future__ import annotations

import pytest
from rate_ui_support import rate_server, sign_in

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser

# Every text a live region held from now on (a status tracker clears its region a moment after speaking).
RECORD_JS = """() => {
  window.__heard = [];
  const note = () => document.querySelectorAll('[aria-live]').forEach(e => {
    const text = e.textContent.trim();
    if (text) window.__heard.push(text);
  });
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.mark.parametrize(("locale", "word"), [("en", "Done"), ("zh", "完成")])
def test_a_finished_event_is_announced_in_words_not_as_a_key(tmp_path, locale, word):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=(), admins=("boss",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "boss", locale)
        page.get_by_role("tab", name="Data" if locale == "en" else "数据", exact=True).click()
        page.locator("#account-name input").fill("nobody-here")
        page.evaluate(RECORD_JS)
        page.locator("#account-enable").click()
        page.locator("#account-result").filter(has_text="nobody-here").wait_for()
        # One announcement per 5 s at most (a later one waits its turn): the event's end is heard within seconds.
        page.wait_for_function(f"() => window.__heard.some(h => h === {word!r} || h.startsWith('common.'))",
                               timeout=30_000)
        heard = page.evaluate("() => window.__heard")
        assert word in heard and not [h for h in heard if "common." in h], sorted(set(heard))
        ctx.close()
        browser.close()



@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_message_box_and_the_language_switch_have_names(tmp_path, locale):
    """A screen reader names the Chat box and the language switch by what they are, not "Textbox" / "Radio"."""
    from playwright.sync_api import expect, sync_playwright

    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "ann", locale)
        page.locator("#patient-message textarea").wait_for()
        expect(page.get_by_role("textbox", name=i18n.t("chat.message_label", locale), exact=True)).to_have_count(1)
        assert page.get_by_role("textbox", name="Textbox", exact=True).count() == 0
        # The switch's hidden label, read with it (its two radios are named 中文 and English)
        expect(page.locator("#language-switch [data-testid=block-info]")).to_have_text("Language · 语言")
        ctx.close()
        browser.close()
