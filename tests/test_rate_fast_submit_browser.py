"""Fast keys in Chromium lose nothing: the Enter key pressed a few milliseconds after a burst of answer keys
(their autosaves still in flight) stores exactly the answers the page held, and a burst without a submit ends
with every box's last answer stored as a draft (autosaves name the replies from the session: rate_tab.py)."""

from __future__ import annotations

import json

import pytest
from rate_ui_support import add_item, item_shown, open_rate_tab, rate_server, wait_until
from sqlalchemy import select

from tests.browser import launch, require_chromium
from workbench.annotate.queue import open_item
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.store.schema import Preference, Rating

pytestmark = pytest.mark.browser
AXES = [a.key for a in load_rubric(REPO_ROOT / "annotations" / "rubric.yaml").axes]


def _burst(kb, scores: str, best: str) -> None:
    for score in scores:  # per reply: the suggested turn type, a score, N/A
        for key in ("y", score, "0"):
            kb.press(key)
    kb.press(best)


def _page_answers(page) -> dict:
    """What the page holds now, as its submit sends it (window.rateForm, assets/rate_keys.js)."""
    return json.loads(page.evaluate("window.rateForm.all('')"))


def _stored(svc, user, item_id: int) -> tuple[list[tuple], str | None, int | None]:
    """Per box (the page's order): (status, turn type, scores) of its first reply; the preference's status and
    winner."""
    with svc.store.read() as s:
        item = open_item(s, user, item_id)
        rows = {r.generation_id: r for r in s.scalars(select(Rating).where(Rating.user_id == user.id))}
        pref = s.scalar(select(Preference).where(Preference.user_id == user.id,
                                                 Preference.dialogue_id == item.dialogue_id))
        boxes = [(rows[g[0].generation_id].status, rows[g[0].generation_id].turn_type,
                  rows[g[0].generation_id].scores) if g[0].generation_id in rows else None for g in item.groups]
        label_of = {r.generation_id: r.label for r in item.replies}
        return boxes, pref.status if pref else None, label_of.get(pref.winner_generation_id) if pref else None


def _expected(answers: dict, status: str) -> list[tuple]:
    out = []
    for box in answers["answers"]:
        turn_type, *scores = box[:1 + len(AXES)]
        out.append((status, turn_type, {a: (NA if v == "N/A" else int(v)) for a, v in zip(AXES, scores, strict=True)
                                         if v is not None}))
    return out


def test_a_submit_right_after_a_burst_of_keys_stores_the_last_answers(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(3):
            add_item(svc.store, [f"咳嗽{i}天了吗？有没有发烧？", f"考虑上呼吸道感染，建议多喝水（{i}）。",
                                 f"建议先量体温。咳嗽有痰吗？（{i}）"])
        user = svc.auth.lookup("ann")
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            kb = page.keyboard
            kb.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            _burst(kb, "253", "b")
            held = _page_answers(page)
            kb.press("Enter")  # at once: the burst's autosaves are still on their way
            wait_until(lambda: item_shown(page) == 2, what="the next item")
            boxes, pref_status, winner = _stored(svc, user, 1)
            assert boxes == _expected(held, "submitted")
            assert {b[2]["questioning"] for b in boxes} == {2, 5, 3}  # the burst reached every box
            assert (pref_status, winner) == ("submitted", "B")
            # Without a submit, the last answer of each box ends up stored as a draft.
            _burst(kb, "414", "c")
            held = _page_answers(page)
            wait_until(lambda: _stored(svc, user, 2)[0] == _expected(held, "draft")
                       and _stored(svc, user, 2)[1:] == ("draft", "C"), timeout=30, what="the burst's drafts")
            ctx.close()
            browser.close()
