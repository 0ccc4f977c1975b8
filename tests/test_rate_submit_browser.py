"""Submit and next in Chromium: no progress overlay is drawn over the item while a submit runs, and an answer
that leaves out what the page already shows still shows each next item whole (its own history, replies, empty
answers), also after a fewer-reply item and after Back."""

from __future__ import annotations

import re

import pytest
from rate_ui_support import add_item, item_shown, open_rate_tab, rate_server, wait_until

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser

#: records every text the item line and the reply boxes take, and any progress overlay drawn in the item area,
#: from the Enter key on
WATCH_JS = r"""() => {
  window.__seen = {texts: [], overlays: 0};
  const area = ['#rate-item-info', '#rate-history', '#rate-col-0', '#rate-col-1', '#rate-col-2', '#rate-pref'];
  const look = () => {
    window.__seen.texts.push(document.querySelector('#rate-item-info').innerText);
    for (const sel of area) {
      const el = document.querySelector(sel);
      if (el && Array.from(el.querySelectorAll('.progress-text, .eta-bar, .timer, .meta-text, .meta-text-center'))
          .some(e => e.offsetParent !== null)) window.__seen.overlays += 1;
    }
  };
  new MutationObserver(look).observe(document.querySelector('#rate-item-info').closest('.gradio-container')
    || document.body, {subtree: true, childList: true, characterData: true});
}"""


def _rate_and_submit(page, n_replies: int) -> None:
    kb = page.keyboard
    for _ in range(n_replies):
        kb.press("y")
        kb.press("4")
        kb.press("0")
    if n_replies > 1:
        kb.press("a")
    kb.press("Enter")


def _replies(page) -> list[str]:
    return [page.locator(f"#rate-reply-{i} textarea").input_value() for i in range(3)
            if page.locator(f"#rate-col-{i}").is_visible()]


def _history(page) -> str:
    return page.locator("#rate-history").inner_text()


def test_submit_draws_no_overlay_and_each_next_item_whole(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    same = (("patient", "我咳嗽三天了"), ("doctor", "有发烧吗？"), ("patient", "没有发烧"))
    other = (("patient", "孩子七天才解一次大便"), ("doctor", "大便干吗？"), ("patient", "很干，像羊粪"))
    with rate_server(tmp_path, blind=True) as (svc, url):
        # items 1 and 2 share their history (the answer may leave it out), 3 has another and two replies, 4 three
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水（一）。", "先量体温（一）。"], same)
        add_item(svc.store, ["咳嗽几天了？", "多喝水（二）。", "先量体温（二）。"], same)
        add_item(svc.store, ["吃蔬菜吗？", "多吃蔬菜水果。"], other)
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水（四）。", "先量体温（四）。"], same)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            page.evaluate(WATCH_JS)
            expected = {2: (["咳嗽几天了？", "多喝水（二）。", "先量体温（二）。"], "我咳嗽三天了"),
                        3: (["吃蔬菜吗？", "多吃蔬菜水果。"], "孩子七天才解一次大便"),
                        4: (["咳嗽有痰吗？", "多喝水（四）。", "先量体温（四）。"], "我咳嗽三天了")}
            for item, (replies, first_turn) in expected.items():
                before = item_shown(page)
                _rate_and_submit(page, len(_replies(page)))
                wait_until(lambda b=before: item_shown(page) not in (b, None), timeout=120, what=f"item #{item}")
                assert item_shown(page) == item
                wait_until(lambda r=replies: sorted(_replies(page)) == sorted(r), timeout=60,
                           what=f"item #{item}'s replies")
                assert first_turn in _history(page)
                # the next item's answers start empty: nothing of the submitted one is carried over
                for i in range(len(replies)):
                    assert page.locator(f"#rate-q-{i} input:checked").count() == 0
                    assert page.locator(f"#rate-tt-{i} input:checked").count() == 0
            seen = page.evaluate("window.__seen")
            # no running timer or queue line was drawn into the item while the submits ran
            assert seen["overlays"] == 0, seen
            assert not [t for t in seen["texts"] if re.search(r"\d+(\.\d+)?\s*s\b", t.split("\n")[0])], seen["texts"]
            # Back shows the previous item whole again, its own history included
            page.keyboard.press("u")
            wait_until(lambda: item_shown(page) == 3, timeout=120, what="item #3 again")
            wait_until(lambda: "孩子七天才解一次大便" in _history(page), timeout=60, what="item #3's history")
            assert sorted(_replies(page)) == sorted(expected[3][0])
            ctx.close()
            browser.close()
