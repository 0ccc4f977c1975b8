"""The UI's message catalogue, the session language, and the switch in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.errors import ConfigError
from workbench.ui import i18n
from workbench.ui.i18n import (
    BUILD_LANGUAGE,
    LANGUAGES,
    Catalogue,
    K,
    Localizer,
    catalogue,
    parse_accept_language,
    read_catalogue,
)

UI_SOURCES = sorted(p for p in (Path(__file__).parent.parent / "workbench" / "ui").rglob("*.py") if p.name != "i18n.py")
#: literal keys in the UI's code: K("…"), t("…"), ui.t("…"), i18n.t("…"), label="…" given to bind()
KEY_USE = re.compile(r"""(?:\bK|\bt)\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_every_key_has_every_language_with_the_same_fields():
    cat = catalogue()
    assert len(cat.messages) > 5
    for key, entry in cat.messages.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key
    for template, entry in cat.errors.items():
        assert set(entry) == set(LANGUAGES), template


def test_every_key_the_ui_names_exists():
    cat = catalogue()
    used = {m for path in UI_SOURCES for m in KEY_USE.findall(path.read_text(encoding="utf-8"))}
    assert used, "no keys found: the pattern no longer matches the code"
    missing = sorted(used - set(cat.messages))
    assert not missing, missing


def test_a_broken_catalogue_names_file_and_key(tmp_path):
    (tmp_path / "a.yaml").write_text("x.one: {en: 'Hello {name}', zh: '你好'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x\.one.*fields"):
        read_catalogue(tmp_path)
    (tmp_path / "a.yaml").write_text("x.one: {en: Hello, zh: 你好}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x.one: {en: Hi, zh: 嗨}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="defined twice"):
        read_catalogue(tmp_path)
    (tmp_path / "b.yaml").write_text("x.two: {zh: 嗨}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no en text"):
        read_catalogue(tmp_path)


def test_translate_formats_and_falls_back():
    cat = Catalogue({"a.greet": {"en": "Hello {name}", "zh": "你好，{name}"}, "a.only": {"en": "Only"}},
                    {"{column} has no reply": {"en": "{column} has no reply", "zh": "{column} 没有回复"},
                     "locked": {"en": "locked", "zh": "已锁定"}})
    assert cat.t("a.greet", "zh", name="李") == "你好，李"
    assert cat.t("a.greet", "en", name="Li") == "Hello Li"
    assert cat.t("a.only", "zh") == "Only"  # missing translation: English, never an empty label
    assert cat.t("a.nope", "zh") == "a.nope"
    assert cat.translate("bianque-2 has no reply", "zh") == "bianque-2 没有回复"
    assert cat.translate("locked", "zh") == "已锁定"
    assert cat.translate("locked out", "zh") == "locked out"  # whole-message match only
    assert cat.translate("bianque-2 has no reply", "en") == "bianque-2 has no reply"
    # keys built from data: a known one is translated, an unknown one (a model's own name) shown as it is
    assert cat.text_or("a.greet", "zh", "fallback", name="李") == "你好，李"
    assert cat.text_or("a.BianQue-2.0", "zh", "BianQue-2.0") == "BianQue-2.0"


def test_an_english_error_on_its_own_begins_with_a_capital_but_a_quoted_name_keeps_its_case():
    cat = i18n.catalogue()
    assert cat.as_sentence("no user named bob", "en") == "No user named bob"
    assert cat.as_sentence("no user named bob; choose a turn type", "en") == "No user named bob; choose a turn type"
    # a template that begins with a value: the account's name as stored, never "Ann2's"
    assert cat.as_sentence("ann2's account is disabled: enable it under Data → Accounts first", "en") \
        == "ann2's account is disabled: enable it under Data → Accounts first"
    assert cat.as_sentence("some text no template knows", "en") == "some text no template knows"
    assert cat.as_sentence("没有名为 bob 的用户", "zh") == "没有名为 bob 的用户"
    assert cat.as_sentence("bob may not rate", "zh") == "bob may not rate"  # only English is re-cased


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,zh-TW;q=0.5", "zh"),
    ("fr-FR", None),
    ("en;q=0.2, zh;q=0.7", "zh"),
    ("zh;q=0", None),
    ("", None),
    (None, None),
])
def test_accept_language(header, lang):
    assert parse_accept_language(header) == lang


def test_localizer_binds_and_rewrites():
    import gradio as gr

    ui = Localizer()
    with gr.Blocks():
        tab_label = ui.make(gr.Textbox, label=K("app.tab.chat"), value="typed by a user")
        radio = ui.make(gr.Radio, choices=[(K("app.tab.rate"), "rate"), (K("app.tab.chat"), "chat")])
    assert tab_label.label == catalogue().t("app.tab.chat", BUILD_LANGUAGE)
    assert tab_label.value == "typed by a user"  # a plain value is not a key and is left alone
    zh = ui.updates("zh")
    assert zh[tab_label]["label"] == catalogue().t("app.tab.chat", "zh")
    assert "value" not in zh[tab_label]
    assert zh[radio]["choices"] == [(catalogue().t("app.tab.rate", "zh"), "rate"),
                                    (catalogue().t("app.tab.chat", "zh"), "chat")]
    with pytest.raises(KeyError):
        ui.bind(tab_label, label="no.such.key")


@pytest.mark.browser
def test_browser_language_follows_accept_language_and_the_switch(services):
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import launch, require_chromium
    from tests.ui_server import running_app

    require_chromium()
    cat = catalogue()
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch(pw)
        zh_ctx = browser.new_context(locale="zh-CN")
        page = zh_ctx.new_page()
        page.goto(url.page)
        # A Chinese browser gets Chinese tabs without asking.
        expect(page.get_by_role("tab", name=cat.t("app.tab.rate", "zh"))).to_be_visible(timeout=30_000)
        expect(page.get_by_role("tab", name=cat.t("app.tab.rate", "en"), exact=True)).to_have_count(0)
        # The switch reloads the page in English and remembers the choice.
        page.locator("#language-switch").get_by_text("English").click()
        expect(page.get_by_role("tab", name=cat.t("app.tab.rate", "en"), exact=True)).to_be_visible(
            timeout=30_000)
        page.reload()
        expect(page.get_by_role("tab", name=cat.t("app.tab.rate", "en"), exact=True)).to_be_visible(
            timeout=30_000)
        expect(page.locator("#language-switch input[value='en']")).to_be_checked()
        # An English browser starts in English.
        en_page = browser.new_context(locale="en-US").new_page()
        en_page.goto(url.page)
        expect(en_page.get_by_role("tab", name=cat.t("app.tab.chat", "en"), exact=True)).to_be_visible(
            timeout=30_000)
        browser.close()


@pytest.mark.browser
def test_typed_text_survives_the_language_switch(services):
    """The switch reloads the page: text typed and not yet used (an Export threshold, a date, a half-written chat
    message) comes back in its box, and the server reads it; a password never goes into the stash."""
    import re

    from playwright.sync_api import expect, sync_playwright

    from tests.browser import launch, require_chromium
    from tests.ui_server import running_app

    require_chromium()
    cat = catalogue()
    message = "<b>半写的</b> message 还没发"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(locale="en-US").new_page()
        page.goto(url.page)
        expect(page.get_by_role("tab", name=cat.t("app.tab.export", "en"), exact=True)).to_be_visible(timeout=30_000)
        page.locator("#patient-message textarea").fill(message)
        page.locator("#tab-data-button").click()
        page.locator("#account-password input").fill("secret-pass-1")
        page.locator("#tab-compare-button").click()
        page.locator("#compare-from input").fill("2026-02-03")  # a DateTime box: an input of class "time"
        page.locator("#tab-export-button").click()
        page.locator("#export-min-q textarea").fill("abc")
        page.locator("#export-from textarea").fill("2026-01-01")
        # ticks too (walk 1 of session 69: De-identify came back ticked, the formats as they load)
        page.locator("#export-deid input[type=checkbox]").uncheck()
        page.locator("#export-formats").get_by_text("sft", exact=True).click()
        page.locator("#language-switch").get_by_text("中文").click()
        expect(page.get_by_role("tab", name=cat.t("app.tab.export", "zh"), exact=True)).to_have_attribute(
            "aria-selected", "true", timeout=30_000)  # reloaded in Chinese, on the same tab
        expect(page.locator("#export-min-q textarea")).to_have_value("abc")
        expect(page.locator("#export-from textarea")).to_have_value("2026-01-01")
        expect(page.locator("#export-deid input[type=checkbox]")).not_to_be_checked(timeout=30_000)
        expect(page.locator("#export-deid-thorough input[type=checkbox]")).to_be_checked()  # left as it was
        expect(page.locator("#export-formats").get_by_label("sft", exact=True)).to_be_checked()
        expect(page.locator("#export-formats").get_by_label("bianque_csv", exact=True)).to_be_checked()
        page.locator("#export-run").click()  # the server gets the restored text, not an empty box
        expect(page.locator("#export-summary textarea")).to_have_value(re.compile("'abc'"), timeout=30_000)
        page.locator("#export-min-q textarea").fill("")  # the server gets the restored ticks too
        page.locator("#export-run").click()
        expect(page.locator("#export-summary textarea")).to_have_value(re.compile(r"^sft[:：]", re.M), timeout=30_000)
        page.locator("#tab-chat-button").click()
        expect(page.locator("#patient-message textarea")).to_have_value(message)
        page.locator("#tab-compare-button").click()
        expect(page.locator("#compare-from input")).to_have_value("2026-02-03")
        page.locator("#tab-data-button").click()
        expect(page.locator("#account-password input")).to_have_value("")
        assert "secret-pass-1" not in (page.evaluate("() => JSON.stringify(sessionStorage)") or "")
        browser.close()


def test_import_and_batch_summaries_in_both_languages():
    from workbench.batch import BatchSummary
    from workbench.datasets.store_import import ImportSummary
    from workbench.ui.data_tab import batch_summary, import_summary

    imp = ImportSummary(1, "train<b>", "bianque_csv", 3, 12, 6, replaced=True)
    assert import_summary(imp, "en") == imp.describe()  # the tab says in English what the command line says
    zh = import_summary(imp, "zh")
    assert zh.startswith("已替换数据集 'train<b>'") and "3 段对话" in zh and "6 条参考医生回复" in zh
    run = BatchSummary(7, "demo", ["BianQue-1.0", "BianQue-2.0"], "all", 5, 10, skipped=2, generated=7, errors=1,
                       column_errors={"BianQue-2.0": "out of memory"}, stopped=True, seconds=3.25,
                       interrupted_runs=[4])
    assert batch_summary(run, "en") == run.describe()
    zh = batch_summary(run, "zh")
    for part in ("5 个位置 × 2 列 = 10", "新生成 7", "出错 1", "列 BianQue-2.0 未运行", "#4", "再次运行即可继续", "3.2 秒"):
        assert part in zh, part
    # the turns chosen and the separators in Chinese too (a walk found "轮次 all" and "; ")
    assert "轮次 全部" in zh and "；" in zh and "; " not in zh, zh
    sampled = BatchSummary(8, "demo", ["BianQue-1.0"], "sample:5", 5, 5, skipped=0, generated=5, errors=0,
                           column_errors={}, stopped=False, seconds=1.0, interrupted_runs=[])
    assert "轮次 抽样 5" in batch_summary(sampled, "zh")
    assert batch_summary(sampled, "en") == sampled.describe()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_stored_answers_status_is_a_word_not_the_items_instruction(lang):
    # The reply headers and autosave lines read "submitted v2", not "submitted: edit and press Enter… v2".
    from workbench.ui.i18n import t
    from workbench.ui.rate_tab import status_word

    assert status_word("submitted", lang) == t("rate.status.short_submitted", lang)
    assert status_word("draft", lang) == t("rate.status.draft", lang)
    assert "Enter" not in status_word("submitted", lang)


def test_localizer_keeps_plain_choice_labels_beside_keyed_ones():
    """The Data tab's Format menu said "auto-detect" on a Chinese page: a menu mixing a keyed label with plain
    codes (bianque_csv, …) could not be bound, so none of it was translated."""
    import gradio as gr

    ui = Localizer()
    with gr.Blocks():
        menu = ui.make(gr.Dropdown, choices=[(K("data.import.auto"), "auto-detect"), "bianque_csv"],
                       value="auto-detect")
    assert menu.choices == [(catalogue().t("data.import.auto", "en"), "auto-detect"), ("bianque_csv", "bianque_csv")]
    assert ui.updates("zh")[menu]["choices"] == [("自动识别", "auto-detect"), ("bianque_csv", "bianque_csv")]


def test_a_route_and_a_count_read_as_words_in_each_language():
    """The status line's "greeting" route is a word of the session's language; a model's own route stays; the
    Compare summary says "1 preference", not "1 preferences"."""
    from workbench.ui.chat_tab import route_name

    assert route_name("greeting", "zh") == "开场问候" and route_name("greeting", "en") == "greeting"
    assert route_name("v1", "zh") == "v1" and route_name(None, "zh") is None
    cat = catalogue()
    assert cat.t("compare.count.preferences", "en", n=1) == "1 preference"
    assert cat.t("compare.count.preferences", "en", n=2) == "2 preferences"
    assert cat.t("compare.count.references", "en", n=1).startswith("1 reference (the datasets' own doctor reply:")
    assert cat.t("compare.count.preferences", "zh", n=1) == "1 条偏好"


def test_a_missing_score_reads_wholly_in_chinese():
    """The axis and "or N/A" came through in English inside the translated message (suggestion quality：缺少分数（请给
    1-5 or N/A）): the default rubric's axes and the range are translated as the message's parts."""
    from workbench.annotate.ratings import RatingForm, validate_rating
    from workbench.annotate.rubric import load_rubric
    from workbench.config import REPO_ROOT
    from workbench.errors import InputError

    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    with pytest.raises(InputError) as err:
        validate_rating(RatingForm(turn_type="question", scores={"questioning": 3}), rubric, final=True)
    text = catalogue().translate(str(err.value), "zh")
    assert text == "建议质量：缺少分数（请给 1-5 或 不适用）", text


def test_a_count_of_one_takes_the_singular_in_the_catalogue_and_its_patterns():
    """"{n:reply|replies}" picks the word by the count; an error template written so matches either form."""
    cat = Catalogue({"a.n": {"en": "{n} {n:reply|replies}, {m} {m:turn|turns}", "zh": "{n} 条回复，{m} 轮"}},
                    {"{n} {n:reply is|replies are} missing": {"en": "{n} {n:reply is|replies are} missing",
                                                             "zh": "缺少 {n} 条回复"}})
    assert cat.t("a.n", "en", n=1, m=0) == "1 reply, 0 turns"
    assert cat.t("a.n", "en", n=2, m=1) == "2 replies, 1 turn"
    assert cat.t("a.n", "zh", n=1, m=1) == "1 条回复，1 轮"
    assert cat.translate("1 reply is missing", "zh") == "缺少 1 条回复"
    assert cat.translate("3 replies are missing", "zh") == "缺少 3 条回复"
    assert cat.translate("3 reply are missing", "zh") == "3 reply are missing"


def test_summaries_of_one_say_one_dialogue_not_one_dialogues():
    """An import of one dialogue said "1 dialogues, 1 turns, 1 reference doctor turns"; a batch "1 positions"."""
    from workbench.batch import BatchSummary
    from workbench.datasets.store_import import ImportSummary
    from workbench.plural import counted
    from workbench.ui.data_tab import batch_summary, import_summary

    imp = ImportSummary(1, "one", "bianque_csv", 1, 1, 1)
    assert imp.describe() == "imported dataset 'one' (bianque_csv): 1 dialogue, 1 turn, 1 reference doctor turn"
    assert import_summary(imp, "en") == imp.describe()
    assert "1 段对话，1 个轮次，1 条参考医生回复" in import_summary(imp, "zh")
    two = ImportSummary(1, "two", "bianque_csv", 2, 0, 2)
    assert "2 dialogues, 0 turns, 2 reference doctor turns" in import_summary(two, "en") == two.describe()
    run = BatchSummary(7, "demo", ["BianQue-1.0"], "all", 1, 1, skipped=0, generated=1, errors=0,
                       column_errors={}, stopped=False, seconds=1.0, interrupted_runs=[4])
    assert "1 position x 1 column = 1" in run.describe() and "resumed interrupted run #4" in run.describe()
    assert batch_summary(run, "en") == run.describe()
    assert "1 个位置 × 1 列" in batch_summary(run, "zh")
    assert catalogue().t("rate.release_confirm", "en", user="ann", n=1).startswith(
        "ann holds 1 open item, drafts included. Press the button again to hand it back")
    assert counted(1, "reply", "replies") == "1 reply" and counted(0, "turn") == "0 turns"


@pytest.mark.parametrize(("english", "chinese"), [
    ("1 reply stored before this error is kept; run the batch again to resume. disk full",
     "此前已保存的 1 条回复仍然保留；再次运行批量生成即可继续。disk full"),
    ("generations: 1 row", "generations：1 行"),
    ("device 'cuda:1' does not exist (1 GPU)", "设备 'cuda:1' 不存在（共 1 块 GPU）"),
    ("1 reply is not submitted yet", "还有 1 条回复未提交"),
    ("dropped the 1 oldest round to fit 2048 tokens", "为不超过 2048 个 token，去掉了最早的 1 轮"),
    ("rate answers: at most 1 box", "评分答案：最多 1 个回复框"),
    ("rate answers: box 1 must list 1 value", "评分答案：第 1 个回复框应有 1 个值"),
])
def test_a_singular_english_message_still_has_its_chinese(english, chinese):
    assert catalogue().translate(english, "zh") == chinese


def test_english_messages_written_in_code_say_one_in_the_singular():
    from workbench.errors import ModelLoadError
    from workbench.models.resources import check_loading_info

    with pytest.raises(ModelLoadError, match=r"missing 1 tensor, e\.g\."):
        check_loading_info("m", {"missing_keys": ["w"]})


def test_spaces_at_a_translated_fields_edges_follow_what_it_became():
    """Walk s63: "最低一致性 必须是0 到 1 之间的数": the template's spaces were right for English identifiers, wrong for
    the Chinese words they were translated to. At a translated field's edge a space now stands only between Han
    and a Latin letter or digit; an untranslated field (a value, a name) keeps the template's spaces."""
    cat = i18n.catalogue()
    assert cat.translate("min agreement must be between 0 and 1, got 2", "zh") == "最低一致性必须是 0 到 1 之间的数，而不是 2"
    assert (cat.translate("score threshold must be a number of at least 0, got -1", "zh")
            == "训练目标分数阈值必须是不小于 0 的数，而不是 -1")
    # a field left in English (nothing translates it) keeps its space before the Chinese
    assert cat.translate("wobble_x must be between 0 and 1, got 2", "zh") == "wobble_x 必须是 0 到 1 之间的数，而不是 2"
    assert cat.translate("min agreement must be between 0 and 1, got 2", "en").startswith("min agreement must be")


def test_format_spaced_touches_only_the_named_fields_edges():
    t = "列 {name} 的{what} 超过了{n}"
    fmt = i18n.format_spaced
    assert fmt("zh", t, {"name": "扁鹊", "what": "回复", "n": 5}, frozenset({"what"})) == "列 扁鹊 的回复超过了5"
    assert fmt("zh", t, {"name": "扁鹊", "what": "reply", "n": 5}, frozenset({"what"})) == "列 扁鹊 的 reply 超过了5"
    assert fmt("en", t, {"name": "x", "what": "回复", "n": 5}, frozenset({"what"})) == "列 x 的回复 超过了5"
    assert fmt("zh", "{a}{b}", {"a": "", "b": "问"}, frozenset({"a", "b"})) == "问"


def test_bold_labels_render_and_chinese_ones_need_no_space_after_the_colon():
    """Walk s63: "我的： 已完成 0": a bold label ending in a full-width colon needed a space before the text, or
    Markdown would not close the bold (a closing ** after punctuation must be followed by a space or punctuation).
    The colon now stands outside the bold (**我的**：已完成), and every message's ** still renders as bold."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    cat = i18n.catalogue()
    bold = [(key, lang, text) for key, entry in cat.messages.items() for lang, text in entry.items() if "**" in text]
    assert len(bold) > 10
    assert [(k, lang) for k, lang, text in bold if "**" in md.render(text)] == []
    assert [(k, lang) for k, lang, text in bold if lang == "zh" and re.search(r"[：:]\*\* ", text)] == []
