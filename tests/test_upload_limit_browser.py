"""A file over the upload limit, chosen in the Data tab's import box in Chromium with logins on: Gradio's page
refuses it itself, with an English pop-up. The pop-up now reads in the page's language and names the file, the
limit and the setting that sets it, and the box takes the next file (it stayed red under "Error"). A refused
file empties the last import's result, which read as though about the refused file."""

from __future__ import annotations

import pytest
import rating_fixtures
from rate_ui_support import sign_in

from tests.browser import launch, require_chromium
from tests.ui_login import BROWSER_TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_file_over_the_upload_limit_is_named_in_the_pages_language(tmp_path, lang):
    from playwright.sync_api import expect, sync_playwright
    from ui_server import running_app

    from workbench.services import build_services
    from workbench.ui import i18n

    require_chromium()
    cfg = rating_fixtures.test_config(tmp_path / "w.db")
    cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update={"max_upload_mb": 0.01})})  # 10 KiB
    big = tmp_path / "大文件.jsonl"
    big.write_text('{"input": "病人：头痛\\\\n医生：", "target": "头痛多久了？"}\n' * 400, encoding="utf-8")
    assert big.stat().st_size > 0.01 * 1024 * 1024
    svc = build_services(cfg, auth_enabled=True)
    rating_fixtures.make_users(svc.store, "boss", role="admin")
    try:
        with running_app(svc, auth=True) as url, sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = sign_in(browser, url, "boss", lang)
            page.get_by_role("tab", name=i18n.t("app.tab.data", lang), exact=True).click()
            page.locator("#data-import").locator("xpath=ancestor::*[contains(@class,'column')][1]") \
                .locator("input[type=file]").set_input_files(str(big))
            toast = page.locator(".toast-body")
            expect(toast).to_contain_text('"大文件.jsonl"')
            expect(toast).to_contain_text("server.max_upload_mb")
            expect(toast).not_to_contain_text("exceed the maximum")
            if lang == "zh":
                expect(toast).to_contain_text("超过上传上限")
                expect(toast).not_to_contain_text("Error")
            # The box is ready for the next file: it stayed red under "Error", its drop zone taking no click.
            box = page.locator("#data-import").locator("xpath=ancestor::*[contains(@class,'column')][1]")
            expect(box.locator("[data-testid=status-tracker] .error")).to_have_count(0)
            small = tmp_path / "small.jsonl"
            small.write_text('{"input": "病人：头痛\\n医生：", "target": "头痛多久了？"}\n', encoding="utf-8")
            with page.expect_file_chooser() as chooser:
                box.locator("button.upload-container").click()
            chooser.value.set_files(str(small))
            page.locator("#data-import").click()
            expect(page.locator("#data-import-result")).to_contain_text("✓", timeout=BROWSER_TIMEOUT_MS)
            # A file refused for its size empties the last import's result: its "✓" read as the new file's.
            box.locator("input[type=file]").set_input_files(str(big))
            expect(toast.last).to_contain_text("server.max_upload_mb")
            expect(page.locator("#data-import-result")).to_have_text("")
            expect(box.locator("[data-testid=status-tracker] .error")).to_have_count(0)
            # the box takes the next file, and its import says so
            other = tmp_path / "other.jsonl"
            other.write_text(small.read_text(encoding="utf-8"), encoding="utf-8")
            box.locator("input[type=file]").set_input_files(str(other))
            page.locator("#data-import").click()
            expect(page.locator("#data-import-result")).to_contain_text("✓", timeout=BROWSER_TIMEOUT_MS)
            # the next file starts with no message (the last import's stayed, as though about the new file)
            box.locator("input[type=file]").set_input_files(str(small))
            expect(page.locator("#data-import-result")).to_have_text("")
            ctx.close()
            browser.close()
    finally:
        svc.close()
