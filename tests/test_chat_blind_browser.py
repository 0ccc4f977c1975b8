"""An annotator (blind mode, logins on) chats, regenerates and previews in Chromium without an error."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, require_chromium
from tests.conftest import config_with_db
from tests.ui_server import running_app
from workbench.auth import upsert_user
from workbench.store.schema import Generation

pytestmark = pytest.mark.browser

PASSWORD = "annotator-pass-1"
BROWSER_TIMEOUT_MS = 120_000


@pytest.fixture
def blind_services(demo_config, tmp_path, monkeypatch):
    """The demo workbench with logins required and blind rating on (the default)."""
    from workbench.services import build_services

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    cfg = config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}")
    assert cfg.annotation.blind
    svc = build_services(cfg, auth_enabled=True)
    upsert_user(svc.store, "ann", PASSWORD, "annotator")
    yield svc
    svc.close()


def login(browser, url: str, username: str, password: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(url)
    page.locator("input[type=text]").first.fill(username)
    page.locator("input[type=password]").first.fill(password)
    page.get_by_role("button", name="Login").click()
    page.locator("#send").wait_for(state="visible")
    return page


def wait_all_done(page, n_columns: int) -> None:
    """Wait until every column's status line reads "done"."""
    from playwright.sync_api import expect

    for i in range(n_columns):
        expect(page.locator(f"#column-status-{i}")).to_contain_text("done", timeout=BROWSER_TIMEOUT_MS)


def assert_no_error_badge(page) -> None:
    # Gradio marks every output of a failed event with an "Error" badge and pops up an error toast.
    badges = page.get_by_text("Error", exact=True)
    assert badges.count() == 0, [badges.nth(i).evaluate("e => e.outerHTML") for i in range(badges.count())]
    assert page.locator(".toast-body.error").count() == 0


def stored(svc, position: int) -> list[Generation]:
    with svc.store.read() as s:
        return list(s.scalars(select(Generation).where(Generation.turn_index == position)))


def wait_stored(svc, position: int, count: int, timeout: float = 120.0) -> list[Generation]:
    deadline = time.monotonic() + timeout
    while True:
        rows = [g for g in stored(svc, position) if g.status != "running"]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_annotator_chats_two_turns_regenerates_and_previews(blind_services):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    svc = blind_services
    n = len(svc.columns)
    with running_app(svc, auth=True) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = login(browser, url, "ann", PASSWORD)
        box = page.locator("#patient-message textarea")

        box.fill("孩子发烧两天了，38度5")
        page.locator("#send").click()
        wait_all_done(page, n)
        box.fill("昨天开始咳嗽，晚上更厉害")
        page.locator("#send").click()
        second = wait_stored(svc, 3, n)
        wait_all_done(page, n)
        assert len(second) == n and all(g.status == "ok" for g in second)
        bots = page.locator(".column-chat")
        for i in range(n):
            expect(bots.nth(i)).to_contain_text("昨天开始咳嗽")
        # The whole reply is shown once the stream ends (the UI used to cut it short).
        shown = " ".join(bots.nth(i).inner_text() for i in range(n))
        for g in second:
            assert g.output.strip()[-8:] in shown, (g.column_name, g.output)
        assert_no_error_badge(page)
        assert box.input_value() == ""

        page.get_by_role("button", name="↻ Regenerate all").click()
        assert len(wait_stored(svc, 3, 2 * n)) == 2 * n
        wait_all_done(page, n)
        page.get_by_role("button", name="↻ Regenerate").first.click()
        assert len(wait_stored(svc, 3, 2 * n + 1)) == 2 * n + 1
        wait_all_done(page, n)
        assert_no_error_badge(page)

        box.fill("还需要注意什么？")
        page.get_by_role("button", name="Preview next model inputs").click()
        expect(page.get_by_text("Model inputs are hidden in blind mode")).to_be_visible()
        assert_no_error_badge(page)
        # Nothing about the models leaks: no model input panel, no column name, no route.
        assert page.get_by_text("Model input", exact=True).count() == 0
        chat_panel = page.locator("#send").locator("xpath=ancestor::*[@role='tabpanel'][1]").inner_html()
        for name in svc.columns:
            assert name not in chat_panel
        assert "route" not in chat_panel
        page.screenshot(path=str(_artifacts() / "chat_annotator.png"), full_page=True)
        browser.close()


def _artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
