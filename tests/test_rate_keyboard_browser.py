"""Keyboard only: an annotator rates 10 items in Chromium with page.keyboard alone (no mouse), going back once
to change a submitted answer and skipping one item, which comes back at the end. The store is checked after."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rate_ui_support import TIMEOUT_MS, add_item, item_shown, open_rate_tab, rate_server, wait_until
from rating_fixtures import COLUMNS
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, require_chromium
from workbench.store.schema import Assignment, Preference, Rating, RatingVersion

pytestmark = pytest.mark.browser
N_ITEMS = 10


def test_ten_items_by_keyboard_with_one_undo_and_one_skip(tmp_path):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(N_ITEMS):
            add_item(svc.store, [f"咳嗽{i}天了吗？有没有发烧？", f"建议多喝水，注意休息（{i}）。"])
        uid = svc.auth.lookup("ann").id
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "zh", keyboard_only=True)
            kb = page.keyboard
            seen: list[int] = []

            def moved_on(before: int | None) -> int | None:
                wait_until(lambda: item_shown(page) != before
                           or page.locator("#rate-submit").is_disabled(), what=f"the item after #{before}")
                return item_shown(page) if not page.locator("#rate-submit").is_disabled() else None

            def rate(score: str) -> int | None:
                item = item_shown(page)
                seen.append(item)
                for _ in range(2):  # per reply: accept the suggested turn type, a score, N/A
                    kb.press("y")
                    kb.press(score)
                    kb.press("0")
                kb.press("a")  # reply A is best
                kb.press("Enter")  # submit and open the next item
                return moved_on(item)

            kb.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            # the N/A option reads in the page's language (its value, what 0 picks, stays N/A)
            assert page.locator(".rate-axis label").filter(has_text="不适用").count() >= 1
            assert page.locator(".rate-axis label").filter(has_text="N/A").count() == 0
            rate("4")
            rate("4")
            skipped = item_shown(page)
            kb.press("s")
            moved_on(skipped)
            rate("4")
            back_to = item_shown(page)
            after_back = rate("4")
            kb.press("u")  # back to the item just submitted
            wait_until(lambda: item_shown(page) == back_to, what="the previous item")
            expect(page.locator("#rate-q-0 input[value='4']")).to_be_checked()
            # every answer drawn (a key with none framed goes to the first axis not answered: on this item, the first)
            expect(page.locator(".rate-axis input:checked")).to_have_count(6)
            kb.press("y")
            kb.press("2")  # change its first reply's questioning score
            kb.press("Enter")
            wait_until(lambda: item_shown(page) == after_back, what="the held item again")
            while True:
                if rate("5") is None:
                    break
            expect(page.locator("#rate-submit")).to_be_disabled(timeout=TIMEOUT_MS)
            markup = page.content()
            assert not any(c in markup for c in COLUMNS)  # blind: never a model name
            page.screenshot(path=str(ARTIFACTS / "rate_keyboard.png"), full_page=True)
            ctx.close()
            browser.close()

        assert sorted(seen) == sorted(set(seen)) == list(range(1, N_ITEMS + 1))
        assert seen[-1] == skipped  # the skipped item came back after the new ones
        with svc.store.session() as s:
            assigns = list(s.scalars(select(Assignment).where(Assignment.user_id == uid)))
            rows = list(s.scalars(select(Rating).where(Rating.user_id == uid)))
            prefs = list(s.scalars(select(Preference).where(Preference.user_id == uid)))
            versions = list(s.scalars(select(RatingVersion)))
            back_item = next(a for a in assigns if a.item_id == back_to)
            order = back_item.display_order
            from workbench.store.schema import Generation, QueueItem

            back_dialogue = s.get(QueueItem, back_to).dialogue_id

            gens = {g.id: g for g in s.scalars(select(Generation))}
        assert len(assigns) == N_ITEMS and all(a.completed_at and not a.skipped_at for a in assigns)
        assert max(assigns, key=lambda a: a.completed_at).item_id == skipped
        assert len(rows) == 2 * N_ITEMS and all(r.status == "submitted" and r.turn_type for r in rows)
        assert len(prefs) == N_ITEMS and all(p.status == "submitted" and p.outcome == "best" for p in prefs)
        # The undo: reply A of that item has a second version with the new score; the first is kept.
        first = next(r for r in rows if gens[r.generation_id].column_name == order[0]
                     and gens[r.generation_id].dialogue_id == back_dialogue)
        assert first.scores["questioning"] == 2 and first.version == 2
        assert [v.snapshot["scores"]["questioning"] for v in versions if v.rating_id == first.id] == [4, 2]
        assert {r.scores["questioning"] for r in rows if r.id != first.id and gens[r.generation_id].dialogue_id == back_dialogue} == {4}


def test_the_axis_keys_rate_is_scrolled_into_view_on_a_laptop_screen(tmp_path):
    """At 1280x720 the replies start below the fold: digits rated an axis nobody could see."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, [f"咳嗽几天了？有没有发烧？（{c}）" for c in COLUMNS])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.set_viewport_size({"width": 1280, "height": 720})
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            # The item line is drawn before the replies' boxes; a key pressed between the two frames nothing.
            page.locator(".rate-axis").first.wait_for(state="visible")

            def framed_in_view() -> bool:
                return page.evaluate("""() => {
                    const el = document.querySelector('.rate-axis.rate-focus');
                    if (!el) return false;
                    const r = el.getBoundingClientRect();
                    return r.top >= -1 && r.bottom <= window.innerHeight + 1;  // layout rounds to fractions of a pixel
                }""")

            for key in ["y", "]", "]", "]", "]", "]", "]"]:  # down the axes of every reply
                page.keyboard.press(key)
                wait_until(framed_in_view, timeout=10, what=f"the framed axis in view after {key!r}")
            # The frame itself is drawn where it can be seen: an outline outside the axis was clipped by
            # Gradio's form boxes, leaving only a faint tint. The axis's edge pixels are the frame's orange.
            from io import BytesIO

            from PIL import Image

            shot = Image.open(BytesIO(page.locator(".rate-axis.rate-focus").screenshot())).convert("RGB")
            w, h = shot.size
            for x, y in ((2, h // 2), (w - 3, h // 2), (w // 2, 2), (w // 2, h - 3)):
                r, g, b = shot.getpixel((x, y))
                assert r > 220 and 130 < g < 190 and b < 80, ((x, y), (r, g, b))
            ctx.close()
            browser.close()


def test_next_on_the_open_item_says_why_it_stays_and_keeps_what_is_answered(tmp_path):
    """N (Next item) on an open item did nothing visible: the same item stayed, with no word why."""
    from playwright.sync_api import sync_playwright

    from workbench.ui import i18n

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(2):
            add_item(svc.store, [f"咳嗽几天了？（{i}）", f"多喝水（{i}）。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            page.keyboard.press("y")
            page.keyboard.press("4")  # the first reply's questioning
            checked = "#rate-col-0 input[type=radio][value='4']:checked"
            page.locator(checked).first.wait_for()
            expect(page.locator("#rate-saved")).to_contain_text("saved")  # its autosave has answered
            page.keyboard.press("n")
            still = i18n.t("rate.still_open", "en", item=1).split(":")[0]
            expect(page.locator("#rate-saved")).to_contain_text(still)
            assert item_shown(page) == 1
            assert page.locator(checked).count() == 1  # the answer given stays on the page
            ctx.close()
            browser.close()


def test_enter_on_a_focused_button_presses_that_button_not_submit(tmp_path):
    """Tab to Skip (or Back) and Enter: the focused button acts. The page's Enter shortcut clicked Submit instead,
    so a keyboard user going back submitted the open item."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        for i in range(3):
            add_item(svc.store, [f"咳嗽几天了？（{i}）", f"多喝水（{i}）。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            for _ in range(2):  # every answer given: Enter alone would submit
                for key in ("y", "4", "0"):
                    page.keyboard.press(key)
            page.keyboard.press("a")
            page.locator("#rate-col-1 input[type=radio][value='N/A']:checked").first.wait_for()
            page.locator("#rate-skip").focus()
            page.keyboard.press("Enter")
            wait_until(lambda: item_shown(page) == 2, what="the item after the skipped one")
            with svc.store.read() as s:
                assert s.scalars(select(RatingVersion)).all() == []  # skipped, not submitted (drafts are saved)
                first = s.scalars(select(Assignment).order_by(Assignment.id)).first()
                assert first.completed_at is None and first.skipped_at is not None
            ctx.close()
            browser.close()


def test_each_choice_is_one_tab_stop_and_arrow_keys_move_within_it(tmp_path):
    """Walk 11: Gradio names each radio input on its own, so Tab stopped on every option (about sixty stops across
    three boxes) and the arrow keys did nothing. Each choice is now one Tab stop, the arrow keys move the answer
    within it, and an answer given that way is stored like a click's."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽几天了？", "多喝水。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            focused = ("() => { const e = document.activeElement; const b = e.closest('.block');"
                       " return [e.type || e.tagName, e.value || '', b ? b.id : '']; }")
            stops = []
            page.locator("#rate-col-0 .rate-axis input[type=radio]").first.focus()
            for _ in range(5):
                stops.append(page.evaluate(focused))
                page.keyboard.press("Tab")
            # the turn type, questioning and suggestion: one stop each, then the safety flag
            assert [(t, b) for t, _v, b in stops[:4]] == [("radio", "rate-tt-0"), ("radio", "rate-q-0"),
                                                         ("radio", "rate-s-0"), ("checkbox", "rate-safety-0")]
            for _ in range(4):  # back from the correction box to questioning, where nothing is chosen yet
                page.keyboard.press("Shift+Tab")
            assert page.evaluate(focused) == ["radio", "1", "rate-q-0"]
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.locator("#rate-col-0 input[type=radio][value='4']:checked").first.wait_for()
            assert page.evaluate(focused)[:2] == ["radio", "4"]
            assert page.locator("#rate-col-0 .rate-axis input[type=radio]:checked").count() == 1

            def stored() -> list:
                with svc.store.read() as s:
                    return [r.scores.get("questioning") for r in s.scalars(select(Rating))]

            # each arrow key's choice is autosaved like a click's: the last one is what the store holds
            wait_until(lambda: stored() == [4], what="the draft's questioning score 4")
            ctx.close()
            browser.close()


def test_a_key_with_no_axis_framed_goes_to_the_first_one_not_answered(tmp_path):
    """Walk 11: on an item reopened with its draft (turn type chosen), a digit pressed before anything else went to
    the first axis, the turn type, and replaced the restored answer. It now goes to the first axis not answered."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽几天了？", "多喝水。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            page.keyboard.press("1")  # the first reply's turn type: its first choice
            page.locator("#rate-col-0 .rate-tt input[type=radio][value='question']:checked").wait_for()
            expect(page.locator("#rate-saved")).to_contain_text("saved")
            page.reload()  # the draft comes back, with nothing framed
            page.locator("#rate-col-0 .rate-tt input[type=radio][value='question']:checked").wait_for()
            page.wait_for_function("() => window.__toastTitles === true")
            page.keyboard.press("3")
            page.locator("#rate-q-0 input[type=radio][value='3']:checked").wait_for()
            assert page.locator("#rate-col-0 .rate-tt input[type=radio][value='question']:checked").count() == 1
            # and the frame moved on, as after any digit
            assert page.evaluate("() => document.querySelector('.rate-axis.rate-focus').id") == "rate-s-0"
            ctx.close()
            browser.close()


def test_the_keyboard_focus_follows_the_frame_a_digit_moves(tmp_path):
    """Walk 11: a digit on a focused choice moved the frame to the next axis, but the browser's focus stayed behind,
    so an arrow key then changed the axis just answered."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽几天了？", "多喝水。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == 1, what="the first item")
            page.locator("#rate-q-0 input[type=radio]").first.focus()
            page.keyboard.press("4")  # questioning 4; the frame moves to suggestion
            page.locator("#rate-q-0 input[type=radio][value='4']:checked").wait_for()
            page.keyboard.press("Space")
            page.keyboard.press("ArrowRight")  # moves suggestion's choice, not questioning's
            page.locator("#rate-s-0 input[type=radio][value='2']:checked").wait_for()
            assert page.locator("#rate-q-0 input[type=radio][value='4']:checked").count() == 1
            ctx.close()
            browser.close()
