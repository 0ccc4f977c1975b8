"""The Compare tab in Chromium, in Chinese and English: slots numbered alike in the chart and the table,
a CoQ tick at every turn index, "n/a" with its reason on a one-rater store, readable headers, and the
PNG/SVG/CSV downloads (opened and parsed); plus the downloads' role check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from types import SimpleNamespace

import anyio
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import delete, select
from test_compare import populate

from tests.browser import launch, read_table
from tests.ui_login import BROWSER_TIMEOUT_MS
from tests.ui_server import running_app
from workbench.access import Permission
from workbench.store.schema import Rating, User
from workbench.ui.downloads import RESULTS_PREFIX, ResultDownloads

pytestmark = pytest.mark.browser

TEXTS = {
    "zh-CN": {"tab": "比较", "slot": r"位置 (\d+)", "na": "不适用（只有一位标注员）", "generations": "生成回复数",
              "turn": "轮次序号", "slot_header": "位置（1 = 最先显示）", "alpha": "Krippendorff's α"},
    "en-US": {"tab": "Compare", "slot": r"slot (\d+)", "na": "n/a (one rater)", "generations": "Generations",
              "turn": "Turn index", "slot_header": "Slot (1 = first shown)", "alpha": "Krippendorff's α"},
}



# Headers whose longest word is wider than the header's box (so the browser breaks it mid-word).
WORDS_FIT_JS = """(root) => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...root.querySelectorAll('thead th span.header')].filter(span => {
    ctx.font = getComputedStyle(span).font;
    const widest = Math.max(...span.innerText.split(/\\s+/).map(w => ctx.measureText(w).width));
    return widest > span.getBoundingClientRect().width + 1;
  }).map(span => span.innerText);
}"""


@contextmanager
def researcher_on_compare(tmp_path):
    """A server with logins (one annotator), a researcher signed in in Chromium, on the Compare tab: (services,
    page); the browser is closed afterwards."""
    from rate_ui_support import rate_server, sign_in

    from tests.browser import require_chromium
    from workbench.auth import upsert_user

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url), sync_playwright() as pw:
        upsert_user(svc.store, "res", "secret-pass-res", "researcher")
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "res", "en")
        try:
            page.get_by_role("tab", name="Compare", exact=True).click()
            yield svc, page
        finally:
            ctx.close()
            browser.close()


def one_rater_store(store) -> None:
    """populate()'s store with only ann1's ratings: every agreement is undefined for want of a second rater."""
    populate(store)
    with store.session() as s:
        ann2 = s.scalar(select(User.id).where(User.username == "ann2"))
        s.execute(delete(Rating).where(Rating.user_id == ann2))


def shown_table(page, stem: str) -> pd.DataFrame:
    return read_table(page.locator(f"#compare-table-{stem}"))


def ticks(page, plot: str) -> list[str]:
    # SVG text has no innerText
    return page.locator(f"#compare-plot-{plot} .xtick text").evaluate_all("els => els.map(e => e.textContent)")


def download(page, link_id: str, tmp_path):
    with page.expect_download(timeout=BROWSER_TIMEOUT_MS) as info:
        page.locator(f"#{link_id}").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_compare_tab_in_chromium(services, tmp_path, locale):
    one_rater_store(services.store)
    words = TEXTS[locale]
    with running_app(services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            ctx = browser.new_context(locale=locale, accept_downloads=True, viewport={"width": 1500, "height": 1100})
            page = ctx.new_page()
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)
            page.get_by_role("tab", name=words["tab"], exact=True).click()
            # The filter menus are filled when the tab opens, before any Refresh, with the people who rated
            # (ann1, not open mode's local user, who has no answers).
            page.locator("#compare-filter-annotator input").click()
            expect(page.get_by_role("option", name="ann1")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
            expect(page.get_by_role("option", name="local")).to_have_count(0)
            page.keyboard.press("Escape")
            page.locator("#compare-refresh").click()
            expect(page.locator("#download-position_bias-png")).to_be_attached(timeout=BROWSER_TIMEOUT_MS)
            page.locator("#compare-plot-position_bias .xtick text").first.wait_for()
            # no way out to plotly.com from a chart of medical data (its toolbar's logo link is hidden)
            page.locator("#compare-plot-position_bias").hover()
            assert page.locator("#tab-compare a[href*='plotly.com']:visible").count() == 0

            # Position bias: the chart's slot labels and the table's slot column give the same numbers.
            pb = shown_table(page, "position_bias")
            assert words["slot_header"] in pb.columns and "slot" not in pb.columns
            labels = ticks(page, "position_bias")
            assert all(re.fullmatch(words["slot"], t) for t in labels), labels
            chart_slots = sorted(int(re.fullmatch(words["slot"], t).group(1)) for t in labels)
            assert chart_slots == sorted(int(v) for v in pb[words["slot_header"]].unique()) == [1, 2]

            # CoQ: a tick at every turn index of the table (doctor turns 1, 3 and the reference's 5).
            coq = shown_table(page, "coq_curve")
            turns = sorted({int(v) for v in coq[words["turn"]]})
            page.locator("#compare-plot-coq .xtick text").first.wait_for()
            assert sorted(int(t) for t in ticks(page, "coq")) == turns and len(turns) >= 3

            # Agreement with one rater: n/a and the reason, never 0.
            agreement = shown_table(page, "agreement")
            assert set(agreement[words["alpha"]]) == {words["na"]}
            expect(page.locator("#compare-plot-agreement")).to_contain_text(words["na"].split("（")[0].split(" (")[0])

            # Readable headers, not data names, and no word of a header broken across lines.
            scores = shown_table(page, "scores")
            assert words["generations"] in scores.columns
            assert not any("_" in h for h in scores.columns), scores.columns
            assert page.locator("#compare-table-scores").evaluate(WORDS_FIT_JS) == []

            # Downloads: PNG and SVG of a plot parse; the CSV has the displayed rows.
            png = download(page, "download-position_bias-png", tmp_path)
            assert Image.open(png).format == "PNG" and Image.open(png).size[0] > 300
            svg = download(page, "download-position_bias-svg", tmp_path)
            assert ET.parse(svg).getroot().tag.endswith("svg")
            csv = pd.read_csv(download(page, "download-position_bias-csv", tmp_path))
            assert len(csv) == len(pb)
            assert list(csv["slot"]) == [int(v) for v in pb[words["slot_header"]]]
            agreement_csv = pd.read_csv(download(page, "download-agreement-csv", tmp_path))
            assert agreement_csv["alpha"].isna().all()  # missing in the data, not 0
            assert set(agreement_csv["undefined_reason"]) == {"one_rater"}
            ctx.close()
        finally:
            browser.close()


def study_store(store) -> None:
    """study_scores() (BianQue-2.0 beats 1.0 by 0.75 on questioning, annotators' leniency shared) in the
    store, as the demo's columns; suggestion is "not applicable" throughout."""
    from test_analysis_differences import study_scores

    from workbench.annotate.rubric import NA
    from workbench.store.schema import Dialogue, Generation

    names = {"A": "BianQue-1.0", "B": "BianQue-2.0"}
    with store.session() as s:
        users = {}
        dialogues = {}
        gens = {}
        for d, col, who, score in study_scores():
            if who not in users:
                users[who] = User(username=who, password_hash="!")
                s.add(users[who])
            if d not in dialogues:
                dialogues[d] = Dialogue(source="live")
                s.add(dialogues[d])
                s.flush()
            if (d, col) not in gens:
                gens[d, col] = Generation(dialogue_id=dialogues[d].id, turn_index=1, column_name=names[col],
                                          backend="x", output="多久了？", status="ok", length_chars=4)
                s.add(gens[d, col])
            s.flush()
            s.add(Rating(generation_id=gens[d, col].id, user_id=users[who].id, status="submitted",
                         scores={"questioning": score, "suggestion": NA}, display_slot=0))


def test_researcher_sees_the_differences_between_columns(demo_config, tmp_path):
    """Logins on: a researcher refreshes Compare and reads "BianQue-2.0 higher" on questioning, though the two
    columns' own intervals overlap; suggestion (never applicable) reads n/a."""
    from tests.ui_login import login, services_with_logins

    with services_with_logins(demo_config, tmp_path, {"res": "researcher"}) as svc:
        study_store(svc.store)
        with running_app(svc, auth=True, port=7941) as url, sync_playwright() as p:
            browser = launch(p)
            try:
                page = login(browser, url.page, "res")
                page.get_by_role("tab", name="Compare", exact=True).click()
                page.locator("#compare-refresh").click()
                expect(page.locator("#download-score_differences-csv")).to_be_attached(timeout=BROWSER_TIMEOUT_MS)
                section = page.locator("#compare-section-differences")
                expect(section).to_contain_text("Differences between columns")
                expect(section).to_contain_text("not adjusted for multiple comparisons")
                diffs = shown_table(page, "score_differences")
                assert list(diffs.columns[:3]) == ["First column", "Second column", "Axis"]
                rows = diffs.set_index("Axis")
                q, sug = rows.loc["questioning"], rows.loc["suggestion"]
                assert (q["First column"], q["Second column"]) == ("BianQue-1.0", "BianQue-2.0")  # config order
                assert float(q["Difference (second − first)"]) == pytest.approx(0.75)
                assert 0 < float(q["95% CI low"]) < 0.75 < float(q["95% CI high"])
                assert q["Reading"] == "BianQue-2.0 higher" and q["Dialogues rated in both"] == "12"
                assert sug["Difference (second − first)"] == sug["Reading"] == "n/a"
                assert page.locator("#compare-table-score_differences").evaluate(WORDS_FIT_JS) == []
                section.screenshot(path=str(tmp_path.parent / "differences.png"))
            finally:
                browser.close()


async def _get(app, path: str, username: str | None) -> int:
    status: list[int] = []
    headers = [(b"cookie", b"access-token-c=tok")] if username else []
    scope = {"type": "http", "path": path, "headers": headers,
             "app": SimpleNamespace(tokens={"tok": username}, cookie_id="c")}

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


def test_result_downloads_follow_the_role(demo_config, tmp_path):
    from tests.ui_login import services_with_logins

    users = {"res": "researcher", "ann": "annotator", "other": "researcher"}
    with services_with_logins(demo_config, tmp_path, users) as svc:
        route = ResultDownloads(svc)
        key = svc.results.put("res", Permission.COMPARE, {"t.csv": lambda: b"a\n1\n"})
        path = f"{RESULTS_PREFIX}{key}/t.csv"
        assert anyio.run(_get, route, path, "res") == 200
        assert anyio.run(_get, route, path, "other") == 404  # another researcher cannot use the link
        assert anyio.run(_get, route, path, None) == 401
        assert anyio.run(_get, route, f"{RESULTS_PREFIX}{key}/missing.csv", "res") == 404
        # An account demoted to annotator loses the downloads it made as a researcher.
        ann_key = svc.results.put("ann", Permission.COMPARE, {"t.csv": lambda: b"a\n1\n"})
        assert anyio.run(_get, route, f"{RESULTS_PREFIX}{ann_key}/t.csv", "ann") == 403


def test_a_refused_refresh_marks_the_summary_alone(tmp_path):
    """A researcher whose role is lowered while the page is open is refused at Refresh: one pop-up, one Error badge
    (on the summary line), and the tables and plots already drawn stay as they were."""
    from rate_ui_support import rate_server, sign_in

    from tests.browser import require_chromium
    from workbench.auth import upsert_user

    require_chromium()
    with rate_server(tmp_path, users=("ann",), admins=("boss",)) as (svc, url), sync_playwright() as pw:
        upsert_user(svc.store, "res", "secret-pass-res", "researcher")
        browser = launch(pw)
        ctx, page = sign_in(browser, url, "res", "en")
        page.get_by_role("tab", name="Compare", exact=True).click()
        page.locator("#compare-refresh").click()
        expect(page.locator("#compare-summary")).to_contain_text("Rows after filtering")
        tables = page.locator("#tab-compare .table-wrap, #tab-compare table").count()
        upsert_user(svc.store, "res", None, "annotator")
        page.locator("#compare-refresh").click()
        expect(page.locator(".toast-body")).to_contain_text("Only researchers and admins can see the comparison results")
        expect(page.locator("#tab-compare .error")).to_have_count(1)
        expect(page.locator("#compare-summary .error")).to_have_count(1)
        assert page.locator("#tab-compare .table-wrap, #tab-compare table").count() == tables
        ctx.close()
        browser.close()


def test_a_date_box_holding_no_date_is_refused_not_replaced_by_its_last_date(tmp_path):
    """Gradio's date box kept its last valid date when text that is no date was typed in it: Refresh filtered by
    a date the box no longer showed, without a word. Now the typed text is read, and refused with its name."""
    with researcher_on_compare(tmp_path) as (_svc, page):
        box = page.locator("#compare-from input")
        box.fill("2999-01-01")
        box.press("Enter")
        page.locator("#compare-refresh").click()
        # (a refresh on a loaded machine takes longer than expect's five seconds: CI of session 69)
        expect(page.locator("#compare-summary")).to_contain_text("Rows after filtering", timeout=BROWSER_TIMEOUT_MS)
        box.fill("not-a-date")
        page.locator("#compare-refresh").click()
        expect(page.locator(".toast-body")).to_contain_text("not a date: 'not-a-date'", timeout=BROWSER_TIMEOUT_MS)
        # The summary says the tables below are the last refresh's, not "Rows after filtering" under a badge.
        expect(page.locator("#compare-summary")).to_contain_text("Not refreshed")
        expect(page.locator("#compare-summary")).not_to_contain_text("Rows after filtering")


def test_the_filters_of_the_last_refresh_come_back_after_the_language_switch(tmp_path):
    """The language switch reloads the page: the dates came back (typed text), but the menus were drawn empty and
    the next Refresh computed over everything, read as the filtered numbers. The menus now come back with the
    filters of this researcher's last Refresh, translated, and a Refresh after the switch filters as before."""
    with researcher_on_compare(tmp_path) as (_svc, page):
        page.locator("#compare-filter-turn-type input").click()
        page.get_by_role("option", name="Question", exact=True).click()
        page.keyboard.press("Escape")
        page.locator("#compare-refresh").click()
        expect(page.locator("#compare-summary")).to_contain_text("Rows after filtering", timeout=BROWSER_TIMEOUT_MS)
        filtered = page.locator("#compare-summary").inner_text()
        weighted = page.locator("#compare-aggregates input[type=checkbox]")
        weighted.check()  # a tick, drawn with the page: it came back unticked (walk of session 70)
        page.locator("#language-switch").get_by_text("中文").click()
        expect(page.get_by_role("tab", name="比较", exact=True)).to_have_attribute("aria-selected", "true",
                                                                                   timeout=BROWSER_TIMEOUT_MS)
        expect(page.locator("#compare-filter-turn-type")).to_contain_text("提问", timeout=BROWSER_TIMEOUT_MS)
        page.wait_for_timeout(4500)  # past the page's settling, which drew it back as it loaded
        expect(weighted).to_be_checked()
        weighted.uncheck()  # and off again, for the Refresh below to stay quick
        page.locator("#compare-refresh").click()
        expect(page.locator("#compare-summary")).not_to_contain_text("Rows after filtering")
        # the same rows as before the switch: the same numbers in the Chinese summary
        expect(page.locator("#compare-summary")).to_contain_text(re.findall(r"\d+", filtered)[0],
                                                                 timeout=BROWSER_TIMEOUT_MS)


# Charts whose toolbar (plotly's mode bar) covers part of their title.
TOOLBAR_OVER_TITLE_JS = """() => [...document.querySelectorAll('[id^=compare-plot-]')].flatMap(plot => {
  const title = plot.querySelector('.gtitle'), bar = plot.querySelector('.modebar');
  if (!title || !bar) return [];
  const t = title.getBoundingClientRect(), b = bar.getBoundingClientRect();
  const apart = t.right <= b.left || b.right <= t.left || t.bottom <= b.top || b.bottom <= t.top;
  return apart ? [] : [plot.id];
})"""


@pytest.mark.parametrize("width", [390, 1400])
def test_the_chart_toolbar_leaves_the_titles_clear(services, width):
    """At a phone's width plotly's toolbar was drawn over the Compare charts' titles ("平均评分（95%…" half hidden)."""
    populate(services.store)
    with running_app(services) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(locale="en-US", viewport={"width": width, "height": 900})
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(url.page)
            page.get_by_role("tab", name="Compare", exact=True).click()
            page.locator("#compare-refresh").click()
            page.locator("#compare-plot-position_bias .xtick text").first.wait_for()
            titles = page.locator("[id^=compare-plot-] .gtitle")
            assert titles.count() >= 5
            for i in range(titles.count()):  # each chart drawn (a section opens as it scrolls into view)
                titles.nth(i).scroll_into_view_if_needed()
            assert page.evaluate(TOOLBAR_OVER_TITLE_JS) == []
        finally:
            browser.close()
