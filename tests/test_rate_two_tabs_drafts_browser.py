"""Two tabs of one annotator on the same open item (walk s62): each tab's autosave sent its whole reply box, so
a tab that only moved the focus (leaving a text box saves it again) or answered another field of the box wrote
back its stale copy of the other tab's saved draft, and the other tab's work was gone while both said "draft
saved". An autosave now changes only the fields its own page changed since its last save."""

from __future__ import annotations

import pytest
from rate_ui_support import add_item, item_shown, open_rate_tab, rate_server, take_first_item, wait_until
from sqlalchemy import select

from tests.browser import launch, require_chromium
from workbench.store.schema import Rating
from workbench.ui import i18n

pytestmark = pytest.mark.browser


def _answers(svc) -> dict[int, tuple]:
    with svc.store.session() as s:
        return {r.generation_id: (r.comment, r.corrected_reply, dict(r.scores), r.turn_type)
                for r in s.scalars(select(Rating))}


def _saved_comment(svc, text: str) -> bool:
    return any(c == text for c, *_ in _answers(svc).values())


def test_a_second_tab_keeps_the_draft_typed_in_the_other_tab(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水。", "先量体温。"])
        add_item(svc.store, ["咳嗽有痰吗？（2）", "多喝水（2）。", "先量体温（2）。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, first = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            take_first_item(first)
            first.locator("#rate-comment-0 textarea").fill("first tab")
            first.locator("#rate-item-info").click()  # blur: the comment's autosave
            wait_until(lambda: _saved_comment(svc, "first tab"), what="the first tab's comment stored")
            second = ctx.new_page()  # the same sign-in: the open item and its draft come back on load
            second.goto(str(url))
            second.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            second.locator("#rate-next").wait_for(state="visible")
            wait_until(lambda: item_shown(second) == 1, what="item 1 in the second tab")
            wait_until(lambda: second.locator("#rate-comment-0 textarea").input_value() == "first tab",
                       what="the draft restored in the second tab")
            second.locator("#rate-comment-0 textarea").fill("second tab")
            second.locator("#rate-item-info").click()
            wait_until(lambda: _saved_comment(svc, "second tab"), what="the second tab's comment stored")
            # The first tab only moves the focus through reply A's boxes: nothing of its own changed.
            first.bring_to_front()
            first.locator("#rate-corrected-0 textarea").click()
            first.locator("#rate-item-info").click()
            first.locator("#rate-comment-0 textarea").click()
            first.locator("#rate-item-info").click()
            # ... then answers another field of the same box: that field is saved, the comment stays the second's.
            first.locator("#rate-q-0 input[value='4']").check()
            wait_until(lambda: all(a[2].get("questioning") == 4 for gid, a in _answers(svc).items() if gid == 1),
                       what="the first tab's score stored")
            first.wait_for_timeout(500)
            answer = _answers(svc)[1]
            assert answer[0] == "second tab", answer
            assert answer[2] == {"questioning": 4}, answer
            # A field the first tab does change is its own again: the last one typed wins, as on one page.
            first.locator("#rate-comment-0 textarea").fill("first tab again")
            first.locator("#rate-item-info").click()
            wait_until(lambda: _saved_comment(svc, "first tab again"), what="the first tab's new comment stored")
            assert _answers(svc)[1][2] == {"questioning": 4}
            ctx.close()
            browser.close()


def test_a_tab_that_has_not_drawn_the_other_tabs_drafts_cannot_submit_over_them(tmp_path):
    """Final walk s62: a Submit sends the whole page, so a tab opened before the other tab saved a comment and a
    safety flag submitted its empty comment and cleared flag over them, with "✓ submitted" and no warning. Such a
    submit is refused until the tab is reloaded; a draft of its own, or one it has drawn, does not stop it."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水。", "先量体温。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, first = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            take_first_item(first)
            second = ctx.new_page()
            second.goto(str(url))
            second.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            second.locator("#rate-next").wait_for(state="visible")
            wait_until(lambda: item_shown(second) == 1, what="item 1 in the second tab")
            first.bring_to_front()
            first.locator("#rate-comment-1 textarea").fill("seen only in the first tab")
            first.locator("#rate-item-info").click()
            wait_until(lambda: _saved_comment(svc, "seen only in the first tab"), what="the first tab's comment")
            second.bring_to_front()
            second.locator("#rate-comment-0 textarea").fill("the second tab's own")
            second.locator("#rate-item-info").click()
            wait_until(lambda: _saved_comment(svc, "the second tab's own"), what="the second tab's own comment")
            second.locator("#rate-submit").click()
            stale = "changed in another tab meanwhile"
            saved_line = second.locator("#rate-saved")
            wait_until(lambda: stale in saved_line.inner_text(), what="the stale submit refused")
            assert _saved_comment(svc, "seen only in the first tab")
            with svc.store.session() as s:
                assert all(r.status == "draft" for r in s.scalars(select(Rating)))
            # Reloaded, the tab shows both comments, and its submit is judged on the answers alone.
            second.reload()
            second.get_by_role("tab", name=i18n.t("app.tab.rate", "en"), exact=True).click()
            wait_until(lambda: item_shown(second) == 1, what="item 1 after the reload")
            wait_until(lambda: second.locator("#rate-comment-1 textarea").input_value() == "seen only in the first tab",
                       what="the first tab's comment drawn")
            second.locator("#rate-submit").click()
            wait_until(lambda: "not submitted" in saved_line.inner_text().lower() or "✓" in saved_line.inner_text(),
                       what="the submit judged")
            assert stale not in saved_line.inner_text()
            ctx.close()
            browser.close()
