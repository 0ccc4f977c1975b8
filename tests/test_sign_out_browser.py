"""Signing out in Chromium with logins on: the page names who is signed in and links to Gradio's /logout for
this browser; after it, the app asks for a login again, and the other browser of the same user stays in."""

from __future__ import annotations

import pytest
from rate_ui_support import TIMEOUT_MS, open_rate_tab, rate_server

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang,word", [("zh", "退出登录"), ("en", "Sign out")])
def test_sign_out_ends_this_browsers_session_only(tmp_path, lang, word):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path / lang, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", lang)
        other_ctx, other = open_rate_tab(browser, url, "ann", lang)
        account = page.locator("#account")
        expect(account).to_contain_text("ann", timeout=TIMEOUT_MS)
        account.get_by_role("link", name=word).click()
        expect(page.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        page.goto(str(url))
        expect(page.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        other.reload()
        expect(other.locator("#account")).to_contain_text("ann", timeout=TIMEOUT_MS)
        ctx.close()
        other_ctx.close()
        browser.close()
