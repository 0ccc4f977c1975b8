"""Chromium, in Chinese and English: pressing Stop shows its notice as a pop-up, and a dialogue stored by one
server is reopened from "My dialogues", continued and branched by the next server on the same store.

The columns are real OpenAI-compatible backends streaming from a local server (``tests/fake_openai.py``),
which records the messages each request carried: the continuation's prompt must hold the earlier turns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.browser import launch, require_chromium
from tests.fake_openai import FakeOpenAI
from tests.test_chat_workflow_browser import (
    LOCALES,
    open_page,
    patient_turns,
    remote_app,
    remote_config,
    t,
    wait_loaded,
)
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import ServerURL, free_port, launch_app
from workbench.services import build_services
from workbench.store.schema import Dialogue
from workbench.ui.app import build_app
from workbench.web_guard import OpenModeGuard

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", list(LOCALES))
def test_stop_shows_its_notice_as_a_pop_up(tmp_path, locale):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    lang = LOCALES[locale]
    with (remote_app(tmp_path, [f"第{i}句。" for i in range(600)], delay_s=0.5) as (_svc, url, _model),
          sync_playwright() as pw):
        browser = launch(pw)
        page = open_page(browser, url.page, locale)
        wait_loaded(page, lang)
        page.locator("#patient-message textarea").fill("我咳嗽三天了")
        page.locator("#send").click()
        status = page.locator("#column-status-0")
        expect(status).to_contain_text(t("chat.status.streaming", lang), timeout=BROWSER_TIMEOUT_MS)
        page.locator("#stop").click()
        expect(status).to_contain_text(t("chat.status.stopped", lang), timeout=BROWSER_TIMEOUT_MS)
        # The notice is a pop-up (Gradio's toast), in the session's language.
        toast = page.locator(".toast-body")
        expect(toast.filter(has_text=t("chat.info.stopping", lang, n=1))).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        browser.close()


def _messages_text(request: dict) -> str:
    return "\n".join(str(m.get("content")) for m in request["body"].get("messages", []))


@contextmanager
def serving(svc, port: int, guard: OpenModeGuard) -> Iterator[ServerURL]:
    """The app on a fixed port, as a restarted server comes back on its configured one (same origin, so the
    browser keeps what it stored)."""
    demo = build_app(svc)
    launch_app(demo, svc, guard, port=port)
    try:
        yield ServerURL(f"http://127.0.0.1:{port}/", guard.token)
    finally:
        demo.close()


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
            with serving(svc, port, OpenModeGuard.create()) as url:
                page = open_page(browser, url.page, locale)
                wait_loaded(page, lang)
                page.locator("#patient-message textarea").fill("我咳嗽三天了")
                page.locator("#send").click()
                expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.done", lang),
                                                                         timeout=BROWSER_TIMEOUT_MS)
                [(dialogue_id, _)] = patient_turns(svc)
        finally:
            svc.close()

        # Second server on the same store and port (a new open-mode token): the same browser comes back.
        svc = build_services(config)
        try:
            with serving(svc, port, OpenModeGuard.create()) as url:
                page.goto(url.page)
                wait_loaded(page, lang)
                chat = page.locator(".column-chat").first
                # The page reopens the dialogue it had open, from the store.
                expect(page.locator("#dialogue-info")).to_contain_text(f"#{dialogue_id}", timeout=BROWSER_TIMEOUT_MS)
                expect(chat).to_contain_text("请问咳嗽有痰吗？", timeout=BROWSER_TIMEOUT_MS)

                # "My dialogues" reopens it too (after starting another), from the database alone.
                page.locator("#new-dialogue").click()
                expect(chat).not_to_contain_text("我咳嗽三天了", timeout=BROWSER_TIMEOUT_MS)
                page.locator("#my-dialogues").get_by_text(t("chat.history.title", lang)).click()
                page.locator("#dialogue-list").get_by_text("我咳嗽三天了").last.click()
                expect(chat).to_contain_text("我咳嗽三天了", timeout=BROWSER_TIMEOUT_MS)
                expect(chat).to_contain_text("请问咳嗽有痰吗？")
                expect(page.locator("#dialogue-info")).to_contain_text(f"#{dialogue_id}")

                before = len(model.requests)
                page.locator("#patient-message textarea").fill("有黄痰，晚上更厉害")
                page.locator("#send").click()
                expect(page.locator("#patient-message textarea")).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
                expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.done", lang),
                                                                         timeout=BROWSER_TIMEOUT_MS)
                assert [text for d, text in patient_turns(svc) if d == dialogue_id] == [
                    "我咳嗽三天了", "有黄痰，晚上更厉害"]
                # The continuation's prompt carries the earlier turns: the first message and the reply.
                prompt = _messages_text(model.requests[before])
                assert "我咳嗽三天了" in prompt and "请问咳嗽有痰吗？" in prompt and "有黄痰" in prompt

                # Branching from the reopened dialogue works too, and its history is the parent's.
                page.get_by_role("button", name=t("chat.branch", lang)).first.click()
                expect(page.locator("#dialogue-info")).to_contain_text(re.compile(rf"#{dialogue_id}\b"),
                                                                       timeout=BROWSER_TIMEOUT_MS)
                with svc.store.read() as s:
                    branch = s.scalars(select(Dialogue).where(Dialogue.parent_id == dialogue_id)).one()
                before = len(model.requests)
                page.locator("#patient-message textarea").fill("需要吃药吗")
                page.locator("#send").click()
                expect(page.locator("#patient-message textarea")).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
                expect(page.locator("#column-status-0")).to_contain_text(t("chat.status.done", lang),
                                                                         timeout=BROWSER_TIMEOUT_MS)
                assert [text for d, text in patient_turns(svc) if d == branch.id][-1] == "需要吃药吗"
                prompt = _messages_text(model.requests[before])
                assert "我咳嗽三天了" in prompt and "有黄痰" in prompt and "需要吃药吗" in prompt
        finally:
            svc.close()
        browser.close()
