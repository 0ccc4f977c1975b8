"""The login page in Chromium says why a sign-in failed. Gradio's own form shows "Incorrect Credentials" (now "Incorrect name or password", bilingual) for a 400
and nothing at all for any other answer: a locked-out account or address looked like a button that did nothing,
and a disabled account's owner was told the right password was wrong (walk 11)."""

from __future__ import annotations

import pytest
from rate_ui_support import TIMEOUT_MS, rate_server

from tests.browser import launch, require_chromium
from workbench.auth import set_active

pytestmark = pytest.mark.browser


def _try(page, name: str, password: str) -> None:
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(password)
    page.locator("input[type=password]").first.press("Enter")


def test_the_login_page_says_an_account_is_disabled_or_locked_out(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann", "rita")) as (svc, url), sync_playwright() as pw:
        set_active(svc.store, "ann", False)
        svc.auth.throttle.base_s = 120  # a lock that a loaded machine cannot outwait mid-test
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(str(url))
        reason = page.locator("#login-refusal")
        # a disabled account's right password: the reason, not "Incorrect name or password"
        _try(page, "ann", "secret-pass-ann")
        expect(reason).to_contain_text("This account is disabled")
        expect(reason).to_contain_text("此账号已停用")
        expect(page.get_by_text("Incorrect name or password")).to_have_count(0)
        # a wrong password: Gradio's own sentence, and the reason above goes
        _try(page, "rita", "wrong")
        expect(page.get_by_text("Incorrect name or password")).to_be_visible()
        expect(reason).to_have_count(0)
        # the name stays for the next try (Gradio emptied both fields); the password does not
        expect(page.locator("input[type=text]").first).to_have_value("rita")
        expect(page.locator("input[type=password]").first).to_have_value("")
        page.locator("input[type=password]").first.fill("wrong")
        page.locator("input[type=password]").first.press("Enter")  # the name as put back is what is sent
        expect(page.get_by_text("Incorrect name or password")).to_be_visible()
        expect(page.locator("input[type=text]").first).to_have_value("rita")
        # locked out after five wrong passwords: the wait, in words, even for the right password
        for _ in range(3):
            _try(page, "rita", "wrong")
            page.wait_for_timeout(300)
        _try(page, "rita", "secret-pass-rita")
        expect(reason).to_contain_text("Too many failed sign-ins: try again in")
        # the refused password does not stay in its field (Gradio empties the fields only after a 400)
        expect(page.locator("input[type=password]").first).to_have_value("")
        expect(page.locator("input[type=text]").first).to_have_value("rita")
        # in the place of Gradio's sentence, which it never takes down: the page does not say both
        expect(page.get_by_text("Incorrect name or password")).to_be_hidden()
        # markup typed as a name is not drawn (the page's texts are fixed; nothing from the server is shown)
        assert page.locator("#login-refusal *").count() == 0
        svc.auth.throttle.succeeded("rita")
        _try(page, "rita", "secret-pass-rita")
        expect(page.locator("#account")).to_contain_text("rita", timeout=TIMEOUT_MS)
        browser.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_login_page_is_bilingual_chinese_first_in_any_browser(tmp_path, locale):
    """Walk of session 70: in an English browser the form read "Login", "username", "password" under a bilingual
    message. Its heading, labels, button and the tab's title are now in both languages, Chinese first, as the rest
    of the page is."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1000, "height": 700}, locale=locale)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(str(url))
        expect(page.locator("input[type=password]")).to_be_visible()
        body = page.locator("body")
        for text in ("用户名 · Username", "密码 · Password", "扁鹊健康大模型对比标注台 · BianQue Workbench：请登录"):
            expect(body).to_contain_text(text)
        expect(page.locator("h2")).to_have_text("登录 · Sign in")
        expect(page.get_by_role("button", name="登录 · Sign in")).to_be_visible()
        expect(page).to_have_title("登录 · Sign in — 扁鹊健康大模型对比标注台 · BianQue Workbench")
        _try(page, "ann", "wrong")
        expect(page.get_by_text("用户名或密码不正确 · Incorrect name or password")).to_be_visible()
        for english_only in ("Login", "username", "password", "Incorrect Credentials"):
            expect(page.get_by_text(english_only, exact=True)).to_have_count(0)
        browser.close()
