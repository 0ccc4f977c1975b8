"""Shared by the Chat tab's Chromium tests: a real app whose columns stream from a local OpenAI-compatible
server (``tests/fake_openai.py``), a page in a chosen language, and the steps those tests repeat (send and
wait, stop a streaming reply, reopen a dialogue from "My dialogues")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fake_openai import FakeOpenAI
from tests.ui_login import BROWSER_TIMEOUT_MS, password_of
from tests.ui_server import running_app
from workbench.auth import upsert_user
from workbench.config import parse_config
from workbench.services import build_services
from workbench.store.schema import Turn
from workbench.ui.i18n import catalogue

#: browser locale -> the session language it gets
LOCALES = {"en-US": "en", "zh-CN": "zh"}
#: a reply that is still streaming when Stop is pressed: 600 chunks, one every half second
SLOW_CHUNKS = [f"第{i}句。" for i in range(600)]
SLOW_DELAY_S = 0.5
FIRST_MESSAGE = "我咳嗽三天了"


def t(key: str, lang: str, **fields: Any) -> str:
    return catalogue().t(key, lang, **fields)


def remote_config(tmp_path: Path, base_url: str, columns: tuple[str, ...] = ("Remote",), **annotation: Any):
    return parse_config({
        "database_url": f"sqlite:///{tmp_path / 'chat.db'}",
        "columns": [{"name": n, "backend": "openai-compatible", "base_url": base_url, "model_name": "fake",
                     "timeout_s": 60} for n in columns],
        "annotation": {"users_file": None, "annotators_per_item": 1, **annotation},
    }, "<chat browser test>")


@contextmanager
def remote_app(tmp_path: Path, chunks: list[str], *, delay_s: float = 0.0, users: dict[str, str] | None = None,
               columns: tuple[str, ...] = ("Remote",), hold_after: int | None = None,
               ) -> Iterator[tuple[Any, Any, FakeOpenAI]]:
    with FakeOpenAI(chunks, delay_s=delay_s, hold_after=hold_after) as model:
        svc = build_services(remote_config(tmp_path, model.base_url, columns), auth_enabled=bool(users))
        for name, role in (users or {}).items():
            upsert_user(svc.store, name, password_of(name), role)
        try:
            with running_app(svc) as url:
                yield svc, url, model
        finally:
            svc.close()


def open_page(browser, url: str, locale: str, username: str | None = None):
    ctx = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(url)
    if username:
        page.locator("input[type=text]").first.fill(username)
        page.locator("input[type=password]").first.fill(password_of(username))
        page.locator("button", has_text=re.compile("Login|登录")).first.click()
    page.locator("#send").wait_for(state="visible")
    return page


def wait_loaded(page, lang: str) -> None:
    """Page load has run: the Send button speaks the session's language, and the page scripts have run (the last of
    them, toast_titles.js, marks itself): they run once the page is ready, a moment after its buttons work."""
    from playwright.sync_api import expect

    expect(page.locator("#send")).to_have_text(t("chat.send", lang), timeout=BROWSER_TIMEOUT_MS)
    page.wait_for_function("() => window.__toastTitles === true", timeout=BROWSER_TIMEOUT_MS)


def patient_turns(svc) -> list[tuple[int, str]]:
    with svc.store.read() as s:
        return [(r.dialogue_id, r.text) for r in s.scalars(select(Turn).where(Turn.role == "patient").order_by(Turn.id))]


def first_column(page):
    """The first column's chat display."""
    return page.locator(".column-chat").first


def wait_done(page, lang: str, columns: int = 1) -> None:
    """Every column's status says its reply is done."""
    from playwright.sync_api import expect

    for i in range(columns):
        expect(page.locator(f"#column-status-{i}")).to_contain_text(t("chat.status.done", lang),
                                                                    timeout=BROWSER_TIMEOUT_MS)


def send_and_wait(page, text: str, lang: str, columns: int = 1) -> None:
    """Send ``text`` with the button; the box empties, the message is drawn (with the columns' statuses reset to
    waiting: a "done" seen after it is the new reply's) and every column's reply finishes."""
    from playwright.sync_api import expect

    sent = first_column(page).locator('[data-testid="user"]')
    before = sent.count()
    page.locator("#patient-message textarea").fill(text)
    page.locator("#send").click()
    expect(page.locator("#patient-message textarea")).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
    expect(sent).to_have_count(before + 1, timeout=BROWSER_TIMEOUT_MS)
    wait_done(page, lang, columns)


def send_then_stop(page, lang: str, text: str = FIRST_MESSAGE, *,
                   while_streaming: Callable[[], None] | None = None):
    """Send ``text`` to a slow column and press Stop while it streams (after ``while_streaming``, which checks
    the page mid-stream); returns the column's status line, once it says stopped."""
    from playwright.sync_api import expect

    page.locator("#patient-message textarea").fill(text)
    page.locator("#send").click()
    status = page.locator("#column-status-0")
    expect(status).to_contain_text(t("chat.status.streaming", lang), timeout=BROWSER_TIMEOUT_MS)
    if while_streaming is not None:
        while_streaming()
    page.locator("#stop").click()
    expect(status).to_contain_text(t("chat.status.stopped", lang), timeout=BROWSER_TIMEOUT_MS)
    return status


def show_my_dialogues(page, lang: str, *, everyone: bool | None = None) -> None:
    """Unfold the "My dialogues" panel (titled for everyone's dialogues for researchers and admins). ``everyone``:
    also check which title it has."""
    import re

    titles = {False: t("chat.history.title", lang), True: t("chat.history.title_all", lang)}
    shown = [titles[everyone]] if everyone is not None else list(titles.values())
    page.locator("#my-dialogues").get_by_text(re.compile("^(" + "|".join(map(re.escape, shown)) + ")$")).click()


def open_dialogue_number(page, dialogue_id: int) -> None:
    """Open a dialogue by typing its number in "My dialogues" (the panel must be shown)."""
    page.locator("#open-dialogue-number").locator("input, textarea").first.fill(str(dialogue_id))
    page.locator("#open-dialogue").click()
