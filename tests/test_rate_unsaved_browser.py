"""Typing in the Rate tab's comment box, in Chromium with logins on. Gradio's Textbox announces typing from
keypress only, which a Chinese input method never fires: a comment typed with one was saved only when the box
lost focus, and a reload before that lost it. Now such typing is saved as it is typed, and the browser asks
before leaving while typing waits for its save (and not once the save has answered)."""

from __future__ import annotations

import pytest
from rate_ui_support import first_item_open, wait_until
from sqlalchemy import select

from workbench.store.schema import Rating

pytestmark = pytest.mark.browser


def _comments(svc) -> list[str]:
    with svc.store.session() as s:
        return [r.comment for r in s.scalars(select(Rating)) if r.comment]


def _type_with_an_input_method(ctx, page, pinyin: str, text: str) -> None:
    """What Chromium receives from a Chinese input method: a key it processes, a composition, the committed text
    (no keypress)."""
    cdp = ctx.new_cdp_session(page)
    cdp.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "windowsVirtualKeyCode": 229, "key": "Process",
                                        "code": "KeyH"})
    cdp.send("Input.imeSetComposition", {"text": pinyin, "selectionStart": len(pinyin), "selectionEnd": len(pinyin)})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "windowsVirtualKeyCode": 72, "key": "h", "code": "KeyH"})
    cdp.send("Input.insertText", {"text": text})


def test_a_comment_typed_with_an_input_method_is_saved_while_the_box_keeps_focus(tmp_path):
    with first_item_open(tmp_path) as (svc, ctx, page):
        box = page.locator("#rate-comment-0 textarea")
        box.click()
        _type_with_an_input_method(ctx, page, "haiyao", "还要问过敏史")
        wait_until(lambda: _comments(svc) == ["还要问过敏史"], what="the comment saved with the box still focused")
        assert page.evaluate("() => document.activeElement === document.querySelector('#rate-comment-0 textarea')")
        # Backspace fires no keypress either: the shorter comment is saved as well.
        page.keyboard.press("Backspace")
        wait_until(lambda: _comments(svc) == ["还要问过敏"], what="the comment saved after a Backspace")


def test_leaving_with_typing_not_yet_saved_asks_first(tmp_path):
    from playwright.sync_api import Error as PlaywrightError

    with first_item_open(tmp_path) as (svc, _ctx, page):
        asked: list[str] = []

        def stay(dialog):
            asked.append(dialog.type)
            dialog.dismiss()  # "stay on the page"

        page.on("dialog", stay)
        # Hold the page's requests to the server: the comment's autosave cannot answer before the leaving.
        held, holding = [], [True]

        def hold(route):
            held.append(route) if holding[0] else route.continue_()

        page.route("**/gradio_api/queue/join**", hold)
        page.locator("#rate-comment-0 textarea").click()
        page.keyboard.type("ask about allergies")
        page.wait_for_timeout(300)  # (a sync Playwright route is handled only while Playwright waits)
        assert held, "the autosave was sent"
        page.close(run_before_unload=True)
        page.wait_for_timeout(500)
        assert asked == ["beforeunload"] and not page.is_closed()
        # Once the save has answered, leaving asks nothing.
        holding[0] = False
        for route in held:
            route.continue_()
        for _ in range(600):
            if _comments(svc) == ["ask about allergies"]:
                break
            page.wait_for_timeout(100)
        assert _comments(svc) == ["ask about allergies"]
        page.wait_for_timeout(500)
        page.close(run_before_unload=True)
        try:
            page.wait_for_timeout(500)  # a dialog, if one came, is answered meanwhile
        except PlaywrightError:
            pass  # closed without asking
        assert asked == ["beforeunload"] and page.is_closed()


def test_typing_answered_by_saves_within_one_second_does_not_ask(tmp_path):
    """Walk 7: a comment typed quickly is saved by a few saves within one second, and those write the same saved
    line: the page saw the line unchanged after the last keystroke and asked before leaving (and Stay left a page
    half in another language after a language switch). Leaving asks nothing once a save sent after the last
    keystroke has answered."""
    from playwright.sync_api import Error as PlaywrightError

    with first_item_open(tmp_path) as (svc, _ctx, page):
        asked: list[str] = []

        def stay(dialog):
            asked.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", stay)
        page.locator("#rate-comment-0 textarea").click()
        page.keyboard.type("hello world", delay=20)
        wait_until(lambda: _comments(svc) == ["hello world"], what="the comment saved")
        page.wait_for_timeout(1500)  # every save has answered
        page.close(run_before_unload=True)
        try:
            page.wait_for_timeout(500)  # a dialog, if one came, is answered meanwhile
        except PlaywrightError:
            pass  # closed without asking
        assert asked == [] and page.is_closed()
