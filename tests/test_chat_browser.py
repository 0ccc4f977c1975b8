"""A real browser types a message and sees three streamed replies."""

from __future__ import annotations

import time

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
        page.goto(url.page)  # open mode: the URL with the token, as launch.py prints it
        box = page.locator("#patient-message textarea")
        box.fill("你好")
        page.locator("#send").click()
        bots = page.locator(".column-chat")
        expect(bots).to_have_count(len(services.columns))
        for i in range(len(services.columns)):
            expect(bots.nth(i)).to_contain_text(GREETING[:10], timeout=30_000)
            expect(bots.nth(i)).to_contain_text("仅供参考")  # the original disclaimer under the first reply
        # Record every distinct text each column shows while the reply streams in.
        page.evaluate("""() => {
            window.__seen = [...document.querySelectorAll('.column-chat')].map(() => new Set());
            const cols = [...document.querySelectorAll('.column-chat')];
            new MutationObserver(() => cols.forEach((c, i) => window.__seen[i].add(c.innerText)))
                .observe(document.body, {subtree: true, childList: true, characterData: true});
        }""")
        box.fill("我最近经常失眠，晚上睡不着")
        page.locator("#send").click()
        # Each column streams its own second reply: three assistant messages after the greeting.
        for i in range(len(services.columns)):
            expect(bots.nth(i).get_by_text("我最近经常失眠，晚上睡不着")).to_be_visible(timeout=30_000)
        second = _wait_for_finished(services, position=3, timeout=120)
        for i, name in enumerate(services.columns):
            # The column shows its own stored reply once streaming has ended.
            expect(bots.nth(i)).to_contain_text(second[name].output[:6], timeout=30_000)
        seen = page.evaluate("() => window.__seen.map(s => s.size)")
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
        browser.close()
    assert all(g.status == "ok" and g.output for g in second.values())
    # Streamed: each column went through several partial states, not one final replacement.
    assert all(n >= 3 for n in seen), seen


def _wait_for_finished(services, position: int, timeout: float) -> dict[str, Generation]:
    deadline = time.monotonic() + timeout
    while True:
        with services.store.read() as s:
            rows = s.scalars(select(Generation).where(Generation.turn_index == position)).all()
        done = {g.column_name: g for g in rows if g.status != "running"}
        if len(done) == len(services.columns) or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def test_send_while_replies_stream_is_sent_after_them(services):
    """A second Send pressed while the first message's replies still stream is not dropped: it goes next."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with running_app(services) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url.page)
        box = page.locator("#patient-message textarea")
        bots = page.locator(".column-chat")
        box.fill("你好")
        page.locator("#send").click()
        for i in range(len(services.columns)):
            expect(bots.nth(i)).to_contain_text(GREETING[:10], timeout=30_000)
        _wait_for_finished(services, position=1, timeout=60)
        box.fill("我最近经常失眠，晚上睡不着")
        page.locator("#send").click()
        # The first message is on screen (the send's first update), its replies not yet stored: still pending.
        expect(bots.nth(0).get_by_text("我最近经常失眠，晚上睡不着")).to_be_visible(timeout=30_000)
        pending = len(_wait_for_finished(services, position=3, timeout=0)) < len(services.columns)
        box.fill("白天也很困，需要吃药吗")
        box.press("Enter")  # Enter while the button's send runs: the same event, so it waits for it
        for i in range(len(services.columns)):
            expect(bots.nth(i).get_by_text("白天也很困，需要吃药吗")).to_be_visible(timeout=60_000)
        third = _wait_for_finished(services, position=5, timeout=120)
        expect(box).to_have_value("")
        browser.close()
    assert pending, "the second Send was pressed after the first send's replies were stored: nothing tested"
    assert len(third) == len(services.columns) and all(g.status == "ok" for g in third.values())
    second = _wait_for_finished(services, position=3, timeout=0)
    for name, g in third.items():
        # The third reply was generated after the second was stored: its input holds that reply (T5 escapes).
        reply = second[name].output.strip()[:8]
        assert reply and (reply in g.input_text or reply.replace("\n", "\\n") in g.input_text), name


def test_a_bubbles_screen_reader_label_reads_the_message_as_typed(services):
    """The bubble shows a message with < > & as typed (the server sends them as character references, so nothing
    in it becomes markup), but its aria-label read the references out ("&lt;img…"). The label now holds the text as
    typed, a typed "&lt;" included, and no element is built from it."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    message = "<img src=x onerror=window.__pwned=1>体温<37 & 咳嗽 &lt;"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url.page)
        page.locator("#patient-message textarea").fill(message)
        page.locator("#send").click()
        bubble = page.locator(".column-chat").first.get_by_text("体温<37", exact=False).first
        expect(bubble).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        labels = page.evaluate("() => [...document.querySelectorAll('.column-chat [aria-label]')]"
                               ".map(e => e.getAttribute('aria-label')).filter(l => l.includes('体温'))")
        assert labels and all(message in label and "&lt;img" not in label for label in labels), labels
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator(".column-chat img[src=x]").count() == 0
        # The app's own marker around a stopped reply is markup in the label (the only raw "<" there): its words
        # stay, its tags go; a typed tag, sent as references, is read as typed
        page.evaluate("""() => { const d = document.createElement('div'); d.id = 'label-probe';
          d.setAttribute('aria-label', "bot's message: 你好&lt;b&gt; <span class='reply-stopped'>■ 已停止</span>");
          document.body.appendChild(d); }""")
        expect(page.locator("#label-probe")).to_have_attribute("aria-label", "bot's message: 你好<b> ■ 已停止")
        browser.close()
