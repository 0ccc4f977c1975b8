"""Shared by the Rate tab's browser tests and bench/rate_ui_latency.py: items in a store, a server with logins,
and a Chromium page signed in on the Rate tab in a chosen language."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rating_fixtures import COLUMNS, make_users, test_config

from workbench.dialogue import Turn
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation
from workbench.ui import i18n

LOCALES = {"zh": "zh-CN", "en": "en-US"}
TIMEOUT_MS = 120_000


def add_item(store: Store, replies: Sequence[str], history: Sequence[tuple[str, str]] = (
        ("patient", "我咳嗽三天了"), ("doctor", "有发烧吗？"), ("patient", "没有发烧"))) -> int:
    """One ratable position: ``replies[j]`` is column j's reply after ``history``; returns the dialogue id."""
    with store.session() as s:
        d = create_dialogue(s, tuple(Turn(r, t) for r, t in history), source="dataset", reference=True)
        for column, text in zip(COLUMNS, replies, strict=False):
            s.add(Generation(dialogue_id=d.id, turn_index=len(history), column_name=column, backend="test",
                             model_name=f"test/{column}", output=text, status="ok"))
        return d.id


@contextmanager
def rate_server(tmp_path: Path, *, k: int = 1, blind: bool = True, users: Sequence[str] = ("ann",),
                admins: Sequence[str] = ()) -> Iterator[tuple]:
    """(services, url) of the real app with logins on 127.0.0.1 (tests/ui_server.py's ``running_app``)."""
    from ui_server import running_app

    from workbench.services import build_services

    svc = build_services(test_config(tmp_path / "rate.db", k=k, blind=blind), auth_enabled=True)
    make_users(svc.store, *users)
    make_users(svc.store, *admins, role="admin")
    try:
        with running_app(svc, auth=True) as url:
            yield svc, url
    finally:
        svc.close()


def sign_in(browser, url: str, name: str, lang: str, password: str | None = None):
    """A new context in ``lang``'s browser locale, signed in as ``name`` (password: make_users' by default)."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, locale=LOCALES[lang])
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(str(url))
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(password or "secret-pass-" + name)
    page.locator("input[type=password]").first.press("Enter")
    return ctx, page


def open_rate_tab(browser, url: str, name: str, lang: str, *, keyboard_only: bool = False):
    """A new context in ``lang``'s browser locale, signed in as ``name``, on the Rate tab after page load."""
    ctx, page = sign_in(browser, url, name, lang)
    tab = page.get_by_role("tab", name=i18n.t("app.tab.rate", lang), exact=True)
    if keyboard_only:
        tab.focus()
        page.keyboard.press("Enter")
    else:
        tab.click()
    page.locator("#rate-next").wait_for(state="visible")
    # The page-load handler has run once the progress line is written in the session's language.
    mine = i18n.t("rate.progress", lang, done=0, open=0, available=0, slots_done=0, slots_total=0,
                  fraction="", items_done=0, items_total=0, k=0).split("**")[1]
    page.locator("#rate-progress", has_text=mine).wait_for()
    # The page scripts (the Rate tab's keys among them) run once the page is ready; the last marks itself.
    page.wait_for_function("() => window.__toastTitles === true")
    return ctx, page


def hold_the_account_check(page) -> None:
    """The page checks its sign-in every 10 s on its own (session_guard.js), and only while it is visible. A test of
    what an event's 401 does signs out in another tab and then clicks: a check landing in between showed the notice
    first and the notice took the click (session 69's CI). Told it is hidden, this page leaves the finding-out to
    the event under test."""
    page.evaluate("() => Object.defineProperty(document, 'visibilityState', "
                  "{configurable: true, get: () => 'hidden'})")


def wait_until(predicate, timeout: float = 60.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def item_shown(page) -> int | None:
    """The item number in the item line, or None."""
    import re

    m = re.search(r"#(\d+)", page.locator("#rate-item-info").inner_text())
    return int(m.group(1)) if m else None


def take_first_item(page) -> None:
    """Press N on a freshly opened Rate tab and wait for item #1."""
    page.keyboard.press("n")
    wait_until(lambda: item_shown(page) == 1, what="the first item")


@contextmanager
def first_item_open(tmp_path: Path):
    """(services, browser context, page): an annotator's Rate tab on the first of one item, logins on."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch, require_chromium

    require_chromium()
    with rate_server(tmp_path, blind=True) as (svc, url):
        add_item(svc.store, ["咳嗽有痰吗？", "多喝水。", "先量体温。"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", "en")
            take_first_item(page)
            try:
                yield svc, ctx, page
            finally:
                ctx.close()
                browser.close()


def answer_every_box(page, boxes: int = 3, keys: tuple[str, ...] = ("y", "4", "0"), preference: str = "a") -> None:
    """Answer each of ``boxes`` reply boxes by keys (accept the suggested turn type, questioning 4, suggestion
    N/A by default), then the preference."""
    for _ in range(boxes):
        for key in keys:
            page.keyboard.press(key)
    page.keyboard.press(preference)


def user_named(svc, name: str):
    """The signed-in user ``name`` as the services see them (to call a workflow as that user)."""
    from sqlalchemy import select

    from workbench.auth import CurrentUser
    from workbench.store.schema import User

    with svc.store.read() as s:
        u = s.scalars(select(User).where(User.username == name)).one()
        return CurrentUser(u.id, u.username, u.role)
