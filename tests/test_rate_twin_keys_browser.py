"""Chromium, in Chinese and English: identical replies are one group ("A=C"); the letter of either member
picks the group's preference and moves the focus to the group's axes, as any reply's letter does; the
in-app keyboard panel says so, as the README does."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from rate_ui_support import TIMEOUT_MS, add_item, open_rate_tab, rate_server
from rating_fixtures import COLUMNS
from sqlalchemy import select

from tests.browser import launch, require_chromium
from workbench.store.schema import Assignment
from workbench.ui import i18n

pytestmark = pytest.mark.browser
TWIN = "咳嗽三天，没有发烧，可能是普通感冒。建议多喝水，注意休息。"


def focused_column(page) -> str | None:
    """The id of the reply column holding the focused axis (the thick orange frame)."""
    return page.evaluate("""() => {
        const axis = document.querySelector('.rate-axis.rate-focus');
        const col = axis && axis.closest('.rate-col');
        return col ? col.id : null;
    }""")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_either_twin_letter_focuses_the_groups_axes(tmp_path, lang):
    from playwright.sync_api import sync_playwright

    require_chromium()
    with rate_server(tmp_path, users=("ann",)) as (svc, url):
        # Columns 0 and 2 wrote the same bytes: they are shown once, as a group of two letters.
        add_item(svc.store, [TWIN, "请问体温多少？咳嗽有痰吗？", TWIN])
        with sync_playwright() as pw:
            browser = launch(pw)
            _ctx, page = open_rate_tab(browser, url, "ann", lang)
            t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731

            # The panel describes what a letter does, twins included.
            page.get_by_role("button", name=t("rate.shortcuts")).click()
            expect(page.locator("#rate-shortcuts")).to_contain_text(t("rate.key.best"))

            page.keyboard.press("n")
            expect(page.locator("#rate-col-1")).to_be_visible(timeout=TIMEOUT_MS)
            with svc.store.session() as s:
                order = s.scalars(select(Assignment.display_order)).one()
            twins = sorted("ABC"[order.index(c)] for c in (COLUMNS[0], COLUMNS[2]))
            other = "ABC"[order.index(COLUMNS[1])]
            # Boxes follow the letters' order: the twins' box is first unless the other reply is A.
            twin_box, other_box = ("rate-col-1", "rate-col-0") if other == "A" else ("rate-col-0", "rate-col-1")
            expect(page.locator(f"#{twin_box} [id^=rate-header-]")).to_contain_text("=".join(twins))
            pref = page.locator("#rate-pref")

            for letter, box, chosen in ((other, other_box, other), (twins[1], twin_box, twins[0]),
                                        (other, other_box, other), (twins[0], twin_box, twins[0])):
                page.locator("#rate-progress").click()  # keys act on the page, not in a box
                page.keyboard.press(letter.lower())
                expect(pref.locator(f"input[value='{chosen}']")).to_be_checked(timeout=TIMEOUT_MS)
                assert focused_column(page) == box, (letter, box)

            # The focus is real: the next digit rates the twins' first axis (the n-th turn type).
            page.locator("#rate-progress").click()
            page.keyboard.press(twins[1].lower())
            page.keyboard.press("1")
            tt = page.locator(f"#{twin_box} .rate-tt input[type=radio]")
            expect(tt.first).to_be_checked(timeout=TIMEOUT_MS)
            expect(page.locator(f"#{other_box} .rate-tt input:checked")).to_have_count(0)
            assert re.fullmatch(r"rate-col-\d", focused_column(page) or "")
            browser.close()
