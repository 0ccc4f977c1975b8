"""The Rate tab's features in Chromium, in Chinese and English (browser locale zh-CN / en-US).

Identical replies shown once and stored for each; the classifier's turn type shown beside the field, not
pre-filled, accepted with Y; Submit disabled with no item open; consecutive patient turns as separate bubbles;
the focused axis clearly marked; the help panel's keys; differences highlighted (replies stay inert); ranking
by clicks; model names revealed after a submit in non-blind mode; flag as broken, seen by an admin.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from rate_ui_support import TIMEOUT_MS, add_item, item_shown, open_rate_tab, rate_server, wait_until
from rating_fixtures import COLUMNS
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, require_chromium
from workbench.store.schema import Assignment, Preference, Rating
from workbench.ui import i18n
from workbench.ui.rate_shortcuts import SHORTCUTS

pytestmark = pytest.mark.browser
XSS = '<img src=x onerror="window.__xss=1"><b>粗</b>'
TWIN = "咳嗽三天，没有发烧，可能是普通感冒。建议多喝水，注意休息。"


def _rows(svc, **where) -> list[Rating]:
    with svc.store.session() as s:
        return list(s.scalars(select(Rating).filter_by(**where).order_by(Rating.generation_id)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rate_tab_features(tmp_path, lang):
    from playwright.sync_api import sync_playwright

    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with rate_server(tmp_path, blind=False, users=("ann",), admins=("boss",)) as (svc, url):
        # Item 1: BianQue-1.0 and the hybrid wrote the same bytes; two patient turns in a row before it.
        add_item(svc.store, [TWIN, "请问体温多少？咳嗽有痰吗？", TWIN],
                 history=(("patient", "医生你好"), ("patient", "我咳嗽三天了")))
        # Item 2: three replies that differ by a few characters, one with markup.
        add_item(svc.store, ["建议多喝水，注意休息。", "建议多喝热水，注意休息。" + XSS, "建议多休息。"])
        add_item(svc.store, ["第三条回复", "第三条回复？", "第三条"])
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "ann", lang)
            t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731

            # No item open: Submit is disabled; the help panel lists every key of the one table, in lang.
            expect(page.locator("#rate-submit")).to_be_disabled()
            page.get_by_role("button", name=t("rate.shortcuts")).click()
            help_md = page.locator("#rate-shortcuts")
            for shortcut in SHORTCUTS:
                expect(help_md).to_contain_text(re.sub(r"<[^>]+>", "", t(shortcut.action)))
            assert "Tab" not in help_md.inner_text()
            expect(page.locator("#rate-next")).to_have_text(t("rate.next"))

            page.keyboard.press("n")
            expect(page.locator("#rate-col-1")).to_be_visible(timeout=TIMEOUT_MS)
            expect(page.locator("#rate-submit")).to_be_enabled()
            # Identical replies: two boxes for three replies, one marked "identical in X and Y".
            expect(page.locator("#rate-col-2")).to_be_hidden()
            with svc.store.session() as s:
                order = s.scalars(select(Assignment.display_order)).first()
            twins = sorted("ABC"[order.index(c)] for c in (COLUMNS[0], COLUMNS[2]))
            labels = f"{twins[0]}、{twins[1]}" if lang == "zh" else f"{twins[0]}, {twins[1]}"
            marker = t("rate.identical", labels=labels.replace("、", " 和 ") if lang == "zh"
                       else labels.replace(", ", " and "))
            twin_box = 0 if twins[0] == "A" else 1
            expect(page.locator(f"#rate-header-{twin_box}")).to_contain_text(marker)
            # Only two preference choices for replies (and tie / all bad): the twins cannot beat each other.
            values = page.locator("#rate-pref input[type=radio]").evaluate_all("els => els.map(e => e.value)")
            assert sorted(v for v in values if len(v) == 1) == sorted({"A", "B"} if twins == ["A", "C"]
                                                                      else {twins[0], "A" if twins[0] != "A" else "B"})
            # Two patient turns in a row: two bubbles, not one.
            history = page.locator("#rate-history")
            expect(history.get_by_text("医生你好")).to_be_visible()
            bubbles = history.locator(".message.user, [data-testid='user']")
            assert bubbles.count() >= 2, history.inner_html()[:2000]
            # A transcript for reference: copy buttons, but no trash icon to wipe it (Gradio draws one by default).
            expect(history.get_by_role("button", name=re.compile("^(Clear|清空对话)$"))).to_have_count(0)
            expect(history.get_by_role("button", name=re.compile("Copy|复制")).first).to_be_attached()
            # The classifier's guess is beside the field, not in it.
            expect(page.locator("#rate-sug-0")).to_contain_text(t("rate.suggestion", turn_type="", confidence="")
                                                               .split("**")[0].strip())
            assert page.locator("#rate-tt-0 input:checked").count() == 0
            # The focused axis is clearly marked: a thick outline and a background.
            page.locator("#rate-tt-0").click(position={"x": 5, "y": 5})
            style = page.locator("#rate-tt-0").evaluate(
                "e => { const s = getComputedStyle(e); return [parseFloat(s.outlineWidth), s.backgroundColor]; }")
            assert style[0] >= 3 and style[1] not in ("rgba(0, 0, 0, 0)", "transparent"), style
            for _ in range(2):  # Y accepts the suggestion, then a score and N/A
                page.keyboard.press("y")
                page.keyboard.press("4")
                page.keyboard.press("0")
            expect(page.locator("#rate-tt-0 input:checked")).to_have_count(1)
            page.keyboard.press("t")
            page.keyboard.press("Enter")
            # Non-blind research mode: after the submit, the models are named (Arena style).
            expect(page.locator("#rate-revealed")).to_contain_text(COLUMNS[0], timeout=TIMEOUT_MS)
            wait_until(lambda: item_shown(page) == 2, what="item 2")
            twin_rows = [r for r in _rows(svc, status="submitted")]
            assert len(twin_rows) == 3  # one answer, stored for each of the identical replies
            by_col = {}
            with svc.store.session() as s:
                from workbench.store.schema import Generation
                cols = {g.id: g.column_name for g in s.scalars(select(Generation))}
                pref = s.scalars(select(Preference)).one()
            for r in twin_rows:
                by_col[cols[r.generation_id]] = (r.turn_type, r.scores.get("questioning"), r.scores.get("suggestion") == "na")
            assert by_col[COLUMNS[0]] == by_col[COLUMNS[2]] and by_col[COLUMNS[0]][1] == 4
            assert pref.outcome == "tie" and len(pref.shown) == 2

            # Item 2: differences on request (H), character level, the markup inert.
            page.keyboard.press("h")
            hot = next(i for i in range(3) if "<img" in page.locator(f"#rate-reply-{i} textarea").input_value())
            diff = page.locator(f"#rate-diff-{hot}")
            expect(diff.locator("mark").first).to_be_visible(timeout=TIMEOUT_MS)
            assert "<img" in diff.inner_text() and diff.locator("img, b").count() == 0
            marked = "".join(diff.locator("mark").all_inner_texts())
            assert "热" in marked and "建议" not in marked
            expect(page.locator("#rate-diff-0")).to_contain_text(t("rate.diff_against", label="B"))
            # Ranking by clicking the replies in order.
            for i in range(3):
                page.locator(f"#rate-tt-{i} input[type=radio]").first.click()
                page.locator(f"#rate-q-{i} input[value='3']").click()
                page.locator(f"#rate-s-{i} input[value='N/A']").click()
            for i in (2, 0, 1):
                page.locator(f"#rate-rank-{i}").click()
            expect(page.locator("#rate-ranking textarea, #rate-ranking input")).to_have_value("C > A > B")
            expect(page.locator("#rate-pref input[value='ranking']")).to_be_checked()
            page.locator("#rate-submit").click()
            wait_until(lambda: item_shown(page) == 3, what="item 3")
            with svc.store.session() as s:
                a2 = s.scalars(select(Assignment).where(Assignment.item_id == 2)).one()
                p2 = s.scalars(select(Preference).where(Preference.turn_index == 3)).one()
                gid = {g.column_name: g.id for g in s.scalars(select(Generation).where(
                    Generation.dialogue_id == p2.dialogue_id))}
            assert p2.outcome == "ranking" and p2.ranking == [gid[a2.display_order[j]] for j in (2, 0, 1)]
            assert page.evaluate("window.__xss") is None

            # Item 3: flag it as broken with a reason; it leaves the queue, an admin sees the reason.
            page.locator("#rate-flag-box").get_by_text(t("rate.flag_box")).click()
            page.locator("#rate-flag-reason textarea").fill("回复被截断 " + XSS)
            page.locator("#rate-flag-btn").click()
            expect(page.locator("#rate-saved")).to_contain_text(t("rate.flagged", item=3), timeout=TIMEOUT_MS)
            expect(page.locator("#rate-submit")).to_be_disabled()
            with svc.store.session() as s:
                a3 = s.scalars(select(Assignment).where(Assignment.item_id == 3)).one()
            assert a3.flag_reason == "回复被截断 " + XSS and a3.completed_at is None
            page.screenshot(path=str(ARTIFACTS / f"rate_features_{lang}.png"), full_page=True)

            actx, admin = open_rate_tab(browser, url, "boss", lang)
            if not admin.locator("#rate-team-refresh").is_visible():
                admin.get_by_text(t("rate.admin"), exact=True).click()
            # Headed in the page's language from page load on, before any refresh.
            for table, keys in (("#rate-team", ("annotator", "completed", "open", "held")),
                                ("#rate-flags", ("item", "annotator", "reason", "flagged_at"))):
                # (the table draws its head a moment after the panel shows)
                expect(admin.locator(f"{table} thead th")).to_have_count(len(keys), timeout=TIMEOUT_MS)
                heads = admin.locator(f"{table} thead th").all_inner_texts()
                assert [h.strip() for h in heads if h.strip()] == [t(f"rate.col.{k}") for k in keys], heads
            admin.locator("#rate-team-refresh").click()
            expect(admin.locator("#rate-flags")).to_contain_text("回复被截断", timeout=TIMEOUT_MS)
            assert admin.evaluate("window.__xss") is None
            actx.close()
            ctx.close()
            browser.close()
