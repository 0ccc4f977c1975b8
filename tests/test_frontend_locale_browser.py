"""Gradio's own texts follow the workbench's language, not the browser's: the Data tab's file box said "Drop File
Here", "- or -", "Click to Upload" on a page switched to Chinese in an English browser (and the reverse), and the
tab's title read English first in a Chinese page."""

from __future__ import annotations

import pytest
import rating_fixtures
from rate_ui_support import sign_in

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser

#: what Gradio's file box says in each language (its zh-CN texts)
DROP_ZONE = {"en": ("Drop File Here", "Click to Upload"), "zh": ("将文件拖放到此处", "点击上传")}


def test_the_file_boxs_texts_follow_the_language_switch(tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from ui_server import running_app

    from workbench.services import build_services
    from workbench.ui import i18n

    require_chromium()
    svc = build_services(rating_fixtures.test_config(tmp_path / "w.db"), auth_enabled=True)
    rating_fixtures.make_users(svc.store, "boss", role="admin")
    try:
        with running_app(svc, auth=True) as url, sync_playwright() as pw:
            browser = launch(pw)
            # the browser in one language, the switch set to the other
            for browser_lang, page_lang in (("en", "zh"), ("zh", "en")):
                ctx, page = sign_in(browser, url, "boss", browser_lang)
                page.get_by_role("tab", name=i18n.t("app.tab.chat", browser_lang), exact=True).wait_for()
                ctx.add_cookies([{"name": i18n.COOKIE, "value": page_lang, "url": str(url)}])
                page.reload()
                page.get_by_role("tab", name=i18n.t("app.tab.data", page_lang), exact=True).click()
                box = page.locator("#data-import").locator("xpath=ancestor::*[contains(@class,'column')][1]") \
                    .locator("button.upload-container")
                for text in DROP_ZONE[page_lang]:
                    expect(box).to_contain_text(text)
                for text in DROP_ZONE[browser_lang]:
                    expect(box).not_to_contain_text(text)
                expect(page).to_have_title(i18n.t("app.page_title", page_lang))
                ctx.close()
            browser.close()
    finally:
        svc.close()
