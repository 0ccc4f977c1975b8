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

