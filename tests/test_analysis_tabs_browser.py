"""Quality, Data and Export in Chromium, in Chinese and English: readable headers in the page's language,
the quality table's CSV download (the rows shown, the data's column names), errors in the language."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright
from test_compare_browser import download, one_rater_store

from tests.browser import launch, read_table
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import running_app

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"compare": "比较", "quality": "质量", "data": "数据", "export": "导出", "annotator": "标注员", "items": "完成条目数",
              "dataset": "数据集", "dialogues": "对话数", "na": "不适用", "no_format": "请至少选择一种格式",
              "question": "提问"},
    "en-US": {"compare": "Compare", "quality": "Quality", "data": "Data", "export": "Export", "annotator": "Annotator",
              "items": "Items done", "dataset": "Dataset", "dialogues": "Dialogues", "na": "n/a",
              "no_format": "choose at least one format", "question": "Question"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_quality_data_export_tabs_speak_the_language(services, tmp_path, locale):
    one_rater_store(services.store)  # ann1 rated; ann2 only stated preferences: nobody to agree with
    # a gold reply marked before the page loads: the gold table lists it at once, its turn type in the page's language
    from rating_fixtures import make_users
    from sqlalchemy import select

    from workbench.quality import mark_gold_reply
    from workbench.store.schema import Generation

    (boss,) = make_users(services.store, "boss", role="admin")
    with services.store.read() as s:
        gid = s.scalars(select(Generation.id).where(Generation.turn_index > 0).order_by(Generation.id)).first()
    mark_gold_reply(services.store, boss, {"generation_id": gid, "turn_type": "question"})
    from pathlib import Path

    from workbench.datasets.store_import import import_dataset

    long_name = "消化内科门诊随访对话数据集_第三批次_已脱敏_最终版本_" * 2
    import_dataset(services.store, Path(__file__).parent / "data" / "import_bianque_sample.csv", long_name)
    words = WORDS[locale]
    with running_app(services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = browser.new_context(locale=locale, accept_downloads=True, viewport={"width": 1500, "height": 1100})
            page = ctx.new_page()
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)

            # Before any refresh the tables are empty, without Gradio's placeholder headers "1 2 3".
            page.get_by_role("tab", name=words["compare"], exact=True).click()
            page.get_by_role("tab", name=words["quality"], exact=True).click()
            expect(page.locator("#quality-table")).to_be_visible()
            page.locator("#quality-gold-section").get_by_role("button").first.click()  # the section opens
            gold = _table(page, "#gold-table")  # before any refresh or action
            assert set(gold.iloc[:, 0].astype(str)) == {str(gid)}
            assert words["question"] in set(gold.astype(str).to_numpy().ravel()), gold
            heads = page.locator("[id^=compare-table-] thead th, #quality-table thead th, #gold-table thead th")
            assert heads.count() >= 3
            assert not {h.strip() for h in heads.all_inner_texts()} & {"1", "2", "3"}
            page.locator("#quality-refresh").click()
            expect(page.locator("#download-annotator_quality-csv")).to_be_attached(timeout=BROWSER_TIMEOUT_MS)
            quality = _table(page, "#quality-table")
            assert quality.columns[0] == words["annotator"] and words["items"] in quality.columns
            assert not any("_" in h for h in quality.columns), quality.columns
            ann1 = quality.set_index(words["annotator"]).loc["ann1"]
            assert ann1.str.startswith(words["na"]).any()  # agreement with nobody: n/a, not 0
            csv = pd.read_csv(download(page, "download-annotator_quality-csv", tmp_path))
            assert list(csv["annotator"]) == list(quality[words["annotator"]])
            assert csv.set_index("annotator").loc["ann1", "agreement_scores"] != 0

            page.get_by_role("tab", name=words["data"], exact=True).click()
            datasets = _table(page, "#data-datasets")
            assert datasets.columns[0] == words["dataset"] and words["dialogues"] in datasets.columns
            assert "seed" in set(datasets[words["dataset"]])
            # A long dataset name wraps in its own column; every header word stays on one line (it squeezed
            # "Dialogues" into "Dial/ogu/es", walk 9).
            lines = page.evaluate("""() => [...document.querySelectorAll('#data-datasets thead th')].map(th => {
                const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT), tops = new Set();
                for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                    if (!node.textContent.trim()) continue;
                    const range = document.createRange(); range.selectNodeContents(node);
                    for (const r of range.getClientRects()) tops.add(Math.round(r.top));
                }
                return [th.innerText.trim(), tops.size];
            })""")
            head_lines = dict(lines)
            assert head_lines[words["dialogues"]] == 1, lines
            assert long_name in set(datasets[words["dataset"]])

            page.get_by_role("tab", name=words["export"], exact=True).click()
            page.locator("#export-formats").get_by_text("bianque_csv", exact=True).click()  # none left
            page.locator("#export-preview-run").click()
            expect(page.get_by_text(words["no_format"]).first).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            ctx.close()
        finally:
            browser.close()


def _table(page, selector: str) -> pd.DataFrame:
    loc = page.locator(selector)
    loc.locator("[role=row].virtual-row").first.wait_for(timeout=BROWSER_TIMEOUT_MS)
    return read_table(loc)


def test_a_new_batch_run_clears_the_last_result_at_once(services):
    """The last run's result stayed on screen under the new run's progress, and read as the new run's result."""
    with running_app(services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)
            page.get_by_role("tab", name="Data", exact=True).click()
            result = page.locator("#data-batch-result")
            page.locator("#data-batch").click()  # no dataset chosen: refused, in words
            expect(result).to_contain_text("choose a dataset first")
            # Every text the result shows from now on, recorded in the page as it changes.
            page.evaluate("""() => {
                const el = document.querySelector('#data-batch-result');
                window.__shown = [];
                new MutationObserver(() => window.__shown.push(el.innerText.trim()))
                    .observe(el, {subtree: true, childList: true, characterData: true});
            }""")
            page.locator("#data-batch").click()
            page.wait_for_function("() => window.__shown.some(t => t.includes('choose a dataset first'))")
            shown = page.evaluate("() => window.__shown")
            assert "" in shown[: shown.index(next(t for t in shown if "choose a dataset first" in t))], shown
        finally:
            browser.close()
