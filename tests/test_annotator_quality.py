"""The annotator quality view on a real SQLite store, and the Quality tab through gradio_client."""

from __future__ import annotations

import logging
from datetime import timedelta

import pandas as pd
import pytest
from gradio_clients import Client
from rating_fixtures import COLUMNS, RunningApp, add_positions, make_users
from sqlalchemy import select

from workbench.access import can_view_quality
from workbench.analysis.annotator_quality import annotator_quality
from workbench.annotate.gold import mark_gold
from workbench.annotate.queue import sync_queue
from workbench.auth import CurrentUser
from workbench.errors import AuthError
from workbench.store.engine import Store
from workbench.store.schema import Assignment, Generation, QueueItem, Rating, Suggestion, utcnow

TRUTH = ("question", "suggestion", "mixed", "other")


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'quality.db'}")
    yield s
    s.dispose()


def _crowd(store: Store, n: int = 40) -> dict:
    """good-1 and good-2 always give the true answer; lazy keeps the machine's "question" and scores 5.

    The truth cycles through the four turn types and scores 1-4; each user takes every item, good-1
    in 10 s, 20 s, 30 s... and lazy in 2 s.
    """
    add_positions(store, n, columns=COLUMNS[:1])
    (admin,) = make_users(store, "boss", role="admin")
    users = {u.username: u for u in make_users(store, "good-1", "good-2", "lazy")}
    with store.session() as s:
        sync_queue(s)
        items = list(s.scalars(select(QueueItem).order_by(QueueItem.id)))
        gens = {g.dialogue_id: g.id for g in s.scalars(select(Generation).where(Generation.status == "ok"))}
        t0 = utcnow() - timedelta(days=1)
        for i, item in enumerate(items):
            gid = gens[item.dialogue_id]
            s.add(Suggestion(generation_id=gid, question="turn_type", value="question", score=0.6, agent="test"))
            truth, score = TRUTH[i % 4], 1 + i % 4
            for slot, (name, u) in enumerate(users.items()):
                lazy = name == "lazy"
                took = timedelta(seconds=2) if lazy else timedelta(seconds=10 * (i + 1) * (1 + slot))
                s.add(Assignment(item_id=item.id, user_id=u.id, slot=slot, assigned_at=t0,
                                 completed_at=t0 + took))
                s.add(Rating(generation_id=gid, user_id=u.id, status="submitted",
                             turn_type="question" if lazy else truth, scores={"questioning": 5 if lazy else score, "suggestion": 5 if lazy else score}))
        first_gid = gens[items[1].dialogue_id]  # truth "suggestion", score 2
    with store.session() as s:
        mark_gold(s, admin, {"generation_id": first_gid, "turn_type": "suggestion", "questioning": 2})
    return {"admin": admin, **users}


def test_quality_table_by_hand(store):
    who = _crowd(store)
    with store.session() as s:
        df = annotator_quality(s, who["admin"], "dawid-skene").set_index("annotator")
    assert list(df.index) == ["good-1", "good-2", "lazy"]  # boss took no item
    assert (df["items_done"] == 40).all()
    # good-1 took 10, 20, ..., 400 s: median of 40 values = (200 + 210) / 2
    assert df.loc["good-1", "median_seconds_per_item"] == pytest.approx(205.0)
    assert df.loc["lazy", "median_seconds_per_item"] == pytest.approx(2.0)
    # good-1's others: good-2 always agrees, lazy only on the quarter of "question" items
    assert df.loc["good-1", "agreement_turn_type"] == pytest.approx((1 + 0.25) / 2)
    assert df.loc["lazy", "agreement_turn_type"] == pytest.approx(0.25)
    assert df.loc["lazy", "agreement_scores"] == pytest.approx(0.0)  # never a 5 among the careful
    assert df.loc["good-1", "gold_accuracy"] == 1.0 and df.loc["good-1", "gold_checked"] == 2
    assert df.loc["lazy", "gold_accuracy"] == 0.0
    assert df.loc["lazy", "anchoring"] == 1.0 and df.loc["good-2", "anchoring"] == pytest.approx(0.25)
    for q in ("turn_type", "questioning", "suggestion"):
        assert df.loc["good-1", f"reliability_{q}"] > 0.9
        assert df.loc["lazy", f"reliability_{q}"] < 0.1


def test_the_gold_column_says_it_counts_answers_not_items(store):
    """One gold item with an expected turn type and questioning score checks two answers per annotator: the
    header said "Gold items checked" over a count of 2 for that one item."""
    from workbench.ui.tables import display_view, header

    who = _crowd(store)
    with store.session() as s:
        df = annotator_quality(s, who["admin"], "dawid-skene")
    assert df.set_index("annotator").loc["good-1", "gold_checked"] == 2  # one gold item
    for lang, word in (("en", "answers"), ("zh", "答案")):
        shown = display_view(df, lang, area="quality", missing_is_na=True)
        name = header("gold_checked", lang, "quality")
        assert list(shown[name]) == list(df["gold_checked"])
        assert word in name and "items" not in name and "条目" not in name


@pytest.mark.parametrize("method", ["mean", "dawid-skene", "mace"])
def test_reliability_without_another_annotator_reads_nan_not_zero(store, method):
    """An annotator nobody else rated the same replies with has no reliability figure (n/a, like agreement):
    0 would say their answers carry no information. Beside them, a shared reply gives figures again."""
    add_positions(store, 6, columns=COLUMNS[:1])
    (admin,) = make_users(store, "boss", role="admin")
    solo, pair_a, pair_b = make_users(store, "solo", "pair-a", "pair-b")
    with store.session() as s:
        gens = list(s.scalars(select(Generation).where(Generation.status == "ok").order_by(Generation.id)))
        for i, g in enumerate(gens):
            raters = (solo,) if i < 3 else (pair_a, pair_b)
            for u in raters:
                s.add(Rating(generation_id=g.id, user_id=u.id, status="submitted", turn_type=TRUTH[i % 4],
                             scores={"questioning": 1 + i % 4, "suggestion": 1 + (i + 1) % 4}))
    with store.session() as s:
        df = annotator_quality(s, admin, method).set_index("annotator")
    columns = ["reliability_turn_type", "reliability_questioning", "reliability_suggestion"]
    assert df.loc["solo", columns].isna().all()
    assert df.loc["solo", ["agreement_turn_type", "agreement_scores"]].isna().all()
    assert df.loc[["pair-a", "pair-b"], columns].notna().all().all()


def test_quality_is_for_admins_and_researchers(store):
    who = _crowd(store, n=8)
    researcher = CurrentUser(999, "res", "researcher")  # the role another change adds to accounts
    assert can_view_quality(researcher) and can_view_quality(who["admin"])
    assert not can_view_quality(who["lazy"])
    with store.session() as s:
        assert len(annotator_quality(s, researcher, "mean")) == 3
        with pytest.raises(AuthError):
            annotator_quality(s, who["good-1"])


def test_quality_tab_through_the_api(tmp_path, caplog):
    app = RunningApp(tmp_path)
    try:
        add_positions(app.store, 3)
        make_users(app.store, "ann")
        make_users(app.store, "boss", role="admin")
        with app.store.session() as s:
            gid = s.scalar(select(Generation.id).where(Generation.status == "ok").order_by(Generation.id))
        boss = Client(app.url, auth=("boss", "secret-pass-boss"), verbose=False, analytics_enabled=False)
        msg, gold = boss.predict(gid, "mixed", "", "na", 0, api_name="/gold_mark")
        assert "gold" in msg and gold["data"][0][0] == gid
        with pytest.raises(Exception, match="not in the list of choices"):
            boss.predict(gid, "nonsense-type", "", "", 0, api_name="/gold_mark")
        msg, _ = boss.predict(10_000, "question", "", "", 0, api_name="/gold_mark")
        assert "⚠" in msg and "No reply" in msg  # (a sentence after the mark)
        msg, _ = boss.predict(gid, "", "9", "", 0, api_name="/gold_mark")
        assert "whole score 1-5" in msg
        table, gold, links = boss.predict("mace", api_name="/quality")
        table = table.get("value", table)  # a table update (column widths + value) or the bare value
        # readable headers (the data's names are annotator, anchoring; they stay so in the CSV download)
        assert table["headers"][0] == "Annotator" and "Anchoring (turn type = the classifier's)" in table["headers"]
        assert "annotator_quality.csv" in links
        assert [row[4] for row in gold["data"]] == ["Mixed"]  # the turn type as the page shows it (中文: 混合)
        # A researcher's Refresh shows accuracy without the gold answers, and is not logged as a refused access.
        make_users(app.store, "rita", role="researcher")
        rita = Client(app.url, auth=("rita", "secret-pass-rita"), verbose=False, analytics_enabled=False)
        with caplog.at_level(logging.WARNING, logger="workbench.access"):
            _table, rita_gold, _links = rita.predict("mean", api_name="/quality")
        assert rita_gold["data"] in ([], [[]]) or not any(any(cell for cell in row) for row in rita_gold["data"])
        assert not [r for r in caplog.records if "rita" in r.getMessage()], caplog.text
        ann = Client(app.url, auth=("ann", "secret-pass-ann"), verbose=False, analytics_enabled=False)
        with pytest.raises(Exception, match="admins and researchers"):
            ann.predict("mean", api_name="/quality")
        msg, _ = ann.predict(gid, "question", "", "", 0, api_name="/gold_mark")
        assert "admin" in msg
        with app.store.session() as s:
            from workbench.store.schema import GoldAnswer

            assert [g.answer for g in s.scalars(select(GoldAnswer))] == [{"turn_type": "mixed", "suggestion": "na"}]
    finally:
        app.close()


def test_quality_of_an_empty_store(store):
    (admin,) = make_users(store, "boss", role="admin")
    with store.session() as s:
        df = annotator_quality(s, admin)
    assert isinstance(df, pd.DataFrame) and df.empty and "reliability_turn_type" in df.columns


MARKUP_NAME = '<img src=x onerror="window.__pwned=1">'


@pytest.mark.browser
def test_quality_tab_in_chromium_shows_names_as_text(tmp_path):
    """An account name is untrusted text: the Quality table shows it, and nothing in it runs."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    from workbench.store.schema import User

    app = RunningApp(tmp_path)
    try:
        add_positions(app.store, 2)
        make_users(app.store, "boss", role="admin")
        with app.store.session() as s:
            odd = User(username=MARKUP_NAME, password_hash="!", role="annotator")
            s.add(odd)
            s.flush()
            gid = s.scalar(select(Generation.id).where(Generation.status == "ok").order_by(Generation.id))
            s.add(Rating(generation_id=gid, user_id=odd.id, status="submitted", turn_type="question", scores={"questioning": 3}))
        with sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page()
            page.goto(app.url)
            page.locator("input[type=text]").first.fill("boss")
            page.locator("input[type=password]").first.fill("secret-pass-boss")
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("tab", name="Quality").click()
            page.locator("#quality-refresh").click()
            page.locator("#quality-table", has_text="onerror").wait_for(timeout=60_000)
            pwned = page.evaluate("() => window.__pwned")
            injected = page.evaluate("() => document.querySelectorAll('[onerror]').length")
            browser.close()
        assert pwned is None and injected == 0
    finally:
        app.close()


@pytest.mark.browser
def test_the_gold_section_is_shown_to_admins_only(tmp_path):
    """A researcher saw the gold controls, and every press there was refused: only admins set gold answers."""
    from browser import launch
    from playwright.sync_api import expect, sync_playwright

    app = RunningApp(tmp_path)
    try:
        make_users(app.store, "boss", role="admin")
        make_users(app.store, "rita", role="researcher")
        with sync_playwright() as pw:
            browser = launch(pw)
            for name, shown in (("boss", True), ("rita", False)):
                page = browser.new_context().new_page()
                page.goto(app.url)
                page.locator("input[type=text]").first.fill(name)
                page.locator("input[type=password]").first.fill(f"secret-pass-{name}")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("tab", name="Quality").click()
                expect(page.locator("#quality-table")).to_be_visible()
                section = page.locator("#quality-gold-section")
                if shown:
                    expect(section).to_be_visible()
                else:
                    page.wait_for_timeout(1000)  # the page-load event has had its time to show it
                    expect(section).to_be_hidden()
                    expect(page.locator("#gold-mark")).to_be_hidden()
            browser.close()
    finally:
        app.close()


def test_gold_mark_refuses_a_generation_id_that_is_not_whole(tmp_path):
    """A typo such as 1.5 in the gold form is refused: rounded, it made another reply gold without a word.
    An empty box asks for the id instead of looking up reply 0."""
    app = RunningApp(tmp_path)
    try:
        add_positions(app.store, 3)
        make_users(app.store, "boss", role="admin")
        with app.store.session() as s:
            gid = s.scalar(select(Generation.id).where(Generation.status == "ok").order_by(Generation.id))
        boss = Client(app.url, auth=("boss", "secret-pass-boss"), verbose=False, analytics_enabled=False)
        msg, _ = boss.predict(f"{gid}.5", "question", "", "", 0, api_name="/gold_mark")
        assert "⚠" in msg and "whole number" in msg
        msg, _ = boss.predict("", "question", "", "", 0, api_name="/gold_mark")
        assert "⚠" in msg and "generation id is required" in msg
        msg, _ = boss.predict("inf", "question", "", "", 0, api_name="/gold_mark")
        assert "⚠" in msg and "whole number" in msg
        msg, _ = boss.predict(str(gid), "question", "4", "", 1.5, api_name="/gold_mark")
        assert "⚠" in msg and "tolerance" in msg
        from workbench.store.schema import GoldAnswer

        with app.store.session() as s:
            assert list(s.scalars(select(GoldAnswer))) == []
        msg, gold = boss.predict(str(gid), "question", "", "", 1, api_name="/gold_mark")
        assert "⚠" not in msg and [row[0] for row in gold["data"]] == [gid]
    finally:
        app.close()


def test_an_admin_finds_a_replys_generation_id_by_its_dialogue(tmp_path):
    """No screen showed a reply's generation id, which the gold form asks for: one dialogue's finished
    replies are listed with their ids (greetings and failed replies left out, gold ones marked), admins only."""
    app = RunningApp(tmp_path)
    try:
        (did, pos), (other, _) = add_positions(app.store, 2)
        make_users(app.store, "ann")
        make_users(app.store, "boss", role="admin")
        with app.store.session() as s:
            s.add(Generation(dialogue_id=did, turn_index=1, column_name=COLUMNS[0], backend="greeting",
                             output="我是扁鹊", status="ok", route="greeting"))
            s.flush()
            expected = [(g.id, g.column_name, g.output) for g in s.scalars(
                select(Generation).where(Generation.dialogue_id == did, Generation.status == "ok",
                                         Generation.route.is_(None)).order_by(Generation.column_name))]
        boss = Client(app.url, auth=("boss", "secret-pass-boss"), verbose=False, analytics_enabled=False)
        msg, table = boss.predict(str(did), api_name="/gold_candidates")
        assert msg == "" and table["headers"] == ["Generation id", "Turn index", "Column", "Reply", "Gold"]
        assert [(int(r[0]), r[2], r[3]) for r in table["data"]] == expected
        assert {r[1] for r in table["data"]} == {str(pos)} and {r[4] for r in table["data"]} == {""}
        boss.predict(str(expected[1][0]), "question", "", "", 0, api_name="/gold_mark")
        _msg, table = boss.predict(str(did), api_name="/gold_candidates")
        assert [r[4] for r in table["data"]] == ["", "✓ gold", ""][:len(expected)]
        msg, _ = boss.predict("99999", api_name="/gold_candidates")
        assert msg.startswith("⚠") and "No dialogue 99999" in msg
        msg, _ = boss.predict("abc", api_name="/gold_candidates")
        assert msg.startswith("⚠") and "dialogue id must be a whole number" in msg
        # A regeneration replaces a column's reply: annotators are shown the new one, the list shows only it,
        # and the old one cannot be made gold (it would be checked on nobody who rates from now on).
        old = next(gid for gid, col, _ in expected if col == COLUMNS[0])
        with app.store.session() as s:
            newer = Generation(dialogue_id=did, turn_index=pos, column_name=COLUMNS[0], backend="test",
                               output="重新生成的回复", status="ok")
            s.add(newer)
            s.flush()
            newer_id = newer.id
        _msg, table = boss.predict(str(did), api_name="/gold_candidates")
        ids = [int(r[0]) for r in table["data"]]
        assert newer_id in ids and old not in ids and len(ids) == len(expected)
        msg, _ = boss.predict(str(old), "question", "", "", 0, api_name="/gold_mark")
        assert msg.startswith("⚠") and f"replaced by reply {newer_id}" in msg
        ann = Client(app.url, auth=("ann", "secret-pass-ann"), verbose=False, analytics_enabled=False)
        msg, table = ann.predict(str(other), api_name="/gold_candidates")
        assert msg.startswith("⚠") and "admin" in msg and not any(any(c for c in r) for r in table["data"])
    finally:
        app.close()


def list_replies_for_gold(page, did: int):
    """Opens Quality → Gold items as a signed-in admin, lists dialogue ``did``'s replies and waits for one row per
    column; returns the table."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Quality").click()
    page.locator("#quality-gold-section").get_by_text("Gold items (admins)").click()
    page.locator("#gold-dialogue textarea, #gold-dialogue input").first.fill(str(did))
    page.locator("#gold-find").click()
    table = page.locator("#gold-candidates")
    expect(table.locator("[role=row].virtual-row")).to_have_count(len(COLUMNS), timeout=60_000)
    return table


@pytest.mark.browser
def test_a_click_on_a_listed_reply_fills_the_gold_form(tmp_path):
    """The admin's path in Chromium: list a dialogue's replies (a reply's markup shown as text), click one,
    and its id is in the form; Mark as gold makes that reply gold."""
    from browser import launch
    from playwright.sync_api import expect, sync_playwright
    from rate_ui_support import sign_in

    from workbench.store.schema import GoldAnswer

    app = RunningApp(tmp_path)
    try:
        ((did, _pos),) = add_positions(app.store, 1, first_text=MARKUP_NAME)
        make_users(app.store, "boss", role="admin")
        with app.store.session() as s:
            second = s.scalars(select(Generation.id).where(Generation.dialogue_id == did, Generation.status == "ok")
                               .order_by(Generation.column_name)).all()[1]
        with sync_playwright() as pw:
            browser = launch(pw)
            _ctx, page = sign_in(browser, app.url, "boss", "en")
            table = list_replies_for_gold(page, did)
            rows = table.locator("[role=row].virtual-row")
            expect(rows.first).to_contain_text("onerror")
            rows.nth(1).locator("[role=gridcell]").nth(3).click()
            expect(page.locator("#gold-id textarea, #gold-id input").first).to_have_value(str(second), timeout=30_000)
            page.get_by_label("Expected questioning (1-5, na)").fill("4")
            page.locator("#gold-mark").click()
            expect(page.locator("#gold-msg")).to_contain_text(f"reply {second} is gold", timeout=30_000)
            pwned = page.evaluate("() => window.__pwned")
            injected = page.evaluate("() => document.querySelectorAll('[onerror]').length")
            browser.close()
        assert pwned is None and injected == 0
        with app.store.session() as s:
            assert [g.generation_id for g in s.scalars(select(GoldAnswer))] == [second]
    finally:
        app.close()


@pytest.mark.browser
def test_the_listed_replies_keep_every_column_in_view_beside_a_long_reply(tmp_path):
    """Walk 8: a long reply widened its column until the Gold column sat past the page's right edge and the other
    headers wrapped letter by letter. Each column now has its share of the width: a long reply wraps in its own."""
    from browser import launch
    from playwright.sync_api import sync_playwright
    from rate_ui_support import sign_in

    app = RunningApp(tmp_path)
    try:
        long_reply = "考虑是上呼吸道感染引起的咳嗽，建议多喝温水，清淡饮食，注意休息。" * 10
        ((did, _pos),) = add_positions(app.store, 1, first_text=long_reply)
        make_users(app.store, "boss", role="admin")
        with sync_playwright() as pw:
            browser = launch(pw)
            _ctx, page = sign_in(browser, app.url, "boss", "en")
            table = list_replies_for_gold(page, did)
            box = table.bounding_box()
            heads = {h.inner_text().strip(): h.bounding_box() for h in table.locator("[role=columnheader]").all()}
            browser.close()
        gold = next(b for name, b in heads.items() if name.startswith("Gold"))
        assert gold["x"] + gold["width"] <= box["x"] + box["width"] + 1, (gold, box)
        assert min(b["width"] for b in heads.values()) >= 60, heads  # no header squeezed letter by letter
    finally:
        app.close()
