"""Chromium, in Chinese and English: an admin sees the flagged items with their reasons in the Rate tab's team
panel and hands one to another annotator, puts one back in the pool, retires one; an annotator has no such
panel, and the server refuses their direct call."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rate_ui_support import TIMEOUT_MS, add_item, open_rate_tab, rate_server, user_named
from sqlalchemy import select

from tests.browser import launch, require_chromium
from tests.ui_server import client
from workbench.annotate import workflow
from workbench.store.schema import Assignment, FlagReview
from workbench.ui import i18n
from workbench.vocab import FlagAction

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_settles_flags_an_annotator_cannot(tmp_path, lang):
    from playwright.sync_api import sync_playwright

    require_chromium()
    t = lambda key, **f: i18n.t(key, lang, **f)  # noqa: E731
    with rate_server(tmp_path, users=("ann", "bob"), admins=("boss",)) as (svc, url):
        for i in range(3):
            add_item(svc.store, [f"回复{i}甲", f"回复{i}乙"])
        ann = user_named(svc, "ann")
        # ann takes and flags all three items (through the same service the Flag button calls).
        items = []
        for i in range(3):
            claim = workflow.claim_next(svc.store, ann, 1)
            assert claim is not None
            workflow.flag(svc.store, ann, claim.item_id, f"第{i}条回复被截断 <b>x</b>")
            items.append(claim.item_id)

        with sync_playwright() as pw:
            browser = launch(pw)
            # An annotator: no admin panel, and the server refuses the review endpoint.
            actx, annotator = open_rate_tab(browser, url, "bob", lang)
            expect(annotator.locator("#rate-review-pick")).to_have_count(0)
            expect(annotator.locator("#rate-team-box")).to_have_count(0)
            actx.close()
            bob_client = client(url, auth=("bob", "secret-pass-bob"))
            with pytest.raises(Exception, match="Only an admin"):
                bob_client.predict(f"{items[0]}:ann", "bob", api_name="/rate_team_review_reassigned")

            ctx, admin = open_rate_tab(browser, url, "boss", lang)
            if not admin.locator("#rate-team-refresh").is_visible():
                admin.get_by_text(t("rate.admin"), exact=True).click()
            admin.locator("#rate-team-refresh").click()
            flags = admin.locator("#rate-flags")
            for i in range(3):
                expect(flags).to_contain_text(f"第{i}条回复被截断", timeout=TIMEOUT_MS)

            def pick(item_id: int) -> None:
                admin.locator("#rate-review-pick input").click()
                admin.get_by_role("option", name=f"#{item_id} · ann").click()

            # The hand-off offers the active accounts that may rate (annotators, and researchers and admins, who
            # may rate too), not ann, who flagged it: she is never given it again. Bob takes it, in ann's freed slot.
            pick(items[0])
            admin.locator("#rate-review-user input").click()
            offered = admin.get_by_role("option")
            expect(offered).to_have_count(2, timeout=TIMEOUT_MS)
            assert sorted(o.strip() for o in offered.all_inner_texts()) == ["bob", "boss"]
            admin.get_by_role("option", name="bob", exact=True).click()
            admin.locator("#rate-review-reassigned").click()
            expect(admin.get_by_text(t("rate.flag_review.done.reassigned", item=items[0], user="bob"), exact=True)).to_be_visible(
                timeout=TIMEOUT_MS)
            expect(flags).not_to_contain_text("第0条", timeout=TIMEOUT_MS)
            # A name the menu does not offer, sent anyway, is refused by the server, and nothing changes.
            boss_client = client(url, auth=("boss", "secret-pass-boss"))
            boss_client.predict(f"{items[1]}:ann", "nobody", api_name="/rate_team_review_reassigned")  # a warning
            with svc.store.read() as s:  # (the decisions checked at the end: items[1] goes back to the pool)
                assert s.scalars(select(FlagReview).where(FlagReview.item_id == items[1])).first() is None
            expect(flags).to_contain_text("第1条")
            # Back to the pool, and retire.
            pick(items[1])
            admin.locator("#rate-review-pool").click()
            expect(flags).not_to_contain_text("第1条", timeout=TIMEOUT_MS)
            pick(items[2])
            # Retiring cannot be undone here: the first press says what it does, the second retires.
            admin.locator("#rate-review-retired").click()
            expect(admin.locator(".toast-body").last).to_contain_text(f"#{items[2]}", timeout=TIMEOUT_MS)
            admin.wait_for_timeout(500)
            expect(flags).to_contain_text("第2条")
            admin.locator("#rate-review-retired").click()
            expect(flags).not_to_contain_text("第2条", timeout=TIMEOUT_MS)
            ctx.close()
            browser.close()

        with svc.store.read() as s:
            bob_id = user_named(svc, "bob").id
            held = {a.item_id: a.user_id for a in s.scalars(select(Assignment))}
            decisions = {r.item_id: (r.action, r.assigned_to) for r in s.scalars(select(FlagReview))}
        assert held == {items[0]: bob_id}
        assert decisions == {items[0]: (FlagAction.REASSIGNED, bob_id), items[1]: (FlagAction.POOL, None),
                             items[2]: (FlagAction.RETIRED, None)}
