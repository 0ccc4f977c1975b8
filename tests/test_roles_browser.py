"""Acceptance: every role in Chromium with logins on, starting from the README's own commands.

The module runs the README's "Logins, roles and blind rating" commands literally (``users add`` for each
account, then the launch command, on a free port and a temporary database given by WORKBENCH_DB_URL), and
its "Datasets and batch generation" commands so that there are replies to rate that nobody chatted. Then,
per role: chat two turns in every column (no error badge, every column ends "done"), preview the next
model inputs, rate an item, open the tabs the role may open, and not see the others.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, require_chromium
from tests.ui_login import BROWSER_TIMEOUT_MS, assert_no_error_badge
from tests.ui_login import wait_columns_done as wait_all_done
from tests.ui_server import free_port
from workbench.store.engine import Store
from workbench.store.schema import Rating, User

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TABS = ("Chat", "Rate", "Compare", "Data", "Export")
ALLOWED = {"annotator": {"Chat", "Rate"}, "researcher": {"Chat", "Rate", "Compare", "Export"}, "admin": set(TABS)}
N_COLUMNS = 3  # configs/demo.yaml: BianQue-1.0, BianQue-2.0 and the hybrid


def readme_block(heading: str, command_prefix: str) -> list[str]:
    """The lines of the first ```bash block under ``heading`` in README.md that hold commands."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip().startswith(command_prefix)]


def accounts(lines: list[str]) -> dict[str, tuple[str, str]]:
    """role -> (username, password), read from the README's ``users add`` lines."""
    out = {}
    for line in lines:
        m = re.search(r"users add (\S+) --role (\S+) --password-stdin <<< '([^']+)'", line)
        if m:
            out[m.group(2)] = (m.group(1), m.group(3))
    return out


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory, demo_models):
    require_chromium()
    tmp = tmp_path_factory.mktemp("readme")
    db_url = f"sqlite:///{tmp / 'workbench.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_AUTH", "GRADIO_TEMP_DIR")}
    env["WORKBENCH_DB_URL"] = db_url
    login_lines = readme_block("## Logins, roles and blind rating", ".venv/bin/python")
    users = [line for line in login_lines if " users add " in line]
    (launch_line,) = [line for line in login_lines if "launch.py" in line]
    data_lines = readme_block("## Datasets and batch generation", ".venv/bin/python")
    assert len(users) == 3 and len(data_lines) == 2
    for line in users + data_lines:  # exactly as written, in bash (the README uses a here-string)
        done = subprocess.run(["bash", "-c", line], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
    port = free_port()
    proc = subprocess.Popen(["bash", "-c", f"exec {launch_line} --port {port}"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 600
    url = None
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        m = re.search(r"UI: (http://\S+)", line)
        url = m.group(1) if m else None
    assert url, "".join(lines[-50:])
    assert any("logins: required" in x for x in lines), "".join(lines)
    assert "token=" not in url  # the store holds accounts: logins, not open mode
    for _ in range(600):
        try:
            if httpx.get(url + "config", timeout=5).status_code in (401, 403):
                break  # up, and refusing anyone not logged in
        except httpx.TransportError:
            time.sleep(0.5)
    store = Store(db_url)
    yield {"url": url, "store": store, "accounts": accounts(users)}
    store.dispose()
    os.killpg(proc.pid, signal.SIGTERM)  # the launch process this fixture started, and its children
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def login(browser, url: str, username: str, password: str):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = ctx.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(url)
    page.locator("input[type=text]").first.fill(username)
    page.locator("input[type=password]").first.fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#send").wait_for(state="visible")
    return ctx, page


def visible_tabs(page) -> set[str]:
    shown = set()
    for name in TABS:
        tabs = page.get_by_role("tab", name=name, exact=True)
        if any(tabs.nth(i).is_visible() for i in range(tabs.count())):
            shown.add(name)
    return shown


def submitted(store: Store, username: str) -> int:
    with store.read() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        return len(list(s.scalars(select(Rating).where(Rating.user_id == uid, Rating.status == "submitted"))))


def wait_for(predicate, what: str, timeout: float = BROWSER_TIMEOUT_MS / 1000):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def walk(readme_server, role: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = readme_server["url"], readme_server["store"]
    username, password = readme_server["accounts"][role]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = login(browser, url, username, password)
        try:
            # Tabs: what the role may open, and nothing else (checked once the page-load handler ran).
            wait_for(lambda: visible_tabs(page) == ALLOWED[role], f"{role}'s tabs")

            # Chat: two turns in every column.
            box = page.locator("#patient-message textarea")
            for message in ("孩子发烧两天了，38度5", "昨天开始咳嗽，晚上更厉害"):
                box.fill(message)
                page.locator("#send").click()
                expect(page.locator(".column-chat").first).to_contain_text(message)
                wait_all_done(page, N_COLUMNS)
                assert_no_error_badge(page)
            headers = list(dict.fromkeys(t.strip() for t in page.locator(".column-header").all_inner_texts()))
            if role == "annotator":
                assert headers == ["Column A", "Column B", "Column C"]  # blind
            else:
                assert "BianQue-1.0" in " ".join(headers)

            # Preview the next model inputs: a blind annotator has no button for it (it could only say they are hidden).
            box.fill("还需要注意什么？")
            if role == "annotator":
                assert page.get_by_role("button", name="Preview next model inputs").count() == 0
                assert page.get_by_text("Model input", exact=True).count() == 0
            else:
                page.get_by_role("button", name="Preview next model inputs").click()
                page.get_by_text("Model input", exact=True).first.click()
                # The exact input v1 would get next, ending with the message typed and "医生：".
                # (v1's input escapes newlines as the literal \n of its training files; v2's has real ones).
                typed = re.compile(r"病人：还需要注意什么？(\n|\\n)医生：$")
                wait_for(lambda: any(typed.search(v) for v in page.locator("textarea")
                                     .evaluate_all("els => els.map(e => e.value)")), "the previewed model input")
            assert_no_error_badge(page)

            # Rate one item.
            before = submitted(store, username)
            page.get_by_role("tab", name="Rate", exact=True).click()
            page.locator("#rate-next").click()
            page.locator("#rate-col-0").wait_for(state="visible")
            # The item's own count ("Item #7 · turn 3 · 2 replies · ..."), not a count of boxes still rendering.
            info = page.locator("#rate-item-info")
            wait_for(lambda: re.search(r"(\d+) replies", info.inner_text()), "the rating item's header")
            n_replies = int(re.search(r"(\d+) replies", info.inner_text()).group(1))
            for i in range(n_replies):  # one box per distinct reply (identical replies are shown once)
                page.locator(f"#rate-col-{i}").wait_for(state="visible")
                # The turn type is the annotator's own answer: the classifier only suggests it beside the field.
                page.locator(f"#rate-tt-{i} input[type=radio][value='question']").click()
                page.locator(f"#rate-q-{i} input[type=radio][value='3']").click()
                page.locator(f"#rate-s-{i} input[type=radio][value='N/A']").click()
            if n_replies > 1:
                page.locator("#rate-pref input[type=radio][value='tie']").click()
            page.locator("#rate-submit").click()
            # One answer per distinct reply, stored for each of its identical twins too.
            wait_for(lambda: submitted(store, username) >= before + n_replies, f"{role}'s submitted rating")
            expect(page.locator("#rate-saved")).not_to_contain_text("Error")
            assert_no_error_badge(page)

            # Open each further tab the role may open.
            if "Compare" in ALLOWED[role]:
                page.get_by_role("tab", name="Compare", exact=True).click()
                page.locator("#compare-refresh").click()
                expect(page.locator("#compare-summary")).not_to_contain_text("Press", timeout=BROWSER_TIMEOUT_MS)
                assert_no_error_badge(page)
            if "Export" in ALLOWED[role]:
                page.get_by_role("tab", name="Export", exact=True).click()
                expect(page.locator("#export-run")).to_be_visible()
                expect(page.locator("#export-notice")).to_be_hidden()
            if "Data" in ALLOWED[role]:
                page.get_by_role("tab", name="Data", exact=True).click()
                expect(page.locator("#data-import")).to_be_visible()
            assert visible_tabs(page) == ALLOWED[role]
            page.screenshot(path=str(ARTIFACTS / f"role_{role}.png"), full_page=True)
        finally:
            ctx.close()
            browser.close()


def test_annotator_walk_from_the_readme(readme_server):
    walk(readme_server, "annotator")


def test_researcher_walk_from_the_readme(readme_server):
    walk(readme_server, "researcher")


def test_admin_walk_from_the_readme(readme_server):
    walk(readme_server, "admin")
