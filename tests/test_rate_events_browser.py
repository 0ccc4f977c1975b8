"""What a Rate submit costs the page, in Chromium: it sends one event and its answer fires none (no autosave, no
panel event, no change cascade), its answers travel as one JSON text, and nothing of the session is copied into
the browser's storage (Gradio's run history is off: it kept every event's inputs and outputs there)."""

from __future__ import annotations

import json

import pytest
from rate_ui_support import (
    add_item,
    answer_every_box,
    item_shown,
    open_rate_tab,
    rate_server,
    take_first_item,
    wait_until,
)

from tests.browser import launch, require_chromium

pytestmark = pytest.mark.browser

#: every queue/join request the page sends, with its body
JOINS_JS = """() => {
  window.__joins = [];
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.includes('queue/join')) window.__joins.push(JSON.parse(init.body));
    return fetch0.apply(this, arguments);
  };
}"""


def test_a_submit_sends_one_event_and_its_answer_fires_none(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    history = (("patient", "<img src=x onerror=alert(1)>我咳嗽三天了"), ("doctor", "有发烧吗？"), ("patient", "没有"))
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(3):
            add_item(svc.store, [f"咳嗽有痰吗？（{i}）", f"多喝水（{i}）。", f"先量体温（{i}）。"], history)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.evaluate(JOINS_JS)
            kb = page.keyboard
            take_first_item(page)
            answer_every_box(page)
            before = len(page.evaluate("window.__joins"))
            kb.press("Enter")
            wait_until(lambda: item_shown(page) == 2, what="the next item")
            # A barrier: the H key's light round trip goes out after anything the answer set off.
            kb.press("h")
            wait_until(lambda: page.locator("#rate-diff-0").is_visible(), what="the diff")
            joins = page.evaluate("window.__joins")[before:]
            payloads = [json.loads(j["data"][1]) if len(j["data"]) == 2 and isinstance(j["data"][1], str)
                        and j["data"][1].startswith("{") else None for j in joins]
            submits = [p for p in payloads if p and "answers" in p]
            assert len(submits) == 1 and submits[0]["item"] == "1"
            assert [len(b) for b in submits[0]["answers"]] == [6, 6, 6]  # turn type, 2 scores, safety, 2 texts
            assert all(b[0] and b[1] == "4" and b[2] == "N/A" for b in submits[0]["answers"])
            # Besides the submit and the barrier: only answers read before the Enter key (about item 1).
            others = [p for p in payloads if p is not submits[0]]
            assert len(others) == len(joins) - 1
            assert sum(p is None for p in others) == 1, joins  # the diff toggle
            assert all(p["item"] == "1" for p in others if p is not None), others
            storage = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
            assert "run-history" not in storage and "咳嗽" not in storage
            ctx.close()
            browser.close()
