"""Signing out in Chromium with logins on: the page names who is signed in and links to Gradio's /logout for
this browser; after it, the app asks for a login again, and the other browser of the same user stays in."""

from __future__ import annotations

import pytest
from rate_ui_support import TIMEOUT_MS, hold_the_account_check, open_rate_tab, rate_server, sign_in
from sqlalchemy import func, select

from tests.browser import launch, require_chromium
from workbench.store.schema import Turn

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


def test_a_page_whose_sign_in_ended_says_so_and_works_again_after_signing_in(tmp_path):
    """Sign out in one tab: the other tab's next event gets 401. Gradio shows nothing for it, so answers typed
    there looked saved; the page now shows a notice that stays, and after signing in again (in another tab)
    the same page's events go through."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        notice = page.locator("#session-ended")
        hold_the_account_check(page)
        other = ctx.new_page()  # a second tab of the same browser: the same sign-in cookie
        other.goto(str(url))
        other.locator("#account").get_by_role("link", name="Sign out").click()
        expect(other.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        expect(notice).to_have_count(0)
        page.locator("#rate-next").click()  # an event of the page signed out elsewhere
        expect(notice).to_be_visible(timeout=TIMEOUT_MS)
        expect(notice).to_contain_text("Your sign-in has ended")
        expect(notice.locator("#session-ended-login")).to_have_attribute("target", "_blank")
        # Sign in again in the other tab; close the notice; the first page's events work again.
        other.locator("input[type=text]").first.fill("ann")
        other.locator("input[type=password]").first.fill("secret-pass-ann")
        other.locator("input[type=password]").first.press("Enter")
        expect(other.locator("#account")).to_contain_text("ann", timeout=TIMEOUT_MS)
        notice.locator("#session-ended-close").click()
        expect(notice).to_have_count(0)
        page.locator("#rate-next").click()
        page.wait_for_timeout(1500)
        expect(notice).to_have_count(0)
        ctx.close()
        browser.close()


def test_the_sign_in_ended_notice_works_from_the_keyboard(tmp_path):
    """Walk s62: the notice covered the page for the mouse, but the keyboard's focus stayed behind it (on the
    Rate tab's button), so a keyboard-only annotator had to Tab through the whole page to reach Close, Esc did
    nothing, and the Rate keys still acted on the item under it. The notice is now a modal dialog: focus moves
    to it, Tab stays in it, Esc closes it (as Close), no key reaches the page behind, and focus goes back."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        from rate_ui_support import add_item
        add_item(svc.store, ["有发烧吗？", "多喝水。"])
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
        page.keyboard.press("n")
        expect(page.locator("#rate-item-info")).to_contain_text("Item #1", timeout=TIMEOUT_MS)
        page.locator("#rate-next").focus()
        other = ctx.new_page()
        other.goto(str(url))
        other.locator("#account").get_by_role("link", name="Sign out").click()
        expect(other.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        page.bring_to_front()
        notice = page.locator("#session-ended")
        expect(notice).to_be_visible(timeout=25_000)
        expect(notice).to_have_attribute("aria-modal", "true")
        assert page.evaluate("() => !!document.getElementById(document.getElementById('session-ended')"
                             ".getAttribute('aria-labelledby'))")
        inside = "() => !!document.activeElement.closest('#session-ended')"
        page.wait_for_function(inside, timeout=5_000)
        for _ in range(3):  # Tab and Shift+Tab go round the notice's own link and button
            page.keyboard.press("Tab")
            assert page.evaluate(inside)
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(inside)
        page.keyboard.press("1")  # a Rate key: not for the item under the notice
        expect(page.locator("#rate-tt-0 input:checked")).to_have_count(0)
        page.keyboard.press("Escape")
        expect(notice).to_have_count(0)
        assert page.evaluate("() => document.activeElement.closest('#rate-next') !== null")
        ctx.close()
        browser.close()


def test_a_chat_message_sent_after_the_sign_in_ended_stays_in_the_box(tmp_path):
    """Walk 9: Send takes the message out of the box in the browser; refused with 401 it never reached the server,
    and it was gone. It now comes back into the box (ahead of what was typed since), so the notice's "repeat your
    last step" can be done after signing in again, and the same Send then stores it."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "ann", "en")
        page.wait_for_function("() => window.__toastTitles === true")
        hold_the_account_check(page)
        other = ctx.new_page()
        other.goto(str(url))
        other.locator("#account").get_by_role("link", name="Sign out").click()
        expect(other.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        text = "我腰疼了三天，弯腰的时候更厉害，" * 8
        box = page.locator("#patient-message textarea")
        box.fill(text)
        page.locator("#send").click()
        expect(page.locator("#session-ended")).to_be_visible(timeout=TIMEOUT_MS)
        expect(box).to_have_value(text, timeout=TIMEOUT_MS)
        # the notice says what happened: no red "Error" pill on each column, as if the models had failed (walk 10)
        pills = page.locator(".column-chat .error")
        pills.first.wait_for(state="attached", timeout=TIMEOUT_MS)  # Gradio's pills are there ...
        for i in range(pills.count()):
            expect(pills.nth(i)).to_be_hidden()  # ... and not shown
        with svc.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Turn).where(Turn.text == text)) == 0
        # signed in again in the other tab, the same Send goes
        other.locator("input[type=text]").first.fill("ann")
        other.locator("input[type=password]").first.fill("secret-pass-ann")
        other.locator("input[type=password]").first.press("Enter")
        expect(other.locator("#account")).to_contain_text("ann", timeout=TIMEOUT_MS)
        page.locator("#session-ended-close").click()
        page.locator("#send").click()
        expect(box).to_have_value("", timeout=TIMEOUT_MS)
        page.wait_for_function("() => window.__chatSending === false", timeout=60_000)
        with svc.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Turn).where(Turn.text == text)) == 1
        ctx.close()
        browser.close()


def test_a_page_left_alone_says_its_sign_in_ended_without_an_event(tmp_path):
    """A restart forgets every sign-in (they live in server memory), as Sign out in another tab forgets this one.
    The page used to learn only at its next event, after the answer typed for it; it now checks every 10 s and
    shows the notice by itself, and once closed the notice stays closed until the page is signed in again."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        notice = page.locator("#session-ended")
        other = ctx.new_page()
        other.goto(str(url))
        other.locator("#account").get_by_role("link", name="Sign out").click()
        expect(other.locator("input[type=password]").first).to_be_visible(timeout=TIMEOUT_MS)
        page.bring_to_front()  # the check runs while the page is visible
        expect(notice).to_be_visible(timeout=25_000)  # no click, no key: the page found out by itself
        notice.locator("#session-ended-close").click()
        page.wait_for_timeout(12_000)  # one more check while still signed out: the closed notice stays closed
        expect(notice).to_have_count(0)
        # An action refused now shows a slim bar, not the notice again (walk 9: it reopened at every click) ...
        bar = page.locator("#session-ended-bar")
        page.locator("#rate-next").click()
        expect(bar).to_be_visible(timeout=TIMEOUT_MS)
        expect(bar).to_contain_text("Not signed in")
        expect(notice).to_have_count(0)
        # ... which goes once the browser is signed in again
        other.locator("input[type=text]").first.fill("ann")
        other.locator("input[type=password]").first.fill("secret-pass-ann")
        other.locator("input[type=password]").first.press("Enter")
        expect(other.locator("#account")).to_contain_text("ann", timeout=TIMEOUT_MS)
        page.bring_to_front()
        expect(bar).to_have_count(0, timeout=25_000)
        ctx.close()
        browser.close()


def test_an_annotator_switching_language_stays_on_rate_and_gets_no_refusal(tmp_path, caplog):
    """The language switch retitles every table, and the Rate flag table's change event asked for the team's
    flags: an annotator got "only admins can view team progress" and the log a refused attempt. The switch's
    reload also put everyone back on the Chat tab."""
    import logging

    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        with caplog.at_level(logging.WARNING, logger="workbench.access"):
            page.locator("#language-switch").get_by_text("中文").click()
            expect(page.locator("#account")).to_contain_text("退出登录", timeout=TIMEOUT_MS)
            page.wait_for_timeout(3000)  # the retitled tables' change events
        assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
        assert not [r for r in caplog.records if "refused" in r.getMessage()]
        # The page reloads in the new language on the tab it was on, not on Chat.
        expect(page.locator("#tab-rate-button")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT_MS)
        expect(page.locator("#rate-next")).to_be_visible()
        ctx.close()
        browser.close()


def test_a_reload_comes_back_to_the_tab_that_was_open(tmp_path):
    """An annotator who reloaded mid-item landed on Chat (the first tab) and had to find Rate again; the open tab
    is now remembered for the browser tab, so every reload comes back to it, and a click on another tab moves it."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (_svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        for _ in range(2):  # not only the first reload
            page.reload()
            expect(page.locator("#tab-rate-button")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT_MS)
            expect(page.locator("#rate-next")).to_be_visible()
        page.locator("#tab-chat-button").click()
        page.reload()
        expect(page.locator("#tab-chat-button")).to_have_attribute("aria-selected", "true", timeout=TIMEOUT_MS)
        expect(page.locator("#tab-rate-button")).to_have_attribute("aria-selected", "false")
        ctx.close()
        browser.close()


def test_a_page_whose_account_is_disabled_says_so_without_a_reload(tmp_path):
    """Walk 9: an admin disabled the account of an open page; its actions were refused, but the page looked usable
    (and its header named the account) until reloaded. Its 10-s check now says so in a bar that stays while the
    account is disabled and goes once it is enabled again."""
    from playwright.sync_api import expect, sync_playwright

    from workbench.auth import set_active

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        bar = page.locator("#account-disabled-bar")
        expect(bar).to_have_count(0)
        set_active(svc.store, "ann", False)
        expect(bar).to_be_visible(timeout=25_000)  # no click, no key
        expect(bar).to_contain_text("This account is disabled")
        # it pushes the page down: the title stays below it, whole (walk 11: it covered the title)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        bar_box, title_box = bar.bounding_box(), page.locator("#app-title").bounding_box()
        assert title_box["y"] >= bar_box["y"] + bar_box["height"] - 1, (bar_box, title_box)
        page.set_viewport_size({"width": 1280, "height": 900})
        expect(page.locator("#session-ended")).to_have_count(0)  # still signed in: not "sign in again"
        set_active(svc.store, "ann", True)
        expect(bar).to_have_count(0, timeout=25_000)
        assert page.evaluate("() => document.body.style.paddingTop") == ""  # the room it took is given back
        # Loaded while disabled, the page hides its tabs and says so in its header; enabled again, it reloads
        # itself (walk 10: it stayed that way until reloaded by hand).
        set_active(svc.store, "ann", False)
        page.reload()
        expect(page.locator("#account .account-refused")).to_be_visible(timeout=TIMEOUT_MS)
        set_active(svc.store, "ann", True)
        expect(page.locator("#account .account-name")).to_have_text("ann", timeout=30_000)
        expect(page.get_by_role("tab", name="Rate")).to_be_visible(timeout=TIMEOUT_MS)
        ctx.close()
        browser.close()
