"""Chromium, in Chinese and English: the Chat tab's keys, stopped replies, the trash icon, the preview boxes,
one font, no missing glyphs, and "My dialogues" for an annotator (their own) and a researcher (everyone's).

The columns are real OpenAI-compatible backends streaming from a local server (``tests/fake_openai.py``):
fast where speed does not matter, slow where a reply must still be streaming when Stop is pressed.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import select

from tests.browser import launch, require_chromium
from tests.chat_browser_support import (
    LOCALES,
    SLOW_CHUNKS,
    SLOW_DELAY_S,
    first_column,
    open_dialogue_number,
    open_page,
    patient_turns,
    remote_app,
    send_and_wait,
    send_then_stop,
    show_my_dialogues,
    t,
    wait_done,
    wait_loaded,
)
from tests.ui_login import BROWSER_TIMEOUT_MS
from workbench.store.schema import Dialogue, Generation, User

pytestmark = pytest.mark.browser
REPLY = ["您好，", "头疼", "多久了？"]


def font_coverage() -> set[int]:
    """Every code point some installed font has a glyph for (fontconfig's charsets)."""
    covered: set[int] = set()
    out = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, check=True).stdout
    for part in out.split():
        lo, _, hi = part.partition("-")
        covered.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return covered


def missing_glyphs(text: str, covered: set[int]) -> set[str]:
    # Variation selectors and zero-width characters draw nothing by design.
    invisible = {0xFE0E, 0xFE0F, 0x200B, 0x200C, 0x200D, 0x2060}
    return {c for c in text if ord(c) > 0x7F and ord(c) not in covered and ord(c) not in invisible
            and not c.isspace()}


@pytest.mark.parametrize("locale", list(LOCALES))
def test_enter_sends_shift_enter_adds_a_line_preview_boxes_and_trash(tmp_path, locale):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = LOCALES[locale]
    with remote_app(tmp_path, REPLY) as (svc, url, _model), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, locale)
        wait_loaded(page, lang)
        box = page.locator("#patient-message textarea")
        expect(box).to_have_attribute("placeholder", t("chat.placeholder", lang))
        box.click()
        box.type("头疼三天了")
        box.press("Shift+Enter")
        box.type("还有点发烧")
        # Shift+Enter is a new line in the box, not a send.
        expect(box).to_have_value("头疼三天了\n还有点发烧")
        assert patient_turns(svc) == []
        box.press("Enter")
        expect(box).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
        wait_done(page, lang)
        assert [text for _, text in patient_turns(svc)] == ["头疼三天了\n还有点发烧"]
        with svc.store.read() as s:
            last_input = s.scalars(select(Generation.input_text)).one()

        # Preview: its own box, labelled as a preview; the last reply's exact input stays as it was.
        page.locator("#model-input-0").get_by_text(t("chat.model_input", lang)).click()
        last_box = page.locator("#last-input-0")
        preview_box = page.locator("#preview-input-0")
        expect(last_box).to_contain_text(t("chat.last_input", lang))
        expect(preview_box).to_contain_text(t("chat.preview_input", lang))
        expect(last_box.locator("textarea")).to_have_value(last_input)
        box.fill("还需要做什么检查？")
        page.locator("#preview").click()
        expect(preview_box.locator("textarea")).to_have_value(re.compile("还需要做什么检查"),
                                                               timeout=BROWSER_TIMEOUT_MS)
        expect(last_box.locator("textarea")).to_have_value(last_input)
        assert "还需要做什么检查" not in last_input

        # The Chatbot's trash icon starts a new dialogue: every column is empty and the next message
        # goes to a new dialogue, not back into the one whose display was cleared.
        # Gradio's own label of the icon, in its own catalogue: "Clear" / "清空对话".
        first_column(page).get_by_role("button", name=re.compile("^(Clear|清空)")).click()
        expect(page.locator("#dialogue-info")).to_contain_text(t("chat.info.new", lang).split("：")[0].split(":")[0],
                                                               timeout=BROWSER_TIMEOUT_MS)
        expect(first_column(page)).not_to_contain_text("头疼三天了")
        box.fill("嗓子疼")
        box.press("Enter")
        wait_done(page, lang)
        turns = patient_turns(svc)
        assert [text for _, text in turns] == ["头疼三天了\n还有点发烧", "嗓子疼"]
        assert turns[0][0] != turns[1][0]
        browser.close()


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_stopped_reply_is_marked_and_stays_marked(tmp_path, locale):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = LOCALES[locale]
    covered = font_coverage()
    with (remote_app(tmp_path, SLOW_CHUNKS, delay_s=SLOW_DELAY_S) as (svc, url, model),
          sync_playwright() as pw):
        browser = launch(pw)
        page = open_page(browser, url.page, locale)
        wait_loaded(page, lang)

        def no_missing_glyphs_while_streaming() -> None:
            status = page.locator("#column-status-0")
            # Nothing on the page while streaming is drawn as a missing-glyph box.
            assert not missing_glyphs(page.locator("body").inner_text(), covered)
            assert not missing_glyphs(status.inner_text(), covered), status.inner_text()

        status = send_then_stop(page, lang, while_streaming=no_missing_glyphs_while_streaming)
        marker = t("chat.bubble.stopped", lang)
        bubble = first_column(page)
        expect(bubble.locator(".reply-stopped")).to_have_text(re.compile(re.escape(marker)))
        with svc.store.read() as s:
            g = s.scalars(select(Generation)).one()
        assert g.status == "stopped" and 0 < len(g.output) < len("".join(model.chunks))

        # A reload finds the dialogue again, still marked.
        page.reload()
        wait_loaded(page, lang)
        expect(page.locator("#dialogue-info")).to_contain_text(f"#{g.dialogue_id}", timeout=BROWSER_TIMEOUT_MS)
        expect(bubble.locator(".reply-stopped")).to_have_text(re.compile(re.escape(marker)))
        expect(status).to_contain_text(t("chat.status.stopped", lang))

        # So does reopening it from "My dialogues" after starting another.
        page.locator("#new-dialogue").click()
        expect(bubble.locator(".reply-stopped")).to_have_count(0, timeout=BROWSER_TIMEOUT_MS)
        show_my_dialogues(page, lang)
        open_dialogue_number(page, g.dialogue_id)
        expect(bubble.locator(".reply-stopped")).to_have_text(re.compile(re.escape(marker)),
                                                              timeout=BROWSER_TIMEOUT_MS)
        browser.close()


def test_regenerate_buttons_are_greyed_out_while_a_regeneration_runs(tmp_path):
    """A second Regenerate click during a regeneration used to vanish without a word: every Regenerate button
    is now greyed out until the regeneration ends (here by Stop), then usable again."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = "en"
    with (remote_app(tmp_path, SLOW_CHUNKS, delay_s=SLOW_DELAY_S, columns=("Remote", "Other")) as (svc, url, _m),
          sync_playwright() as pw):
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, lang)
        send_then_stop(page, lang)
        buttons = [page.locator("#regenerate-all"), page.locator("#regenerate-0"), page.locator("#regenerate-1")]
        for button in buttons:
            expect(button).to_be_enabled(timeout=BROWSER_TIMEOUT_MS)
        page.locator("#regenerate-0").click()
        expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.streaming", lang),
                                                                 timeout=BROWSER_TIMEOUT_MS)
        for button in buttons:
            expect(button).to_be_disabled(timeout=BROWSER_TIMEOUT_MS)
        page.locator("#stop").click()
        expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.stopped", lang),
                                                                 timeout=BROWSER_TIMEOUT_MS)
        for button in buttons:
            expect(button).to_be_enabled(timeout=BROWSER_TIMEOUT_MS)
        with svc.store.read() as s:
            statuses = sorted((g.column_name, g.status) for g in s.scalars(select(Generation)))
        # the send's two stopped replies, and one regenerated (then stopped) reply of the first column only
        assert statuses == [("Other", "stopped"), ("Remote", "stopped"), ("Remote", "stopped")], statuses
        browser.close()


# Slow enough that a message sent during Regenerate all lands while it still streams.
REGENERATION_CHUNKS = [f"第{i}句。" for i in range(12)]
REGENERATION_DELAY_S = 0.25


def start_a_regeneration_after_a_first_message(page, lang: str) -> None:
    """Sends 咳嗽三天了, waits for its replies, then clicks Regenerate all and waits until the replies stream."""
    from playwright.sync_api import expect

    send_and_wait(page, "咳嗽三天了", lang)
    page.locator("#regenerate-all").click()
    expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.streaming", lang),
                                                             timeout=BROWSER_TIMEOUT_MS)


def test_a_message_waiting_for_a_regeneration_leaves_the_box_and_what_is_typed_meanwhile_stays(tmp_path):
    """A message sent during Regenerate all waited in the box, and when it went the box was cleared: text added
    meanwhile was lost without a word, and a second Enter sent the emptied box ("the message is empty"), or later
    whatever was typed next. The message now leaves the box at once with a note that it waits; what is typed
    meanwhile stays and goes only with its own Enter. A message Entered while replies stream goes as it was at Enter,
    not with what was typed after it (half a word went)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = "en"
    with (remote_app(tmp_path, REGENERATION_CHUNKS, delay_s=REGENERATION_DELAY_S) as (svc, url, _m),
          sync_playwright() as pw):
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, lang)
        box = page.locator("#patient-message textarea")
        start_a_regeneration_after_a_first_message(page, lang)
        box.fill("晚上咳得更厉害。")
        box.press("Enter")
        box.press("Enter")  # a second Enter on the emptied box commits nothing (it sent what was typed next)
        expect(box).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
        expect(page.locator("#dialogue-info")).to_contain_text("晚上咳得更厉害。", timeout=BROWSER_TIMEOUT_MS)
        regenerating = page.locator("#regenerate-all").is_disabled()
        box.type("还发烧")
        expect(first_column(page)).to_contain_text("晚上咳得更厉害。", timeout=BROWSER_TIMEOUT_MS)
        wait_done(page, lang)
        expect(box).to_have_value("还发烧")
        box.press("Enter")
        expect(first_column(page)).to_contain_text("还发烧", timeout=BROWSER_TIMEOUT_MS)
        wait_done(page, lang)
        expect(box).to_have_value("")
        # Enter while the replies stream, then more typing: the text as it was at Enter goes, the rest stays
        streaming = page.locator("#column-status-0")
        box.fill("白天还好")
        box.press("Enter")
        expect(streaming).to_contain_text(t("chat.status.streaming", lang), timeout=BROWSER_TIMEOUT_MS)
        box.fill("只是有点累")
        box.press("Enter")
        box.type("，胃口也差", delay=100)
        expect(first_column(page)).to_contain_text("只是有点累", timeout=BROWSER_TIMEOUT_MS)
        wait_done(page, lang)
        expect(box).to_have_value("，胃口也差")
        toasts = page.locator(".toast-body").all_inner_texts()
        browser.close()
    assert regenerating, "the regeneration had ended before the message was sent: nothing tested"
    assert [text for _d, text in patient_turns(svc)] == ["咳嗽三天了", "晚上咳得更厉害。", "还发烧", "白天还好", "只是有点累"]
    assert not any("message is empty" in x for x in toasts), toasts  # the second Enter said nothing


# Undoes what the page script did for one press (its commit and its count of presses), between its capture listener
# (on the document) and Gradio's own handler (on the element, after it): the state of a press made before the script
# ran.
UNSEEN_PRESS_JS = """([selector, kind]) => {
  document.querySelector(selector).addEventListener(kind, () => {
    window.__chatCommitted = undefined;
    window.__chatPressCount -= 1;
  }, { capture: true, once: true });
}"""
# Two Enters in one go, as a fast double press lands before the first send has read its text.
DOUBLE_ENTER_JS = """() => {
  const box = document.querySelector('#patient-message textarea');
  for (let i = 0; i < 2; i++) {
    for (const type of ['keydown', 'keypress', 'keyup']) {
      box.dispatchEvent(new KeyboardEvent(type, { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true }));
    }
  }
}"""


def test_a_press_the_page_script_did_not_see_still_sends_the_box(tmp_path):
    """The page script that commits each press runs once the page is ready, after Send and Enter already work: a
    Send clicked (or an Enter pressed) in between went nowhere, the text left in the box without a word (seen once
    in CI, 1 send in ~4,000). A press the script did not commit sends the box as Gradio read it."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = "en"
    with remote_app(tmp_path, REPLY) as (svc, url, _m), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, lang)
        box = page.locator("#patient-message textarea")
        sent = first_column(page).locator('[data-testid="user"]')
        page.evaluate(UNSEEN_PRESS_JS, ["#send", "click"])
        box.fill("咳嗽三天了")
        page.locator("#send").click()
        expect(sent).to_have_count(1, timeout=BROWSER_TIMEOUT_MS)
        expect(box).to_have_value("")
        wait_done(page, lang)
        page.evaluate(UNSEEN_PRESS_JS, ["#patient-message textarea", "keydown"])
        box.fill("晚上更厉害")
        box.press("Enter")
        expect(sent).to_have_count(2, timeout=BROWSER_TIMEOUT_MS)
        expect(box).to_have_value("")
        wait_done(page, lang)
        browser.close()
    assert [text for _d, text in patient_turns(svc)] == ["咳嗽三天了", "晚上更厉害"]


def test_a_double_enter_before_the_first_send_went_sends_nothing_typed_later(tmp_path):
    """Two Enters that both land before the first send has read the box (CI's timing, once in ~4,000 runs): the
    second send, held back by Gradio while the first waits for a regeneration, went with what was typed after it,
    with no Enter of its own. It sends nothing: the page script saw both presses, and the first send took the
    only text."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = "en"
    with (remote_app(tmp_path, REGENERATION_CHUNKS, delay_s=REGENERATION_DELAY_S) as (svc, url, _m),
          sync_playwright() as pw):
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, lang)
        box = page.locator("#patient-message textarea")
        start_a_regeneration_after_a_first_message(page, lang)
        box.fill("晚上咳得更厉害。")
        page.evaluate(DOUBLE_ENTER_JS)
        expect(box).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
        regenerating = page.locator("#regenerate-all").is_disabled()
        box.type("还发烧")
        expect(first_column(page)).to_contain_text("晚上咳得更厉害。", timeout=BROWSER_TIMEOUT_MS)
        wait_done(page, lang)
        page.wait_for_timeout(1500)  # (a second send would have gone by now)
        expect(box).to_have_value("还发烧")
        browser.close()
    assert regenerating, "the regeneration had ended before the message was sent: nothing tested"
    assert [text for _d, text in patient_turns(svc)] == ["咳嗽三天了", "晚上咳得更厉害。"]


def test_a_message_sent_before_the_page_reopened_its_dialogue_continues_it(tmp_path):
    """After a reload the page reopens the dialogue the browser had open, a moment after its box works (walk 7): a
    message sent in between started a new dialogue with no history, and the page then showed the old one. It
    continues the dialogue the page is reopening. The page load's requests are held back here until the message
    has gone, as a slow load holds them."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = "en"
    with remote_app(tmp_path, REPLY) as (svc, url, _m), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "en-US")
        wait_loaded(page, lang)
        send_and_wait(page, "咳嗽三天了", lang)
        first = patient_turns(svc)[0][0]
        held = []
        message = "晚上更厉害"

        def hold_all_but_the_message(route, request):
            if "/queue/join" in request.url and message not in (request.post_data or ""):
                held.append(route)  # the page load's events: released once the message has gone
            else:
                route.continue_()

        page.route("**/*", hold_all_but_the_message)
        page.reload()
        box = page.locator("#patient-message textarea")
        box.fill(message)
        box.press("Enter")
        for _ in range(600):
            if len(patient_turns(svc)) == 2:
                break
            page.wait_for_timeout(100)
        sent_first = len(patient_turns(svc)) == 2
        for route in held:
            route.continue_()
        page.unroute("**/*")
        expect(page.locator("#dialogue-info")).to_contain_text(f"#{first}", timeout=BROWSER_TIMEOUT_MS)
        browser.close()
    assert held and sent_first, "the message did not go while the page load was held: nothing tested"
    assert patient_turns(svc) == [(first, "咳嗽三天了"), (first, message)]


def test_fonts_one_face_for_latin_and_chinese(tmp_path):
    """A heading's Latin letters are drawn in the body's face (checked on the glyphs Chromium used)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with remote_app(tmp_path, REPLY) as (_svc, url, _model), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "zh-CN")
        wait_loaded(page, "zh")
        family = page.evaluate("""() => {
            const f = s => getComputedStyle(document.querySelector(s)).fontFamily;
            return {body: f('body'), title: f('#app-title h2'), column: f('.column-header h3'),
                    button: f('#send'), text: f('#patient-message textarea')};
        }""")
        assert len(set(family.values())) == 1, family
        assert family["body"].startswith('"Noto Sans CJK SC"'), family
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]

        def faces(selector: str) -> set[str]:
            node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
            return {f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}

        title = page.locator("#app-title h2").inner_text()
        assert re.search("[A-Za-z]", title) and re.search("[\u4e00-\u9fff]", title)
        # Every glyph of the title (Latin and Chinese) and of a column heading ("A 栏"/"Remote") comes
        # from one font, the body's.
        assert faces("#app-title h2") == {"Noto Sans CJK SC"}
        assert faces(".column-header h3") == {"Noto Sans CJK SC"}
        browser.close()


def test_my_dialogues_annotator_sees_own_researcher_sees_everyones(tmp_path):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    users = {"ann1": "annotator", "ann2": "annotator", "rita": "researcher"}
    with (remote_app(tmp_path, REPLY, users=users, columns=("Remote-X", "Remote-Y")) as (svc, url, _model),
          sync_playwright() as pw):
        browser = launch(pw)
        n = len(svc.columns)

        def send(page, text: str, lang: str) -> None:
            send_and_wait(page, text, lang, columns=n)

        def list_text(page) -> str:
            return page.locator("#dialogue-list").inner_text()

        a2 = open_page(browser, url, "en-US", "ann2")
        wait_loaded(a2, "en")
        send(a2, "乙的问题：胃疼", "en")
        a1 = open_page(browser, url, "en-US", "ann1")
        wait_loaded(a1, "en")
        send(a1, "甲的问题：头晕", "en")
        d_ann1 = next(d for d, text in patient_turns(svc) if text.startswith("甲"))
        d_ann2 = next(d for d, text in patient_turns(svc) if text.startswith("乙"))

        # A reload keeps the way back: the same dialogue is shown again.
        a1.reload()
        wait_loaded(a1, "en")
        expect(a1.locator("#dialogue-info")).to_contain_text(f"#{d_ann1}", timeout=BROWSER_TIMEOUT_MS)
        expect(first_column(a1)).to_contain_text("甲的问题：头晕")

        # An annotator lists only their own dialogues, with no user filter, and cannot open another's.
        show_my_dialogues(a1, "en", everyone=False)
        a1.locator("#history-refresh").click()
        expect(a1.locator("#dialogue-list")).to_contain_text("甲的问题：头晕", timeout=BROWSER_TIMEOUT_MS)
        assert "乙的问题" not in list_text(a1)
        expect(a1.locator("#history-user")).to_be_hidden()
        a1.locator("#new-dialogue").click()
        expect(first_column(a1)).not_to_contain_text("甲的问题", timeout=BROWSER_TIMEOUT_MS)
        open_dialogue_number(a1, d_ann2)
        expect(a1.get_by_text(f"dialogue #{d_ann2} is not one you may open")).to_be_visible(
            timeout=BROWSER_TIMEOUT_MS)
        assert "乙的问题" not in first_column(a1).inner_text()

        # Reopen by clicking the row, continue it, then branch from a column's reply.
        a1.locator("#dialogue-list").get_by_text("甲的问题：头晕").last.click()
        expect(first_column(a1)).to_contain_text("甲的问题：头晕", timeout=BROWSER_TIMEOUT_MS)
        expect(a1.locator("#dialogue-info")).to_contain_text(f"#{d_ann1}")
        send(a1, "还有点恶心", "en")
        assert [text for d, text in patient_turns(svc) if d == d_ann1] == ["甲的问题：头晕", "还有点恶心"]
        a1.get_by_role("button", name=t("chat.branch", "en")).nth(1).click()
        expect(a1.locator("#dialogue-info")).to_contain_text(f"branched from #{d_ann1}", timeout=BROWSER_TIMEOUT_MS)
        # My dialogues lists the branch at once (no refresh): its row names the dialogue it branched from.
        expect(a1.locator("#dialogue-list")).to_contain_text(f"#{d_ann1}", timeout=BROWSER_TIMEOUT_MS)
        with svc.store.read() as s:
            branch = s.scalars(select(Dialogue).where(Dialogue.parent_id == d_ann1)).one()
        send(a1, "分支里的新问题", "en")
        assert [text for d, text in patient_turns(svc) if d == branch.id][-1] == "分支里的新问题"
        # The branch says where it came from after a send and after a reload (both said "Dialogue #n" only).
        origin = f"branched from #{d_ann1} at {t('chat.column', 'en', letter='B')}"
        expect(a1.locator("#dialogue-info")).to_contain_text(origin, timeout=BROWSER_TIMEOUT_MS)
        a1.reload()
        expect(a1.locator("#dialogue-info")).to_contain_text(origin, timeout=BROWSER_TIMEOUT_MS)
        # Blind: neither the list nor the columns name a model.
        panel = a1.locator("#send").locator("xpath=ancestor::*[@role='tabpanel'][1]").inner_html()
        assert "Remote-X" not in panel and "Remote-Y" not in panel
        assert t("chat.column", "en", letter="B") in a1.locator(".column-header h3").nth(1).inner_text()

        # A researcher (in Chinese) lists everyone's, filters by user and by text, and opens another's
        # dialogue read-only: sending there is refused, branching makes their own copy.
        r = open_page(browser, url, "zh-CN", "rita")
        wait_loaded(r, "zh")
        show_my_dialogues(r, "zh", everyone=True)
        expect(r.locator("#dialogue-list")).to_contain_text("乙的问题：胃疼", timeout=BROWSER_TIMEOUT_MS)
        expect(r.locator("#dialogue-list")).to_contain_text("甲的问题：头晕")
        expect(r.locator("#dialogue-list")).to_contain_text(t("chat.history.col.first", "zh"))
        r.locator("#history-user input").click()
        r.get_by_role("option", name="ann2").click()
        expect(r.locator("#dialogue-list")).not_to_contain_text("甲的问题", timeout=BROWSER_TIMEOUT_MS)
        expect(r.locator("#dialogue-list")).to_contain_text("乙的问题：胃疼")
        r.locator("#history-user input").click()
        r.get_by_role("option", name=t("chat.history.everyone", "zh")).click()
        r.locator("#history-text input, #history-text textarea").first.fill("恶心")
        r.locator("#history-refresh").click()
        expect(r.locator("#dialogue-list")).not_to_contain_text("乙的问题", timeout=BROWSER_TIMEOUT_MS)
        expect(r.locator("#dialogue-list")).to_contain_text("甲的问题：头晕")
        open_dialogue_number(r, d_ann2)
        expect(first_column(r)).to_contain_text("乙的问题：胃疼", timeout=BROWSER_TIMEOUT_MS)
        expect(r.locator("#dialogue-info")).to_contain_text("ann2")
        expect(r.locator(".column-header").first).to_contain_text("Remote-X")  # researchers see model names
        before = patient_turns(svc)
        r.locator("#patient-message textarea").fill("研究员想插一句")
        r.locator("#send").click()
        expect(r.get_by_text(re.compile(f"对话 #{d_ann2} 由 ann2 发起"))).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        # the refused message left the box when it went, and is back in it
        expect(r.locator("#patient-message textarea")).to_have_value("研究员想插一句", timeout=BROWSER_TIMEOUT_MS)
        assert patient_turns(svc) == before
        r.get_by_role("button", name=t("chat.branch", "zh")).first.click()
        expect(r.locator("#dialogue-info")).to_contain_text(f"从 #{d_ann2}", timeout=BROWSER_TIMEOUT_MS)
        with svc.store.read() as s:
            copy = s.scalars(select(Dialogue).where(Dialogue.parent_id == d_ann2)).one()
            assert copy.created_by == s.scalar(select(User.id).where(User.username == "rita"))
        browser.close()
