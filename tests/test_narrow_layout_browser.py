"""Chromium at a phone's width (390 px), and a desktop's: the header stays readable in both languages.

The title shared one row with the language switch and the account, and was squeezed to a few letters a line
("BianQ / ue / Work / bench"), with "Sign out" broken over three lines. On a phone the Chat message box
stays on screen.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import ARTIFACTS, launch, require_chromium
from tests.ui_login import login, services_with_logins, wait_columns_done
from tests.ui_server import running_app

pytestmark = pytest.mark.browser

HEADER_JS = """() => {
  const title = document.querySelector('#app-title').getBoundingClientRect();
  const tabs = document.querySelector('#tab-chat').parentElement.getBoundingClientRect();
  const link = document.querySelector('#logout-link');
  // the title's lines: the height its text spans over the height of one line of it
  const walker = document.createTreeWalker(document.querySelector('#app-title'), NodeFilter.SHOW_TEXT);
  const rects = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    rects.push(...[...range.getClientRects()].filter(r => r.width > 0));
  }
  const line = Math.max(...rects.map(r => r.height));
  const span = Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top));
  return {title: title.width, tabs: tabs.width, linkLines: link.getClientRects().length, titleLines: Math.round(span / line),
          linkHeight: link.getBoundingClientRect().height,
          fontSize: parseFloat(getComputedStyle(link).fontSize)};
}"""



def _header_in(page, lang: str) -> dict:
    """The header's measures after switching the page to ``lang`` (the switch reloads the page)."""
    # click, not check: the switch reloads the page, and check() then looked for the state on a page already
    # going away ("Clicking the checkbox did not change its state", once in a CI run)
    with page.expect_navigation():
        page.get_by_label(lang).click()
    page.wait_for_load_state()
    page.locator("#logout-link").wait_for(state="visible")
    page.wait_for_timeout(300)
    return page.evaluate(HEADER_JS)

def test_header_at_phone_width_keeps_title_and_sign_out_whole(demo_config, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"ann": "annotator"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "ann")
        for lang in ("中文", "English"):
            # At a desktop's width the title kept an equal third of the row and wrapped its last character
            page.set_viewport_size({"width": 1280, "height": 720})
            wide = _header_in(page, lang)
            assert wide["titleLines"] == 1 and wide["linkLines"] == 1, (lang, wide)
        page.set_viewport_size({"width": 390, "height": 844})
        for lang in ("中文", "English"):
            got = _header_in(page, lang)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"header-390-{lang}.png"), clip={"x": 0, "y": 0, "width": 390,
                                                                                     "height": 300})
            # the title spans the content's width (it was about a quarter of it), "Sign out" is one line
            assert got["title"] >= 0.9 * got["tabs"], (lang, got)
            assert got["linkLines"] == 1 and got["linkHeight"] < 2 * got["fontSize"], (lang, got)
        browser.close()


PICKER_JS = """() => {
  const r = document.querySelector('.picker-container').getBoundingClientRect();
  return {left: r.left, right: r.right, width: window.innerWidth};
}"""


def _close_picker(page, width: int) -> None:
    """Click outside the open picker until it closes. It listens for outside clicks only a moment after it
    opens: on a fast host a click at once was ignored and the picker stayed open."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(10):
        page.mouse.click(width - 5, 5)
        try:
            page.locator(".picker-container").wait_for(state="hidden", timeout=1_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the date picker did not close on a click outside it")


DATE_BOXES_JS = """() => ['compare-from', 'compare-to'].map(id => {
  const box = document.querySelector('#' + id).getBoundingClientRect();
  const button = document.querySelector('#' + id + ' button.calendar').getBoundingClientRect();
  const field = document.querySelector('#' + id + ' input').getBoundingClientRect();
  return {id, right: box.right - button.right, visible: button.right <= innerWidth, field: field.width};
})"""


def test_compare_date_pickers_open_on_screen(demo_config, tmp_path, monkeypatch):
    """Compare's From picker opened 27 px left of the screen at 1280 px, its Sunday column cut off. The calendar
    buttons stuck out of their boxes (over the To box's right edge at 1400 px, cropped out of sight at 390 px)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"res": "researcher"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "res")
        page.get_by_role("tab", name="Compare").click()
        for width, height in ((1400, 900), (1280, 720), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.locator("#compare-to").scroll_into_view_if_needed()
            page.wait_for_timeout(200)
            for box in page.evaluate(DATE_BOXES_JS):
                # inside its box, with the box's padding to its right; the field keeps room for "YYYY-MM-DD"
                assert box["right"] >= 8 and box["visible"] and box["field"] >= 120, (width, box)
            for i in range(2):  # From, To
                button = page.locator("#tab-compare button.calendar").nth(i)
                button.scroll_into_view_if_needed()
                button.click()
                page.locator(".picker-container").wait_for(state="visible")
                got = page.evaluate(PICKER_JS)
                assert 0 <= got["left"] and got["right"] <= got["width"], (width, i, got)
                _close_picker(page, width)
        browser.close()


MESSAGE_BOX_JS = """() => {
  const box = document.querySelector('#patient-message textarea').getBoundingClientRect();
  const send = document.querySelector('#send').getBoundingClientRect();
  const tabs = document.querySelector('#tab-chat-button').getBoundingClientRect();
  return {box: [box.top, box.bottom], send: [send.top, send.bottom], tabsTop: tabs.top, height: innerHeight,
          scroll: scrollY, page: document.documentElement.scrollHeight};
}"""


def _message_box_on_screen(got: dict) -> bool:
    return all(0 <= top and bottom <= got["height"] for top, bottom in (got["box"], got["send"]))


def test_phone_chat_message_box_stays_on_screen(demo_config, tmp_path, monkeypatch):
    """At 390 px the message box sat under the three stacked columns, about 2,000 px down: the page opened
    scrolled to it (it takes the focus), the header and replies out of sight, Send below the screen."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"ann": "annotator"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "ann")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.locator("#send").wait_for(state="visible")
        page.locator("#logout-link").wait_for(state="visible")
        opened = page.evaluate(MESSAGE_BOX_JS)
        assert opened["page"] > 2 * opened["height"], opened  # the columns do stack far below the screen
        # the page opens at its top (tabs in sight) with the box and Send on screen
        assert opened["tabsTop"] >= 0 and _message_box_on_screen(opened), opened
        for y in (0, opened["page"] // 3, opened["page"] // 2):
            page.evaluate(f"window.scrollTo(0, {y})")  # instant: no smooth scrolling here
            got = page.evaluate(MESSAGE_BOX_JS)
            assert _message_box_on_screen(got), (y, got)
        # and it still sends from there
        page.evaluate("window.scrollTo(0, 0)")
        page.locator("#patient-message textarea").fill("我咳嗽三天了")
        page.locator("#patient-message textarea").press("Enter")
        wait_columns_done(page, len(svc.columns))
        assert _message_box_on_screen(page.evaluate(MESSAGE_BOX_JS))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-390-message-box.png"))
        browser.close()


ENGLISH_PICKER_WORDS = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|"
                                  r"November|December|Su|Mo|Tu|We|Th|Fr|Sa|Clear|Now|Done)\b")


def test_compare_date_picker_speaks_the_pages_language(demo_config, tmp_path, monkeypatch):
    """Gradio's date picker said "December 2026", "Su Mo Tu…" and "Clear / Now / Done" on a Chinese page."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    from workbench.ui import i18n

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"res": "researcher"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "res")
        with page.expect_navigation():
            page.get_by_label("中文").click()  # click: check() can read the state off the page the switch unloads
        page.locator("#logout-link").wait_for(state="visible")
        page.get_by_role("tab", name="比较").click()
        # the calendar buttons are named after their fields (they had no name: a screen reader said "button")
        for elem_id, key in (("compare-from", "compare.filter.from"), ("compare-to", "compare.filter.to")):
            name = i18n.t("app.picker.open", "zh", field=i18n.t(key, "zh"))
            expect(page.locator(f"#{elem_id} button.calendar")).to_have_attribute("aria-label", name)
        page.locator("#tab-compare button.calendar").first.click()
        picker = page.locator(".picker-container")
        header = picker.locator(".month-year")
        header.filter(has_text=re.compile(r"^\s*\d{4}年\d{1,2}月\s*$")).wait_for()
        first = header.inner_text()
        page.wait_for_function("() => document.querySelector('.picker-container').innerText.includes('完成')")
        text = picker.inner_text()
        assert not ENGLISH_PICKER_WORDS.search(text), text
        assert all(word in text for word in ("日", "六", "清除", "今天", "完成")), text
        # the next month is drawn by the picker again: still in Chinese
        picker.locator(".nav-button").last.click()
        page.wait_for_function("first => document.querySelector('.month-year').innerText.trim() !== first.trim()",
                               arg=first)
        assert re.fullmatch(r"\d{4}年\d{1,2}月", header.inner_text().strip()), header.inner_text()
        assert not ENGLISH_PICKER_WORDS.search(picker.inner_text()), picker.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "compare-date-picker-zh.png"))
        # an English page keeps Gradio's own words
        page.mouse.click(1200, 5)
        with page.expect_navigation():
            page.get_by_label("English").click()
        page.locator("#logout-link").wait_for(state="visible")
        page.get_by_role("tab", name="Compare").click()
        page.locator("#tab-compare button.calendar").first.click()
        page.locator(".picker-container", has_text="Done").wait_for()
        browser.close()


def test_phone_rate_actions_stay_on_screen(tmp_path):
    """At 390 px an item is ~3,400 px long and Back/Skip/Next/Submit stacked at its top: with no keyboard on a
    phone, Submit was 2,000 px above the last answer (the preference)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    from tests.rate_ui_support import add_item, open_rate_tab, rate_server, take_first_item

    with rate_server(tmp_path) as (svc, url), sync_playwright() as pw:
        add_item(svc.store, ["您好，咳嗽多久了？", "多喝水，注意休息。", "有没有发烧？"])
        browser = launch(pw)
        ctx, page = open_rate_tab(browser, url, "ann", "zh")
        page.set_viewport_size({"width": 390, "height": 844})
        take_first_item(page)
        page.locator("#rate-item-info").scroll_into_view_if_needed()
        last = page.locator("#tab-rate input[type=radio]").last  # the preference's last choice
        last.scroll_into_view_if_needed()
        got = page.evaluate("""() => {
          const r = document.querySelector('#rate-submit').getBoundingClientRect();
          return {top: r.top, bottom: r.bottom, height: innerHeight, scroll: scrollY};
        }""")
        assert got["scroll"] > got["height"], got  # the item does run far below the first screen
        assert 0 <= got["top"] and got["bottom"] <= got["height"], got
        # ... and nothing of the item scrolls over the bar's buttons: Gradio's field labels (z-index 40) once drew
        # over Back and took its taps
        covered = {}
        for y in range(0, page.evaluate("document.documentElement.scrollHeight"), 80):
            page.evaluate(f"window.scrollTo(0, {y})")
            over = page.evaluate("""() => {
              const bar = document.querySelector('#rate-actions');
              return Array.from(bar.querySelectorAll('button')).flatMap(b => {
                const r = b.getBoundingClientRect();
                const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return e && !bar.contains(e) ? [b.id + ' <- ' + (e.innerText || e.tagName).slice(0, 20)] : [];
              });
            }""")
            if over:
                covered[y] = over
        assert not covered, covered
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "rate-390-actions.png"))
        ctx.close()
        browser.close()


def test_chat_columns_keep_one_width_at_every_window_size(demo_config, tmp_path, monkeypatch):
    """Walk 10: at 800 px the three columns wrapped two and one, the third twice as wide as the others ("Column C"
    standing out in blind mode). They are cells of one width, as many side by side as fit."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"ann": "annotator"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "ann")
        rows_at = {}
        for width in (1400, 800, 600, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.reload()
            page.locator("#send").wait_for(state="visible")
            boxes = page.evaluate("""() => [...document.querySelectorAll('.column-chat')]
                .map(e => e.getBoundingClientRect()).map(r => [Math.round(r.left), Math.round(r.top), r.width])""")
            assert len(boxes) == len(svc.columns), boxes
            widths = [w for _x, _y, w in boxes]
            assert max(widths) - min(widths) < 2, (width, boxes)
            rows_at[width] = len({y for _x, y, _w in boxes})
        assert rows_at[1400] == rows_at[800] == 1 and rows_at[390] == len(svc.columns), rows_at
        browser.close()


EXPORT_CHECKS_JS = """() => ['#export-flagged', '#export-deid'].map(s => {
  const box = document.querySelector(s).getBoundingClientRect();
  const label = document.querySelector(s + ' label');
  return {box: s, right: box.right, page: document.documentElement.clientWidth,
          cut: label.scrollWidth - label.clientWidth};
})"""


def test_phone_export_checkboxes_keep_their_labels_whole(demo_config, tmp_path, monkeypatch):
    """Walk s65: at 390 px Export's two checkboxes shared one row with the turn types, 82 px each (Gradio's
    checkbox ignores its min_width): "De-identify (names, phones…)" ran past its box, cropped at the screen's edge."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with (services_with_logins(demo_config, tmp_path, {"res": "researcher"}) as svc,
          running_app(svc, auth=True) as url, sync_playwright() as pw):
        browser = launch(pw)
        page = login(browser, url, "res")
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("button", name="More tabs").click()  # at 390 px Export is in the tab bar's menu
        page.locator("button", has_text=re.compile("^Export$")).last.click()
        page.locator("#export-deid").wait_for(state="visible")
        for got in page.evaluate(EXPORT_CHECKS_JS):
            assert got["right"] <= got["page"] and got["cut"] <= 1, got
        browser.close()
