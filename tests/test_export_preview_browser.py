"""The Export tab's preview step in Chromium, in Chinese and English: each selected format's first rows,
input beside target in a two-column table (wrapped, scrolling), none hiding the other."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect, sync_playwright
from rating_fixtures import test_config as config_for  # aliased: pytest would collect test_config
from test_export_store import build_world

from tests.browser import launch
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import running_app
from workbench.store.engine import Store

pytestmark = pytest.mark.browser

WORDS = {"zh-CN": ("导出", "输入", "目标", "预览"), "en-US": ("Export", "Input", "Target", "Preview")}

CELLS_JS = """(table) => [...table.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => {
  const r = td.getBoundingClientRect();
  return {text: td.innerText, x: r.x, y: r.y, width: r.width};
}))"""


@pytest.fixture(scope="module")
def export_services(tmp_path_factory):
    from workbench.services import build_services

    db = tmp_path_factory.mktemp("export-preview") / "wb.db"
    store = Store(f"sqlite:///{db}")
    build_world(store)
    store.dispose()
    svc = build_services(config_for(db))
    yield svc
    svc.close()


def open_export_tab(browser, url):
    """A new English page on the Export tab, its panel shown."""
    page = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    page.goto(url.page)
    page.get_by_role("tab", name="Export", exact=True).click()
    expect(page.locator("#export-panel")).to_be_visible()
    return page


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_export_preview_shows_input_beside_target(export_services, locale):
    tab, input_word, target_word, preview_word = WORDS[locale]
    with running_app(export_services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)
            page.get_by_role("tab", name=tab, exact=True).click()
            expect(page.locator("#export-panel")).to_be_visible()
            page.locator("#export-formats").get_by_text("sft", exact=True).click()
            expect(page.locator("#export-preview-run")).to_have_text(preview_word)
            page.locator("#export-preview-run").click()
            for fmt in ("bianque_csv", "sft"):
                table = page.locator(f"#export-preview-{fmt}")
                expect(table).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
                assert table.locator("thead th").all_inner_texts() == [input_word, target_word]
                rows = table.evaluate(CELLS_JS)
                assert rows and all(len(r) == 2 for r in rows)
                for source, target in rows:
                    assert target["text"].strip(), "every row shows its target"
                    assert target["x"] > source["x"] + source["width"] - 2  # beside, not below
                    assert abs(source["y"] - target["y"]) < 2
                    assert 0.4 < source["width"] / (source["width"] + target["width"]) < 0.6  # input hides nothing
                if fmt == "bianque_csv":
                    assert all(r[0]["text"].rstrip().endswith("医生：") for r in rows)
                else:
                    assert all(r[1]["text"].startswith("assistant: ") for r in rows)
            # The scrolling box keeps a long preview to a fixed height.
            box = page.locator("#export-preview-side .export-preview-scroll").first.bounding_box()
            assert box["height"] <= 425
        finally:
            browser.close()


def test_export_with_the_tab_defaults_keeps_the_rows_the_command_line_keeps(export_services, tmp_path):
    """The minimum boxes start empty and an empty box is no minimum: an export with the tab as it loads has the
    command line's default rows. (An empty gr.Number showed and sent 0, which drops every reply with an N/A axis
    or a single rater: this world has both, checked below, so a zero minimum fails the test.)"""
    from dataclasses import replace

    from workbench.export.from_store import export_from_store
    from workbench.export.selection import ExportFilters

    fmts = ("bianque_csv", "sft", "dpo")
    expected = {f: r.rows for f, r in export_from_store(export_services.store, fmts, tmp_path / "cli").items()}
    zero = replace(ExportFilters(), min_questioning=0.0, min_suggestion=0.0, min_agreement=0.0)
    zeroed = export_from_store(export_services.store, fmts, tmp_path / "zero", zero)
    assert any(zeroed[f].rows < expected[f] for f in fmts), "the world must tell no minimum from a zero one"
    with running_app(export_services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = open_export_tab(browser, url)
            for box in ("#export-min-q", "#export-min-s", "#export-min-agree"):
                field = page.locator(f"{box} textarea, {box} input").first
                assert field.input_value() == ""
                assert field.get_attribute("placeholder") == "empty = no minimum"
            for fmt in ("sft", "dpo"):
                page.locator("#export-formats").get_by_text(fmt, exact=True).click()
            page.locator("#export-run").click()
            expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            summary = page.locator("#export-summary textarea").input_value()
            shown = {f: int(re.search(rf"^{f}: (\d+) rows", summary, re.M).group(1)) for f in fmts}
            assert shown == expected
            # A box that is not a number is refused by name, and nothing is exported.
            page.locator("#export-min-agree textarea, #export-min-agree input").first.fill("nan")
            page.locator("#export-preview-run").click()
            expect(page.get_by_text("min agreement: expected a number")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        finally:
            browser.close()


def test_sfts_metadata_column_is_readable_beside_its_messages(export_services):
    """SFT's rows are messages and a metadata object: the object's column had 110 px, one word a line (walk 2 of
    session 69). It now has a quarter of the table, and the messages most of the rest."""
    with running_app(export_services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = open_export_tab(browser, url)
            page.locator("#export-formats").get_by_text("bianque_csv", exact=True).click()  # sft alone: first
            page.locator("#export-formats").get_by_text("sft", exact=True).click()
            page.locator("#export-run").click()
            expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            heads = page.locator("#export-preview thead th")
            expect(heads.first).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            widths = dict(zip([t.strip() for t in heads.all_inner_texts()],
                              [heads.nth(i).bounding_box()["width"] for i in range(heads.count())], strict=True))
            table = page.locator("#export-preview table").first.bounding_box()["width"]
            assert set(widths) == {"messages", "metadata"}, widths
            assert 0.2 < widths["metadata"] / table < 0.45, (widths, table)
            assert widths["messages"] > widths["metadata"], widths
        finally:
            browser.close()


def test_a_store_table_row_names_its_reply_in_the_input_column(export_services, tmp_path):
    """tables_csv / tables_parquet preview generations.*, which has no input column: the left cell names the
    reply (dialogue, turn, column, model, status) instead of staying empty; the right one is its output."""
    from workbench.export.from_store import export_from_store
    from workbench.ui.export_tab import input_and_target, preview_rows

    for fmt in ("tables_csv", "tables_parquet"):
        report = export_from_store(export_services.store, [fmt], tmp_path / fmt)[fmt]
        rows = preview_rows(report)
        assert rows
        for row in rows:
            left, right = input_and_target(row)
            assert f"dialogue_id: {row['dialogue_id']}" in left and f"column: {row['column']}" in left
            assert right == ("" if row["output"] is None or row["output"] != row["output"] else str(row["output"]))


def test_a_running_export_says_so_and_refuses_a_second_press(tmp_path, monkeypatch):
    """Logins on, as a researcher: while an export runs (held here until the test lets it go, as a large import's
    tables take minutes) the Export button reads "Exporting…" and is disabled, as is Preview, and a note stands
    where the link will be; a second press starts nothing. Then the link comes and both buttons are back."""
    import threading

    from tests.ui_login import login, password_of
    from workbench.auth import upsert_user
    from workbench.services import build_services
    from workbench.ui.export_tab import ExportActions

    db = tmp_path / "wb.db"
    store = Store(f"sqlite:///{db}")
    build_world(store)
    store.dispose()
    svc = build_services(config_for(db), auth_enabled=True)
    upsert_user(svc.store, "res", password_of("res"), "researcher")
    release, started = threading.Event(), []
    real_run = ExportActions.run

    def held_run(self, *args, **kwargs):
        started.append(1)
        assert release.wait(60)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(ExportActions, "run", held_run)
    try:
        with running_app(svc, auth=True) as url, sync_playwright() as p:
            browser = launch(p)
            try:
                page = login(browser, url.page, "res", ready="[role=tablist]")
                page.get_by_role("tab", name="Export", exact=True).click()
                expect(page.locator("#export-panel")).to_be_visible()
                button = page.locator("#export-run")
                button.click()
                expect(button).to_be_disabled()
                expect(button).to_have_text("Exporting…")
                expect(page.locator("#export-preview-run")).to_be_disabled()
                expect(page.locator("#export-running")).to_contain_text("can take a few minutes")
                button.click(force=True)  # a disabled button: the press must start nothing
                page.wait_for_timeout(500)
                release.set()
                expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
                expect(button).to_be_enabled()
                expect(button).to_have_text("Export")
                expect(page.locator("#export-preview-run")).to_be_enabled()
                assert page.locator("#export-running").count() == 0
                assert len(started) == 1
            finally:
                browser.close()
    finally:
        release.set()
        svc.close()


def test_a_preview_says_how_it_was_de_identified_and_hides_the_last_exports_results(export_services):
    """Walk s69: after an export, a preview with other boxes ticked stood under the export's summary
    ("de-identification: on … the rules alone") and its rows, though the preview's texts were as stored; and the
    Thorough box, greyed out while De-identify was off, still read as on. Each step now shows only its own result."""
    with running_app(export_services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = open_export_tab(browser, url)
            thorough = page.locator("#export-deid-thorough input")
            expect(thorough).to_be_checked()
            expect(thorough).to_be_enabled()
            page.locator("#export-run").click()
            expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            assert "method: thorough" in page.locator("#export-summary textarea").input_value()

            page.locator("#export-deid input").uncheck()
            expect(thorough).to_be_disabled()
            expect(thorough).to_be_checked()  # kept for when de-identification is on again
            assert float(page.locator("#export-deid-thorough").evaluate("e => getComputedStyle(e).opacity")) < 0.9
            page.locator("#export-preview-run").click()
            expect(page.locator("#export-preview-deid")).to_have_text("Not de-identified: texts as stored.",
                                                                     timeout=BROWSER_TIMEOUT_MS)
            expect(page.locator("#export-summary")).to_have_count(0)  # hidden: Gradio drops it from the page
            expect(page.locator("#export-download-link")).to_have_count(0)

            page.locator("#export-deid input").check()
            expect(thorough).to_be_enabled()
            thorough.uncheck()
            page.locator("#export-preview-run").click()
            expect(page.locator("#export-preview-deid")).to_have_text(
                "De-identified with the rules alone, as the export will be.", timeout=BROWSER_TIMEOUT_MS)
            page.locator("#export-run").click()
            expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            assert "method: the rules alone" in page.locator("#export-summary textarea").input_value()
            expect(page.locator("#export-preview-deid")).to_have_count(0)  # the preview went with the new export
        finally:
            browser.close()


def assert_fills_the_card(table) -> None:
    """The table's columns together are as wide as its card (a few pixels of border and padding aside)."""
    heads = table.locator("thead th")
    expect(heads.first).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    table.page.wait_for_timeout(300)  # Gradio sizes the columns once the rows are drawn
    card = table.bounding_box()["width"]
    columns = sum(heads.nth(i).bounding_box()["width"] for i in range(heads.count()))
    assert 0.93 * card < columns <= card + 1, (columns, card)


def test_the_exported_rows_show_the_first_format_that_has_rows_and_fill_their_card(export_services):
    """Walk of session 70: with a first format of 0 rows the table said "no rows" though the next format had some,
    and a table of two texts filled 70% of its card. The table now shows the first format with rows, names it in
    its label, and fills the card; with no format having rows it says so."""
    with running_app(export_services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = open_export_tab(browser, url)
            page.locator("#export-formats").get_by_text("tables_csv", exact=True).click()
            # a turn type no rated reply has: bianque_csv (first) exports none; the store's table keeps every row
            other = page.locator("#export-turn-types").get_by_text("Other", exact=True)
            other.click()
            page.locator("#export-run").click()
            expect(page.locator("#export-download-link")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            summary = page.locator("#export-summary textarea").input_value()
            assert re.search(r"^bianque_csv: 0 rows", summary, re.M), summary
            table = page.locator("#export-preview")
            expect(table).to_contain_text("Exported rows (first rows of tables_csv)", timeout=BROWSER_TIMEOUT_MS)
            heads = [h.strip() for h in table.locator("thead th").all_inner_texts()]
            assert "dialogue_id" in heads and "No rows" not in table.inner_text()

            page.locator("#export-formats").get_by_text("tables_csv", exact=True).click()  # bianque_csv alone
            page.locator("#export-run").click()
            expect(table).to_contain_text("no format has any", timeout=BROWSER_TIMEOUT_MS)
            expect(table).to_contain_text("None of the chosen formats has rows: loosen the filters.")
            assert_fills_the_card(table)  # the note's one column had 110 px

            other.click()
            page.locator("#export-formats").get_by_text("bianque_csv", exact=True).click()
            page.locator("#export-formats").get_by_text("sft", exact=True).click()  # messages and metadata
            page.locator("#export-run").click()
            expect(table).to_contain_text("Exported rows (first rows of sft)", timeout=BROWSER_TIMEOUT_MS)
            assert_fills_the_card(table)  # 45% and 25%: 70% of it
        finally:
            browser.close()


def test_the_rows_preview_picks_the_first_format_with_rows(tmp_path):
    from types import SimpleNamespace

    from workbench.ui.export_tab import first_with_rows, rows_preview

    def report(fmt: str, rows: int):  # what the choice reads of an ExportReport
        return SimpleNamespace(format=fmt, out_dir=tmp_path / fmt, files=[], rows=rows)

    reports = {"bianque_csv": report("bianque_csv", 0), "sft": report("sft", 3), "dpo": report("dpo", 2)}
    assert first_with_rows(reports).format == "sft"
    none = {"bianque_csv": report("bianque_csv", 0), "sft": report("sft", 0)}
    assert first_with_rows(none) is None
    table, shown = rows_preview(none, "zh")
    assert shown is None and table.iloc[0, 0] == "所选格式都没有数据行：请放宽筛选条件。"
