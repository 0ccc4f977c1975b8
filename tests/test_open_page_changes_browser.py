"""An open page when the server changes under it, in Chromium with logins on: its account disabled (told once,
and in the header after a reload), its role lowered (the Chat columns go blind at the next event), a dataset
imported (offered when the Export tab opens)."""

from __future__ import annotations

import pytest
from rate_ui_support import open_rate_tab, rate_server

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser


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


def test_a_dataset_imported_after_page_load_is_offered_when_the_export_tab_opens(tmp_path):
    """The Export filters are read again when the tab is opened (they were read once, at page load), and a
    dataset's name with a bidirectional control (refused at import now, but a store written before that rule
    can hold one) is shown with it made visible."""
    from pathlib import Path

    from playwright.sync_api import expect, sync_playwright
    from sqlalchemy import update

    from workbench.datasets.store_import import import_dataset
    from workbench.store.schema import Dataset

    require_chromium()
    sample = Path(__file__).parent / "data" / "import_bianque_sample.csv"
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "boss", "en")
        import_dataset(svc, sample, name="fresh-set")
        with svc.store.session() as s:
            s.execute(update(Dataset).where(Dataset.name == "fresh-set").values(name="fresh-set\u202egnp.exe"))
        page.get_by_role("tab", name="Export", exact=True).click()
        page.locator("#export-datasets input").click()
        expect(page.get_by_role("option", name="fresh-set[U+202E]gnp.exe")).to_be_visible()
        ctx.close()
        browser.close()
