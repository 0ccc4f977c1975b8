"""The Accounts section in Chromium with logins on: an admin creates a researcher, disables an annotator by
clicking its row, and the new account signs in with the password typed and sees a researcher's tabs."""

from __future__ import annotations

import pytest
from rate_ui_support import open_rate_tab, rate_server, sign_in

from tests.browser import ARTIFACTS, launch, read_table, require_chromium

pytestmark = pytest.mark.browser


def test_an_admin_manages_accounts_in_the_data_tab(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "boss", "en")
        page.get_by_role("tab", name="Data", exact=True).click()
        table = page.locator("#accounts-table")
        expect(table).to_contain_text("ann")
        page.locator("#account-name input").fill("nurse")
        page.locator("#account-role input").click()
        page.get_by_role("option", name="researcher", exact=True).click()
        page.locator("#account-password input").fill("nurse-pass-1")
        page.locator("#account-password-again input").fill("nurse-pass-1")
        page.locator("#account-save").click()
        result = page.locator("#account-result")
        expect(result).to_contain_text("created account 'nurse' (researcher)")
        expect(page.locator("#account-password input")).to_have_value("")  # never left in the page
        expect(page.locator("#account-password-again input")).to_have_value("")
        expect(table).to_contain_text("nurse")
        # A click on ann's row names it in the form; Disable acts on it.
        table.get_by_text("ann", exact=True).click()
        expect(page.locator("#account-name input")).to_have_value("ann")
        page.locator("#account-disable").click()
        expect(result).to_contain_text("disabled 'ann'")
        shown = read_table(table)
        assert shown.to_dict("records")[0] | {"Created": None} == {"Username": "ann", "Role": "annotator",
                                                                   "Status": "disabled", "Created": None}
        # Refused with a reason, the form keeps the name and the table.
        page.locator("#account-name input").fill("boss")
        page.locator("#account-disable").click()
        expect(result).to_contain_text("you cannot disable your own account here")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "accounts_admin.png"), full_page=True)
        # The new account signs in with the password typed in the form.
        other, nurse = sign_in(browser, url, "nurse", "en", "nurse-pass-1")
        expect(nurse.locator("#account")).to_contain_text("nurse")
        expect(nurse.get_by_role("tab", name="Compare", exact=True)).to_be_visible()
        expect(nurse.get_by_role("tab", name="Data", exact=True)).to_have_count(0)
        assert not svc.auth.check("ann", "secret-pass-ann")
        other.close()
        ctx.close()
        browser.close()


def test_a_page_whose_account_is_disabled_is_told_once_and_keeps_its_text(tmp_path):
    """Disabled while its page is open, an annotator's next Send is refused in one notice, in the page's
    language, saying nothing was saved; the message typed stays in the box (the list refresh after a send does not
    repeat the refusal)."""
    from playwright.sync_api import expect, sync_playwright

    from workbench.auth import set_active
    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "zh")  # after page load: every load event has run
        page.get_by_role("tab", name=i18n.t("app.tab.chat", "zh"), exact=True).click()
        set_active(svc.store, "ann", False)
        box = page.locator("#tab-chat textarea").first
        box.fill("我咳嗽三天了")
        box.press("Enter")
        toast = page.locator(".toast-body")
        expect(toast).to_contain_text("没有保存任何内容")
        expect(toast).to_contain_text(i18n.t("app.notice.warning", "zh"))  # the title too, not Gradio's "Warning"
        expect(toast).not_to_contain_text("Warning")
        page.wait_for_timeout(2000)  # a second notice (the list refresh) would have arrived by now
        expect(toast).to_have_count(1)
        expect(box).to_have_value("我咳嗽三天了")
        ctx.close()
        browser.close()


def test_a_disabled_accounts_page_says_so_after_a_reload(tmp_path):
    """Reloaded after its account was disabled, a page loads without an error (the page-load handlers used to
    fail, one with a ValueError) and says in its header, for as long as it is open, why nothing works."""
    from playwright.sync_api import expect, sync_playwright

    from workbench.auth import set_active
    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "zh")
        set_active(svc.store, "ann", False)
        page.reload()
        expect(page.locator("#account .account-refused")).to_have_text(i18n.t("app.account_refused", "zh"))
        expect(page.locator("#account #logout-link")).to_be_visible()
        page.wait_for_timeout(3000)  # every page-load event has answered by now
        expect(page.locator(".toast-body")).to_have_count(0)
        ctx.close()
        browser.close()


def test_a_researcher_made_annotator_sees_blind_columns_at_the_next_send(tmp_path):
    """A role lowered while the Chat page is open: the next send draws the columns blind (Column A/B/C, no model
    input panels), not under the model names the page was loaded with."""
    from playwright.sync_api import expect, sync_playwright

    from workbench.auth import upsert_user
    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        upsert_user(svc.store, "ann", None, "researcher")
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "en")
        page.get_by_role("tab", name="Chat", exact=True).click()
        headers = page.locator(".column-header")
        expect(headers.first).to_contain_text(svc.columns[0])
        upsert_user(svc.store, "ann", None, "annotator")
        box = page.locator("#tab-chat textarea").first
        box.fill("我咳嗽三天了")
        box.press("Enter")
        expect(headers.first).to_contain_text(i18n.t("chat.column", "en", letter="A"))
        for name in svc.columns:
            expect(page.locator("#tab-chat")).not_to_contain_text(name)
        expect(page.locator("#model-input-0")).to_be_hidden()
        ctx.close()
        browser.close()
