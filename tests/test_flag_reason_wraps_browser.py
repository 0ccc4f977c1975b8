"""A long flag reason in the admin's flags table (Chromium). Walk s64: the table did not wrap (its neighbours in the
app do), so a reason of a few sentences ran on in one line and pushed "Flagged at" out of sight, behind a
horizontal scroll. It wraps now, and the table stays as wide as its panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rate_ui_support import TIMEOUT_MS, add_item, open_rate_tab, rate_server, user_named

from tests.browser import launch, require_chromium
from workbench.annotate import workflow
from workbench.ui import i18n

pytestmark = pytest.mark.browser


# sentences, and one unbroken run (a pasted link), which has no space to wrap at: it breaks inside the cell too
@pytest.mark.parametrize("reason", [
    "The reply stops mid-sentence and then repeats the patient's question word for word. " * 6,
    "The reply stops mid-sentence, see https://example.org/" + "x" * 600,
], ids=["sentences", "unbroken"])
def test_a_long_flag_reason_wraps_inside_the_table(tmp_path, reason):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url):
        add_item(svc.store, ["回复甲", "回复乙"])
        ann = user_named(svc, "ann")
        claim = workflow.claim_next(svc.store, ann, 1)
        assert claim is not None
        workflow.flag(svc.store, ann, claim.item_id, reason)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, admin = open_rate_tab(browser, url, "boss", "en")
            if not admin.locator("#rate-team-refresh").is_visible():
                admin.get_by_text(i18n.t("rate.admin", "en"), exact=True).click()
            admin.locator("#rate-team-refresh").click()
            flags = admin.locator("#rate-flags")
            expect(flags).to_contain_text("stops mid-sentence", timeout=TIMEOUT_MS)
            widths = flags.evaluate("e => [e.getBoundingClientRect().width, e.querySelector('table').scrollWidth]")
            assert widths[1] <= widths[0] + 1, widths  # no part of the table hidden behind a scroll
            ctx.close()
            browser.close()
