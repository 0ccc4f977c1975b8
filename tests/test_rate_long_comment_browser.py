"""A comment over the rubric's limit (Chromium, logins on). Walk s64: every key that answered the same reply
afterwards (Y, 4, 0…) saved its draft again and popped up the same "the comment is 3082 characters long; the
limit is 2000" once more, six stacked, naming no reply. Now a reply's refusal pops up once, naming the reply,
until its text changes; the saved line keeps saying it."""

from __future__ import annotations

import re

import pytest
from rate_ui_support import TIMEOUT_MS, answer_every_box, first_item_open

from workbench.annotate.ratings import DEFAULT_COMMENT_CHARS

pytestmark = pytest.mark.browser


def test_a_too_long_comment_pops_up_once_naming_its_reply(tmp_path):
    from playwright.sync_api import expect

    with first_item_open(tmp_path) as (_svc, _ctx, page):
        page.get_by_label("Comment").first.fill("长" * (DEFAULT_COMMENT_CHARS + 1))
        page.locator("#rate-progress").click()  # the focus leaves the box: its draft is saved
        answer_every_box(page)
        limit = f"the comment is {DEFAULT_COMMENT_CHARS + 1} characters long"
        # the saved line shows the latest save only: the preference's or, when its answer comes first, Reply C's
        expect(page.locator("#rate-saved")).to_contain_text(re.compile("Preference draft saved|Reply C: draft saved"),
                                                            timeout=TIMEOUT_MS)
        page.wait_for_timeout(2000)
        shown = " ".join(page.locator(".toast-body").all_inner_texts())  # Gradio groups alike pop-ups
        assert shown.count(limit) == 1, shown
        assert f"Reply A: {limit}" in shown
