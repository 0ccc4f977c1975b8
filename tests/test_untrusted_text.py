"""as_text: every character HTML or Markdown acts on becomes a reference; the text reads back unchanged."""

from __future__ import annotations

import html
import re

import pytest

from workbench.ui.text import as_text, chat_text, text_messages

HOSTILE = [
    '<form action="http://x/steal"><input name=password></form>',
    "<img src=http://x/p.png onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<div style="position:fixed;inset:0">会话已过期</div>',
    "![b](http://x/b.png) [l](http://x) <http://x> http://x www.x.com a@b.com",
    "# 标题\n- 列表\n1. 一\n> 引用\n    代码\n```js\nalert(1)\n```\n| a | b |\n---",
    "$$x^2$$ \\(y\\) &amp; &#60; &lt;script&gt;",
    "**粗** _斜_ ~~删~~ `code`",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_becomes_inert_and_reads_back_unchanged(text):
    out = as_text(text)
    # The only tag left is our own line break; no character starts Markdown or HTML syntax.
    assert re.sub(r"<br>", "", out).count("<") == 0 and ">" not in re.sub(r"<br>", "", out)
    assert not re.search(r"[`*_\[\]()#!|~$\\:-]", re.sub(r"&#?\w+;", "", out))
    assert "\n" not in out
    assert html.unescape(out.replace("<br>", "\n")) == text


def test_line_endings_none_and_numbers():
    assert as_text("a\r\nb\rc") == "a<br>b<br>c"
    assert as_text(None) == "" and as_text(42) == "42"
    assert as_text("孩子发烧两天了，38度5") == "孩子发烧两天了，38度5"  # plain text passes through


def test_messages_map_roles_and_escape():
    msgs = text_messages([("patient", "<b>x</b>"), ("doctor", "好")])
    assert msgs == [{"role": "user", "content": "&lt;b&gt;x&lt;/b&gt;"}, {"role": "assistant", "content": "好"}]


@pytest.mark.parametrize("text", HOSTILE)
def test_chatbot_text_has_no_tag_and_reads_back_unchanged(text):
    out = chat_text(text)
    assert "<" not in out and ">" not in out
    assert html.unescape(out) == text


def test_bidirectional_controls_are_shown_not_obeyed():
    """U+202E and its kin reorder what follows them even as character references: one user's text could
    show another user words in an order nobody typed. Every way text is shown names them instead."""
    import pandas as pd

    from workbench.ui.chat_tab import history_table
    from workbench.ui.text import as_toast, plain

    spoof = "live \u202eevil\u202c and \u2067isolate\u2069, marks \u200f kept"
    for shown in (as_text(spoof), chat_text(spoof), as_toast(spoof), plain(spoof)):
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", html.unescape(shown))
        assert "[U+202E]evil[U+202C]" in html.unescape(shown) and "\u200f" in html.unescape(shown)
    from datetime import datetime
    from types import SimpleNamespace

    row = SimpleNamespace(id=1, created_at=datetime(2026, 12, 3), owner="ann\u202e", patient_messages=1,
                          first_message=spoof, parent_id=None)
    table: pd.DataFrame = history_table([row], "en")
    assert "[U+202E]evil" in table.iloc[0, 4] and table.iloc[0, 2] == "ann[U+202E]"


def test_the_datasets_table_shows_bidirectional_controls(tmp_path):
    from rating_fixtures import test_config
    from sqlalchemy import update

    from workbench.datasets.store_import import import_dataset
    from workbench.services import build_services
    from workbench.store.schema import Dataset
    from workbench.ui.data_tab import datasets_table

    svc = build_services(test_config(tmp_path / "t.db"))
    try:
        src = tmp_path / "d.csv"
        src.write_text("input,target\n病人：头痛\\n医生：,多久了？\n", encoding="utf-8")
        import_dataset(svc, src, name="hostile")
        # A new name with a bidi control is refused at import now (test_dataset_import_store); a store written
        # before that rule can still hold one, and it is shown made visible.
        with svc.store.session() as s:
            s.execute(update(Dataset).values(name="hostile\u202eevil"))
        assert datasets_table(svc).iloc[0, 0] == "hostile[U+202E]evil"
    finally:
        svc.close()
