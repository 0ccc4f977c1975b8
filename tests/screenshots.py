"""Retake the README's screenshots in Chinese: ``.venv/bin/python -m tests.screenshots [--out DIR]``.

Starts the demo workbench (tiny offline models, logins on, a throw-away SQLite file), has a researcher chat
through the seed's example dialogues, two annotators rate most of the replies through the rating API, then
Chromium (``locale=zh-CN``) photographs the Chat, Rate, Compare and Export tabs into
``workbench/ui/assets/`` (chat.png, rate.png, compare.png, export.png). Look at them before committing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parents[1]
# The tests' helper modules (gradio_clients) import by their bare names, as pytest puts tests/ on the path.
sys.path.insert(0, str(REPO / "tests"))
ASSETS = REPO / "workbench" / "ui" / "assets"
TIMEOUT_MS = 180_000
FOLLOW_UPS = ("晚上睡不好，白天没精神", "需要做什么检查吗？")
USERS = {"rita": "researcher", "ann1": "annotator", "ann2": "annotator"}


def chat_as(svc, user_id: int) -> int:
    """Every example dialogue through every column, with one follow-up each; returns the last dialogue."""
    from workbench import chat

    did = 0
    for i, example in enumerate(chat.examples()):
        did, last = chat.load_example(svc, example.id, user_id=user_id)
        for message in (last, FOLLOW_UPS[i % len(FOLLOW_UPS)]):
            did, pos = chat.send(svc, did, message, user_id=user_id)
            for _ in chat.run(svc, did, pos, chat.jobs_for(svc, did, pos, svc.columns)):
                pass
    return did


def rate_all(url, username: str, password: str, *, leave_open: int) -> None:
    """Rate every item the queue gives ``username`` except the last ``leave_open``, through the JSON API."""
    from gradio_clients import Client

    client = Client(url, auth=(username, password), verbose=False, analytics_enabled=False)
    done = 0
    while True:
        item = json.loads(client.predict(api_name="/rate_api_next"))["item"]
        if item is None:
            return
        if leave_open and done >= 3:  # keep the rest for the Rate screenshot
            return
        ratings, by_text = {}, {}
        for j, reply in enumerate(item["replies"]):
            asks = "？" in reply["text"] or "?" in reply["text"]
            # identical replies are one judgement: the API refuses two different answers for them
            ratings[reply["label"]] = by_text.setdefault(reply["text"], {
                "turn_type": reply["suggested_turn_type"] or ("question" if asks else "suggestion"),
                "questioning": 3 + (j + done) % 3 if asks else "N/A",
                "suggestion": "N/A" if asks else 2 + (j + done) % 4})
        best = item["replies"][done % len(item["replies"])]["label"]
        client.predict(json.dumps({"item_id": item["item_id"], "ratings": ratings, "preference": best}),
                       api_name="/rate_api_submit")
        done += 1


def settle(page) -> None:
    """No event still pending (Gradio greys pending outputs), then the top of the page."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)
    page.evaluate("() => window.scrollTo(0, 0)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS, help="folder for the PNG files")
    args = parser.parse_args(argv)

    from playwright.sync_api import expect, sync_playwright

    from tests.browser import launch
    from tests.conftest import config_with_db
    from tests.ui_login import password_of
    from tests.ui_server import running_app
    from workbench.auth import upsert_user
    from workbench.config import load_config
    from workbench.demo import DEMO_CACHE_DEFAULT, ensure_demo_models
    from workbench.services import build_services
    from workbench.ui.i18n import catalogue

    ensure_demo_models(DEMO_CACHE_DEFAULT)
    zh = lambda key, **f: catalogue().t(key, "zh", **f)  # noqa: E731
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_with_db(load_config(REPO / "configs" / "demo.yaml"), f"sqlite:///{Path(tmp) / 'shots.db'}")
        svc = build_services(cfg, auth_enabled=True)
        ids = {name: upsert_user(svc.store, name, password_of(name), role).id for name, role in USERS.items()}
        last_dialogue = chat_as(svc, ids["rita"])
        with running_app(svc, auth=True) as url, sync_playwright() as pw:
            rate_all(url, "ann2", password_of("ann2"), leave_open=0)
            rate_all(url, "ann1", password_of("ann1"), leave_open=1)
            browser = launch(pw)

            def page_of(username: str):
                ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url)
                page.locator("input[type=text]").first.fill(username)
                page.locator("input[type=password]").first.fill(password_of(username))
                page.locator("button", has_text="Sign in").first.click()
                expect(page.locator("#send")).to_have_text(zh("chat.send"), timeout=TIMEOUT_MS)
                return page

            rita = page_of("rita")
            rita.locator("#my-dialogues").get_by_text(zh("chat.history.title_all")).click()
            rita.locator("#open-dialogue-number").locator("input, textarea").first.fill(str(last_dialogue))
            rita.locator("#open-dialogue").click()
            expect(rita.locator("#column-status-0")).to_contain_text(zh("chat.status.done"), timeout=TIMEOUT_MS)
            rita.locator("#my-dialogues").get_by_text(zh("chat.history.title_all")).click()  # fold the list again
            settle(rita)
            rita.screenshot(path=str(args.out / "chat.png"))

            ann = page_of("ann1")
            ann.get_by_role("tab", name=zh("app.tab.rate")).click()
            ann.locator("#rate-next").click()
            ann.locator("#rate-item-info").filter(has_text="#").wait_for()
            settle(ann)
            ann.screenshot(path=str(args.out / "rate.png"))

            rita.get_by_role("tab", name=zh("app.tab.compare")).click()
            rita.locator("#compare-refresh").click()
            rita.locator(".js-plotly-plot, canvas, img, svg.main-svg").first.wait_for(timeout=TIMEOUT_MS)
            settle(rita)
            rita.screenshot(path=str(args.out / "compare.png"))

            rita.get_by_role("tab", name=zh("app.tab.export")).click()
            rita.locator("#export-run").click()
            # The export's summary (or its refusal) fills the summary box once the preview is ready.
            rita.wait_for_function("() => (document.querySelector('#export-summary textarea') || {}).value",
                                   timeout=TIMEOUT_MS)
            settle(rita)
            rita.screenshot(path=str(args.out / "export.png"))
            browser.close()
        svc.close()
    for name in ("chat", "rate", "compare", "export"):
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
