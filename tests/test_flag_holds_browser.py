"""Chromium, in Chinese and English: while ann's flag on an item waits for an admin, bob (who holds it open, with
answers typed) cannot submit it and is told why in his language, keeps his answers as drafts, is not given it by
Next and sees it counted as held; cat is not offered it; the admin's team table shows it held. Back to the pool,
the item returns to bob with his answers."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from rate_ui_support import (
    TIMEOUT_MS,
    add_item,
    item_shown,
    open_rate_tab,
    rate_server,
    user_named,
    wait_until,
)
from sqlalchemy import select

from tests.browser import ARTIFACTS, launch, read_table, require_chromium
from workbench.annotate import workflow
from workbench.annotate.queue import HELD_FOR_REVIEW
from workbench.store.schema import Assignment, Rating
from workbench.ui import i18n
from workbench.vocab import AnswerStatus

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_held_item_is_paused_for_its_other_holder_and_offered_to_nobody(tmp_path, lang):
    from playwright.sync_api import sync_playwright

    require_chromium()
    t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731
    with rate_server(tmp_path, k=2, users=("ann", "bob", "cat"), admins=("boss",)) as (svc, url):
        add_item(svc.store, ["咳嗽多久了？", "建议多喝水。"])
        ann, bob = user_named(svc, "ann"), user_named(svc, "bob")
        first = workflow.claim_next(svc.store, ann, 2)
        assert first is not None
        item = first.item_id
        with sync_playwright() as pw:
            browser = launch(pw)
            bctx, page = open_rate_tab(browser, url, "bob", lang)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == item, what="bob's item")
            for _ in range(2):  # accept the suggested turn type, questioning 4, suggestion N/A; then a tie
                for key in ("y", "4", "0"):
                    page.keyboard.press(key)
            page.keyboard.press("t")

            def drafts() -> int:
                with svc.store.read() as s:
                    return len(s.scalars(select(Rating).where(Rating.user_id == bob.id)).all())
            wait_until(lambda: drafts() == 2, what="bob's autosaved drafts")
            # No autosave answer after the submit's: a draft is stored before its answer reaches the page, and a
            # late one overwrote the refusal under the buttons (the toast stays). Wait until the note is still.
            seen: dict[str, float] = {}

            def note_still() -> bool:  # the same non-empty note for 1.5 s
                text = page.locator("#rate-saved").inner_text().strip()
                since = seen.setdefault(text, time.monotonic())
                if len(seen) > 1:
                    seen.clear()
                    seen[text] = since
                return bool(text) and time.monotonic() - since >= 1.5
            wait_until(note_still, what="bob's last autosave answer")
            # ann flags it (the service the Flag button calls) while bob has it open with his answers typed.
            workflow.flag(svc.store, ann, item, "回复里有患者的真实姓名")
            page.keyboard.press("Enter")
            refusal = i18n.catalogue().translate(HELD_FOR_REVIEW.format(item=item), lang)
            assert refusal != HELD_FOR_REVIEW.format(item=item) or lang == "en"
            expect(page.get_by_text(refusal).first).to_be_visible(timeout=TIMEOUT_MS)  # the toast
            expect(page.locator("#rate-saved")).to_contain_text(refusal, timeout=TIMEOUT_MS)
            with svc.store.read() as s:
                a = s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).one()
                statuses = {r.status for r in s.scalars(select(Rating).where(Rating.user_id == bob.id))}
            assert a.completed_at is None and statuses == {AnswerStatus.DRAFT}
            # Next does not give it back, and the progress line counts it as held, not open or available.
            page.keyboard.press("n")
            expect(page.locator("#rate-progress")).to_contain_text(t("rate.progress_held", held=1).strip(" ·"),
                                                                  timeout=TIMEOUT_MS)
            # (the item line says it too, not "press Next item": walk 9)
            expect(page.locator("#rate-item-info")).to_contain_text(t("rate.done_held", held=1))
            expect(page.get_by_text(t("rate.done_held", held=1)).first).to_be_visible(timeout=TIMEOUT_MS)
            page.screenshot(path=str(ARTIFACTS / f"flag_held_annotator_{lang}.png"), full_page=True)

            cctx, cat = open_rate_tab(browser, url, "cat", lang)
            cat.keyboard.press("n")
            expect(cat.locator("#rate-item-info")).to_contain_text(t("rate.done_all"), timeout=TIMEOUT_MS)
            # nothing to rate: no empty dialogue, preference or flag box left on the page (walk 10)
            for part in ("#rate-history", "#rate-pref", "#rate-diff-toggle", "#rate-flag-box"):
                expect(cat.locator(part)).to_be_hidden()
            cctx.close()

            actx, admin = open_rate_tab(browser, url, "boss", lang)
            if not admin.locator("#rate-team-refresh").is_visible():
                admin.get_by_text(t("rate.admin"), exact=True).click()
            admin.locator("#rate-team-refresh").click()
            expect(admin.locator("#rate-flags")).to_contain_text("真实姓名", timeout=TIMEOUT_MS)
            team = read_table(admin.locator("#rate-team"))
            row = team[team[t("rate.col.annotator")] == "bob"].iloc[0]
            assert (str(row[t("rate.col.open")]), str(row[t("rate.col.held")])) == ("0", "1"), team
            admin.screenshot(path=str(ARTIFACTS / f"flag_held_admin_{lang}.png"), full_page=True)
            admin.locator("#rate-review-pick input").click()
            admin.get_by_role("option", name=f"#{item} · ann").click()
            admin.locator("#rate-review-pool").click()
            expect(admin.locator("#rate-flags")).not_to_contain_text("真实姓名", timeout=TIMEOUT_MS)
            actx.close()

            # Kept: Next gives bob the item again, with what he had typed.
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == item, what="the item back")
            expect(page.locator("#rate-item-info")).to_contain_text(t("rate.status.open"), timeout=TIMEOUT_MS)
            expect(page.locator("#rate-progress")).not_to_contain_text(t("rate.progress_held", held=1).strip(" ·"))
            page.keyboard.press("Enter")
            expect(page.locator("#rate-saved")).to_contain_text(t("rate.submitted", item=item), timeout=TIMEOUT_MS)
            bctx.close()
            browser.close()
        with svc.store.read() as s:
            a = s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).one()
        assert a.completed_at is not None


def test_an_answer_saved_after_a_refused_submit_still_says_the_item_is_held(tmp_path):
    """The note under the buttons is the item's final state: an autosave answer that reaches the page after the
    refused submit's (a change typed afterwards, or a late answer) says the draft is saved *and* the item is
    held; it used to say only 'saved', as if the item could now be submitted."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    lang = "en"
    with rate_server(tmp_path, k=2, users=("ann", "bob")) as (svc, url):
        add_item(svc.store, ["咳嗽多久了？", "建议多喝水。"])
        ann, bob = user_named(svc, "ann"), user_named(svc, "bob")
        first = workflow.claim_next(svc.store, ann, 2)
        assert first is not None
        item = first.item_id
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_rate_tab(browser, url, "bob", lang)
            page.keyboard.press("n")
            wait_until(lambda: item_shown(page) == item, what="bob's item")
            for _ in range(2):
                for key in ("y", "4", "0"):
                    page.keyboard.press(key)
            page.keyboard.press("t")

            def questioning() -> set[object]:
                with svc.store.read() as s:
                    return {r.scores.get("questioning") for r in s.scalars(select(Rating).where(Rating.user_id == bob.id))}
            wait_until(lambda: questioning() == {4}, what="bob's autosaved drafts")
            # ... and their answers have all reached the page (on a loaded machine one arriving after the submit's
            # refusal replaced it before it was read here): the note stays the same for a second and a half.
            note = page.locator("#rate-saved")
            last: list[str] = [""]

            def settled() -> bool:
                before = note.inner_text()
                page.wait_for_timeout(1500)
                if before == note.inner_text() == last[0]:
                    return True
                last[0] = note.inner_text()
                return False
            wait_until(settled, what="the autosave answers")
            workflow.flag(svc.store, ann, item, "回复里有患者的真实姓名")
            page.keyboard.press("Enter")
            refusal = HELD_FOR_REVIEW.format(item=item)
            expect(page.locator("#rate-saved")).to_contain_text(refusal, timeout=TIMEOUT_MS)
            # A change after the refusal (reply A's questioning 4 -> 2): its autosave answer comes last.
            page.keyboard.press("]")
            page.keyboard.press("2")
            wait_until(lambda: questioning() == {2, 4}, what="the changed draft")
            saved = i18n.t("rate.saved", lang, label="A", status=i18n.t("rate.status.draft", lang), time="",
                           version=3).split(" at ")[0]
            expect(page.locator("#rate-saved")).to_contain_text(saved, timeout=TIMEOUT_MS)
            expect(page.locator("#rate-saved")).to_contain_text(i18n.t("rate.status.held", lang))
            ctx.close()
            browser.close()
