"""The Rate tab's item lifecycle below the UI: identical replies, skip, flag as broken, back to the previous
item, the turn-type pre-fill option, the shortcut table shared with the README, the character diff."""

from __future__ import annotations

import re

import pytest
from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import inspect, select

from workbench.annotate import queue
from workbench.annotate.queue import open_item
from workbench.annotate.ratings import (
    RatingForm,
    get_preference,
    preference_from_choice,
    rating_history,
    submit,
    submit_item,
)
from workbench.annotate.rubric import NA, load_rubric, parse_rubric
from workbench.config import REPO_ROOT
from workbench.errors import AuthError, InputError
from workbench.store.engine import Store
from workbench.store.schema import Assignment
from workbench.ui.rate_shortcuts import SHORTCUTS, shortcuts_table
from workbench.ui.reply_diff import diff_html

RUBRIC = REPO_ROOT / "annotations" / "rubric.yaml"
FORM = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA})


@pytest.fixture
def rubric():
    return load_rubric(RUBRIC)


def _open(store, user, item_id):
    with store.session() as s:
        return open_item(s, user, item_id)


def _submit(store, user, item_id, rubric, choice="tie"):
    item = _open(store, user, item_id)
    with store.session() as s:
        submit_item(s, user, item_id, {r.generation_id: FORM for r in item.replies},
                    preference_from_choice(item, choice) if len(item.groups) > 1 else None, rubric=rubric)


# --- identical replies --------------------------------------------------------------------------------------
def test_identical_replies_are_one_group_and_one_preference_choice(store, rubric):
    (a,) = make_users(store, "ann")
    add_item(store, ["同一句话。", "另一句话？", "同一句话。"])
    item = _open(store, a, claim(store, a))
    assert sorted(len(g) for g in item.groups) == [1, 2]
    twin = next(g for g in item.groups if len(g) == 2)
    assert {r.column for r in twin} == {"BianQue-1.0", "Hybrid v1→v2"}
    # Choosing either twin as best is the same answer: the group's first reply, never one twin over the other.
    assert preference_from_choice(item, twin[1].label) == preference_from_choice(item, twin[0].label)
    rank = preference_from_choice(item, "ranking", f"{twin[1].label}={twin[0].label} > "
                                  + next(g for g in item.groups if len(g) == 1)[0].label)
    assert len(rank.ranking) == 2 and rank.ranking[0] == twin[0].generation_id
    # A full ranking needs only the two distinct replies; the preference compares just those.
    with store.session() as s:
        submit_item(s, a, item.item_id, {r.generation_id: FORM for r in item.replies}, rank, rubric=rubric)
    with store.session() as s:
        p = get_preference(s, a, item.item_id)
        assigned = queue.user_assignment(s, a, item.item_id)
        assert assigned.completed_at is not None
    assert len(p.shown) == 2 and twin[1].generation_id not in p.shown


def test_an_item_of_only_identical_replies_needs_no_preference(store, rubric):
    (a,) = make_users(store, "ann")
    add_item(store, ["一模一样", "一模一样"])
    item_id = claim(store, a)
    item = _open(store, a, item_id)
    assert len(item.groups) == 1
    with store.session() as s:
        submit_item(s, a, item_id, {r.generation_id: FORM for r in item.replies}, None, rubric=rubric)
    with store.session() as s:
        assert queue.user_assignment(s, a, item_id).completed_at is not None


def test_identical_replies_given_different_answers_are_refused_and_nothing_is_stored(store, rubric):
    """The submit API can name each twin; two answers for one judgement would leave one unused by the
    exports (which pool the twins), so the submit refuses them and stores nothing."""
    (a,) = make_users(store, "ann")
    add_item(store, ["同一句话。", "另一句话？", "同一句话。"])
    item_id = claim(store, a)
    item = _open(store, a, item_id)
    twin = next(g for g in item.groups if len(g) == 2)
    forms = {r.generation_id: FORM for r in item.replies}
    forms[twin[1].generation_id] = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA},
                                              corrected_reply="更好的提问？")
    with store.session() as s, pytest.raises(InputError, match=f"{twin[0].label}={twin[1].label} are identical"):
        submit_item(s, a, item_id, forms, preference_from_choice(item, "tie"), rubric=rubric)
    with store.session() as s:
        assert queue.user_assignment(s, a, item_id).completed_at is None
        assert all(rating_history(s, a, r.generation_id) == [] for r in item.replies)
    forms[twin[0].generation_id] = forms[twin[1].generation_id]  # one answer for both: accepted
    with store.session() as s:
        submit_item(s, a, item_id, forms, preference_from_choice(item, "tie"), rubric=rubric)
    with store.session() as s:
        assert queue.user_assignment(s, a, item_id).completed_at is not None


# --- skip ----------------------------------------------------------------------------------------------------
def test_a_skipped_item_comes_back_after_the_new_ones_with_its_draft(store, rubric):
    (a,) = make_users(store, "ann")
    for i in range(3):
        add_item(store, [f"回复{i}", f"另一个回复{i}"])
    first = claim(store, a)
    with store.session() as s:
        assert queue.skip_item(s, a, first)
    second = claim(store, a)
    assert second != first
    _submit(store, a, second, rubric)
    third = claim(store, a)
    _submit(store, a, third, rubric)
    assert claim(store, a) == first  # nothing new left: the skipped item is back, not lost
    _submit(store, a, first, rubric)
    assert claim(store, a) is None
    with store.session() as s:
        assert queue.progress(s, a, 1).mine_completed == 3
        assert not queue.skip_item(s, a, first)  # skipping a submitted item changes nothing


# --- flag as broken ------------------------------------------------------------------------------------------
def test_a_flagged_item_leaves_the_queue_and_admins_see_why(store, rubric):
    a, b = make_users(store, "ann", "bob")
    (boss,) = make_users(store, "boss", role="admin")
    for i in range(2):
        add_item(store, [f"回复{i}", f"另一个回复{i}"])
    broken = claim(store, a)
    with store.session() as s, pytest.raises(InputError, match="say why"):
        queue.flag_item(s, a, broken, "   ")
    with store.session() as s, pytest.raises(AuthError):
        queue.flag_item(s, b, broken, "not mine")
    with store.session() as s:
        queue.flag_item(s, a, broken, "回复被截断了 <b>x</b>")
    nxt = claim(store, a)
    assert nxt not in (broken, None)
    _submit(store, a, nxt, rubric)
    assert claim(store, a) is None  # the flagged item never comes back to this annotator
    with store.session() as s:
        flagged = queue.flagged_items(s, boss)
        assert [(f.item_id, f.username, f.reason) for f in flagged] == [(broken, "ann", "回复被截断了 <b>x</b>")]
        with pytest.raises(AuthError):
            queue.flagged_items(s, a)
        assert queue.progress(s, a, 1).mine_open == 0
        assert queue.release_open(s, boss, "ann") == 0  # releasing open items keeps the report
    with store.session() as s:
        assert s.scalars(select(Assignment.flag_reason).where(Assignment.item_id == broken)).one()


def test_a_flagged_item_can_no_longer_be_opened_or_answered_by_who_flagged_it(store, rubric):
    """It was listed as "open" under My rated items, could be opened there, rated and submitted, and then counted
    and exported as a normal item while its flag still waited for an admin."""
    from workbench.annotate.ratings import save_draft

    (a,) = make_users(store, "ann")
    for i in range(2):
        add_item(store, [f"回复{i}", f"另一个回复{i}"])
    broken = claim(store, a)
    item = _open(store, a, broken)
    with store.session() as s:
        queue.flag_item(s, a, broken, "回复被截断了")
    with store.read() as s:
        assert broken not in [i for i, _done in queue.my_items(s, a)]
    with pytest.raises(InputError, match=f"item #{broken} is flagged as broken"):
        _open(store, a, broken)
    with store.session() as s, pytest.raises(InputError, match="flagged as broken"):
        submit_item(s, a, broken, {r.generation_id: FORM for r in item.replies}, None, rubric=rubric)
    with store.session() as s, pytest.raises(InputError, match="flagged as broken"):
        save_draft(s, a, item.replies[0].generation_id, FORM, rubric=rubric)
    with store.read() as s:
        a_row = s.scalars(select(Assignment).where(Assignment.item_id == broken)).one()
        assert a_row.completed_at is None and a_row.flagged_at is not None


def test_flagging_a_submitted_item_withdraws_its_answers(store, rubric):
    """Back to a submitted item, then Flag: its answers stayed submitted and counted, the item left the flagger's
    list (so they could not withdraw them), and once an admin handed it on the item had k+1 answers."""
    from workbench.annotate import workflow
    from workbench.store.schema import Preference, Rating

    (a,) = make_users(store, "ann")
    for i in range(2):
        add_item(store, [f"回复{i}", f"另一个回复{i}"])
    done = claim(store, a)
    _submit(store, a, done, rubric, choice="tie")
    with store.read() as s:
        assert set(s.scalars(select(Rating.status))) == {"submitted"}
    with pytest.raises(InputError, match="say why"):
        workflow.flag(store, a, done, " ")
    with store.read() as s:
        assert set(s.scalars(select(Rating.status))) == {"submitted"}  # a refused flag withdraws nothing
    workflow.flag(store, a, done, "回复被截断了")
    with store.read() as s:
        assert set(s.scalars(select(Rating.status))) == {"discarded"}
        assert set(s.scalars(select(Preference.status))) == {"discarded"}
        row = s.scalars(select(Assignment).where(Assignment.item_id == done)).one()
        assert row.completed_at is None and row.flagged_at is not None
        assert queue.progress(s, a, 1).mine_completed == 0
    with pytest.raises(InputError, match="flagged as broken"):
        workflow.flag(store, a, done, "again")


# --- back / undo ---------------------------------------------------------------------------------------------
def test_back_walks_submitted_items_newest_first_and_a_change_is_a_new_version(store, rubric):
    (a,) = make_users(store, "ann")
    for i in range(3):
        add_item(store, [f"回复{i}", f"另一个回复{i}"])
    done = []
    for _ in range(2):
        item_id = claim(store, a)
        _submit(store, a, item_id, rubric)
        done.append(item_id)
    held = claim(store, a)
    with store.session() as s:
        assert queue.previous_item(s, a, held) == done[1]
        assert queue.previous_item(s, a, done[1]) == done[0]
        assert queue.previous_item(s, a, done[0]) is None
    item = _open(store, a, done[1])
    assert item.completed
    with store.session() as s:
        submit(s, a, item.replies[0].generation_id, RatingForm(turn_type="mixed", scores={"questioning": 2, "suggestion": 3}),
               rubric=rubric)
    with store.session() as s:
        versions = rating_history(s, a, item.replies[0].generation_id)
    assert [(v, snap["scores"]["questioning"]) for v, snap in versions] == [(1, 4), (2, 2)]
    assert claim(store, a) == held  # after going back, the held item is still the one to finish


# --- pre-fill option -----------------------------------------------------------------------------------------
def test_prefill_is_a_rubric_option_off_by_default_that_leaves_old_hashes_alone(rubric):
    import yaml

    data = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
    assert rubric.prefill_turn_type is False
    data.pop("prefill_turn_type")
    assert parse_rubric(data).version_id == rubric.version_id  # rubrics without the key keep their hash
    on = parse_rubric({**data, "prefill_turn_type": True})
    assert on.prefill_turn_type and on.version_id != rubric.version_id  # an anchoring rubric is told apart


def test_the_rate_tab_prefills_only_when_the_rubric_says_so(tmp_path):
    import yaml
    from rating_fixtures import test_config
    from ui_server import running_app

    from workbench.services import build_services

    data = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
    for prefill in (False, True):
        path = tmp_path / f"rubric_{prefill}.yaml"
        path.write_text(yaml.safe_dump({**data, "prefill_turn_type": prefill, "guidelines": None},
                                       allow_unicode=True), encoding="utf-8")
        cfg = test_config(tmp_path / f"app_{prefill}.db", k=1)
        cfg = cfg.model_copy(update={"annotation": cfg.annotation.model_copy(update={"rubric": str(path)})})
        svc = build_services(cfg)
        add_item(svc.store, ["咳嗽多久了？", "建议多喝水。"])
        try:
            with running_app(svc) as url:
                from ui_server import client

                out = client(url).predict(api_name="/rate_next")
        finally:
            svc.close()
        turn_keys = {"question", "suggestion", "mixed", "other"}
        values = [v for v in out if isinstance(v, str) and v in turn_keys]
        suggestions = [v for v in out if isinstance(v, str) and "rate-sug-key" in v]
        assert len(suggestions) == 2  # the suggestion is always shown beside the field
        assert (len(values) == 2) if prefill else not values, (prefill, values)


# --- keys, README, diff --------------------------------------------------------------------------------------
def test_the_readme_shows_the_same_keys_as_the_app():
    readme = [line.strip() for line in (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()]
    table = shortcuts_table("en").splitlines()
    start = readme.index(table[0])  # the whole table, row for row, in one place (indented in its list item)
    assert readme[start:start + len(table)] == table
    assert readme[start + len(table)] == ""  # and nothing more: no key the app does not have
    assert all("Tab" not in s.keys for s in SHORTCUTS)  # Tab is the browser's; it is not one of ours
    from workbench.ui.i18n import catalogue

    keys = [s.action for s in SHORTCUTS] + [f"rate.status.{x}" for x in ("draft", "submitted", "discarded")]
    assert all(set(catalogue().messages[k]) == {"zh", "en"} for k in keys)  # keys built at run time exist too
    js = (REPO_ROOT / "workbench" / "ui" / "assets" / "rate_keys.js").read_text(encoding="utf-8")
    for s in SHORTCUTS:  # every listed letter is handled by the page script
        for key in s.keys:
            if re.fullmatch(r"[A-Z]", key) and key not in "ABC":
                assert f"k === '{key}'" in js, key


def test_the_guidelines_list_the_keys_the_app_has():
    """The guidelines (shown in the Rate tab) told annotators Tab and arrows move between axes, and left out half
    the keys: every key of the app is in their shortcut section, and Tab is not given as one."""
    text = (REPO_ROOT / "annotations" / "guidelines.md").read_text(encoding="utf-8")
    section = text[text.index("键盘快捷键 · Keyboard shortcuts"):]
    section = section[: section.index("\n## ")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    keys = {k for line in rows for k in re.findall(r"`([^`]+)`", line.split("|")[1])}
    assert keys == {k for s in SHORTCUTS for k in s.keys if k not in "–/…"}
    assert "Tab`" not in "".join(rows)


def test_the_diff_marks_changed_characters_and_keeps_markup_inert():
    html = diff_html("建议多喝热水<img src=x>。", "建议多喝水。")
    assert '<mark class="rate-diff-mark">热</mark>' in html
    assert "<img" not in html and "&lt;img" in html
    assert diff_html("一样", "一样") == "一样"


def test_revision_0003_adds_the_skip_and_flag_columns_to_an_older_database(tmp_path):
    from legacy_db import legacy_copy, table_rows

    path = legacy_copy(tmp_path)  # made by main before skip and flag existed
    before = table_rows(path)["assignments"]
    assert before
    store = Store(f"sqlite:///{path}")
    try:
        cols = [c["name"] for c in inspect(store.engine).get_columns("assignments")]
        assert {"skipped_at", "flagged_at", "flag_reason"} <= set(cols)
        with store.session() as s:
            a = s.scalars(select(Assignment)).first()
            assert a is not None and a.skipped_at is None and a.flagged_at is None and a.flag_reason is None
    finally:
        store.dispose()


def test_a_submit_with_gaps_names_every_box_by_its_own_label(store, rubric):
    """Walk 10: an incomplete submit named only the first gap, and a copy's label ("Reply A" for the box "Reply
    A=C"); it lists every box's gaps under the box's label, in the page's language."""
    from workbench.ui.rate_tab import error_text

    (a,) = make_users(store, "ann")
    add_item(store, ["同一句话。", "另一句话？", "同一句话。"])
    item_id = claim(store, a)
    item = _open(store, a, item_id)
    twin = next(g for g in item.groups if len(g) == 2)
    single = next(g for g in item.groups if len(g) == 1)[0]
    twin_label = "=".join(r.label for r in twin)
    forms = {r.generation_id: RatingForm(turn_type="question") for r in twin}
    forms[single.generation_id] = RatingForm(scores={"questioning": 4, "suggestion": NA})
    with store.session() as s, pytest.raises(InputError) as refused:
        submit_item(s, a, item_id, forms, preference_from_choice(item, "tie"), rubric=rubric)
    boxes = {f"reply {twin_label}": "missing questioning quality, suggestion quality",
             f"reply {single.label}": "missing turn type"}
    assert dict(part.split(": ") for part in str(refused.value).split("; ")) == boxes
    zh = error_text(refused.value, "zh")
    assert f"回复 {twin_label}：缺少问诊质量、建议质量" in zh and f"回复 {single.label}：缺少回复类型" in zh, zh
    # ... and the preference's gap in the same message (walk 11: it came only on the next submit)
    with store.session() as s, pytest.raises(InputError, match=r"missing turn type; choose a preference") as refused:
        submit_item(s, a, item_id, forms, None, rubric=rubric)
    assert "请选择偏好" in error_text(refused.value, "zh")
    with store.session() as s:
        assert queue.user_assignment(s, a, item_id).completed_at is None
