"""Chromium, in Chinese and English: pressing Stop shows its notice as a pop-up, and a dialogue stored by one
server is reopened from "My dialogues", continued and branched by the next server on the same store.

The columns are real OpenAI-compatible backends streaming from a local server (``tests/fake_openai.py``),
which records the messages each request carried: the continuation's prompt must hold the earlier turns.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from tests.browser import launch, require_chromium
from tests.chat_browser_support import (
    FIRST_MESSAGE,
    LOCALES,
    SLOW_CHUNKS,
    SLOW_DELAY_S,
    first_column,
    open_page,
    patient_turns,
    remote_app,
    remote_config,
    send_and_wait,
    send_then_stop,
    show_my_dialogues,
    t,
    wait_loaded,
)
from tests.fake_openai import FakeOpenAI
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import free_port, running_app
from workbench.services import build_services
from workbench.store.schema import Dialogue

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", list(LOCALES))
def test_stop_shows_its_notice_as_a_pop_up(tmp_path, locale):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = LOCALES[locale]
    with remote_app(tmp_path, SLOW_CHUNKS, delay_s=SLOW_DELAY_S) as (_svc, url, _model), sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, locale)
        wait_loaded(page, lang)
        send_then_stop(page, lang)
        # The notice is a pop-up (Gradio's toast), in the session's language.
        toast = page.locator(".toast-body")
        expect(toast.filter(has_text=t("chat.info.stopping", lang, n=1))).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        # Stop again once nothing streams: it says so (it used to say nothing, as if the press were lost)
        page.locator("#stop").click()
        expect(toast.filter(has_text=t("chat.info.nothing_to_stop", lang))).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        browser.close()


def _prompt(model: FakeOpenAI, request_index: int) -> str:
    """The messages one request to the model carried, as one text."""
    return "\n".join(str(m.get("content")) for m in model.requests[request_index]["body"].get("messages", []))


def _send_and_read_prompt(page, model: FakeOpenAI, text: str, lang: str) -> str:
    """Send ``text``, wait for the reply; the prompt the model was given for it."""
    before = len(model.requests)
    send_and_wait(page, text, lang)
    return _prompt(model, before)


def _wait_for_branch(page, svc, parent_id: int) -> Dialogue:
    """The branch of ``parent_id`` once the server has stored it (the page is polled, not slept on)."""
    deadline = time.monotonic() + BROWSER_TIMEOUT_MS / 1000
    while True:
        with svc.store.read() as s:
            branch = s.scalars(select(Dialogue).where(Dialogue.parent_id == parent_id)).one_or_none()
        if branch is not None or time.monotonic() > deadline:
            assert branch is not None, f"no branch of dialogue #{parent_id} was stored"
            return branch
        page.wait_for_timeout(100)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_dialogue_reopens_continues_and_branches_after_a_server_restart(tmp_path, locale):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = LOCALES[locale]
    reply = ["您好，", "请问咳嗽", "有痰吗？"]
    port = free_port()
    with FakeOpenAI(reply) as model, sync_playwright() as pw:
        browser = launch(pw)
        config = remote_config(tmp_path, model.base_url)

        # First server: chat, then stop the server (its memory, sessions and random keys are gone).
        svc = build_services(config)
        try:
            with running_app(svc, port=port) as url:
                page = open_page(browser, url.page, locale)
                wait_loaded(page, lang)
                send_and_wait(page, FIRST_MESSAGE, lang)
                [(dialogue_id, _)] = patient_turns(svc)
        finally:
            svc.close()

        # Second server on the same store and port (a new open-mode token): the same browser comes back.
        svc = build_services(config)
        try:
            with running_app(svc, port=port) as url:
                page.goto(url.page)
                wait_loaded(page, lang)
                chat = first_column(page)
                # The page reopens the dialogue it had open, from the store.
                expect(page.locator("#dialogue-info")).to_contain_text(f"#{dialogue_id}", timeout=BROWSER_TIMEOUT_MS)
                expect(chat).to_contain_text("请问咳嗽有痰吗？", timeout=BROWSER_TIMEOUT_MS)

                # "My dialogues" reopens it too (after starting another), from the database alone.
                page.locator("#new-dialogue").click()
                expect(chat).not_to_contain_text(FIRST_MESSAGE, timeout=BROWSER_TIMEOUT_MS)
                show_my_dialogues(page, lang)
                page.locator("#dialogue-list").get_by_text(FIRST_MESSAGE).last.click()
                expect(chat).to_contain_text(FIRST_MESSAGE, timeout=BROWSER_TIMEOUT_MS)
                expect(chat).to_contain_text("请问咳嗽有痰吗？")
                expect(page.locator("#dialogue-info")).to_contain_text(f"#{dialogue_id}")

                prompt = _send_and_read_prompt(page, model, "有黄痰，晚上更厉害", lang)
                assert [text for d, text in patient_turns(svc) if d == dialogue_id] == [
                    FIRST_MESSAGE, "有黄痰，晚上更厉害"]
                # The continuation's prompt carries the earlier turns: the first message and the reply.
                assert FIRST_MESSAGE in prompt and "请问咳嗽有痰吗？" in prompt and "有黄痰" in prompt

                # Branching from the reopened dialogue works too, and its history is the parent's.
                page.get_by_role("button", name=t("chat.branch", lang)).first.click()
                # The info line named the parent before the click too: wait for the branch row itself.
                branch = _wait_for_branch(page, svc, dialogue_id)
                expect(page.locator("#dialogue-info")).to_contain_text(re.compile(rf"#{branch.id}\b"),
                                                                       timeout=BROWSER_TIMEOUT_MS)
                expect(page.locator("#dialogue-info")).to_contain_text(re.compile(rf"#{dialogue_id}\b"))
                prompt = _send_and_read_prompt(page, model, "需要吃药吗", lang)
                assert [text for d, text in patient_turns(svc) if d == branch.id][-1] == "需要吃药吗"
                assert FIRST_MESSAGE in prompt and "有黄痰" in prompt and "需要吃药吗" in prompt
        finally:
            svc.close()
        browser.close()
