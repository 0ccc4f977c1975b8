"""Two annotators rate the same items at the same time in Chromium; drafts survive a refresh; keyboard path.

Runs the real app in-process on 127.0.0.1 and drives Debian's Chromium through Playwright.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rating_fixtures import RunningApp, add_positions, make_users
from sqlalchemy import select

from workbench.store.schema import Assignment, Preference, Rating, Suggestion

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian Chromium (/usr/bin/chromium) is not installed"),
]


def _wait(predicate, timeout: float = 15.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _login(browser, url: str, name: str):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(url)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill("secret-pass-" + name)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("tab", name="Rate").click()
    page.locator("#rate-next").wait_for(state="visible")
    # The page-load handler has run once the progress line appears.
    page.locator("#rate-progress", has_text="Mine:").wait_for()
    return ctx, page


def _radio(page, elem_id: str, value: str):
    page.locator(f"#{elem_id} input[type=radio][value='{value}']").click()


def _rows(store, user_id: int, status: str | None = None) -> list[Rating]:
    with store.session() as s:
        q = select(Rating).where(Rating.user_id == user_id)
        if status:
            q = q.where(Rating.status == status)
        return list(s.scalars(q))


def test_two_annotators_rate_concurrently_with_keyboard_and_refresh(tmp_path):
    from playwright.sync_api import sync_playwright

    app = RunningApp(tmp_path, k=2)
    add_positions(app.store, 3, first_text="考虑感冒。" + XSS)
    ua, ub = make_users(app.store, "ann_a", "ann_b")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            ctx_a, pa = _login(browser, app.url, "ann_a")
            ctx_b, pb = _login(browser, app.url, "ann_b")

            # Both take an item; the queue fills started items first, so they share item 1.
            pa.locator("body").click(position={"x": 5, "y": 5})
            pa.keyboard.press("n")
            pb.locator("#rate-next").click()
            pa.locator("#rate-col-2").wait_for(state="visible")
            pb.locator("#rate-col-2").wait_for(state="visible")
            with app.store.session() as s:
                held = {a.user_id: a for a in s.scalars(select(Assignment))}
            assert held[ua.id].item_id == held[ub.id].item_id and held[ua.id].slot != held[ub.id].slot
            for page in (pa, pb):
                # The whole Rate tab (its HTML, not only the visible text) never names a model.
                panel = page.locator("#rate-col-0").locator("xpath=ancestor::*[@role='tabpanel'][1]")
                markup = panel.inner_html()
                assert "Reply A" in markup and "rate-history" in markup
                for column in app.config.columns:
                    assert column.name not in markup

            # B works with the mouse and types a comment with markup; A works from the keyboard meanwhile.
            _radio(pb, "rate-tt-0", "question")
            _radio(pb, "rate-q-0", "3")
            pb.locator("#rate-comment-0 textarea").fill("B 的备注 " + XSS)
            pb.locator("#rate-comment-0 textarea").blur()

            # The turn type is not pre-filled: Y accepts the classifier's suggestion shown beside it.
            pa.locator("#rate-tt-0").click(position={"x": 5, "y": 5})  # focus the first axis, as a user would
            for key in ["y", "4", "0", "y", "3", "2", "y", "5", "0"]:
                pa.keyboard.press(key)
            pa.keyboard.press("b")
            _wait(lambda: len(_rows(app.store, ua.id)) == 3, what="A's autosaved drafts")

            # A refresh keeps B's draft: the page restores the open item and its values from the database.
            _wait(lambda: any((r.comment or "").startswith("B 的备注") for r in _rows(app.store, ub.id)),
                  what="B's comment draft")
            pb.reload()
            pb.get_by_role("tab", name="Rate").click()
            pb.locator("#rate-col-0").wait_for(state="visible")
            _wait(lambda: "B 的备注" in pb.locator("#rate-comment-0 textarea").input_value(), what="restored comment")
            assert pb.locator("#rate-q-0 input[value='3']").is_checked()

            # A submits with Enter and at once presses N: the next item comes after the submit's answer,
            # never the submitted item again (the two events run concurrently on the server).
            pa.keyboard.press("Enter")
            pa.keyboard.press("n")
            _wait(lambda: len(_rows(app.store, ua.id, "submitted")) == 3, what="A's submit")
            first_item = held[ua.id].item_id
            _wait(lambda: f"Item #{first_item}" not in pa.locator("#rate-item-info").inner_text()
                  and "Item #" in pa.locator("#rate-item-info").inner_text(), what="A's next item")

            # B finishes with the mouse.
            for i in range(3):
                if i:
                    _radio(pb, f"rate-tt-{i}", "mixed")
                    _radio(pb, f"rate-q-{i}", "2")
                _radio(pb, f"rate-s-{i}", "N/A")
            _radio(pb, "rate-pref", "tie")
            pb.locator("#rate-submit").click()
            _wait(lambda: len(_rows(app.store, ub.id, "submitted")) == 3, what="B's submit")

            assert pa.evaluate("window.__xss") is None and pb.evaluate("window.__xss") is None
            pb.screenshot(path=str(ARTIFACTS / "rate_tab.png"), full_page=True)
            ctx_a.close()
            ctx_b.close()
            browser.close()

        with app.store.session() as s:
            assigns = {a.user_id: a for a in s.scalars(select(Assignment).where(Assignment.item_id == first_item))}
            prefs = {p.user_id: p for p in s.scalars(select(Preference))}
        ra = sorted(_rows(app.store, ua.id, "submitted"), key=lambda r: r.display_slot)
        rb = sorted(_rows(app.store, ub.id, "submitted"), key=lambda r: r.display_slot)
        # Each annotator's answers are theirs, with the order they were shown stored on every row.
        for rows, uid in ((ra, ua.id), (rb, ub.id)):
            assert [r.display_slot for r in rows] == [0, 1, 2]
            assert all(r.display_order == assigns[uid].display_order and r.blind for r in rows)
        assert assigns[ua.id].display_order != assigns[ub.id].display_order  # counterbalanced between them
        assert {r.generation_id for r in ra} == {r.generation_id for r in rb}
        # A's keyboard answers: 4, N/A, 3, 2, 5, N/A and "B best".
        assert [r.scores for r in ra] == [
            {"questioning": 4, "suggestion": "na"}, {"questioning": 3, "suggestion": 2},
            {"questioning": 5, "suggestion": "na"}]
        with app.store.session() as s:  # Y took the classifier's suggestion, which the store keeps apart
            suggested = {g.generation_id: g.value for g in s.scalars(select(Suggestion))}
        assert [r.turn_type for r in ra] == [suggested[r.generation_id] for r in ra]
        assert [r.turn_type for r in rb] == ["question", "mixed", "mixed"]
        assert prefs[ua.id].outcome == "best" and prefs[ua.id].status == "submitted"
        assert prefs[ua.id].winner_generation_id == prefs[ua.id].shown[1]
        assert prefs[ub.id].outcome == "tie"
        assert [r.scores["questioning"] for r in rb] == [3, 2, 2] and rb[0].comment == "B 的备注 " + XSS
        assert assigns[ua.id].completed_at is not None and assigns[ub.id].completed_at is not None
    finally:
        app.close()
