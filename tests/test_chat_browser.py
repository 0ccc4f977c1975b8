"""A real browser types a message and sees three streamed replies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, require_chromium
from tests.ui_server import running_app
from workbench.prompts import GREETING
from workbench.store.schema import Generation

pytestmark = pytest.mark.browser


def test_type_send_and_see_three_streamed_replies(services):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url)
        box = page.locator("#patient-message textarea")
        box.fill("你好")
        page.locator("#send").click()
        bots = page.locator(".column-chat")
        expect(bots).to_have_count(len(services.columns))
        for i in range(len(services.columns)):
            expect(bots.nth(i)).to_contain_text(GREETING[:10], timeout=30_000)
            expect(bots.nth(i)).to_contain_text("仅供参考")  # the original disclaimer under the first reply
        box.fill("我最近经常失眠，晚上睡不着")
        page.locator("#send").click()
        # Each column streams its own second reply: three assistant messages after the greeting.
        for i in range(len(services.columns)):
            expect(bots.nth(i).get_by_text("我最近经常失眠，晚上睡不着")).to_be_visible(timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.column-status')].filter(e => e.innerText.startsWith('ok')"
            " && !e.innerText.includes('greeting')).length >= 3", timeout=90_000)
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        browser.close()
    with services.store.session() as s:
        second = s.scalars(select(Generation).where(Generation.turn_index == 3)).all()
    assert sorted(g.column_name for g in second) == sorted(services.columns)
    assert all(g.status == "ok" and g.output for g in second), [(g.column_name, g.status, g.output, g.error) for g in second]
