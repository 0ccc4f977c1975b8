"""Logins on, the demo models, and a browser page signed in: shared by the per-role browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import config_with_db
from workbench.auth import upsert_user

BROWSER_TIMEOUT_MS = 120_000


def password_of(username: str) -> str:
    return f"pass-{username}-123"


@contextmanager
def services_with_logins(demo_config, tmp_path, users: dict[str, str]) -> Iterator:
    """The demo workbench on a fresh SQLite file with logins required; ``users``: username -> role."""
    from workbench.services import build_services

    svc = build_services(config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}"), auth_enabled=True)
    for name, role in users.items():
        upsert_user(svc.store, name, password_of(name), role)
    try:
        yield svc
    finally:
        svc.close()


def login(browser, url: str, username: str, *, ready: str = "#send"):
    """A new browser context signed in as ``username``; returns the page once ``ready`` is visible."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = ctx.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(url)
    page.locator("input[type=text]").first.fill(username)
    page.locator("input[type=password]").first.fill(password_of(username))
    page.get_by_role("button", name="Sign in").click()
    page.locator(ready).wait_for(state="visible")
    return page


def wait_columns_done(page, n_columns: int) -> None:
    """Wait until every Chat column's status line reads "done"."""
    from playwright.sync_api import expect

    for i in range(n_columns):
        expect(page.locator(f"#column-status-{i}")).to_contain_text("done", timeout=BROWSER_TIMEOUT_MS)


def assert_no_error_badge(page) -> None:
    # Gradio marks every output of a failed event with an "Error" badge and pops up an error toast.
    badges = page.get_by_text("Error", exact=True)
    assert badges.count() == 0, [badges.nth(i).evaluate("e => e.outerHTML") for i in range(badges.count())]
    assert page.locator(".toast-body.error").count() == 0
